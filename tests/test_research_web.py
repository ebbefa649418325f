"""/trends, /keywords, /compare and /export through the real Flask app over seeds + provinces."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest

from search.engine import search
from search.results import SearchRequest
from search.trends import TrendRequest, trend
from webui import create_app


@pytest.fixture(scope="module")
def client(corpus_index):
    return create_app(corpus_index).test_client()


def test_api_trends_is_the_cli_json_and_csv(client, corpus_engine):
    got = client.get("/api/trends?q=营商环境&q=规上&by=region&level=省级").get_json()
    assert got == trend(corpus_engine, TrendRequest(["营商环境", "规上"], "region", {"level": ["省级"]}))
    r = client.get("/api/trends?q=营商环境&by=year&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert [int(x["mentions"]) for x in rows] == [s["mentions"] for s in got_series(client, "营商环境")]
    bad = client.get("/api/trends?q=营商环境&by=colour")
    assert bad.status_code == 400 and "by" in bad.get_json()["error"]


def got_series(client, term):
    return client.get(f"/api/trends?q={term}").get_json()["terms"][0]["series"]


def test_trends_page_table_and_links(client):
    html = client.get("/trends?q=营商环境&q=“稳中求进”&f=层级:省级&by=region").get_data(as_text=True)
    data = client.get("/api/trends?q=营商环境&q=“稳中求进”&level=省级&by=region").get_json()
    cells = re.findall(r'data-term="营商环境" data-mentions="(\d+)"', html)
    assert [int(c) for c in cells] == [s["mentions"] for s in data["terms"][0]["series"]]
    assert html.count("<rect ") == 2 * len(data["buckets"])       # 31 provinces: every bar drawn
    # a bar opens the search filtered to its region: the same number of paragraphs
    href = unescape(re.search(r'<a href="([^"]+)"><title>营商环境 · 上海市', html).group(1))
    page = client.get(href).get_data(as_text=True)
    want = next(s for s in data["terms"][0]["series"] if s["value"] == "上海市")
    assert f"找到 <strong>{want['paragraphs']}</strong> 个段落" in page


def facets_by_name(client) -> list[str]:
    """Every region the search page's 地区 facet lists when ordered 按名称, in that order (a
    province's own region is its header: a value of both fields, counted once)."""
    page = client.get("/?q=发展&facet_sort=name").get_data(as_text=True)
    return list(dict.fromkeys(re.findall(r'data-facet-value="([^"]+)" data-facet="(?:province|region)"', page)))


@pytest.mark.parametrize("by", ["province", "region"])
def test_trend_regions_come_in_the_facets_order_by_name(client, by):
    named = facets_by_name(client)
    data = client.get(f"/api/trends?q=营商环境&by={by}").get_json()
    got = [b["value"] for b in data["buckets"]]
    reports = {b["value"]: b["reports"] for b in data["buckets"]}
    assert set(got) <= set(named) and len(got) >= 31
    # regions with more reports first, as before; among equals the facets' order, not code points
    assert got == sorted([v for v in named if v in reports], key=lambda v: -reports[v])
    r = client.get(f"/api/trends?q=营商环境&by={by}&format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [x["value"] for x in rows] == got
    html = client.get(f"/trends?q=营商环境&by={by}").get_data(as_text=True)
    table = re.search(r'<table class="ind-table" id="trend-table">.*?</table>', html, re.S).group(0)
    assert re.findall(r'<tr><th scope="row">([^<]+)</th>', table) == got


def test_indicator_table_regions_come_in_the_facets_order_by_name(client):
    named = facets_by_name(client)
    for direction, order in (("", named), ("&sort=region&dir=desc", named[::-1])):
        html = client.get("/indicators?name=GDP" + direction).get_data(as_text=True)
        table = re.search(r'<table class="ind-table">.*?</table>', html, re.S).group(0)
        rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', table)
        assert len(rows) >= 31 and set(rows) <= set(named)
        assert rows == [v for v in order if v in rows]


@pytest.mark.parametrize("name,value", [("metric", "foo"), ("by", "foo"), ("metric", "提及")])
def test_trends_refuses_an_unknown_metric_as_it_refuses_an_unknown_by(client, name, value):
    """metric=foo was drawn as 提及次数 without a word while by=foo was refused: both are refused,
    one line in Chinese naming the parameter."""
    r = client.get(f"/trends?q=营商环境&{name}={value}")
    html = r.get_data(as_text=True)
    errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)
    assert r.status_code == 400 and len(errors) == 1 and f"参数 {name} " in errors[0] and f"“{value}”" in errors[0]
    assert "Traceback" not in html and 'id="trend-chart"' not in html


def test_trends_draws_each_known_metric(client):
    for metric in ("mentions", "per_10k_chars", "per_report", "paragraphs", "reports"):
        r = client.get(f"/trends?q=营商环境&metric={metric}")
        assert r.status_code == 200 and f'<option value="{metric}" selected>' in r.get_data(as_text=True)


def test_keywords_page_two_selections(client):
    r = client.get("/keywords?a=省份:浙江 年份:2026&b=省份:江苏 年份:2026&top=10")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.count('class="kw-col"') == 2
    words = re.findall(r'data-word="([^"]+)"', html)
    assert "浙江" in words and "江苏" in words
    link = unescape(re.search(r'<a href="([^"]+)" data-word="浙江"', html).group(1))
    assert "province=%E6%B5%99%E6%B1%9F" in link and "找到 <strong>" in client.get(link).get_data(as_text=True)
    bad = client.get("/keywords?a=营商环境")
    assert bad.status_code == 400 and "筛选条件" in bad.get_data(as_text=True)
    api = client.get("/api/keywords?province=浙江&year=2026&top=3").get_json()
    assert [w["word"] for w in api["words"]][:1] == ["浙江"]


def test_an_empty_selection_is_named_with_the_pages_labels(client, corpus_units):
    """The message named the filters by their URL names (province=浙江；year=2025) inside a
    Chinese sentence: they are named as the pages name them, from the field table."""
    from search.fields import BY_NAME

    assert not any(u["province"] == "浙江省" and str(u.get("year")) == "2025" for u in corpus_units)
    said = f"{BY_NAME['province'].label}：浙江；{BY_NAME['year'].label}：2025"
    r = client.get("/keywords?a=省份:浙江 年份:2026&ref=new")
    error = re.findall(r'<p class="error"[^>]*>([^<]*)</p>', r.get_data(as_text=True))
    assert r.status_code == 400 and len(error) == 1 and said in error[0] and "province" not in error[0]
    api = client.get("/api/keywords?province=浙江&year=2026&new=1")
    assert api.status_code == 400 and said in api.get_json()["error"]


def test_compare_page(client):
    html = client.get("/compare?q=营商环境&region=重庆&region=浙江省").get_data(as_text=True)
    assert html.count('data-status="hit"') == 3 and html.count('data-status="no_report"') == 1
    assert html.count("<mark>") >= 3
    assert client.get("/compare?q=营商环境").status_code == 400


def _compare_rows(html: str) -> dict:
    return {m.group(1): m.group(0) for m in re.finditer(r'<tr data-region="([^"]+)">.*?</tr>', html, re.S)}


def test_compare_says_a_region_is_unknown_and_never_that_it_has_no_report(client, corpus_units):
    """region=火星 (or a typo) is no region of the index: the page says so in one line, as
    the search page's chip does (（无此值）), where it showed a bare row or claimed 无报告."""
    assert not any("火星" in u["region"] for u in corpus_units)
    assert any(u["province"] == "广东省" for u in corpus_units)
    for url in ("/compare?q=低空经济&region=火星", "/compare?q=低空经济&region=广东&region=火星"):
        r = client.get(url)
        html = r.get_data(as_text=True)
        notice = re.findall(r'<p class="error" role="alert">([^<]*)</p>', html)
        assert r.status_code == 200 and len(notice) == 1 and "“火星”" in notice[0] and "无此值" in notice[0]
        row = _compare_rows(html)["火星"]
        assert "（无此值）" in row and "无报告" not in row and 'data-status="no_report"' not in row
    rows = _compare_rows(client.get("/compare?q=低空经济&region=广东&region=火星").get_data(as_text=True))
    assert 'data-status="hit"' in rows["广东"]          # the real region beside it is answered as before
    # a real region whose reports another filter leaves out is not unknown
    html = client.get("/compare?q=低空经济&region=广东&f=类型:决议").get_data(as_text=True)
    assert "无此值" not in html


def test_export_download_has_every_hit(client, corpus_engine):
    total = search(corpus_engine, SearchRequest(q="发展")).total
    r = client.get("/export?q=发展&format=csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert r.status_code == 200 and len(rows) == total + 1 and r.headers["X-Total-Hits"] == str(total)
    r = client.get("/export?q=营商环境&province=四川&format=jsonl")
    lines = [json.loads(x) for x in r.get_data(as_text=True).splitlines()]
    assert len(lines) == search(corpus_engine, SearchRequest(q="营商环境", filters={"province": ["四川"]})).total
    assert client.get("/export?q=(&format=csv").status_code == 400
    assert client.get("/export?q=发展&format=xls").status_code == 400
    page = client.get("/?q=发展&province=四川").get_data(as_text=True)
    link = unescape(re.search(r'<a href="([^"]+format=md)">Markdown</a>', page).group(1))
    assert link.startswith("/export?") and "province=" in link and client.get(link).status_code == 200


def test_the_trend_line_spaces_years_as_far_apart_as_they_are(client):
    """Years were drawn one step apart whatever lay between them: 2018 → 2024 looked like
    adjacent years, and a report of no year (未知) was joined to the line as the next one."""
    from webui.charts import line_chart

    years = [2018, 2023, 2024, 2026]
    chart = line_chart(years + ["未知"], [{"name": "t", "values": [1, 5, 2, 3, 4], "links": list("abcde")}])
    line = chart["lines"][0]
    x = {d["label"]: d["cx"] for d in line["dots"]}
    unit = (x[2026] - x[2018]) / 8
    for a, b in zip(years, years[1:]):
        assert abs((x[b] - x[a]) - unit * (b - a)) < 1.0, (a, b)
    assert line["points"].count(",") == len(years)          # the line joins the years only
    assert x[2026] < x["未知"]
    # on the page: the corpus's years drawn at those places
    page = client.get("/trends?q=营商环境").get_data(as_text=True)
    assert re.findall(r'data-label="(\d+)"', page)


def test_year_labels_never_run_into_each_other():
    """Placed by value, 2020 … 2026 after 1990 sat 17 px apart with labels 25 px wide."""
    from webui.charts import LABEL_GAP, line_chart

    years = [1990, *range(2020, 2027), "未知"]
    chart = line_chart(years, [{"name": "t", "values": list(range(len(years))), "links": ["x"] * len(years)}])
    xs = [lab["x"] for lab in chart["xlabels"]]
    assert all(b - a >= LABEL_GAP for a, b in zip(xs, xs[1:]))
    assert [lab["label"] for lab in chart["xlabels"]][0] == "1990" and chart["xlabels"][-1]["label"] == "未知"
