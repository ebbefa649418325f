"""Search semantics on the real index: words, phrases, operators, filters, facets, highlights."""

from __future__ import annotations

import collections
import json
import random
import re
import subprocess
import sys

import pytest
from opencc import OpenCC

from indexer.analysis import normalize
from search.engine import search
from search.query import QuerySyntaxError, parse_query
from search.results import RequestError, SearchRequest, to_json

FACET_FIELDS = ("region", "province", "level", "year", "type", "section", "section_label", "part")


def run(engine, q="", limit=10000, **filters) -> dict:
    req = SearchRequest(q=q, filters={k: v if isinstance(v, list) else [v] for k, v in filters.items()},
                        limit=limit)
    return to_json(search(engine, req))


def ids(result) -> set[str]:
    return {h["id"] for h in result["hits"]}


@pytest.fixture(scope="module")
def corpus_docs(corpus_engine) -> list[dict]:
    snap = corpus_engine.snapshot()
    with snap.searching() as s:
        return snap.units.all(s)


def brute_phrase(docs, phrase: str) -> set[str]:
    p = " ".join(normalize(phrase).split())
    return {d["id"] for d in docs if p in normalize(d["text"])}


# ---------------------------------------------------------------- words and operators

def test_plain_words_are_and(corpus_engine, corpus_docs):
    both = ids(run(corpus_engine, "营商环境 优化"))
    one = ids(run(corpus_engine, "营商环境"))
    other = ids(run(corpus_engine, "优化"))
    assert both and both == one & other


def test_or_not_minus_and_parentheses(corpus_engine):
    a, b = ids(run(corpus_engine, "营商环境")), ids(run(corpus_engine, "招商引资"))
    assert ids(run(corpus_engine, "营商环境 OR 招商引资")) == a | b
    assert ids(run(corpus_engine, "营商环境 NOT 招商引资")) == a - b
    assert ids(run(corpus_engine, "营商环境 -招商引资")) == a - b
    assert ids(run(corpus_engine, "营商环境 －招商引资")) == a - b      # typed with a Chinese input method
    assert ids(run(corpus_engine, "＂营商环境＂ －＂招商引资＂")) == a - b
    c = ids(run(corpus_engine, "民营经济"))
    assert ids(run(corpus_engine, "(营商环境 OR 招商引资) 民营经济")) == (a | b) & c


@pytest.mark.parametrize("q", ["发展 OR 改革 OR 开放", "发展* OR 建设*", "营商环境 OR 招商引资 OR 冰雪经济",
                               '"发" OR "展" OR "的"', "(创新 OR 科技) 改革"])
def test_a_union_sorted_or_counted_densely_gives_the_same_answer(corpus_index, monkeypatch, q):
    """An OR and a wildcard's words are joined by a sort when their postings are few
    and by one pass over the document numbers when they are many: both give the same
    matches, facets, ranking and scores, to the last bit."""
    import search.matching as matching
    from search.engine import Engine

    def answer(share):
        monkeypatch.setattr(matching, "DENSE_UNION_SHARE", share)
        result = search(Engine(corpus_index), SearchRequest(q=q, limit=50))
        d = to_json(result)
        d.pop("took_ms")
        d["exact_scores"] = [h.score.hex() for h in result.hits]     # the JSON rounds them
        return d

    sorted_answer, dense_answer = answer(0), answer(10 ** 9)
    assert sorted_answer["total"] > 0
    assert json.dumps(dense_answer, sort_keys=True) == json.dumps(sorted_answer, sort_keys=True)


def test_filters_inline_and_as_parameters(corpus_engine):
    inline = run(corpus_engine, "营商环境 district:渝北区")
    param = run(corpus_engine, "营商环境", district="渝北区")
    assert ids(inline) == ids(param) and inline["total"] > 0
    assert all(h["district"] == "渝北区" for h in param["hits"])
    years = run(corpus_engine, "营商环境 year:2020..2024")
    assert years["total"] > 0 and all(h["year"] <= 2024 for h in years["hits"])
    assert ids(run(corpus_engine, "营商环境", year="2026")) == \
        ids(run(corpus_engine, "营商环境")) - ids(years)
    t = run(corpus_engine, "营商环境 type:计划报告 part:部署")
    assert t["total"] > 0 and all(h["type"] == "计划报告" and h["part"] == "部署" for h in t["hits"])
    both = run(corpus_engine, "营商环境", district=["渝北区", "江北区"])
    assert {h["district"] for h in both["hits"]} == {"渝北区", "江北区"}


def test_section_filter_matches_traditional_report(corpus_engine):
    r = run(corpus_engine, "", section="2023年国民经济和社会发展计划执行情况")
    assert {h["region"] for h in r["hits"]} >= {"四川省攀枝花市东区", "重庆市綦江区"}


def test_scripts_find_each_other(corpus_engine):
    simplified = run(corpus_engine, "国民经济 攀枝花")
    assert any(h["source"].endswith("001_ee0cd8f568fba525.txt") for h in simplified["hits"])
    traditional = run(corpus_engine, "營商環境")
    assert ids(traditional) == ids(run(corpus_engine, "营商环境"))
    assert {h["source"].split("/")[-1][:3] for h in traditional["hits"] if "seeds" in h["source"]} == \
        {"000", "001", "002", "003", "004"}


def test_synonyms_expand_unquoted_words_only(corpus_engine, corpus_docs):
    short = ids(run(corpus_engine, "规上工业"))
    long_ = ids(run(corpus_engine, "规模以上工业"))
    assert short == ids(run(corpus_engine, "规上工业 OR 规模以上工业")) and short >= long_
    assert ids(run(corpus_engine, '"规上工业"')) == brute_phrase(corpus_docs, "规上工业")
    gdp = ids(run(corpus_engine, "GDP"))
    assert gdp >= ids(run(corpus_engine, "地区生产总值"))


# ---------------------------------------------------------------- exact phrases

@pytest.mark.parametrize("phrase", ["稳进增效", "量发展", "经济圈建", "發展", "发展", "高质量发展",
                                    "成渝地区双城经济圈", "X亿元", "1.2", "（%）", "營商",
                                    # one character, punctuation only, digits, ASCII, a clause end
                                    "发", "，", "2024年", "gdp", "亿元。"])
def test_phrase_is_exact_substring(corpus_engine, corpus_docs, phrase):
    got = ids(run(corpus_engine, f'"{phrase}"'))
    assert got == brute_phrase(corpus_docs, phrase)
    assert got


def _sample_phrases(docs, n=60, seed=20261122):
    rnd = random.Random(seed)
    cc = OpenCC("s2t")
    texts = [d["text"] for d in docs if len(d["text"]) > 20]
    out = []
    while len(out) < n:
        t = rnd.choice(texts)
        size = rnd.randint(2, 12)
        start = rnd.randrange(0, max(1, len(t) - size))
        p = t[start:start + size].strip()
        if len(p) < 2 or re.search(r"[\"“”「」『』\s]", p) or not re.search(r"[\u4e00-\u9fff]", p):
            continue
        if len(out) % 6 == 5:
            p = cc.convert(p)            # some queries typed in Traditional
        out.append(p)
    return out


def test_sampled_phrases_equal_substring_scan(corpus_engine, corpus_docs):
    phrases = _sample_phrases(corpus_docs)
    assert len(phrases) >= 50
    traditional = [p for p in phrases if normalize(p) != p]
    assert len(traditional) >= 5
    for p in phrases:
        assert ids(run(corpus_engine, f'"{p}"')) == brute_phrase(corpus_docs, p), p


# ---------------------------------------------------------------- ranking

def _bare(h) -> bool:
    return h["kind"] == "heading" or (h["kind"] == "paragraph" and len(h["text"].encode()) <= 90)


def test_heading_names_the_section_a_bare_heading_does_not_lead(corpus_engine):
    hits = run(corpus_engine, "营商环境", limit=30)["hits"]
    assert not _bare(hits[0]) and sum(_bare(h) for h in hits[:10]) <= 1
    passing = [h for h in hits if "营商环境" not in " ".join(h["heading_path"])]
    under = [h for h in hits if "营商环境" in " ".join(h["heading_path"]) and not _bare(h)]
    # the top 20 are paragraphs that open with 营商环境 (their own heading, run in): a section's
    # paragraph under a heading naming it comes among the top 30, above a paragraph that only names it
    assert under and (not passing or under[0]["score"] > passing[-1]["score"])
    for h in hits:
        if _bare(h):      # a bare heading shows the start of its section
            assert h["context"], h["text"]


def test_a_heading_naming_the_term_doubles_its_sections_array_scores(corpus_engine):
    """The array score is BM25F times 1 + UNDER_HEADING_BOOST for a paragraph whose heading
    path names the term (its stored heading path, normalised), times HEADING_FACTOR for a
    bare heading, else BM25F itself."""
    import json

    from search.matching import Evaluator
    from search.ranking import HEADING_FACTOR, UNDER_HEADING_BOOST, array_scores, is_bare_heading

    snap = corpus_engine.snapshot()
    named = 0
    for term in ("营商环境", "乡村振兴", "科技创新", "消费", "对外开放"):
        parsed = parse_query(term)
        match = Evaluator(snap.arrays).run(parsed.query)
        ratio = array_scores(snap.arrays, match.docs, match.scores, parsed.terms) / match.scores
        bare = is_bare_heading(snap.arrays, match.docs)
        with snap.searching() as s:
            for d, r, b in zip(match.docs.tolist(), ratio.tolist(), bare.tolist()):
                path = normalize(" ".join(json.loads(s.stored_fields(d).get("heading_path") or "[]")))
                want = HEADING_FACTOR if b else (1 + UNDER_HEADING_BOOST if term in path else 1.0)
                named += not b and term in path
                assert r == pytest.approx(want), (term, d, path)
    assert named >= 10


def test_sort_by_year_and_paging(corpus_engine):
    new = SearchRequest(q="营商环境", sort="-year", limit=200)
    old = SearchRequest(q="营商环境", sort="year", limit=200)
    years_new = [h.year for h in search(corpus_engine, new).hits]
    years_old = [h.year for h in search(corpus_engine, old).hits]
    assert years_new == sorted(years_new, reverse=True) and years_old == sorted(years_old)
    all_ids = [h.id for h in search(corpus_engine, SearchRequest(q="发展", limit=60)).hits]
    pages = []
    for page in (1, 2, 3):
        pages += [h.id for h in search(corpus_engine, SearchRequest(q="发展", limit=20, page=page)).hits]
    assert pages == all_ids
    beyond = search(corpus_engine, SearchRequest(q="发展", limit=20, page=10**6))
    assert beyond.hits == [] and beyond.total > 0


def test_group_by_report(corpus_engine):
    r = search(corpus_engine, SearchRequest(q="营商环境", by_report=True, limit=50))
    assert r.total_reports == len(r.groups) == len({h.report_id for h in
                                                    search(corpus_engine, SearchRequest(q="营商环境", limit=1000)).hits})
    assert sum(g.total for g in r.groups) == r.total
    assert all(1 <= len(g.hits) <= 3 for g in r.groups)


# ---------------------------------------------------------------- highlights

def test_highlight_marks_exact_characters_in_original_script(corpus_engine):
    r = run(corpus_engine, '"發展計劃"')
    assert r["total"] > 0
    for h in r["hits"]:
        marked = re.findall(r"<mark>(.*?)</mark>", h["highlight"])
        assert marked and all(normalize(m) == "发展计划" for m in marked)
        if "seeds/001" in h["source"]:
            assert "發展計劃" in marked                     # Traditional stays Traditional
    simp = run(corpus_engine, "营商环境 district:东区")
    assert simp["total"] > 0
    for h in simp["hits"]:
        assert "<mark>營商環境</mark>" in h["highlight"]


def test_highlight_is_escaped_and_fragmented(corpus_engine):
    r = run(corpus_engine, "高质量发展", limit=50)
    for h in r["hits"]:
        plain = re.sub(r"</?mark>", "", h["highlight"])
        assert "<" not in plain.replace("&lt;", "")
        if len(h["text"]) > 200:
            assert h["highlight"].startswith("…") or h["highlight"].endswith("…")


# ---------------------------------------------------------------- facets

@pytest.mark.parametrize("q,filters", [("营商环境", {}), ("发展", {}), ('"稳进增效"', {}),
                                       ("发展", {"level": "县区级"}), ("", {"year": "2024"}),
                                       ("创新 OR 改革", {"part": "部署", "province": "重庆市"})])
def test_facet_counts_equal_brute_force(corpus_engine, q, filters):
    """A facet counts every match; a facet the request filters on counts the matches
    of the search without its own filter (disjunctive faceting)."""
    r = run(corpus_engine, q, **filters)
    assert len(r["hits"]) == r["total"]
    for field in FACET_FIELDS:
        hits = r["hits"] if field not in filters else \
            run(corpus_engine, q, **{k: v for k, v in filters.items() if k != field})["hits"]
        brute = collections.Counter(h[field] for h in hits)
        got = {f["value"]: f["count"] for f in r["facets"][field] if f["count"]}
        assert got == dict(brute), field
        assert sum(got.values()) == len(hits)


def test_seeds_query_json_contract(seeds_index):
    out = subprocess.run([sys.executable, "-m", "cli", "query", "营商环境", "--json", "--limit", "100",
                          "--index", seeds_index], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert list(j) == ["query", "match", "filters", "total", "page", "limit", "took_ms", "hits", "facets"]
    assert j["match"] == "exact" and j["filters"] == {}
    assert {h["source"].split("/")[-1][:3] for h in j["hits"]} == {"000", "001", "002", "003", "004"}
    hit_keys = ["id", "report_id", "source", "url", "title", "province", "city", "district", "region", "level",
                "year", "date", "type", "section", "section_written", "section_label", "part", "heading_path", "kind", "para_no", "text",
                "highlight", "context", "score"]
    for h in j["hits"]:
        assert list(h) == hit_keys and "<mark>" in h["highlight"]
    assert list(j["facets"]) == list(FACET_FIELDS)
    for values in j["facets"].values():
        assert sum(v["count"] for v in values) == j["total"]


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("q,code,needle", [
    ('"营商', "unbalanced_quote", "引号不成对"), ("(营商 OR 环境", "unbalanced_parenthesis", "括号不成对"),
    ("营商)", "unbalanced_parenthesis", "括号不成对"), ("foo:bar", "unknown_field", "没有筛选字段“foo”"),
    ("*商", "wildcard_first", "通配符"), ("year:abc", "bad_year", "年份"), ("营商 OR", "or_operand", "OR"),
    ("x" * 1001, "query_too_long", "超过 1000 个字符"), ("((((((((((((((((((营商))))))))))))))))))", "too_deep", "括号"),
    (" ".join(f"词{i}" for i in range(70)), "too_many_terms", "最多 64 个")])
def test_malformed_queries(q, code, needle):
    with pytest.raises(QuerySyntaxError) as e:
        parse_query(q)
    assert e.value.code == code and needle in str(e.value)


def test_cli_malformed_query_exits_with_message(seeds_index):
    out = subprocess.run([sys.executable, "-m", "cli", "query", '"营商', "--index", seeds_index],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "引号不成对" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = subprocess.run([sys.executable, "-m", "cli", "query", "营商", "--limit", "0",
                          "--index", seeds_index], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "limit" in out.stderr and "Traceback" not in out.stderr


def test_request_parameter_errors_name_the_parameter():
    def params(d):
        return (lambda k: d.get(k, []) if isinstance(d.get(k, []), list) else [d[k]]), \
               (lambda k: d.get(k) if not isinstance(d.get(k), list) else d[k][0])
    for bad, name in (({"limit": "-1"}, "limit"), ({"limit": str(10**9)}, "limit"),
                      ({"page": "x"}, "page"), ({"sort": "price"}, "sort"), ({"match": "fuzzy"}, "match")):
        with pytest.raises(RequestError) as e:
            SearchRequest.from_params(*params(bad))
        assert f"参数 {name} " in str(e.value) and e.value.code == "bad_parameter"


def test_negated_filter_is_not_a_chosen_value():
    assert parse_query("营商 -district:渝北区").filters == {}
    assert parse_query("营商 district:渝北区").filters == {"district": ["渝北区"]}


def test_or_needs_both_sides_and_full_width_ranges():
    for q in ("OR 营商", "营商 OR", "营商 OR OR 环境"):
        with pytest.raises(QuerySyntaxError):
            parse_query(q)
    from search.query import parse_year
    assert parse_year("２０２０－") == (2020, None) and parse_year("2020..2024") == (2020, 2024)


def test_traditional_labels_filter_and_facet_alike(tmp_path):
    from indexer.writer import index_paths
    from search.engine import Engine

    (tmp_path / "r.txt").write_text("---\nprovince: 廣東省\ndistrict: 南山區\nyear: 2024\n---\n"
                                    "2024年政府工作報告\n各位代表：\n營商環境持續優化。\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    index_paths(ix, [str(tmp_path)])
    engine = Engine(ix)
    facet = run(engine, "營商環境")["facets"]["province"]
    assert facet == [{"value": "广东省", "count": 1}]
    assert run(engine, "營商環境", province="廣東省")["total"] == 1
    assert run(engine, "營商環境", province="广东省")["total"] == 1


def test_cli_query_imports_no_flask(seeds_index):
    """The CLI is a skin over the library: a query loads neither Flask nor Werkzeug, nor
    what only writing needs (jieba's dictionary, the file readers, the writer, the
    indicator patterns): a one-shot query pays for what it uses (issue 11: ≤ 0.5 s)."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "cli", "query", "营商环境", "--limit", "1",
                          "--index", seeds_index], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    modules = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    imported = {m.split(".")[0] for m in modules}
    assert "search" in imported  # the trace is there: the test can see an import
    assert not imported & {"flask", "werkzeug", "jinja2", "waitress", "jieba", "rjieba", "markdown_it"}
    assert not modules & {"indexer.writer", "indexer.reports", "indexer.sources", "indexer.indicators",
                          "indexer.shards"}


def test_every_filter_field_is_an_indexed_field_of_the_schema():
    """The filter table (search/fields.py) names index fields the schema (indexer/store.py)
    declares and indexes: the indexer does not read search/, so this holds the two together."""
    from whoosh.fields import NUMERIC

    from indexer.store import make_schema
    from search.fields import FILTERS

    schema = make_schema()
    for f in FILTERS:
        assert f.field in schema.names(), f.name
        field = schema[f.field]
        assert field.indexed, f.name
        assert isinstance(field, NUMERIC) == (f.kind == "year"), f.name


@pytest.mark.parametrize("match", ["exact", "words"])
@pytest.mark.parametrize("q", ["发展", "营商环境", "乡村振兴 产业", "改革 创新", "就业", "新质生产力", "规上 工业",
                               "安全生产"])
def test_top_k_stops_early_but_ranks_as_reading_every_text(corpus_engine, corpus_index, q, match):
    """The re-rank reads texts only until no later candidate can enter the k best; the
    answer equals a brute force that applies the topic and text factors to every match:
    on an engine other searches have used (shapes known) and on a fresh one (none known:
    the first round's bounds are the array scores times the topic factors alone)."""
    from search.engine import Engine

    assert_top_k_is_brute_force(corpus_engine.snapshot(), q, match)
    assert_top_k_is_brute_force(Engine(corpus_index).snapshot(), q, match)


@pytest.fixture(scope="module")
def repeated_engine(tmp_path_factory):
    """One real report published again word for word by three other districts in
    other years (a collection's stock paragraphs, taken to the extreme): every
    paragraph's text comes back under four document numbers."""
    from indexer.writer import index_paths
    from search.engine import Engine

    from .conftest import SEEDS

    src = tmp_path_factory.mktemp("repeated")
    text = (SEEDS / "000_0934b745515b24c3.txt").read_text(encoding="utf-8")
    rows = [{"title": f"{year}年四川省样本{n}区经济工作会议讲话", "year": year, "province": "四川省",
             "district": f"样本{n}区", "type": "经济工作会议讲话", "text": text}
            for n, year in ((1, 2021), (2, 2022), (3, 2023), (4, 2023))]
    (src / "part-0000.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    ix = tmp_path_factory.mktemp("repeated-index")
    assert not index_paths(str(ix), [str(src)]).failed
    return Engine(str(ix))


@pytest.mark.parametrize("q", ["发展", "经济", "项目 建设", "消费"])
def test_top_k_over_paragraphs_repeated_word_for_word_ranks_as_reading_every_text(repeated_engine, q):
    """A text read once stands for every copy of it (the re-rank computes each distinct
    text's factors once): still the brute force's answer, copies in their tie order."""
    snap = repeated_engine.snapshot()
    texts = [snap.arrays.text(d) for d in range(snap.arrays.doc_count_all)]
    assert len(set(texts)) * 3 < len(texts)
    assert_top_k_is_brute_force(snap, q, "exact")


def assert_top_k_is_brute_force(snap, q: str, match: str):
    import numpy as np

    from search.engine import reading_places
    from indexer.topics import topic_factors
    from search.matching import Evaluator
    from search.ranking import MAX_CANDIDATES, array_scores, shape_factor, text_factor, top_k

    parsed = parse_query(q, match)
    match = Evaluator(snap.arrays).run(parsed.query)
    scores = array_scores(snap.arrays, match.docs, match.scores, parsed.terms)
    assert 10 < match.docs.size <= MAX_CANDIDATES
    years = snap.year_values[snap.facets.columns["year"].ords[match.docs]]
    places = reading_places(snap, match.docs)         # ties: report id, then paragraph number
    # every match is a candidate here: each counts its topic factor (tests/test_topics.py)
    topic = topic_factors(snap.arrays.topic_vectors(match.docs), tuple(tuple(t.variants) for t in parsed.terms))
    topic = np.ones(match.docs.size) if topic is None else topic
    adjusted = np.array([sc * tf * text_factor(snap.arrays.text(int(d)), parsed.terms)
                         for d, sc, tf in zip(match.docs, scores, topic)])
    brute = np.lexsort((match.docs, places, -years, -np.round(adjusted, 9)))
    # k = 10 and 1 again: with the shapes the rounds before read (tighter bounds), the same answer
    for k in (1, 10, 30, 100, 10, 1):
        docs, got, _tiers = top_k(snap.arrays, match.docs, scores, parsed.terms, k, years, places)
        assert docs.tolist() == match.docs[brute[:k]].tolist(), k
        assert np.allclose(got, adjusted[brute[:k]]), k
    # the factors the rounds remembered (the later rounds read them, not the texts) are the texts' own
    remembered = snap.arrays.text_factors(tuple(t.variants for t in parsed.terms))
    assert remembered
    assert all(f == pytest.approx(text_factor(snap.arrays.text(d), parsed.terms)) for d, f in remembered.items())
    shapes = snap.arrays.shape_factors()
    assert all(shapes[d] == pytest.approx(shape_factor(snap.arrays.text(d))) for d in remembered)


def test_a_numbered_heading_with_one_line_counts_as_a_heading(corpus_docs):
    """（二）…。 followed by one short line is a heading run together with its lead line:
    it is demoted like a heading; the same words past 100 characters, or without the
    outline number, are not."""
    from search.query import parse_query
    from search.ranking import HEADED_LINE_CHARS, HEADING_FACTOR, short_factor, text_factor

    terms = parse_query("新质生产力").terms
    numbered = [normalize(d["text"]) for d in corpus_docs
                if re.match(r"^[（(][一二三四五六七八九十]+[）)]", d["text"]) and "新质生产力" in d["text"][:40]]
    short = [t for t in numbered if len(t) <= HEADED_LINE_CHARS]
    assert short and len(short) < len(numbered)
    for t in numbered:
        bare = re.sub(r"^[（(][一二三四五六七八九十]+[）)]", "", t)
        # the outline number's characters make the paragraph longer: the short factor's share
        ratio = text_factor(t, terms) / text_factor(bare, terms) / (short_factor(t) / short_factor(bare))
        assert ratio == pytest.approx(HEADING_FACTOR if t in short else 1.0), t[:40]


def test_a_paragraph_of_one_sentence_counts_for_less_than_a_passage(corpus_docs):
    """A paragraph that is one sentence (a goal, a slogan, a lead-in) ranks below the same
    words followed by a further sentence: the factor is ONE_SENTENCE_FACTOR exactly, and
    never above 1 (the early-stopping re-rank relies on it)."""
    from search.query import parse_query
    from search.ranking import ONE_SENTENCE_FACTOR, short_factor, text_factor

    terms = parse_query("生态环境").terms
    single = [normalize(d["text"]) for d in corpus_docs
              if "生态环境" in d["text"] and re.fullmatch(r"[^。；：！？]+。?", d["text"].strip())]
    assert single
    for t in single:
        longer = t.rstrip("。") + "。加强监测评估，确保任务按期完成。"
        assert text_factor(t, terms) <= 1.0 and text_factor(longer, terms) <= 1.0
        ratio = text_factor(t, terms) / text_factor(longer, terms) / (short_factor(t) / short_factor(longer))
        assert ratio == pytest.approx(ONE_SENTENCE_FACTOR), t[:40]


def test_a_short_paragraph_without_a_figure_counts_for_less(corpus_docs):
    """A paragraph shorter than SHORT_CHARS with no figure (a goal, a slogan) counts
    (length / SHORT_CHARS) ** SHORT_POWER of the same words giving a figure; a figure or a
    table row makes a short paragraph count in full; the factor never rises above 1."""
    from search.query import parse_query
    from search.ranking import SHORT_CHARS, SHORT_POWER, short_factor, text_factor

    terms = parse_query("生态环境").terms
    short = [normalize(d["text"]) for d in corpus_docs
             if "生态环境" in d["text"] and len(normalize(d["text"])) < SHORT_CHARS - 20
             and not re.search(r"\d", d["text"]) and "|" not in d["text"] and normalize(d["text"]).endswith("。")]
    assert len(short) >= 5
    for t in short:
        with_figure = t[:-1] + "，完成率100%。"        # one clause more: same sentences, same term positions
        expected = (len(t) / SHORT_CHARS) ** SHORT_POWER
        assert text_factor(t, terms) / text_factor(with_figure, terms) == pytest.approx(expected), t[:40]
        assert text_factor(t, terms) <= 1.0 and short_factor(with_figure) == 1.0
        assert short_factor(t + "加强监测评估，确保任务按期完成。" * 20) == 1.0     # long enough
    rows = [normalize(d["text"]) for d in corpus_docs if " | " in d["text"] and len(d["text"]) < 40]
    assert rows and all(short_factor(r) == 1.0 for r in rows)


def test_a_topic_named_late_counts_for_less_the_later_it_comes(corpus_docs):
    """Paragraphs that open with the term: an outline number in front changes nothing; a
    sentence of OPENING_TO characters in front costs OPENING_PENALTY; half that distance
    past OPENING_FROM costs about half of it; the factor never rises above 1."""
    from search.query import parse_query
    from search.ranking import HEADED_LINE_CHARS, OPENING_FROM, OPENING_PENALTY, OPENING_TO, short_factor
    from search.ranking import text_factor as with_length

    def text_factor(t, terms):          # what the opening decides: the words in front make t longer
        return with_length(t, terms) / short_factor(t)

    terms = parse_query("营商环境").terms
    opening = [normalize(d["text"]) for d in corpus_docs
               if d["text"].startswith("营商环境") or d["text"].startswith("优化营商环境")]
    opening = [t for t in opening if t.count("。") >= 2 and "、" not in t and len(t) > HEADED_LINE_CHARS]
    assert opening
    for t in opening:
        base = text_factor(t, terms)
        assert text_factor("(三)" + t, terms) == pytest.approx(base), t[:30]
        far = "坚持稳中求进工作总基调" * 4 + "。"                  # 45 characters, no term
        assert len(far) >= OPENING_TO
        assert text_factor(far + t, terms) / base == pytest.approx(1 - OPENING_PENALTY), t[:30]
        middle = far[:(OPENING_FROM + OPENING_TO) // 2 - t.index("营商环境") - 1] + "。"
        ratio = text_factor(middle + t, terms) / base
        assert 1 - OPENING_PENALTY < ratio < 1, t[:30]


def test_hong_kong_and_taiwan_variant_forms_are_found_from_either_script(tmp_path):
    """A Hong Kong text writes 衞生 where Taiwan writes 衛生 and Simplified 卫生: each
    spelling finds every paragraph that has any of them, and marks the text's own."""
    from search.engine import Engine

    from .conftest import ROOT, SEEDS

    source = next(SEEDS.glob("001_*.txt")).read_text(encoding="utf-8")
    (tmp_path / "hk").mkdir()
    (tmp_path / "hk" / "report.txt").write_text(source.replace("衛", "衞"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cli", "index", str(tmp_path / "hk"), "--index",
                           str(tmp_path / "ix")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    engine = Engine(str(tmp_path / "ix"))
    with engine.snapshot().searching() as s:
        units = engine.snapshot().units.all(s)
    having = {u["id"] for u in units if "衞生" in u["text"]}
    assert having
    for spelling in ("卫生", "衛生", "衞生"):
        got = run(engine, spelling)
        assert ids(got) == having, spelling
        assert all("<mark>衞生" in h["highlight"] for h in got["hits"]), spelling


def test_variant_forms_fold_as_opencc_converts_them():
    """Every one-character Hong Kong or Taiwan variant OpenCC knows normalises as its
    hk2s or tw2s conversion does, except the few Simplified writing uses itself."""
    from pathlib import Path

    import opencc

    from indexer.analysis import VARIANTS_SIMPLIFIED_USES

    folder = Path(opencc.__file__).resolve().parent / "dictionary"
    converters = [OpenCC("hk2s"), OpenCC("tw2s")]
    checked = 0
    for name in ("HKVariantsRev.txt", "TWVariantsRev.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            src = line.split("\t")[0]
            if len(src) != 1 or src in VARIANTS_SIMPLIFIED_USES:
                continue
            converted = {c.convert(src) for c in converters} - {src}
            if converted:
                assert normalize(src) in converted, (src, converted)
                checked += 1
    assert checked >= 10
    assert normalize("显著") == "显著" and normalize("抬头") == "抬头"


def test_a_traditional_reports_section_is_cited_as_it_is_written(corpus_engine):
    """Seed 001 is in Traditional script: its hits (``section_written``) and its citations give
    the section as the report writes it (2024年經濟社會發展的主要任務和措施), which its reader can
    find in it, not in the Simplified the index keeps for the section filter (``section``)."""
    from search.engine import search
    from search.export import export_rows, render
    from search.results import SearchRequest

    from .conftest import SEEDS

    written = (SEEDS / "001_ee0cd8f568fba525.txt").read_text(encoding="utf-8")
    written = re.sub(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)", "", written)    # its pinyin debris: 經(jīng)濟
    req = SearchRequest(q="发展", filters={"district": ["东区"]}, limit=500)
    hits = search(corpus_engine, req).hits
    sections = {h.section_written for h in hits if h.section != "导言"}
    assert len(sections) >= 2
    assert [s for s in sections if s not in written] == []
    cited = "".join(render(export_rows(corpus_engine, req)[1], "md"))
    assert [s for s in sections if f"· {s}）" not in cited] == []
