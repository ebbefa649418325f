"""Trends, keywords, export and compare, held to oracles computed here from the stored texts.

The trend oracle scans every unit's normalised text (seeds + the 31 provinces)
for the strings each query stands for, counting occurrences the way a reader
scanning the text does (leftmost, longest, no overlaps); buckets, reports and
characters come from the units' own fields.  Keyness is computed by hand from
a small fixture whose counts are known.
"""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from indexer.analysis import cut, normalize
from search.compare import CompareRequest, compare
from search.engine import search
from search.export import COLUMNS, export_rows, render
from search.keywords import KeywordRequest, is_keyword, keywords
from search.results import RequestError, SearchRequest
from search.trends import TrendRequest, trend

from .conftest import ROOT
from .test_counts import units  # noqa: F401  (fixture: every stored unit with its normalised text)

# (query, AND of groups of strings that must occur, strings that must not, strings counted)
TREND_CASES = [
    ("发展", [["发展"]], [], ["发展"]),
    ('"稳中求进"', [["稳中求进"]], [], ["稳中求进"]),
    ("规上 OR 规模以上", [["规上", "规模以上"]], [], ["规上", "规模以上"]),
    ("營商環境", [["营商环境"]], [], ["营商环境"]),                  # Traditional, as typed
    ("科技 创新", [["科技"], ["创新"]], [], ["科技", "创新"]),
    ("高质量发展 -民生", [["高质量发展"]], ["民生"], ["高质量发展"]),
    # overlapping synonyms: 地区生产总值 is one mention, not also one of 生产总值
    ("GDP", [["gdp", "地区生产总值", "国内生产总值", "生产总值"]], [], ["gdp", "地区生产总值", "国内生产总值", "生产总值"]),
]


def scan_count(text: str, strings: list[str]) -> int:
    """Occurrences of any of the strings, scanning left to right, the longest at each position."""
    n, i = 0, 0
    ordered = sorted(strings, key=len, reverse=True)
    while i < len(text):
        hit = next((s for s in ordered if text.startswith(s, i)), None)
        if hit:
            n += 1
            i += len(hit)
        else:
            i += 1
    return n


def bucket_of(u: dict, by: str):
    return "未知" if by == "year" and u["year"] in (None, "") else u[by]


def oracle_trend(units, by: str, level: str | None, required, excluded, counted):
    chosen = [u for u in units if level is None or u["level"] == level]
    buckets = defaultdict(lambda: {"reports": set(), "chars": 0})
    series = defaultdict(lambda: {"mentions": 0, "paragraphs": 0, "reports": set()})
    for u in chosen:
        b = buckets[bucket_of(u, by)]
        b["reports"].add(u["report_id"])
        b["chars"] += len(u["text"])
        text = u["norm"]
        if all(any(s in text for s in group) for group in required) and not any(s in text for s in excluded):
            s = series[bucket_of(u, by)]
            s["mentions"] += scan_count(text, counted)
            s["paragraphs"] += 1
            s["reports"].add(u["report_id"])
    return buckets, series


@pytest.mark.parametrize("by,level", [("year", None), ("region", "省级"), ("type", None), ("part", None)])
def test_trend_counts_equal_a_scan_of_the_texts(corpus_engine, units, by, level):
    filters = {"level": [level]} if level else {}
    data = trend(corpus_engine, TrendRequest([q for q, *_ in TREND_CASES], by, filters))
    for (q, required, excluded, counted), got in zip(TREND_CASES, data["terms"]):
        buckets, series = oracle_trend(units, by, level, required, excluded, counted)
        assert {str(b["value"]): (b["reports"], b["chars"]) for b in data["buckets"]} == \
            {str(v): (len(b["reports"]), b["chars"]) for v, b in buckets.items()}
        assert got["term"] == q
        for s in got["series"]:
            want = series.get(s["value"], {"mentions": 0, "paragraphs": 0, "reports": set()})
            bucket = buckets[s["value"]]
            assert (s["mentions"], s["paragraphs"], s["reports"]) == \
                (want["mentions"], want["paragraphs"], len(want["reports"])), (q, s["value"])
            assert s["per_report"] == round(want["mentions"] / len(bucket["reports"]), 3)
            assert s["per_10k_chars"] == round(want["mentions"] * 10000 / bucket["chars"], 3)
        assert sum(s["mentions"] for s in got["series"]) > 0, q


def test_trend_years_without_mentions_and_first(corpus_engine, units):
    # a string only the 2026 provincial reports hold: 2024 shows 0, first is 2026
    text_2024 = "\n".join(u["norm"] for u in units if u["year"] == 2024)
    words_2026 = Counter(w for u in units if u["year"] == 2026 for w in cut(u["norm"]) if len(w) >= 3)
    only_2026 = next(w for w, n in words_2026.most_common() if w not in text_2024)
    data = trend(corpus_engine, TrendRequest([only_2026], "year"))
    by_year = {s["value"]: s for s in data["terms"][0]["series"]}
    assert by_year[2024]["mentions"] == 0 and by_year[2026]["mentions"] > 0
    assert data["terms"][0]["first"] == 2026
    # a year with no report under the filters is absent
    data = trend(corpus_engine, TrendRequest(["发展"], "year", {"level": ["省级"]}))
    assert [b["value"] for b in data["buckets"]] == [2026]


def test_trend_refuses_bad_requests(corpus_engine):
    for args in (([], "year"), (["发展"], "colour"), (["发展"] * 21, "year")):
        with pytest.raises(RequestError):
            trend(corpus_engine, TrendRequest(*args))
    with pytest.raises(RequestError):
        trend(corpus_engine, TrendRequest(["province:四川"], "year"))        # filters only: nothing to count


# --------------------------------------------------------------------------- keywords

KEYWORD_ROWS = [
    # province, year, text: 营商环境 3 times in 浙江 2026, once in each other report
    ("浙江省", 2025, "各位代表：\n过去一年，我们持续优化营商环境，推进共同富裕示范区建设。\n"
                     "全年粮食产量保持稳定，海洋经济继续发展。"),
    ("浙江省", 2026, "各位代表：\n营商环境是生产力。我们把营商环境作为一号改革工程，营商环境持续改善。\n"
                     "数字经济创新提质，低空经济起步，人工智能赋能千行百业。"),
    ("江苏省", 2026, "各位代表：\n坚持实体经济为本，制造业集群加快壮大，营商环境稳步优化。\n"
                     "沿江地区协调发展，太湖治理成效明显。"),
]


@pytest.fixture(scope="module")
def keyword_index(tmp_path_factory):
    from indexer.writer import index_paths

    src = tmp_path_factory.mktemp("kw-src")
    with open(src / "reports.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["province", "year", "title", "full_text"])
        for province, year, text in KEYWORD_ROWS:
            w.writerow([province, year, f"{year}年{province}政府工作报告", text])
    ix = tmp_path_factory.mktemp("kw-index")
    run = index_paths(str(ix), [str(src)])
    assert not run.failed, run.failed
    from search.engine import Engine

    return Engine(str(ix))


def _words(engine, **filters) -> Counter:
    """Every word of the cut over the units under the filters (from the stored texts)."""
    snap = engine.snapshot()
    with snap.searching() as s:
        units = snap.units.all(s)
    out = Counter()
    for u in units:
        if all(str(u[k]) == v for k, v in filters.items()):
            out.update(cut(normalize(u["text"])))
    return out


def hand_g2(a, b, c, d) -> float:
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    value = 2 * ((a * math.log(a / e1) if a else 0) + (b * math.log(b / e2) if b else 0))
    return value if a / c >= b / d else -value


def test_keyness_matches_a_hand_computation(keyword_index):
    sel, rest = _words(keyword_index, province="浙江省", year="2026"), _words(keyword_index)
    c = sum(sel.values())
    d = sum(rest.values()) - c
    assert sel["营商环境"] == 3 and rest["营商环境"] == 5          # the fixture's counts, as written
    data = keywords(keyword_index, KeywordRequest({"province": ["浙江"], "year": ["2026"]}, top=100, min_count=1))
    assert (data["selection"]["words"], data["reference"]["words"]) == (c, d)
    row = next(w for w in data["words"] if w["word"] == "营商环境")
    assert (row["count"], row["ref_count"]) == (3, 2)
    assert row["g2"] == round(hand_g2(3, 2, c, d), 2)
    assert row["rate"] == round(3 * 10000 / c, 2) and row["ref_rate"] == round(2 * 10000 / d, 2)
    assert [w["g2"] for w in data["words"]] == sorted((w["g2"] for w in data["words"]), reverse=True)
    assert all(w["g2"] > 0 for w in data["words"]) and all(w["g2"] < 0 for w in data["under"])
    assert sel["我们"] and not any(w["word"] == "我们" for w in data["words"] + data["under"])   # a stop word
    assert all(is_keyword(w["word"]) for w in data["words"] + data["under"])

    # against another selection: 江苏 2026
    jiangsu = _words(keyword_index, province="江苏省", year="2026")
    data = keywords(keyword_index, KeywordRequest({"province": ["浙江"], "year": ["2026"]},
                                                  {"province": ["江苏"], "year": ["2026"]}, top=100, min_count=1))
    row = next(w for w in data["words"] if w["word"] == "营商环境")
    assert row["g2"] == round(hand_g2(3, 1, c, sum(jiangsu.values())), 2)
    under = {w["word"]: w for w in data["under"]}
    assert under["太湖"]["g2"] == round(hand_g2(0, jiangsu["太湖"], c, sum(jiangsu.values())), 2)


def test_new_words_are_those_the_previous_year_never_used(keyword_index):
    now = _words(keyword_index, province="浙江省", year="2026")
    before = _words(keyword_index, province="浙江省", year="2025")
    data = keywords(keyword_index, KeywordRequest({"province": ["浙江"], "year": ["2026"]}, new=True,
                                                  top=1000, min_count=1))
    assert data["mode"] == "new"
    assert {w["word"] for w in data["words"]} == {w for w in now if w not in before and is_keyword(w)}
    assert {w["word"] for w in data["under"]} == {w for w in before if w not in now and is_keyword(w)}
    with pytest.raises(RequestError):           # 江苏 has no 2025 report
        keywords(keyword_index, KeywordRequest({"province": ["江苏"], "year": ["2026"]}, new=True))
    with pytest.raises(RequestError):           # new needs one year
        KeywordRequest({"province": ["浙江"]}, new=True)


def test_everything_else_counts_equal_the_cut_of_every_unit(corpus_engine):
    """The whole index's counts (read from the word field, sub-words taken out) equal
    cutting every stored text, so the default reference is exact."""
    everything = _words(corpus_engine)
    data = keywords(corpus_engine, KeywordRequest({"province": ["浙江"], "year": ["2026"]}, top=200))
    sel = _words(corpus_engine, province="浙江省", year="2026")
    assert data["reference"]["words"] == sum(everything.values()) - sum(sel.values())
    for w in data["words"] + data["under"]:
        assert (w["count"], w["ref_count"]) == (sel[w["word"]], everything[w["word"]] - sel[w["word"]]), w


# --------------------------------------------------------------------------- export

def test_export_of_every_hit_has_total_rows(corpus_engine):
    total = search(corpus_engine, SearchRequest(q="发展")).total
    assert total > 1000
    n, rows = export_rows(corpus_engine, SearchRequest(q="发展"))
    text = "".join(render(rows, "csv"))
    parsed = list(csv.reader(io.StringIO(text)))
    assert n == total and parsed[0] == list(COLUMNS) and len(parsed) - 1 == total
    assert all("发展" in normalize(r[7]) for r in parsed[1:])
    _n, rows = export_rows(corpus_engine, SearchRequest(q="发展"))
    lines = "".join(render(rows, "jsonl")).splitlines()
    assert len(lines) == total and set(json.loads(lines[0])) == set(COLUMNS)
    _n, rows = export_rows(corpus_engine, SearchRequest(q="发展"))
    md = "".join(render(rows, "md"))
    assert md.count("\n- ") + 1 == total and "第" in md and "段" in md


def test_markdown_citations_end_with_their_link(corpus_engine):
    """An autolinker (GitHub's, markdown-it's linkify) takes everything up to whitespace into a
    link: a citation's source link must end its line, with nothing run on after it."""
    req = SearchRequest(q="营商环境", limit=1000)
    rows = list(export_rows(corpus_engine, req)[1])
    with_url = [r for r in rows if r["url"]]
    assert len(with_url) > 50
    lines = [line for line in "".join(render(iter(rows), "md")).splitlines() if line.startswith("  —— ")]
    assert len(lines) == len(rows)
    for r, line in zip(rows, lines):
        if r["url"]:
            assert line.endswith(" " + r["url"]), line
        assert f"第{r['para_no']}段" in line and r["region"] in line


def test_export_follows_the_search_order_and_filters(corpus_engine):
    req = SearchRequest(q="营商环境", filters={"province": ["四川"]}, limit=1000)
    hits = search(corpus_engine, req).hits
    _n, rows = export_rows(corpus_engine, req)
    rows = list(rows)
    assert [(r["para_no"], r["text"]) for r in rows] == [(h.para_no, h.text) for h in hits]
    assert {r["province"] for r in rows} == {"四川省"}


def test_cli_export_and_trend(corpus_index):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "cli", *args, "--index", corpus_index],
                              capture_output=True, text=True, cwd=ROOT)

    total = json.loads(cli("query", "营商环境", "--json").stdout)["total"]
    out = cli("query", "营商环境", "--format", "csv")
    assert out.returncode == 0 and len(list(csv.reader(io.StringIO(out.stdout)))) == total + 1
    out = cli("trend", "营商环境", "--by", "region", "--level", "省级", "--json")
    data = json.loads(out.stdout)
    assert data["by"] == "region" and len(data["buckets"]) == 31
    out = cli("trend", "营商环境", "--csv")
    assert out.stdout.splitlines()[0].startswith("term,value,mentions")
    out = cli("trend", "营商环境", "规上")                         # text for people
    assert out.returncode == 0 and "营商环境：" in out.stdout and "2026" in out.stdout
    out = cli("keywords", "--province", "浙江", "--year", "2026", "--top", "3")
    assert out.returncode == 0 and "用得多的词" in out.stdout and "浙江" in out.stdout
    out = cli("trend", "营商环境", "--by", "colour")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "by" in out.stderr
    out = cli("keywords", "--province", "浙江", "--year", "2026", "--top", "5", "--json")
    assert len(json.loads(out.stdout)["words"]) == 5
    out = cli("keywords", "--province", "浙江", "--vs", "营商环境")
    assert out.returncode == 2 and "筛选条件" in out.stderr and out.stderr.count("\n") == 1


# --------------------------------------------------------------------------- compare

def test_compare_cells(corpus_engine, units):
    regions = ["重庆", "四川", "浙江省"]
    grid = compare(corpus_engine, CompareRequest("营商环境", regions))
    assert grid["years"] == [2024, 2026]
    members = {"重庆": "重庆市", "四川": "四川省", "浙江省": "浙江省"}
    for row in grid["rows"]:
        mine = [u for u in units if u["region"] == members[row["region"]]
                or (row["region"] != "浙江省" and u["region"].startswith(members[row["region"]]))]
        for cell in row["cells"]:
            in_year = [u for u in mine if u["year"] == cell["year"]]
            matching = [u for u in in_year if "营商环境" in u["norm"]]
            want = "no_report" if not in_year else ("hit" if matching else "no_match")
            assert cell["status"] == want, (row["region"], cell["year"])
            if want == "hit":
                assert cell["paragraphs"] == len(matching)
                best = search(corpus_engine, SearchRequest(q="营商环境", limit=1, filters={
                    "region": [row["region"]], "year": [str(cell["year"])]})).hits[0]
                assert (cell["hit"].report_id, cell["hit"].para_no) == (best.report_id, best.para_no)
                assert "<mark>" in cell["hit"].highlight


def test_characters_per_unit_are_the_units_own(corpus_engine, corpus_units):
    """The per-unit character count (trends' chars), written by the indexer beside the
    text, is the length of every unit's normalised text."""
    ia = corpus_engine.snapshot().arrays
    chars = ia.texts.char_lengths()
    assert [int(chars[d]) for d in ia.all_docs.tolist()] == [len(u["norm"]) for u in corpus_units]


@pytest.mark.parametrize("q,forms", [
    ("GDP", ["gdp", "地区生产总值", "国内生产总值", "生产总值"]),
    ("一带一路", ["一带一路", "共建一带一路"]),
    ("双城经济圈", ["双城经济圈", "成渝地区双城经济圈"]),
])
def test_word_matching_counts_a_mention_inside_a_longer_form_once(corpus_engine, units, q, forms):
    """In word matching, GDP's forms were counted each on its own; the word field holds
    生产总值 for every 地区生产总值 (a dictionary sub-word), so each such mention counted
    twice (北京: 18 where the text says 地区生产总值 9 times).  Expected: the reader's scan of
    the paragraphs word matching finds (each form here is one jieba word or stands whole)."""
    words = trend(corpus_engine, TrendRequest([q], "region", match="words"))["terms"][0]
    hits = search(corpus_engine, SearchRequest(q=q, match="words", limit=10000)).hits
    by_id = {u["id"]: u for u in units}
    want = Counter()
    for h in hits:
        want[by_id[h.id]["region"]] += scan_count(by_id[h.id]["norm"], forms)
    got = {s["value"]: s["mentions"] for s in words["series"] if s["mentions"]}
    assert got == {r: n for r, n in want.items() if n}


@pytest.mark.parametrize("args,named", [
    (("query", "营商环境", "--json", "--format", "csv"), ("--json", "--format")),
    (("query", "营商环境", "--format", "csv", "--page", "2"), ("--format", "--page")),
    (("query", "营商环境", "--format", "md", "--by-report"), ("--format", "--by-report")),
    (("query", "营商环境", "--format", "csv", "--limit", "3"), ("--format", "--limit")),
    (("trend", "营商环境", "--json", "--csv"), ("--json", "--csv")),
    (("keywords", "--province", "浙江", "--year", "2026", "--new", "--vs", "省份:江苏"), ("--new", "--vs")),
    (("indicators", "--json", "--csv"), ("--json", "--csv")),
])
def test_cli_options_that_ask_for_different_things_are_refused_together(corpus_index, args, named):
    """--json --csv printed JSON, --format with --page exported every hit, --new ignored --vs:
    one option was taken silently."""
    out = subprocess.run([sys.executable, "-m", "cli", *args, "--index", corpus_index],
                         capture_output=True, text=True, cwd=ROOT)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and out.stdout == "" and len(lines) == 1
    assert all(n in lines[0] for n in named) and "不能同时使用" in lines[0]


def test_cli_trend_table_keeps_a_long_region_apart_from_its_count(corpus_index, units):
    out = subprocess.run([sys.executable, "-m", "cli", "trend", "营商环境", "--by", "region", "--index", corpus_index],
                         capture_output=True, text=True, cwd=ROOT)
    regions = {u["region"] for u in units}
    rows = {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines()[2:] if line.split()
            and line.split()[0] in regions}
    assert set(rows) == regions                       # 四川省成都市金牛区1 was one token
    assert all(cells[0].isdigit() for cells in rows.values())
