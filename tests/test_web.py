"""The web UI through Flask's test client, over real indexes (no mocks of our own parts)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest

from indexer.analysis import normalize
from indexer.reports import report_id_for
from indexer.sources import path_key
from search.engine import search
from search.results import SearchRequest, to_json
from webui import SECURITY_HEADERS, create_app

from .conftest import SEEDS

# report ids derive from where the files live: compute them as the indexer does
SEED_001 = report_id_for(path_key(SEEDS / "001_ee0cd8f568fba525.txt"))   # Traditional; 關于攀枝花市東區…
SEED_003 = report_id_for(path_key(SEEDS / "003_b58f78ac1f665e0d.txt"))   # has tables
PROBE = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def app(seeds_index):
    return create_app(seeds_index)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def engine(app):
    return app.extensions["govsearch_engine"]


def text_of(resp) -> str:
    return resp.get_data(as_text=True)


def total_of(page: str) -> int:
    m = re.search(r"找到 <strong>(\d+)</strong> 个段落", page)
    assert m, "result count missing"
    return int(m.group(1))


def links(page: str, css_class: str) -> list[dict]:
    """<a class="...css_class..." href=... data-facet-value=...> as dicts."""
    out = []
    for m in re.finditer(r'<a class="([^"]*)" href="([^"]*)"([^>]*)>', page):
        if css_class in m.group(1).split():
            attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(3)))
            out.append({"class": m.group(1), "href": html.unescape(m.group(2)),
                        **{k: html.unescape(v) for k, v in attrs.items()}})
    return out


def params(url: str) -> dict:
    return parse_qs(urlsplit(url).query)


# --------------------------------------------------------------------------- routes

@pytest.mark.parametrize("url", [
    "/", "/?q=营商环境", "/?q=营商环境&by_report=1", "/?q=营商环境&sort=-year&page=2",
    "/?region=重庆市綦江区", "/reports", f"/reports/{SEED_001}", f"/reports/{SEED_003}?q=营商环境",
    f"/reports/{SEED_001}?script=简", "/api/search?q=营商环境", "/api/facets?q=营商环境",
    f"/api/reports/{SEED_001}", "/static/style.css", "/static/app.js",
])
def test_every_route_answers(client, url):
    r = client.get(url)
    assert r.status_code == 200, (url, text_of(r)[:300])
    assert client.head(url).status_code == 200


def test_landing_lists_reports(client):
    page = text_of(client.get("/"))
    assert 'role="search"' in page and '<label for="q">' in page and "autofocus" in page
    assert page.count("/reports/") >= 5
    assert "已收录 <strong>5</strong> 份报告" in page


def test_search_page_cards(client, engine):
    page = text_of(client.get("/?q=营商环境"))
    snap = engine.snapshot()
    with snap.searching() as s:                    # the oracle: a substring scan of every paragraph
        containing = [u for u in snap.units.all(s) if "营商环境" in normalize(u["text"])]
    assert total_of(page) == len(containing) > 10
    assert "<mark>营商环境</mark>" in page
    # each card links to its paragraph in its report, keeping the query
    hrefs = re.findall(r'href="(/reports/[0-9a-f]+\?q=[^"#]+#p-\d+)"', page)
    assert len(hrefs) >= 10
    assert "营商环境" in html.unescape(parse_qs(urlsplit(html.unescape(hrefs[0])).query)["q"][0])
    assert "四川省成都市金牛区 · 2024 · 讲话" in page          # region · year · type
    assert 'class="crumbs"' in page and "›" in page           # heading-path breadcrumb
    assert "毫秒" in page                                      # the time taken


def test_facet_toggle_narrows_and_chip_restores(client):
    page = text_of(client.get("/?q=营商环境"))
    total = total_of(page)
    region_links = [a for a in links(page, "fval") if "region" in params(a["href"])]
    assert region_links, "no region facet values"
    target = next(a for a in region_links if a["data-facet-value"] == "重庆市江北区")
    narrowed = text_of(client.get(target["href"]))
    assert total_of(narrowed) == 4 < total
    chips = links(narrowed, "chip")
    assert len(chips) == 1 and "重庆市江北区" in narrowed
    # the selected value is marked and its link removes the filter again
    on = [a for a in links(narrowed, "fval") if "on" in a["class"].split()]
    assert any(a["data-facet-value"] == "重庆市江北区" for a in on)
    restored = text_of(client.get(chips[0]["href"]))
    assert total_of(restored) == total
    assert not links(restored, "chip")
    # a second facet (type) narrows further, each chip removes only its own filter
    t = next(a for a in links(narrowed, "fval") if params(a["href"]).get("type") == ["计划报告"])
    both = text_of(client.get(t["href"]))
    assert len(links(both, "chip")) == 2
    assert params(t["href"])["region"] == ["重庆市江北区"]


LOCKED = 'title="由检索词中的字段条件选定"'       # a facet value the query text chose: shown, not a link


@pytest.mark.parametrize("typed,field,prefix", [("province=四川", "province", "四川"), ("region=重庆", "region", "重庆"),
                                                ("province=四川省&region=重庆", "region", "重庆")])
def test_a_filter_typed_as_people_say_it_is_an_ordinary_choice(client, engine, typed, field, prefix):
    """province=四川 (as the 关键词 and 对比 pages write it) ticks 四川省 like a click would: a
    link that unticks it by taking what was typed out of the URL; it once showed as chosen
    in the search box, a span nobody could untick."""
    whole = [(k, v) for k, v in parse_qsl(typed)]
    chosen = {getattr(h, field) for h in search(engine, SearchRequest(q="营商环境", limit=1000)).hits
              if getattr(h, field).startswith(prefix)}
    page = text_of(client.get("/?q=营商环境&" + typed))
    assert LOCKED not in page
    ticked = {a["data-facet-value"]: a for a in links(page, "fval")
              if a["data-facet"] == field and "on" in a["class"].split()}
    assert set(ticked) == chosen and all(a.get("aria-current") == "true" for a in ticked.values())
    left = [p for p in whole if p[0] != field or not p[1].startswith(prefix)]
    for a in ticked.values():                          # unticking takes the typed value out, nothing else
        assert parse_qsl(urlsplit(a["href"]).query) == [("q", "营商环境")] + left
    untick = next(iter(ticked.values()))["href"]
    assert total_of(text_of(client.get(untick))) == total_of(text_of(client.get("/?" + urlencode(
        [("q", "营商环境")] + left))))


def test_a_filter_in_the_query_text_stays_locked_in_the_facets(client):
    page = text_of(client.get("/?q=营商环境 省份:四川"))
    assert page.count(LOCKED) == 1
    assert not [a for a in links(page, "fval") if a["data-facet"] == "province" and "on" in a["class"].split()]


def test_region_facet_grouped_by_province(client):
    page = text_of(client.get("/?q=营商环境"))
    values = links(page, "fval")
    provinces = [a for a in values if "province" in params(a["href"])]
    assert {a["data-facet-value"] for a in provinces} == {"重庆市", "四川省"}
    # the province header comes before its regions
    order = [a["data-facet-value"] for a in values]
    assert order.index("重庆市") < order.index("重庆市綦江区") < order.index("四川省")


def test_sort_and_group_switches(client, engine):
    page = text_of(client.get("/?q=营商环境&sort=-year"))
    assert re.search(r'aria-current="true">年份从新到旧<', page)
    grouped = text_of(client.get("/?q=营商环境&by_report=1"))
    assert "分布在 <strong>5</strong> 份报告中" in grouped
    assert grouped.count('class="group"') == 5
    # "more": paragraphs, as the report page opened from it counts them (it said 处, which there
    # counts marks: 还有 2 处 led to 7 处（5 段）)
    more = re.findall(r'<h2 class="g-title"[^>]*><a href="([^"]+)">.*?本报告 (\d+) 个段落匹配(.*?)</li>\s*(?:<li class="group"|</ol>)',
                      grouped, re.S)
    linked = [(html.unescape(url), int(total), re.search(r"本报告还有 (\d+) 段匹配", rest)) for url, total, rest in more]
    assert any(m for _u, _t, m in linked)
    for url, total, m in linked:
        report = text_of(client.get(url))
        said = re.search(r"有 <strong class=\"find-total\">\d+</strong> 处（(\d+) 段）", report)
        assert said and int(said.group(1)) == total


def test_pagination_bounded(client):
    p1 = text_of(client.get("/?q=营商环境"))
    p2 = text_of(client.get("/?q=营商环境&page=2"))
    assert re.search(r'aria-current="page"[^>]*>2<', p2)
    assert 'rel="prev"' in p2 and 'rel="next"' in p1
    ids1 = set(re.findall(r"#p-\d+", p1))
    assert ids1 != set(re.findall(r"#p-\d+", p2))
    # far past the end: 200, no hits, and a way back
    r = client.get("/?q=营商环境&page=999999")
    assert r.status_code == 200
    assert "这一页没有结果" in text_of(r) and 'class="hit"' not in text_of(r)
    api = client.get("/api/search?q=营商环境&page=999999").get_json()
    assert api["hits"] == [] and api["total"] == 16
    # out of range: 400 with the parameter named, never a 500
    for bad in ("limit=-1", "limit=0", f"limit={10**9}", f"page={10**12}", "page=0", "page=abc",
                "sort=sideways"):
        r = client.get(f"/?q=营商环境&{bad}")
        assert r.status_code == 400, bad
        assert bad.split("=")[0] in text_of(r)
        j = client.get(f"/api/search?q=营商环境&{bad}")
        assert j.status_code == 400 and bad.split("=")[0] in j.get_json()["error"]


def test_junk_params_ignored(client):
    plain = total_of(text_of(client.get("/?q=营商环境")))
    r = client.get("/?q=营商环境&foo=bar&utm_source=x&page=&limit=&by_report=&%ff=%fe")
    assert r.status_code == 200 and total_of(text_of(r)) == plain
    assert "foo=bar" not in text_of(r)           # junk is not carried into links


@pytest.mark.parametrize("url", ["/?q=%ff%fe%fd", "/?q=%c3%28&region=%80", "/reports/%ff%fe",
                                 "/api/search?q=%ff", "/api/reports/%c3%28", "/?q=%00",
                                 "/?q=" + "营" * 5000])
def test_invalid_utf8_and_junk_never_500(client, url):
    r = client.get(url)
    assert r.status_code in (200, 400, 404), (url, r.status_code)


def test_empty_result_suggests_only_changes_that_find_something(client):
    r = client.get("/?q=营商环境 量子纠缠&type=讲话")
    page = text_of(r)
    assert r.status_code == 200 and total_of(page) == 0
    assert "没有找到匹配的段落" in page
    shown = re.findall(r'<li><a href="([^"]+)">(去掉[^<]+)</a>（(\d+) 个段落）', page)
    offered = {label for _u, label, _n in shown}
    for url, label, n in shown:              # every suggestion leads to the total it promises, never 0
        assert int(n) > 0 and total_of(text_of(client.get(html.unescape(url)))) == int(n), label
    # each relaxation not offered really finds nothing
    for q, params, label in (("营商环境 量子纠缠", "", "去掉筛选“类型：讲话”"),
                             ("量子纠缠", "&type=讲话", "去掉检索词“营商环境”"),
                             ("营商环境", "&type=讲话", "去掉检索词“量子纠缠”")):
        total = total_of(text_of(client.get(f"/?q={q}{params}")))
        assert (label in offered) == (total > 0), label
    assert "去掉检索词“量子纠缠”" in offered


# --------------------------------------------------------------------------- errors, methods

def test_syntax_error_is_400_beside_the_box(client):
    r = client.get("/?q=(营商环境")
    assert r.status_code == 400
    page = text_of(r)
    assert 'id="q-error"' in page and 'aria-invalid="true"' in page
    assert "括号不成对" in page
    assert 'value="(营商环境"' in page                   # the query stays in the box
    j = client.get("/api/search?q=(营商环境")
    assert j.status_code == 400 and "括号不成对" in j.get_json()["error"]
    assert j.get_json()["code"] == "unbalanced_parenthesis"
    assert client.get("/api/facets?q=(x").status_code == 400
    assert client.get("/?q=营商&year=twenty").status_code == 400


@pytest.mark.parametrize("url", [
    "/reports/0000000000000000", "/reports/../../etc/passwd", "/reports/%2e%2e%2f",
    "/reports/..%2f..%2fetc%2fpasswd", "/reports/a%20b", "/reports/" + "a" * 100, "/no/such/page",
])
def test_404_pages(client, url):
    r = client.get(url)
    assert r.status_code == 404
    assert "页面不存在" in text_of(r) or "没有这份报告" in text_of(r)


def test_api_404_is_json(client):
    r = client.get("/api/reports/0000000000000000")
    assert r.status_code == 404 and "error" in r.get_json()
    r = client.get("/api/reports/%2e%2e%2f")
    assert r.status_code == 404 and r.is_json


@pytest.mark.parametrize("url", ["/", "/api/search", "/api/facets", f"/reports/{SEED_001}",
                                 f"/api/reports/{SEED_001}"])
def test_only_get_and_head(client, url):
    for method in ("post", "put", "delete", "patch", "options"):
        r = getattr(client, method)(url)
        assert r.status_code == 405, (method, url)
        assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_missing_index_is_503_with_instructions(tmp_path):
    c = create_app(str(tmp_path / "nowhere")).test_client()
    r = c.get("/?q=营商环境")
    assert r.status_code == 503
    assert "govsearch index" in text_of(r) and "检索索引不可用" in text_of(r)
    assert c.get("/").status_code == 503
    j = c.get("/api/search?q=x")
    assert j.status_code == 503 and "没有索引" in j.get_json()["error"]


# --------------------------------------------------------------------------- API == to_json(search())

@pytest.mark.parametrize("query", [
    {"q": "营商环境"},
    {"q": "营商环境", "limit": "3", "page": "2"},
    {"q": "营商环境", "sort": "year"},
    {"q": "营商环境", "by_report": "1", "limit": "2"},
    {"q": "营商环境", "region": ["重庆市江北区", "重庆市綦江区"], "part": "回顾"},
    {"q": "\"高质量发展\" OR 数字经济", "year": "2020..2024"},
    {"province": "四川省"},
    {},
])
def test_api_search_equals_to_json(client, engine, query):
    r = client.get("/api/search", query_string=query)
    assert r.status_code == 200
    got = r.get_json()
    as_lists = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    req = SearchRequest.from_params(lambda k: as_lists.get(k, []),
                                    lambda k: (as_lists.get(k) or [None])[0])
    want = to_json(search(engine, req))
    got.pop("took_ms"), want.pop("took_ms")
    assert got == want
    facets = client.get("/api/facets", query_string=query).get_json()
    assert facets == want["facets"]


def test_api_report(client, engine):
    from search.reports import get_report

    from search.reports import found_in_report

    r = client.get(f"/api/reports/{SEED_001}?q=营商环境")
    found, problem = found_in_report(lambda req: search(engine, req), SEED_001, "营商环境", {}, "exact")
    assert found and problem is None
    assert r.get_json() == get_report(engine, SEED_001, q="营商环境", found=found).as_json()


# --------------------------------------------------------------------------- report page

def test_report_page_structure(client, engine):
    from search.reports import get_report

    view = get_report(engine, SEED_003)
    page = text_of(client.get(f"/reports/{SEED_003}"))
    anchors = set(map(int, re.findall(r'id="p-(\d+)"', page)))
    assert anchors == {u.para_no for u in view.units}          # every unit anchored, once
    # the outline links to heading anchors
    outline = re.search(r'<nav class="outline".*?</nav>', page, re.S).group(0)
    assert len(re.findall(r'href="#p-\d+"', outline)) == len(view.outline)
    assert re.search(r"<h2 id=\"p-\d+\" class=\"u-heading\">", page)
    assert re.search(r"<h3 id=\"p-\d+\" class=\"u-heading\">", page)
    # consecutive table rows form real tables with header cells
    assert "<table class=\"data\">" in page and '<th scope="col">类别</th>' in page
    assert re.search(r'<tr id="p-10"><td>发展综合质量效益</td>', page)
    # metadata and copy buttons (progressive: hidden until the script enables them)
    assert "重庆市綦江区" in page and "计划报告" in page and "seeds/003_b58f78ac1f665e0d.txt" in page
    assert page.count('class="cite"') > 50
    assert re.search(r'data-cite="《关于重庆市綦江区2023年[^"]*的报告》（2024年）第\d+段"', page)


def test_report_highlights_query(client):
    page = text_of(client.get(f"/reports/{SEED_003}?q=营商环境"))
    assert "<mark>营商环境</mark>" in page
    said = re.search(r"在本报告中有 <strong class=\"find-total\">(\d+)</strong> 处（(\d+) 段）", page)
    assert said and int(said.group(1)) == page.count("<mark>") >= int(said.group(2)) > 0


def _marked_paragraphs(page: str) -> set[int]:
    """The para_no of every block of the report page that holds a <mark>."""
    blocks = re.split(r'(?= id="p-\d+")', page)
    return {int(re.match(r' id="p-(\d+)"', b).group(1)) for b in blocks[1:] if "<mark>" in b}


@pytest.mark.parametrize("q,holds", [
    ("营商环境 -优化", lambda t: "营商环境" in t and "优化" not in t),
    ("营商环境 优化", lambda t: "营商环境" in t and "优化" in t),
    ('"营商环境" OR 市场主体', lambda t: "营商环境" in t or "市场主体" in t),
    ("营商环境 province:四川", lambda t: False),              # seed 003 is in 重庆
    ("增长 -预期性", lambda t: "增长" in t and "预期性" not in t),  # table rows among them
])
def test_a_report_reached_from_a_search_marks_what_the_search_found(client, engine, q, holds):
    """The report page marked and counted each term on its own: for 营商环境 -优化 it marked
    the paragraphs the search had left out for their 优化, and its count disagreed with the
    search's.  Expected: a scan of the report's own paragraphs."""
    from search.reports import get_report

    units = get_report(engine, SEED_003).units
    want = {u.para_no for u in units if holds(normalize(u.text))}
    page = text_of(client.get(f"/reports/{SEED_003}", query_string={"q": q}))
    assert _marked_paragraphs(page) == want
    said = re.search(r"在本报告中有 <strong class=\"find-total\">(\d+)</strong> 处（(\d+) 段）", page)
    assert (int(said.group(2)) if said else 0) == len(want)
    if not want:
        assert "在本报告中没有匹配" in page


def test_table_rows_the_search_left_out_are_not_marked(client, engine):
    """A table row was marked whenever it held a term, though the search had left it out
    (地区生产总值 -比重 on seed 004: 18 段 marked where the search finds 13)."""
    from search.reports import get_report

    seed_004 = report_id_for(path_key(SEEDS / "004_75b1283dda5df6ce.txt"))
    units = get_report(engine, seed_004).units
    want = {u.para_no for u in units if "地区生产总值" in normalize(u.text) and "比重" not in normalize(u.text)}
    rows_left_out = {u.para_no for u in units if u.kind == "table_row" and "比重" in normalize(u.text)
                     and "地区生产总值" in normalize(u.text)}
    assert want and rows_left_out
    page = text_of(client.get(f"/reports/{seed_004}", query_string={"q": "地区生产总值 -比重"}))
    assert _marked_paragraphs(page) == want


def test_a_report_page_applies_the_filters_of_the_search_it_was_opened_from(client, engine):
    """Hit links carry the search's URL filters (part=部署): the page marked every 营商环境 in
    the report, the paragraphs the filter had left out too."""
    from search.reports import get_report

    units = get_report(engine, SEED_003).units
    want = {u.para_no for u in units if "营商环境" in normalize(u.text) and u.part == "部署"}
    page = text_of(client.get(f"/reports/{SEED_003}", query_string={"q": "营商环境", "part": "部署"}))
    assert want and _marked_paragraphs(page) == want
    assert want != {u.para_no for u in units if "营商环境" in normalize(u.text)}


def test_a_find_that_cannot_run_says_why(client):
    page = text_of(client.get(f"/reports/{SEED_003}", query_string={"find": "(营商"}))
    assert "括号不成对" in page and "<mark>" not in page
    r = client.get(f"/api/reports/{SEED_003}", query_string={"find": "(营商"})
    assert r.status_code == 400 and r.get_json()["code"] == "unbalanced_parenthesis"


def test_report_script_switch(client):
    trad = text_of(client.get(f"/reports/{SEED_001}?q=营商环境"))
    assert "<h1 id=\"report-title\">關于攀枝花市東區" in trad
    link = re.search(r'<a href="([^"]+)"[^>]*>简体</a>', trad).group(1)
    assert params(html.unescape(link)) == {"q": ["营商环境"], "script": ["简"]}
    simp = text_of(client.get(html.unescape(link)))
    assert "<h1 id=\"report-title\">关于攀枝花市东区" in simp
    assert "<mark>" in simp and "自动转换" in simp
    assert "東區" not in re.search(r'<article.*</article>', simp, re.S).group(0)
    # a Simplified report has no switch
    assert "繁体原文" not in text_of(client.get(f"/reports/{SEED_003}"))


def test_a_report_opened_from_grouped_results_leads_back_to_them(client):
    """The report a group links to carries the search whole, through 简体 and back."""
    start = [("q", "营商环境"), ("region", "四川"), ("sort", "year"), ("by_report", "1"), ("limit", "10")]
    page = text_of(client.get("/?" + urlencode(start)))
    opened = html.unescape(re.search(rf'<h2 class="g-title"[^>]*><a href="(/reports/{SEED_001}[^"]*)"', page).group(1))
    report = text_of(client.get(opened))
    back = html.unescape(re.search(r'<p class="back"><a href="([^"]*)">← 返回“营商环境”的检索结果', report).group(1))
    assert urlsplit(back).path == "/" and parse_qsl(urlsplit(back).query) == start
    simplified = html.unescape(re.search(r'<a href="([^"]+)"[^>]*>简体</a>', report).group(1))
    assert parse_qsl(urlsplit(simplified).query) == start + [("script", "简")]
    again = text_of(client.get(simplified))
    assert html.unescape(re.search(r'<p class="back"><a href="([^"]*)"', again).group(1)) == back
    assert total_of(text_of(client.get(back))) == total_of(page)


# --------------------------------------------------------------------------- security

def test_security_headers_everywhere(client):
    for url in ("/", "/?q=营商环境", "/?q=(", f"/reports/{SEED_001}", "/reports/nope", "/api/search",
                "/api/search?limit=-1", "/static/style.css", "/static/app.js"):
        r = client.get(url)
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (url, name)
    assert client.post("/").headers.get("X-Frame-Options") == "DENY"


def test_no_inline_script_or_style_and_no_external_urls(client):
    for url in ("/", "/?q=营商环境", "/?q=营商环境&by_report=1", f"/reports/{SEED_003}?q=营商环境",
                "/reports/nope"):
        page = text_of(client.get(url))
        assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", page))
        assert not re.search(r"<style|\sstyle=|\son\w+=", page), url
        assert not re.search(r'(?:src|href|action)="(?:https?:)?//', page), url


def test_query_probe_is_escaped(client):
    for url in (f"/?q={PROBE}", f"/?q=营商环境 {PROBE}", f"/?q=营商环境&region={PROBE}",
                f"/reports/{SEED_001}?q={PROBE}", f"/?q=营商环境&sort={PROBE}"):
        page = text_of(client.get(url))
        assert "<img" not in page, url
        assert "&lt;img" in page or "&#34;&gt;&lt;img" in page or "img src" not in page, url
    j = client.get("/api/search", query_string={"q": f"营商环境 OR {PROBE}"}).get_json()
    assert all("<img" not in h["highlight"] for h in j.get("hits", []))


@pytest.fixture(scope="module")
def probe_client(tmp_path_factory):
    from indexer.writer import index_paths

    d = tmp_path_factory.mktemp("probe")
    (d / "src").mkdir()
    (d / "src" / "probe.txt").write_text(
        "测试市2024年政府工作报告\n"
        "（2024年1月10日在测试市第一届人民代表大会第一次会议上）\n"
        "各位代表：\n"
        "一、2023年工作回顾\n"
        "我们持续优化营商环境<script>alert(1)</script>，市场主体活力明显增强。\n"
        "二、2024年重点工作\n"
        "坚持稳中求进，推动高质量发展<img src=x onerror=alert(2)>。\n", encoding="utf-8")
    run = index_paths(str(d / "ix"), [str(d / "src")])
    assert not run.failed and run.added == 1
    return create_app(str(d / "ix")).test_client()


def test_report_markup_in_text_stays_text(probe_client):
    c = probe_client
    for url in ("/?q=alert", "/?q=营商环境&by_report=1", "/?q=script"):
        page = text_of(c.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page, url
    page = text_of(c.get("/?q=营商环境"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rid = re.search(r'href="/reports/([0-9a-f]+)', page).group(1)
    report = text_of(c.get(f"/reports/{rid}?q=alert"))
    assert "<script>alert" not in report and "<img src=x" not in report
    assert "&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;" in report
    assert "&lt;img src=x onerror=<mark>alert</mark>(2)&gt;" in report
    j = c.get("/api/search?q=alert").get_json()
    assert j["total"] == 2 and all("<script>" not in h["highlight"] and "<img" not in h["highlight"]
                                    for h in j["hits"])


def test_corpus_facets_and_paging(corpus_index):
    c = create_app(corpus_index).test_client()
    page = text_of(c.get("/?q=营商环境&limit=5"))
    total = total_of(page)
    assert total > 50
    provinces = {a["data-facet-value"] for a in links(page, "fval") if "province" in params(a["href"])}
    assert len(provinces) >= 20
    # page numbers are a bounded window with gaps, and the current page is marked
    mid = text_of(c.get("/?q=营商环境&limit=5&page=6"))
    pager = re.search(r'<nav class="pager".*?</nav>', mid, re.S).group(0)
    numbers = [int(n) for n in re.findall(r'aria-label="第 (\d+) 页', pager)]
    assert numbers[0] == 1 and 6 in numbers and len(numbers) <= 7 and "…" in pager
    level = next(a for a in links(page, "fval") if params(a["href"]).get("level") == ["省级"])
    assert 0 < total_of(text_of(c.get(level["href"]))) < total


def test_no_answer_shows_the_servers_path_of_a_report(tmp_path):
    """An index made from an absolute folder keeps that path to find the files again;
    the JSON, the exports and the pages name a report's file as its readers know it."""
    import shutil
    import subprocess
    import sys

    from .conftest import ROOT

    folder = tmp_path / "secret-server-dir" / "seeds"
    shutil.copytree(SEEDS, folder)
    done = subprocess.run([sys.executable, "-m", "cli", "index", str(folder.resolve()), "--index",
                           str(tmp_path / "ix")], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    client = create_app(str(tmp_path / "ix")).test_client()
    found = client.get("/api/search?q=发展&limit=100").get_json()
    assert found["total"] > 0
    report_id = found["hits"][0]["report_id"]
    answers = {}
    for url in ("/api/search?q=发展&limit=100", f"/api/reports/{report_id}", "/?q=发展",
                f"/reports/{report_id}", "/reports", "/export?q=发展&format=csv", "/export?q=发展&format=jsonl"):
        answer = client.get(url)
        answers[url] = (answer.status_code, answer.get_data(as_text=True))    # read before the next
    assert all(status == 200 for status, _ in answers.values()), answers.keys()
    assert all("secret-server-dir" not in body for _, body in answers.values())
    # nor does the report list's filter find the server's folders, only what readers see
    listed = {name: client.get(f"/reports?filter={name}").get_data(as_text=True).count("/reports/")
              for name in ("secret-server-dir", "seeds/00")}
    assert listed["secret-server-dir"] < listed["seeds/00"]
    assert {h["source"] for h in found["hits"]} <= {f"seeds/{p.name}" for p in SEEDS.glob("*.txt")}


# --------------------------------------------------------------------------- 全部报告, filtered as typed

@pytest.fixture(scope="module")
def corpus_client(corpus_index):
    return create_app(corpus_index).test_client()


def _listed(client, **params) -> int:
    page = text_of(client.get("/reports", query_string=params))
    return int(re.search(r"符合条件的 <strong>(\d+)</strong> 份", page).group(1))


def test_the_report_list_reads_its_filters_as_search_does(corpus_client, corpus_units):
    """filter=成都金牛 and 攀枝花东区 listed nothing (search reads both), nor did 四川 预算 or
    重庆 计划 (the words were one string), type=计划 and level=区县级 (the spellings search takes)."""
    reports = {u["report_id"]: u for u in corpus_units}.values()
    assert _listed(corpus_client, filter="成都金牛") == sum(r["region"] == "四川省成都市金牛区" for r in reports) == 1
    assert _listed(corpus_client, filter="攀枝花东区") == sum(r["region"] == "四川省攀枝花市东区" for r in reports) == 1
    assert _listed(corpus_client, filter="重庆 计划") == \
        sum(r["region"].startswith("重庆") and r["type"] == "计划报告" for r in reports) > 0
    assert _listed(corpus_client, type="计划") == sum(r["type"] == "计划报告" for r in reports) > 0
    assert _listed(corpus_client, level="区县级") == sum(r["level"] == "县区级" for r in reports) > 0
    assert _listed(corpus_client, year="2023-2024") == sum(r["year"] in (2023, 2024) for r in reports) > 0


def test_the_report_list_refuses_a_year_it_cannot_read(corpus_client):
    r = corpus_client.get("/reports?year=abc")
    assert r.status_code == 400 and "年份（year）“abc”无法识别" in text_of(r)


def test_unticking_a_facet_chosen_exactly_and_as_typed_takes_both_out(corpus_client):
    """province=四川&province=四川省: the ticked 四川省 linked to province=四川, so it stayed ticked."""
    page = text_of(corpus_client.get("/", query_string=[("q", "营商环境"), ("province", "四川"), ("province", "四川省")]))
    urls = re.findall(r'<a class="fval on" href="([^"]+)" data-facet-value="四川省" data-facet="province"', page)
    urls = [html.unescape(u) for u in urls]
    assert urls, "no link for 四川省"
    for url in urls:
        assert "province" not in parse_qs(urlsplit(url).query), url
