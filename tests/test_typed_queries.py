"""Queries as people type and paste them: invisible characters, report text with its
quotes, queries that say nothing, years and filter values as typed.

Expected counts come from a substring scan of every unit's normalised text (the
oracle of tests/test_counts.py), over the real seeds and provincial reports.
"""

from __future__ import annotations

import pytest

from indexer.analysis import normalize
from search.engine import search
from search.query import QuerySyntaxError, parse_query
from search.results import SearchRequest, to_json


def run(engine, q, **filters) -> dict:
    req = SearchRequest(q=q, limit=10000,
                        filters={k: v if isinstance(v, list) else [v] for k, v in filters.items()})
    return to_json(search(engine, req))


def containing(units, text: str) -> set[str]:
    s = " ".join(normalize(text).split())
    return {u["id"] for u in units if s in u["norm"]}


def ids(result: dict) -> set[str]:
    return {h["id"] for h in result["hits"]}


# ---------------------------------------------------------------- 1. invisible characters

@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\x00"])
def test_an_invisible_character_inside_a_term_is_dropped_as_the_index_drops_it(
        corpus_engine, corpus_units, invisible):
    """The index strips zero-width and control characters from report text; a query
    holding one (pasted from a web page) read it as a space: 数字\u200b经济 counted
    数字 AND 经济 (130 paragraphs), not the term (65)."""
    want = containing(corpus_units, "数字经济")
    got = run(corpus_engine, f"数字{invisible}经济")
    assert want and got["total"] == len(want) and ids(got) == want


# ---------------------------------------------------------------- 2. report text pasted with its quotes

@pytest.mark.parametrize("pasted", ["“十五五”规划", "推进“两重”建设", "“两重”建设", "实施“两新”政策"])
def test_report_text_pasted_with_its_quotes_is_found_as_written(corpus_engine, corpus_units, pasted):
    """“十五五”规划 pasted from a report meant that string (22 paragraphs); it was read as
    the phrase 十五五 AND 规划 anywhere (44)."""
    want = containing(corpus_units, pasted)
    got = run(corpus_engine, pasted)
    assert want and got["total"] == len(want) and ids(got) == want
    assert [t.text for t in parse_query(pasted).terms] == [normalize(pasted)]


def test_a_pasted_string_combines_with_operators_and_groups(corpus_engine, corpus_units):
    pasted, other = containing(corpus_units, "“十五五”规划"), containing(corpus_units, "数字经济")
    assert ids(run(corpus_engine, "(“十五五”规划 OR 数字经济)")) == pasted | other
    assert ids(run(corpus_engine, "数字经济 -“十五五”规划")) == other - pasted


def test_quotes_that_enclose_a_whole_token_make_a_phrase_and_glued_text_makes_it_pasted(
        corpus_engine, corpus_units):
    for q, phrase in [('"稳进增效"', "稳进增效"), ("“稳进增效”", "稳进增效"), ("＂营商环境＂", "营商环境"),
                      ('"营商 环境"', "营商 环境"), ("「营商环境」", "营商环境"), ("(“十五五”)", "十五五")]:
        assert [t.text for t in parse_query(q).terms] == [phrase], q
        assert ids(run(corpus_engine, q)) == containing(corpus_units, phrase), q
    # the same quotes with text glued on: report text, as written, its straight quotes as the
    # reports write them (“ ”), so that "十五五"时期 typed in English punctuation finds them too
    want = containing(corpus_units, "“十五五”时期")
    assert want
    for q in ("“十五五”时期", "＂十五五＂时期", '"十五五"时期'):
        assert [t.text for t in parse_query(q).terms] == ["“十五五”时期"], q
        assert ids(run(corpus_engine, q)) == want, q


def test_a_closing_quote_glued_to_text_is_pasted_text_and_a_lone_one_says_so():
    """十五五」 is the end of a copied quotation: found as written.  A closing quote
    alone was reported as an opening quote left unclosed."""
    assert [t.text for t in parse_query("十五五」").terms] == ["十五五」"]
    for q in ("”", "营商 」", "』 环境"):
        with pytest.raises(QuerySyntaxError) as e:
            parse_query(q)
        assert e.value.code == "unbalanced_quote" and "结束的引号" in str(e.value) \
            and "前面没有开始的引号" in str(e.value), q
    with pytest.raises(QuerySyntaxError) as e:
        parse_query("“营商")
    assert "没有结束的引号" in str(e.value)


# ---------------------------------------------------------------- 3. queries that say nothing

@pytest.fixture(scope="module")
def client(corpus_index):
    from webui import create_app

    return create_app(corpus_index).test_client()


@pytest.mark.parametrize("q", ["发展 AND", "AND 发展", "AND", "发展 AND AND 改革", "(发展 AND) 改革"])
def test_and_without_a_term_on_each_side_is_refused_as_or_is(q):
    """发展 AND counted every paragraph with 发展, and AND alone every paragraph, where
    发展 OR and OR alone are refused."""
    with pytest.raises(QuerySyntaxError) as e:
        parse_query(q)
    assert e.value.code == "and_operand" and "AND 两边都要有检索词" in str(e.value)


@pytest.mark.parametrize("q", ["()", '""', "“”", "%00", "%E2%80%8B", "%EF%BB%BF", "%20%E2%80%8B%20"])
def test_a_query_that_says_nothing_shows_the_page_of_no_query(client, q):
    """(), "" or a lone zero-width space listed every paragraph of the collection as a
    result; with no query the page lists the reports, and so it does for these."""
    landing = client.get("/?q=").get_data(as_text=True)
    page = client.get(f"/?q={q}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "已收录 <strong>" in text and "找到 <strong>" not in text
    assert text.count("/reports/") == landing.count("/reports/")


def test_and_without_a_term_is_a_one_line_error_on_the_page_and_the_api(client):
    page = client.get("/?q=发展 AND")
    assert page.status_code == 400 and "AND 两边都要有检索词" in page.get_data(as_text=True)
    api = client.get("/api/search?q=发展 AND")
    assert api.status_code == 400 and api.get_json()["code"] == "and_operand"


# ---------------------------------------------------------------- 4. years

@pytest.mark.parametrize("year", ["2030-2020", "2026-2025", "2026..2024"])
def test_a_reversed_year_range_is_refused_naming_the_parameter(client, year):
    """2030-2020 was swapped silently and echoed as typed (年份=2030-2020)."""
    for url in (f"/api/search?q=发展&year={year}", f"/api/search?q=发展 year:{year}",
                f"/api/search?q=发展 年份:{year}"):
        r = client.get(url)
        j = r.get_json()
        assert r.status_code == 400 and j["code"] == "bad_year", url
        assert "年份（year）" in j["error"] and "起止颠倒" in j["error"] and year in j["error"], url


@pytest.mark.parametrize("year", ["1899", "2200", "1800-2026", "..1900", "2024..3000"])
def test_a_year_out_of_the_plausible_range_is_refused_everywhere(client, year):
    """year=1899 or year=2200 found nothing and said nothing, where year:0 was refused."""
    import datetime

    last = datetime.date.today().year + 10
    for url in (f"/api/search?q=发展&year={year}", f"/api/search?q=发展 year:{year}",
                f"/api/search?q=发展 年份:{year}"):
        r = client.get(url)
        j = r.get_json()
        assert r.status_code == 400 and j["code"] == "bad_year", url
        assert f"1949 到 {last}" in j["error"] and "年份（year）" in j["error"], url


def test_the_plausible_years_are_1949_to_ten_years_ahead(corpus_engine, corpus_units):
    import datetime

    last = datetime.date.today().year + 10
    everything = containing(corpus_units, "发展")
    assert ids(run(corpus_engine, "发展", year=f"1949-{last}")) == everything
    assert run(corpus_engine, "发展", year="1949")["total"] == 0
    for year in ("1948", str(last + 1)):
        with pytest.raises(QuerySyntaxError) as e:
            run(corpus_engine, "发展", year=year)
        assert e.value.code == "bad_year" and "超出范围" in str(e.value)


def test_the_cli_refuses_a_reversed_year_range_in_one_line(corpus_index):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "cli", "query", "发展", "--year", "2030-2020",
                          "--index", corpus_index], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and "起止颠倒" in out.stderr and "year" in out.stderr


def test_an_indicators_target_year_may_be_far_ahead_and_a_bad_one_says_why(corpus_index):
    """A target's year may be 2035's or 2050's (远景目标), beyond the years a report has; a
    reversed range says so rather than "不是年份"."""
    import subprocess
    import sys

    def indicators(year):
        return subprocess.run([sys.executable, "-m", "cli", "indicators", "--year", year, "--json",
                               "--index", corpus_index], capture_output=True, text=True, timeout=120)

    assert indicators("2050").returncode == 0
    out = indicators("2030-2020")
    assert out.returncode == 2 and "起止颠倒" in out.stderr and "不是年份" not in out.stderr


# ---------------------------------------------------------------- 6. parameters

@pytest.mark.parametrize("fmt,media", [("csv", "text/csv"), ("md", "text/markdown")])
def test_an_export_names_its_charset_once(client, fmt, media):
    r = client.get(f"/export?q=营商环境&format={fmt}")
    r.get_data()                     # the download is streamed: read it whole before asserting
    assert r.status_code == 200 and r.headers["Content-Type"] == f"{media}; charset=utf-8"


@pytest.mark.parametrize("top", ["abc", "1.5"])
def test_keywords_top_that_is_not_a_count_is_refused(client, top):
    """top=abc fell back to 50 where top=0 was refused (as it still is)."""
    r = client.get(f"/api/keywords?province=浙江&top={top}")
    j = r.get_json()
    assert r.status_code == 400 and j["code"] == "bad_parameter" and "参数 top" in j["error"]


@pytest.mark.parametrize("params", ["province=浙江&min_count=0", "province=浙江&year=2026&new=1&min_count=0"])
def test_keywords_min_count_below_one_is_refused(client, params):
    """new=1&min_count=0 listed hundreds of "new words" that occur 0 times (the CLI refused 0)."""
    r = client.get(f"/api/keywords?{params}")
    j = r.get_json()
    assert r.status_code == 400 and j["code"] == "bad_parameter" and "min_count" in j["error"]
    from search.keywords import KeywordRequest
    from search.results import RequestError

    with pytest.raises(RequestError):
        KeywordRequest({"province": ["浙江"]}, min_count=0)


def test_by_report_must_be_a_yes_or_no(client):
    """by_report=abc was read as no."""
    r = client.get("/api/search?q=营商环境&by_report=abc")
    j = r.get_json()
    assert r.status_code == 400 and j["code"] == "bad_parameter" and "参数 by_report" in j["error"]
    page = client.get("/?q=营商环境&by_report=abc")
    assert page.status_code == 400 and "参数 by_report" in page.get_data(as_text=True)
    yes, no = client.get("/api/search?q=营商环境&by_report=yes").get_json(), \
        client.get("/api/search?q=营商环境&by_report=off").get_json()
    assert "groups" in yes and "groups" not in no and yes["total"] == no["total"]


@pytest.mark.parametrize("q", ["%E5%8F", "%ED%A0%80", "%E6%B5%99%E5"])
def test_a_parameter_that_is_not_utf8_is_refused_naming_it(client, q):
    """q=%E5%8F (a character cut short) was searched as the text %E5%8F."""
    r = client.get(f"/api/search?q={q}")
    j = r.get_json()
    assert r.status_code == 400 and j["code"] == "bad_encoding" and "参数 q " in j["error"]
    assert "\n" not in j["error"]
    page = client.get(f"/?q={q}")
    assert page.status_code == 400 and "参数 q " in page.get_data(as_text=True)
    r = client.get(f"/api/search?q=营商环境&province={q}")
    assert r.status_code == 400 and "参数 province " in r.get_json()["error"]
    # a parameter no page reads, such as a tracking tag a site appends in GBK, is nobody's concern
    tagged = client.get("/api/search?q=营商环境&from=%C8%FD")
    assert tagged.status_code == 200 and tagged.get_json()["total"] == client.get("/api/search?q=营商环境").get_json()["total"]


# ---------------------------------------------------------------- 5. filter values as people type them

@pytest.mark.parametrize("typed,kind", [("表格", "table_row"), ("列表", "list_item"), ("table", "table_row")])
def test_the_start_of_one_kinds_label_means_that_kind(corpus_engine, corpus_units, typed, kind):
    """kind:表格 found nothing: only the whole label 表格行 was known."""
    want = {u["id"] for u in corpus_units if u["kind"] == kind}
    for got in (run(corpus_engine, f"kind:{typed}"), run(corpus_engine, "", kind=typed)):
        assert want and ids(got) == want and got["filters"] == {"kind": [kind]}


@pytest.mark.parametrize("typed", ["区县级", "县级", "区级"])
def test_the_usual_spellings_of_a_level_mean_it(corpus_engine, corpus_units, client, typed):
    """level:区县级 found nothing: the value is 县区级."""
    want = {u["id"] for u in corpus_units if u["level"] == "县区级"}
    for got in (run(corpus_engine, f"level:{typed}"), run(corpus_engine, "", level=typed)):
        assert want and ids(got) == want and got["filters"] == {"level": ["县区级"]}
    page = client.get(f"/?q=发展&level={typed}").get_data(as_text=True)
    assert f"{typed} → 县区级" in page                  # the chip says what it was taken to mean


# ---------------------------------------------------------------- operators as people type them

@pytest.mark.parametrize("typed,meant", [
    ("营商环境 or 低空经济", ("营商环境", "|", "低空经济")),
    ("营商环境 ＯＲ 低空经济", ("营商环境", "|", "低空经济")),
    ("营商环境 Or 低空经济", ("营商环境", "|", "低空经济")),
    ("营商环境 not 优化", ("营商环境", "-", "优化")),
    ("营商环境 ＮＯＴ 优化", ("营商环境", "-", "优化")),
    ("营商环境 - 优化", ("营商环境", "-", "优化")),
    ("营商环境 － 优化", ("营商环境", "-", "优化")),
    ("营商环境 and 优化", ("营商环境", "&", "优化")),
])
def test_operators_typed_in_any_case_or_width_are_operators(corpus_engine, corpus_units, typed, meant):
    """营商环境 or 低空经济 searched for the word "or" as well (0 paragraphs), and so did
    ＯＲ from an input method in full width, not, and a minus typed apart from its word;
    an empty page then offered to drop "not", which found the opposite of what was asked."""
    a, op, b = meant
    left, right = containing(corpus_units, a), containing(corpus_units, b)
    want = {"|": left | right, "-": left - right, "&": left & right}[op]
    got = run(corpus_engine, typed)
    assert want and got["total"] == len(want) and ids(got) == want


def test_a_word_that_looks_like_an_operator_is_searched_when_quoted():
    assert [t.text for t in parse_query('"or" 营商环境').terms] == ["or", "营商环境"]


@pytest.mark.parametrize("q", ["营商环境 -", "营商环境 not", "营商环境 －"])
def test_a_minus_or_not_with_nothing_after_it_says_so(q):
    with pytest.raises(QuerySyntaxError) as e:
        parse_query(q)
    assert e.value.code == "not_operand"


def _suggestions(page: str) -> dict:
    import html
    import re

    return {label: (html.unescape(url), int(n)) for url, label, n in
            re.findall(r'<li><a href="([^"]+)">([^<]+)</a>（(\d+) 个段落）', page)}


def test_an_empty_result_never_offers_to_drop_an_operator(client, corpus_units):
    """营商环境 NOT 营商 finds nothing; dropping NOT would offer 营商环境 营商, the opposite of
    what was asked.  Only filters may be dropped from a query with operators."""
    page = client.get("/?q=营商环境 NOT 营商&province=四川").get_data(as_text=True)
    offered = _suggestions(page)
    assert not [label for label in offered if "NOT" in label or "检索词" in label]
    page = client.get("/?q=营商环境 - 营商").get_data(as_text=True)
    assert "没有找到匹配的段落" in page and not _suggestions(page)


@pytest.mark.parametrize("sep", ["，", "、", "；", ","])
def test_keywords_typed_with_chinese_punctuation_between_them_are_offered_apart(client, corpus_units, sep):
    """营商环境，优化 is found as written (Ctrl-F), which no paragraph holds; the empty page
    offers 营商环境 优化, with the total that search finds."""
    assert not containing(corpus_units, f"营商环境{sep}优化")
    want = containing(corpus_units, "营商环境") & containing(corpus_units, "优化")
    page = client.get(f"/?q=营商环境{sep}优化").get_data(as_text=True)
    offered = _suggestions(page)
    url, n = offered["分开检索“营商环境 优化”（每段都含这几个词）"]
    from urllib.parse import parse_qs, urlsplit

    assert n == len(want) and parse_qs(urlsplit(url).query)["q"] == ["营商环境 优化"]


# ---------------------------------------------------------------- regions called as people call them

# every provincial-level region of the corpus by the name people use (hand-written, not derived)
EVERYDAY_NAMES = {
    "北京": "北京市", "天津": "天津市", "河北": "河北省", "山西": "山西省", "内蒙古": "内蒙古自治区",
    "辽宁": "辽宁省", "吉林": "吉林省", "黑龙江": "黑龙江省", "上海": "上海市", "江苏": "江苏省",
    "浙江": "浙江省", "安徽": "安徽省", "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省",
    "湖北": "湖北省", "湖南": "湖南省", "广东": "广东省", "广西": "广西壮族自治区", "海南": "海南省",
    "重庆": "重庆市", "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "西藏": "西藏自治区",
    "陕西": "陕西省", "甘肃": "甘肃省", "青海": "青海省", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
}


@pytest.mark.parametrize("typed", sorted(EVERYDAY_NAMES))
def test_a_region_by_its_everyday_name_is_that_region_and_everything_under_it(corpus_engine, corpus_units, typed):
    """region=宁夏, 广西 and 新疆 selected nothing (their names carry their peoples: 宁夏回族自治区),
    so compare said 无报告 and trends, exports and indicators gave well-formed zeros."""
    full = EVERYDAY_NAMES[typed]
    want = {u["id"] for u in corpus_units if u.get("region", "").startswith(full) and "发展" in u["norm"]}
    got = run(corpus_engine, "发展", region=typed)
    assert want and ids(got) == want


@pytest.mark.parametrize("official,everyday", [
    ("阿坝藏族羌族自治州", "阿坝"), ("伊犁哈萨克自治州", "伊犁"), ("恩施土家族苗族自治州", "恩施"),
    ("峨边彝族自治县", "峨边"), ("内蒙古自治区", "内蒙古"), ("延边朝鲜族自治州", "延边")])
def test_an_autonomous_area_is_found_by_its_place_name(official, everyday):
    from search.filters import resolve

    values = [official, "四川省成都市金牛区", "重庆市"]
    assert resolve("region", everyday, values) == [official]
    assert resolve("region", official, values) == [official]


def test_national_gdp_is_not_a_regions(corpus_engine, corpus_units):
    """国内生产总值 (the nation's) and 地区生产总值 (a region's) were one synonym group: a trend
    of 国内生产总值 said 239 mentions in 181 paragraphs of reports that never write it.  GDP
    still stands for either."""
    national = containing(corpus_units, "国内生产总值") | containing(corpus_units, "GDP")
    assert ids(run(corpus_engine, "国内生产总值")) == national
    regional = set().union(*(containing(corpus_units, s) for s in ("地区生产总值", "生产总值", "GDP")))
    assert ids(run(corpus_engine, "GDP")) == regional | national
    assert len(regional) > 2 * len(national)
    # in word matching too: 国内生产总值 was also 国内地区生产总值, 国内 and 地区生产总值 anywhere
    words = to_json(search(corpus_engine, SearchRequest(q="国内生产总值", match="words", limit=10000)))
    by_id = {u["id"]: u["norm"] for u in corpus_units}
    assert [h["id"] for h in words["hits"] if not ("国内生产总值" in by_id[h["id"]] or "gdp" in by_id[h["id"]])] == []


@pytest.mark.parametrize("typed,lo,hi", [("2026年", 2026, 2026), ("2023年-2024年", 2023, 2024),
                                         ("2023年至2026年", 2023, 2026)])
def test_a_year_written_with_its_nian_is_that_year(corpus_engine, corpus_units, typed, lo, hi):
    """年份:2026年, as most people write a year in Chinese, was refused as unreadable."""
    want = {u["id"] for u in corpus_units if u["year"] and lo <= int(u["year"]) <= hi and "发展" in u["norm"]}
    assert want and ids(run(corpus_engine, f"发展 年份:{typed}")) == want
    assert ids(run(corpus_engine, "发展", year=typed)) == want


@pytest.mark.parametrize("typed,meant", [("海南", ["海南省"]), ("河南", ["河南省"]),
                                         ("吉林", ["吉林省", "吉林省吉林市"]), ("海南藏族", ["青海省海南藏族自治州"])])
def test_a_name_shared_by_a_province_and_an_area_inside_another_is_the_provinces(typed, meant):
    """海南 also selected 青海省海南藏族自治州 once autonomous areas were found by their place
    names, and 河南 a county of 青海 (河南蒙古族自治县)."""
    from search.filters import resolve

    values = ["海南省", "青海省海南藏族自治州", "河南省", "青海省黄南藏族自治州河南蒙古族自治县", "吉林省",
              "吉林省吉林市", "重庆市"]
    assert resolve("region", typed, values) == meant


@pytest.mark.parametrize("q", ["，，，，，，", "1,000亿元"])
def test_searching_apart_is_offered_only_where_it_makes_more_terms(client, q):
    """，，，，，， was offered 分开检索“” (the landing page), and 1,000亿元 “1 000亿元”."""
    assert not [label for label in _suggestions(client.get("/", query_string={"q": q}).get_data(as_text=True))
                if label.startswith("分开检索")]


@pytest.mark.parametrize("typed", ["2024年", "2024 年"])
def test_a_year_typed_with_its_nian_ticks_its_facet(client, typed):
    """year=2024年 searched 2024 but the 2024 facet was not ticked (a click added year=2024
    beside it) and the JSON said it was taken to mean 2024年."""
    import re

    page = client.get("/", query_string={"q": "营商环境", "year": typed}).get_data(as_text=True)
    on = re.findall(r'<a class="fval on" href="([^"]+)" data-facet-value="(\d+)" data-facet="year"', page)
    assert [year for _url, year in on] == ["2024"] and "year=" not in on[0][0]
    assert client.get("/api/search", query_string={"q": "营商环境", "year": typed}).get_json()["filters"]["year"] == ["2024"]
