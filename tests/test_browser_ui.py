"""The web UI's second pass in a real Chromium at 1366 and 390 px, over the seeds and the
31 provincial reports: multi-select facets, the phone's 筛选 panel, paging, search inside
a report, the report list, browsing from ¶1, and the small things.

Expected values come from oracles: substring counts over the units' stored, normalised
texts, and the official GB/T 2260 order written out by hand below.
"""

from __future__ import annotations

import collections
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from .test_browser import browser, watched  # noqa: F401  (fixtures shared with the first pass)
from .test_indicators_browser import base_url  # noqa: F401  (the real server over the corpus index)

pytestmark = pytest.mark.browser

DESKTOP, PHONE = (1366, 900), (390, 844)
PHONE_375 = (375, 812)                  # the smallest phone the tester used
SIZES = pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
TERM = "营商环境"                       # no synonym group: its oracle is a plain substring count
# the province-level divisions in GB/T 2260 code order, written out (the oracle for 全部报告)
GBT_2260 = ("北京市 天津市 河北省 山西省 内蒙古自治区 辽宁省 吉林省 黑龙江省 上海市 江苏省 浙江省 安徽省 福建省 "
            "江西省 山东省 河南省 湖北省 湖南省 广东省 广西壮族自治区 海南省 重庆市 四川省 贵州省 云南省 西藏自治区 "
            "陕西省 甘肃省 青海省 宁夏回族自治区 新疆维吾尔自治区").split()


@pytest.fixture(scope="module")
def units(corpus_units) -> list[dict]:
    return [{**u, "para_no": int(u["para_no"])} for u in corpus_units]


def total(page) -> int:
    return int(re.search(r"找到\s*(\d+)\s*个段落", page.locator("p.count").inner_text()).group(1))


def shot(page, artifacts_dir, name: str, size) -> None:
    page.screenshot(path=str(artifacts_dir / f"ui-{name}-{size[0]}.png"), full_page=False)


def open_facets(page, size) -> None:
    """On a phone the facets open as a panel from the 筛选 button."""
    if size == PHONE:
        page.locator("a.filter-open").click()
        page.locator("aside#facets").wait_for(state="visible")


# ---------------------------------------------------------------- 1. multi-select facets

@SIZES
def test_a_second_province_widens_the_results_and_both_stay_checked(watched, base_url, units, size, artifacts_dir):
    with_term = [u for u in units if TERM in u["norm"]]
    by_province = collections.Counter(u["province"] for u in with_term)
    first, second = [p for p, _ in by_province.most_common(2)]
    page = watched(*size)
    page.goto(f"{base_url}/?q={TERM}")
    assert total(page) == len(with_term)

    open_facets(page, size)
    page.locator(f"a.fval[data-facet=province][data-facet-value='{first}']").click()
    page.wait_for_load_state()
    assert total(page) == by_province[first]
    open_facets(page, size)
    other = page.locator(f"a.fval[data-facet=province][data-facet-value='{second}']")
    # the other province is still offered, with what choosing it adds
    assert int(other.locator(".fcount").inner_text()) == by_province[second]
    other.click()
    page.wait_for_load_state()
    assert total(page) == by_province[first] + by_province[second]
    open_facets(page, size)
    for name in (first, second):
        value = page.locator(f"a.fval[data-facet=province][data-facet-value='{name}']")
        assert value.get_attribute("aria-current") == "true" and "on" in value.get_attribute("class")
    shown = page.locator("a.fval[data-facet=province]").count()
    assert shown == len(by_province)                  # every province stays visible
    shot(page, artifacts_dir, "two-provinces", size)
    two_url = page.url
    # a checked value unchecks: back to the other one alone
    page.locator(f"a.fval[data-facet=province][data-facet-value='{first}']").click()
    page.wait_for_load_state()
    assert total(page) == by_province[second]
    page.goto(two_url)                                  # 清除全部筛选: the query alone again
    page.locator("a.chips-clear").click()
    page.wait_for_load_state()
    assert total(page) == len(with_term) and page.locator("ul.chips").count() == 0


def test_region_facet_by_name_follows_the_official_order(watched, base_url, artifacts_dir):
    page = watched(*DESKTOP)
    page.goto(f"{base_url}/?q=发展")
    page.locator(".facet-order a", has_text="按名称").click()
    page.wait_for_load_state()
    heads = page.locator("section.facet:has(#facet-region) li.fgroup > a.fval[data-facet=province]") \
        .evaluate_all("els => els.map(e => e.dataset.facetValue)")
    # the first twelve in sight, the rest one click away
    assert page.locator("section.facet:has(#facet-region) li.fgroup > a.fval[data-facet=province]:visible").count() == 12
    page.locator("section.facet:has(#facet-region) details.fmore summary").click()
    official = [p for p in GBT_2260 if p in heads]
    assert heads == official and len(heads) == 31
    shot(page, artifacts_dir, "region-by-name", DESKTOP)


# ---------------------------------------------------------------- 2. a phone-sized screen

def test_the_filter_panel_opens_on_a_phone(watched, base_url, artifacts_dir):
    page = watched(*PHONE)
    page.goto(f"{base_url}/?q={TERM}")
    opener = page.locator("a.filter-open")
    assert opener.is_visible() and opener.bounding_box()["y"] < PHONE[1]      # reachable without scrolling
    assert page.locator("aside#facets").bounding_box()["y"] > PHONE[1]         # the facets are far below
    opener.click()
    panel = page.locator("aside#facets")
    box = panel.bounding_box()
    assert box["y"] == 0 and box["width"] == PHONE[0] and box["height"] >= PHONE[1] - 1
    assert opener.get_attribute("aria-expanded") == "true"
    assert page.evaluate("() => document.activeElement.id") == "facets"
    first_value = panel.locator("a.fval").first
    assert first_value.is_visible() and first_value.bounding_box()["y"] < PHONE[1]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    shot(page, artifacts_dir, "filter-panel", PHONE)
    panel.locator("button.facets-close").click()
    assert page.locator("aside#facets").bounding_box()["y"] > PHONE[1]
    assert opener.get_attribute("aria-expanded") == "false"
    # without the panel open, Escape does nothing; opened, it closes
    opener.click()
    page.keyboard.press("Escape")
    assert page.locator("aside#facets").bounding_box()["y"] > PHONE[1]


# points across the panel's sticky header that hit something outside it (a facet below it)
OUTSIDE_HEAD = """() => { const h = document.querySelector('.facets-head').getBoundingClientRect(); const out = [];
  for (let x = h.left + 1; x < h.right - 1; x += 4) for (const y of [h.top + 2, (h.top + h.bottom) / 2, h.bottom - 2]) {
    const e = document.elementFromPoint(x, y); if (!e || !e.closest('.facets-head')) out.push([x, y]); }
  return out; }"""
H2_CENTRE_OUTSIDE = """() => { const r = document.getElementById('facets-h').getBoundingClientRect();
  const e = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2); return !e.closest('.facets-head'); }"""


def test_the_filter_panels_header_stays_on_top_of_its_scrolled_facets(watched, base_url, artifacts_dir):
    """Once the panel scrolls, the facets pass under its sticky header: the header is what a
    finger on it touches (a tap on 筛选 once switched on a facet hidden beneath it)."""
    page = watched(*PHONE_375, has_touch=True)
    page.goto(f"{base_url}/?q={TERM}")
    page.locator("a.filter-open").tap()
    panel = page.locator("aside#facets")
    panel.wait_for(state="visible")
    start = page.url
    room = panel.evaluate("p => p.scrollHeight - p.clientHeight")
    assert room > 1000                                    # a long panel: there is something to scroll
    tops = range(0, room, 10)
    # a tap on the heading where a facet would lie under it, if anywhere
    risky = next((t for t in tops if panel.evaluate(f"p => {{ p.scrollTop = {t}; }}") is None
                  and page.evaluate(H2_CENTRE_OUTSIDE)), 400)
    panel.evaluate(f"p => {{ p.scrollTop = {risky}; }}")
    box = page.locator("#facets-h").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    assert page.url == start and panel.is_visible()
    shot(page, artifacts_dir, "panel-head-on-top", PHONE_375)
    for top in tops:
        panel.evaluate(f"p => {{ p.scrollTop = {top}; }}")
        assert page.evaluate(OUTSIDE_HEAD) == [], top


# the panel's controls a keyboard can reach, in document order, each as its index among the panel's elements
PANEL_CONTROLS = """p => { const all = [...p.querySelectorAll('*')];
  return [...p.querySelectorAll('a[href], button, summary')].filter(e => e.checkVisibility())
    .map(e => all.indexOf(e)); }"""
FOCUSED = """p => { const a = document.activeElement; return p.contains(a) && a !== p ? [...p.querySelectorAll('*')].indexOf(a) : null; }"""


def test_the_open_filter_panel_holds_keyboard_focus(watched, base_url, artifacts_dir):
    """Open over the whole page, the panel is a modal dialog: Tab goes round its own
    controls and never to the page hidden under it; Escape closes it and focus returns."""
    page = watched(*PHONE_375)
    page.goto(f"{base_url}/?q={TERM}")
    opener = page.locator("a.filter-open")
    opener.focus()
    page.keyboard.press("Enter")
    panel = page.locator("aside#facets")
    panel.wait_for(state="visible")
    assert panel.get_attribute("role") == "dialog" and panel.get_attribute("aria-modal") == "true"
    controls = panel.evaluate(PANEL_CONTROLS)
    assert len(controls) > 20
    seen = []
    for _ in range(len(controls) + 1):
        page.keyboard.press("Tab")
        seen.append(panel.evaluate(FOCUSED))
    assert seen == controls + controls[:1]            # every control once, then round to the first
    page.keyboard.press("Shift+Tab")
    assert panel.evaluate(FOCUSED) == controls[-1]    # and back round to the last
    shot(page, artifacts_dir, "panel-focus", PHONE_375)
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.classList.contains('filter-open')")
    assert panel.get_attribute("role") is None and panel.get_attribute("aria-modal") is None
    page.keyboard.press("Tab")                        # closed, the panel holds nothing
    assert panel.evaluate(FOCUSED) is None


def test_citation_buttons_do_not_take_a_column_on_a_phone(watched, base_url, units, artifacts_dir):
    report_id = next(u["report_id"] for u in units if u["province"] == "辽宁省")
    page = watched(*PHONE)
    page.goto(f"{base_url}/reports/{report_id}")
    unit = page.locator("div.unit").nth(3)
    text, whole = unit.locator(".u-text").bounding_box(), unit.bounding_box()
    assert text["width"] >= 0.9 * whole["width"]
    cite = unit.locator("button.cite")
    assert cite.is_visible() and cite.bounding_box()["y"] >= text["y"] + text["height"] - 1   # beneath the text
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE[0]
    shot(page, artifacts_dir, "report-cite", PHONE)


# ---------------------------------------------------------------- 3. paging and size

@SIZES
def test_page_size_json_link_and_jump_to_a_page(watched, base_url, units, size, artifacts_dir):
    term = "发展"
    matching = sum(1 for u in units if term in u["norm"])
    assert matching > 200
    page = watched(*size)
    page.goto(f"{base_url}/?q={term}&match=exact")
    page.locator(".page-size a[data-size='50']").click()
    page.wait_for_load_state()
    assert "limit=50" in page.url and page.locator("li.hit").count() == 50
    assert total(page) >= matching          # synonyms of 发展 may add more, never fewer
    shown_ids = page.locator("li.hit p.goto a").evaluate_all("els => els.map(e => e.getAttribute('href'))")

    link = page.locator("a.data-link[data-format=JSON]")
    assert link.is_visible()
    data = page.request.get(base_url + link.get_attribute("href")).json()
    assert data["limit"] == 50 and data["total"] == total(page) and len(data["hits"]) == 50
    assert [f"#p-{h['para_no']}" for h in data["hits"]] == [re.search(r"#p-\d+$", u).group() for u in shown_ids]

    last = -(-total(page) // 50)
    box = page.locator("form.jump input[name=page]")
    assert box.get_attribute("max") == str(last)
    box.fill("3")
    box.press("Enter")
    page.wait_for_load_state()
    assert "page=3" in page.url and "limit=50" in page.url
    assert page.locator("ol.hits").get_attribute("start") == "101" and page.locator("li.hit").count() == 50
    shot(page, artifacts_dir, "page-size-50", size)


# ---------------------------------------------------------------- 4. inside a report

def _report_with_matches(units, term: str, least: int):
    """A report where the term occurs at least ``least`` times, never twice in a row
    (touching occurrences are marked as one run), and its oracle count."""
    counts = collections.Counter()
    for u in units:
        counts[u["report_id"]] += u["norm"].count(term)
    doubled = {u["report_id"] for u in units if term + term in u["norm"]}
    rid, n = next((r, n) for r, n in counts.most_common() if n >= least and r not in doubled)
    return rid, n


@SIZES
def test_search_inside_a_report_steps_through_every_match(watched, base_url, units, size, artifacts_dir):
    rid, expected = _report_with_matches(units, TERM, 6)
    first_para = min(u["para_no"] for u in units if u["report_id"] == rid and TERM in u["norm"])
    page = watched(*size)
    page.goto(f"{base_url}/reports/{rid}")
    page.locator("#find-q").fill(TERM)
    page.locator("#find-q").press("Enter")
    page.wait_for_load_state()
    status = page.locator("form.find p.matches").inner_text()
    assert f"在本报告中有 {expected} 处" in status           # no stray space before 有
    marks = page.locator("article.report mark")
    assert marks.count() == expected
    seen = []
    for step in range(expected):
        page.locator("button.find-next").click()
        current = page.locator("article.report mark.current")
        assert current.count() == 1
        index = marks.evaluate_all("(els) => els.findIndex(e => e.classList.contains('current'))")
        seen.append(index)
        box = current.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= size[1]          # scrolled into view
        assert f"当前第 {step + 1} / {expected} 处" in page.locator("form.find p.matches").inner_text()
    assert seen == list(range(expected))
    page.locator("button.find-next").click()                                 # wraps to the first
    assert marks.evaluate_all("(els) => els.findIndex(e => e.classList.contains('current'))") == 0
    page.locator("button.find-prev").click()                                 # and back to the last
    assert marks.evaluate_all("(els) => els.findIndex(e => e.classList.contains('current'))") == expected - 1
    assert page.locator("a.find-first").get_attribute("href") == f"#p-{first_para}"
    shot(page, artifacts_dir, "find-in-report", size)


def test_arriving_from_a_hit_marks_every_match(watched, base_url, units, artifacts_dir):
    rid, expected = _report_with_matches(units, TERM, 4)
    page = watched(*DESKTOP)
    page.goto(f"{base_url}/?q={TERM}&report_id={rid}")
    link = page.locator("li.hit p.goto a").nth(1)
    para = re.search(r"#p-(\d+)$", link.get_attribute("href")).group(1)
    link.click()
    page.wait_for_load_state()
    marks = page.locator("article.report mark")
    assert marks.count() == expected
    outside = page.locator(f"article.report :is(.unit, h2, h3, h4, h5, h6, tr, p.u-title):not(#p-{para}) mark")
    assert outside.count() > 0
    current = page.locator("article.report mark.current")
    assert current.count() == 1 and current.evaluate(f"e => !!e.closest('#p-{para}')")
    assert page.locator("#find-q").input_value() == TERM
    shot(page, artifacts_dir, "arrive-from-hit", DESKTOP)


# where a paragraph lies against the sticky 查找 bar: [its top, the bar's bottom, the bar's height]
AGAINST_BAR = """id => { const bar = document.querySelector('form.find').getBoundingClientRect();
  return [document.getElementById(id).getBoundingClientRect().top, bar.bottom, bar.height]; }"""
# ten terms OR-ed: the status line repeats them and wraps, and the bar grows on a wide screen too
LONG_FIND = " OR ".join([TERM, "低空经济", "新质生产力", "人工智能", "数字经济", "消费", "投资", "就业", "养老", "教育"])


@pytest.mark.parametrize("size,script,find", [(PHONE_375, True, TERM), (PHONE_375, False, TERM),
                                              (DESKTOP, True, LONG_FIND)], ids=["375", "375-noscript", "1366-long"])
def test_the_paragraph_opened_from_a_hit_lands_below_the_find_bar(watched, base_url, units, size, script, find,
                                                                   artifacts_dir):
    rid, _n = _report_with_matches(units, TERM, 6)
    paras = sorted(u["para_no"] for u in units if u["report_id"] == rid and TERM in u["norm"])
    para = paras[len(paras) // 2]                     # far enough down that the page scrolls to it
    page = watched(*size, java_script_enabled=script)
    page.goto(f"{base_url}/reports/{rid}?q={find}#p-{para}")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)
    top, bar_bottom, bar_height = page.evaluate(AGAINST_BAR, f"p-{para}")
    assert bar_height > 90                           # taller than the fixed margin it once had
    assert top >= bar_bottom - 0.5, (top, bar_bottom)
    if script:                                       # the current match is seen, not the bar over it
        assert page.locator("article.report mark.current").evaluate(
            "m => { const r = m.getBoundingClientRect(); const e = document.elementFromPoint(r.left + r.width / 2,"
            " r.top + r.height / 2); return m.contains(e); }")
    shot(page, artifacts_dir, f"hit-below-bar{'' if script else '-noscript'}", size)


def test_outline_links_land_below_the_find_bar_as_the_window_changes(watched, base_url, units, artifacts_dir):
    rid, _n = _report_with_matches(units, TERM, 6)
    page = watched(*DESKTOP)
    page.goto(f"{base_url}/reports/{rid}?q={LONG_FIND}")
    links = page.locator("nav.outline a")
    assert links.count() >= 2
    for size, link in ((DESKTOP, links.nth(links.count() - 1)), (PHONE_375, links.nth(1)), ((320, 700), links.nth(0))):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.wait_for_timeout(100)
        target = link.get_attribute("href")[1:]
        link.click()
        page.wait_for_timeout(200)
        top, bar_bottom, _h = page.evaluate(AGAINST_BAR, target)
        assert top >= bar_bottom - 0.5, (size, target, top, bar_bottom)
    shot(page, artifacts_dir, "outline-below-bar", (320, 700))


# a narrowed, paged and ordered search: its state in the order the page writes it
NARROWED = [("q", TERM), ("province", "广东省"), ("province", "浙江省"), ("province", "四川"), ("match", "words"),
            ("sort", "-year"), ("limit", "10"), ("page", "2")]


def test_back_to_the_results_keeps_the_whole_search(watched, base_url, artifacts_dir):
    """← 返回“…”的检索结果 leads to the results the hit was opened from: filters, page,
    page size, order and matching as they were (it kept only q and match)."""
    page = watched(*DESKTOP)
    page.goto(f"{base_url}/?{urlencode(NARROWED)}")
    before, shown = total(page), page.locator("li.hit p.goto a").evaluate_all("els => els.map(e => e.href)")
    assert before > 10 and shown                      # a second page with hits on it
    page.locator("li.hit h2.h-title a").nth(len(shown) // 2).click()
    page.wait_for_load_state()
    back = page.locator("p.back a")
    assert back.inner_text() == f"← 返回“{TERM}”的检索结果"
    # the find box keeps it too: a search inside the report, then back
    page.locator("#find-q").fill("发展")
    page.locator("#find-q").press("Enter")
    page.wait_for_load_state()
    page.locator("p.back a").click()
    page.wait_for_load_state()
    assert parse_qsl(urlsplit(page.url).query) == NARROWED
    assert total(page) == before
    assert page.locator("li.hit p.goto a").evaluate_all("els => els.map(e => e.href)") == shown
    shot(page, artifacts_dir, "back-to-results", DESKTOP)


# ---------------------------------------------------------------- 5. the list of reports

@SIZES
def test_report_list_sorts_and_filters_in_the_official_order(watched, base_url, units, size, artifacts_dir):
    page = watched(*size)
    page.goto(f"{base_url}/reports")

    def column(i: int) -> list[str]:
        return page.locator(f"table.reports tbody tr td:nth-child({i})").evaluate_all(
            "els => els.map(e => e.textContent.trim())")

    regions = column(1)
    provinces = [r for r in regions if r in GBT_2260]
    assert provinces == [p for p in GBT_2260 if p in provinces] and len(provinces) == 31
    assert page.locator("th[aria-sort=ascending] a", has_text="地区").count() == 1
    shot(page, artifacts_dir, "reports", size)

    page.locator("th a.sort[data-sort=units]").click()
    page.wait_for_load_state()
    counts = [int(x) for x in column(5)]
    assert counts == sorted(counts, reverse=True)
    page.locator("th a.sort[data-sort=units]").click()
    page.wait_for_load_state()
    counts = [int(x) for x in column(5)]
    assert counts == sorted(counts)

    page.locator("#rf-text").fill("四川")
    page.locator("#rf-text").press("Enter")
    page.wait_for_load_state()
    expected = {u["report_id"] for u in units if "四川" in u["region"]}
    assert set(column(1)) == {u["region"] for u in units if u["report_id"] in expected}
    assert len(column(1)) == len(expected)
    page.goto(f"{base_url}/reports")
    page.locator("#rf-year").select_option("2024")
    page.locator("form.report-filter button").click()
    page.wait_for_load_state()
    assert set(column(2)) == {"2024"}
    assert len(column(2)) == len({u["report_id"] for u in units if str(u.get("year")) == "2024"})


# ---------------------------------------------------------------- 6. browsing without a query

@SIZES
def test_browsing_lists_each_report_from_its_start(watched, base_url, units, size, artifacts_dir):
    province = "四川省"
    reports = collections.defaultdict(list)
    for u in units:
        if u["province"] == province:
            reports[u["report_id"]].append(u["para_no"])
    page = watched(*size)
    page.goto(f"{base_url}/?province={province}")
    hrefs = page.locator("li.hit p.goto a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    pairs = [(re.search(r"/reports/(\w+)", h).group(1), int(re.search(r"#p-(\d+)$", h).group(1))) for h in hrefs]
    rid = pairs[0][0]
    assert [p for _, p in pairs] == sorted(reports[rid])[:len(pairs)]
    page.locator(".switch a", has_text="按报告分组").click()
    page.wait_for_load_state()
    for group in page.locator("li.group").all():
        href = group.locator("p.goto a").first.get_attribute("href")
        rid = re.search(r"/reports/(\w+)", href).group(1)
        assert href.endswith(f"#p-{min(reports[rid])}")
    shot(page, artifacts_dir, "browse", size)


# ---------------------------------------------------------------- 7. small things

@SIZES
def test_traditional_snippets_skip_link_and_no_stolen_focus(watched, base_url, units, size, artifacts_dir):
    traditional = {u["report_id"] for u in units if u["script"] == "繁"}
    assert traditional
    page = watched(*size)
    page.goto(f"{base_url}/?q={TERM}&limit=100")
    assert page.evaluate("() => document.activeElement === document.body")        # no autofocus
    for hit in page.locator("li.hit").all():
        rid = re.search(r"/reports/(\w+)", hit.locator("p.goto a").get_attribute("href")).group(1)
        lang = hit.locator("p.frag").get_attribute("lang")
        assert lang == ("zh-Hant" if rid in traditional else None)
    assert page.locator("li.hit p.frag[lang=zh-Hant]").count() > 0
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "跳到筛选"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*#facets$"), timeout=5000)   # a loaded machine: the jump may lag the key
    assert page.url.endswith("#facets") and page.evaluate("() => document.activeElement.id") == "facets"
    shot(page, artifacts_dir, "skip-to-facets", size)


def test_a_query_pasted_past_the_limit_is_refused_with_a_reason(watched, base_url, artifacts_dir):
    """The box once cut a paste at 1000 characters without a word (maxlength), so the
    server's own reason could never be seen: now the whole paste goes and the page says why."""
    from search.query import MAX_QUERY_CHARS

    pasted = (TERM + " ") * (MAX_QUERY_CHARS // 4)          # 1250 characters
    page = watched(*DESKTOP)
    page.goto(f"{base_url}/?q=发展")
    page.locator("#q").fill(pasted)
    assert len(page.locator("#q").input_value()) == len(pasted)
    page.locator("#q").press("Enter")
    page.wait_for_load_state()
    error = page.locator("#q-error")
    assert error.is_visible() and f"检索式超过 {MAX_QUERY_CHARS} 个字符" in error.inner_text()
    assert page.locator("#q").input_value().strip() == pasted.strip()          # what was pasted, whole
    shot(page, artifacts_dir, "query-too-long", DESKTOP)
