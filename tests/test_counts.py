"""Counts a researcher can trust: an unquoted term finds exactly the paragraphs that contain it.

The oracle is a substring scan of every unit's normalised text (Ctrl-F), over
the real seeds and provincial reports; terms are sampled from the reports' own
words and strings, not picked by hand.
"""

from __future__ import annotations

import fnmatch
import random
import re
from html import unescape

import pytest

from indexer.analysis import cut, normalize
from search.engine import search
from search.query import load_synonyms, parse_query
from search.results import SearchRequest, to_json

MARK = re.compile(r"<mark>(.*?)</mark>")


def run(engine, q, match="exact", limit=10000, **filters) -> dict:
    req = SearchRequest(q=q, limit=limit, match=match,
                        filters={k: v if isinstance(v, list) else [v] for k, v in filters.items()})
    return to_json(search(engine, req))


@pytest.fixture(scope="module")
def units(corpus_units) -> list[dict]:
    return corpus_units


def containing(units, *strings) -> set[str]:
    return {u["id"] for u in units if any(s in u["norm"] for s in strings)}


def _has_synonym(term: str) -> bool:
    return any(member in term or term in member for member in load_synonyms())


@pytest.fixture(scope="module")
def sampled_terms(units) -> list[str]:
    """40 terms from the reports themselves: jieba words and raw 2–6 character strings."""
    rng = random.Random(20261122)
    texts = [u["norm"] for u in units if len(u["norm"]) > 20]
    terms: list[str] = []
    while len(terms) < 40:
        text = rng.choice(texts)
        if len(terms) % 2:
            words = [w for w in cut(text) if len(w) >= 2]
            term = rng.choice(words) if words else ""
        else:
            n = rng.randint(2, 6)
            start = rng.randrange(0, len(text) - n)
            term = text[start:start + n]
        if re.fullmatch(r"[\u4e00-\u9fff0-9a-z]+", term or "") and not _has_synonym(term) \
                and term not in terms:
            terms.append(term)
    return terms


def test_unquoted_total_equals_substring_count(corpus_engine, units, sampled_terms):
    for term in sampled_terms:
        want = containing(units, term)
        got = run(corpus_engine, term)
        assert got["total"] == len(want), term
        assert {h["id"] for h in got["hits"]} == want, term
        assert got["total"] == run(corpus_engine, f'"{term}"')["total"], term


@pytest.mark.parametrize("match", ["exact", "words"])
def test_a_term_of_punctuation_or_symbols_is_counted_as_written(corpus_engine, units, match):
    """%, ——, 。 or an emoji hold no word to cut, yet a reader counts them like any string:
    dropping such a term silently counted every paragraph (% alone gave the whole corpus)."""
    for symbols in ("%", "——", "。", "+", "&", "😀", "\\"):
        want = containing(units, normalize(symbols))
        got = run(corpus_engine, symbols, match=match)
        assert {h["id"] for h in got["hits"]} == want and got["total"] == len(want), symbols
        assert got["total"] < len(units) or symbols == "。", symbols
        paired = containing(units, "营商环境") & want
        assert run(corpus_engine, f"营商环境 {symbols}", match=match)["total"] == len(paired), symbols
        assert run(corpus_engine, f"营商环境 -{symbols}", match=match)["total"] == \
            len(containing(units, "营商环境") - want), symbols


def test_a_strings_matches_are_the_same_found_alone_narrowed_or_kept(corpus_index, corpus_engine, units,
                                                                    sampled_terms):
    """A string's documents are kept per generation and restricted later: whichever
    way they are found (narrow filter first, whole index first, or from what was
    kept), they are the paragraphs that contain it, with its occurrence counts."""
    import numpy as np

    from indexer.analysis import phrase_grams
    from search.engine import Engine

    ia = Engine(corpus_index).snapshot().arrays     # a fresh engine: nothing kept yet
    # units come in the document order of the same index
    norm = dict(zip(corpus_engine.snapshot().arrays.all_docs.tolist(), (u["norm"] for u in units)))
    rng = random.Random(7)
    for term in [t for t in sampled_terms if len(t) > 2][:12]:
        grams = phrase_grams(term)
        having = [d for d, text in norm.items() if term in text]
        narrow = np.array(sorted(set(rng.sample(having, min(3, len(having)))
                                     + rng.sample(ia.all_docs.tolist(), 3))), dtype=np.int64)
        wide = ia.all_docs[::2]
        for within in (narrow, None, wide, narrow):     # narrow: read alone; then from the kept answer
            docs, counts = ia.occurrences(term, grams, within)
            scope = ia.all_docs if within is None else within
            want = {d: norm[d].count(term) for d in scope.tolist() if term in norm[d]}
            assert dict(zip(docs.tolist(), counts.astype(int).tolist())) == want, term


def test_several_terms_are_all_in_the_same_paragraph(corpus_engine, units, sampled_terms):
    for a, b in zip(sampled_terms[::2], sampled_terms[1::2]):
        want = containing(units, a) & containing(units, b)
        assert {h["id"] for h in run(corpus_engine, f"{a} {b}")["hits"]} == want, (a, b)


@pytest.mark.parametrize("member", ["规上", "规模以上", "限上", "社零", "固投", "R&D", "研发", "三农",
                                    "专精特新", "GDP", "CPI", "两新"])
def test_synonym_group_finds_every_member(corpus_engine, units, member):
    norm = normalize(member)
    forms = [norm, *load_synonyms()[norm]]
    got = run(corpus_engine, member)
    for form in forms:
        assert got["total"] >= len(containing(units, form)), form
    assert {h["id"] for h in got["hits"]} == containing(units, *forms)
    for h in got["hits"]:
        marks = {normalize(unescape(m)) for m in MARK.findall(h["highlight"])}
        assert marks and marks <= set(forms), (member, marks)


def test_longer_term_with_a_member_inside_expands(corpus_engine, units):
    got = {h["id"] for h in run(corpus_engine, "规上工业")["hits"]}
    assert got == containing(units, "规上工业", "规模以上工业")


def test_a_term_with_members_of_two_groups_finds_every_combination(corpus_engine, units):
    """社零、固投 as the reports write it: either abbreviation, both, or neither spelt
    out (members were replaced one at a time, so the fully spelt form was missed)."""
    import itertools

    syn = load_synonyms()
    for parts in (("社零", "、", "固投"), ("gdp", "增长7%,", "固投")):
        options = [[p, *syn[p]] if p in syn else [p] for p in parts]
        forms = ["".join(c) for c in itertools.product(*options)]
        assert {h["id"] for h in run(corpus_engine, "".join(parts))["hits"]} == containing(units, *forms)
        spelt = ["".join(c) for c in itertools.product(*(o[1:] or o for o in options))]
        assert containing(units, *spelt), parts                             # a spelt-out form is there


def test_every_hit_is_marked_with_what_matched(corpus_engine, sampled_terms):
    for term in sampled_terms[:15]:
        for h in run(corpus_engine, term, limit=50)["hits"]:
            marks = [normalize(unescape(m)) for m in MARK.findall(h["highlight"])]
            assert marks and all(term in m for m in marks), (term, h["highlight"][:200])


@pytest.mark.parametrize("q", ["数字*", "产业*", "发展?", "新?业"])
def test_a_wildcard_marks_the_words_it_matched_not_its_stem_anywhere(corpus_engine, q):
    """A wildcard matches words of the cut, so a mark is a whole word that fits it
    (发展? marks 发展中, not 发展 in 发展理念); every hit has one."""
    hits = run(corpus_engine, q, limit=200)["hits"]
    assert hits
    for h in hits:
        marks = [normalize(unescape(m)) for m in MARK.findall(h["highlight"])]
        assert marks and all(fnmatch.fnmatchcase(m, q) for m in marks), (q, marks)


def test_facet_counts_equal_counts_over_the_hits(corpus_engine, sampled_terms):
    for term in sampled_terms[:10] + ["发展", "营商环境 优化"]:
        got = run(corpus_engine, term)
        for field, values in got["facets"].items():
            counted: dict = {}
            for h in got["hits"]:
                counted[h[field]] = counted.get(h[field], 0) + 1
            assert {v["value"]: v["count"] for v in values} == {k: c for k, c in counted.items() if k}, \
                (term, field)


def test_quoted_phrase_never_expands(corpus_engine, units):
    assert {h["id"] for h in run(corpus_engine, '"规上"')["hits"]} == containing(units, "规上")


def test_words_mode_matches_jieba_words_and_marks_only_them(corpus_engine, units):
    exact, words = run(corpus_engine, "绿色发展"), run(corpus_engine, "绿色发展", match="words")
    assert exact["match"] == "exact" and words["match"] == "words"
    assert exact["total"] == len(containing(units, "绿色发展")) != words["total"]
    # words: the AND of the term's jieba words, each marked only where the text's cut has it
    tokens = set(cut(normalize("民营经济发展")))
    for h in run(corpus_engine, "民营经济发展", match="words", limit=30)["hits"]:
        marks = {normalize(unescape(m)) for m in MARK.findall(h["highlight"])}
        assert marks and all(any(t in m for t in tokens) for m in marks), marks


def test_filter_values_as_people_type_them(corpus_engine):
    full = run(corpus_engine, "发展", province="四川省")
    short = run(corpus_engine, "发展", province="四川")
    assert short["total"] == full["total"] > 0 and short["filters"] == {"province": ["四川省"]}
    assert run(corpus_engine, "发展 省份:四川")["total"] == full["total"]
    assert run(corpus_engine, "发展 省份：四川")["total"] == full["total"]
    area = run(corpus_engine, "发展", region="重庆")
    regions = {h["region"] for h in area["hits"]}
    assert "重庆市" in regions and len(regions) > 1 and all(r.startswith("重庆市") for r in regions)
    assert set(area["filters"]["region"]) >= regions
    # a region's full name is that region alone, as the facet counts it
    alone = run(corpus_engine, "发展", region="重庆市")
    assert {h["region"] for h in alone["hits"]} == {"重庆市"}
    assert run(corpus_engine, "发展 类型:计划")["filters"] == {"type": ["计划报告"]}
    assert run(corpus_engine, "发展", province="火星")["total"] == 0


@pytest.mark.parametrize("typed", ["四川省成都市", "四川成都", "成都金牛", "重庆渝北", "重庆市渝北"])
def test_a_region_typed_with_several_levels_means_the_area_they_name(corpus_engine, units, typed):
    """四川省成都市 is no region of its own in the index (its district's report is), yet
    it names an area: every report under it, whether the levels carry their suffixes."""
    parts = re.findall(r"四川|成都|金牛|重庆|渝北", typed)
    inside = {u["id"] for u in units if "发展" in u["norm"]
              and re.search("".join(f"{p}[^省市区县]*[省市区县]" for p in parts), u.get("region") or "")}
    got = run(corpus_engine, "发展", region=typed)
    assert inside and {h["id"] for h in got["hits"]} == inside


def test_region_levels_are_read_from_the_official_table_not_split_at_a_suffix():
    """广州 and 贵州 hold 州, 通州 a 州 before its 区: levels come from the GB/T 2260 table."""
    from search.filters import resolve

    held = ["广东省", "广东省广州市天河区", "广东省深圳市南山区", "贵州省", "贵州省贵阳市", "北京市通州区",
            "浙江省杭州市西湖区", "浙江省温州市"]
    gold = {"广东省广州市": ["广东省广州市天河区"], "广州天河": ["广东省广州市天河区"], "天河": ["广东省广州市天河区"],
            "杭州西湖": ["浙江省杭州市西湖区"], "杭州市": ["浙江省杭州市西湖区"], "贵州贵阳": ["贵州省贵阳市"],
            "贵州": ["贵州省", "贵州省贵阳市"], "北京通州": ["北京市通州区"], "温州": ["浙江省温州市"],
            "广东深圳南山": ["广东省深圳市南山区"], "广州南山": []}
    assert {typed: resolve("region", typed, held) for typed in gold} == gold


def test_chinese_labels_are_field_names_and_plain_colons_stay_text():
    assert parse_query("年份:2024 地区:重庆 发展").filters == {"year": ["2024"], "region": ["重庆"]}
    # a colon after a word that is no field is part of the term
    assert [t.text for t in parse_query("目标：5%左右").terms] == ["目标:5%左右"]
    assert [t.text for t in parse_query("目标: 5%左右").terms] == ["目标:", "5%左右"]


def test_a_filter_typed_with_a_space_after_its_colon_still_filters():
    """省份: 四川 was read as the text 省份: and found nothing, without a word said."""
    from search.query import QuerySyntaxError

    for typed in ("营商环境 省份: 四川", "营商环境 省份：  四川", "营商环境 Province: 四川"):
        parsed = parse_query(typed)
        assert parsed.filters == {"province": ["四川"]} and [t.text for t in parsed.terms] == ["营商环境"], typed
    for typed in ("营商环境 province:", "营商环境 年份: ", "年份: (营商环境)"):
        with pytest.raises(QuerySyntaxError, match="后面要有值"):
            parse_query(typed)


@pytest.mark.parametrize("term", ["新质", "智算", "数实", "绿电"])
def test_words_mode_finds_a_term_jieba_cuts_into_characters_as_written(corpus_engine, units, term):
    """新质 is no word to jieba (新 / 质): in word matching it was the AND of two characters
    anywhere in a paragraph (285 paragraphs where 128 say 新质), marking every 新.  A term
    cut into loose characters is found as written, in either mode, and marked as written."""
    words = run(corpus_engine, term, match="words", limit=1000)
    assert any(len(w) == 1 for w in cut(normalize(term)))
    assert {h["id"] for h in words["hits"]} == containing(units, term)
    for h in words["hits"]:
        assert {normalize(unescape(m)) for m in MARK.findall(h["highlight"])} == {term}
