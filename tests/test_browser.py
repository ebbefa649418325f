"""The web UI in a real headless Chromium, served by the real server (waitress)."""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SEED_REGIONS = {"四川省成都市金牛区", "四川省攀枝花市东区", "重庆市江北区", "重庆市渝北区", "重庆市綦江区"}


@pytest.fixture(scope="module")
def seed_001(seeds_engine) -> str:
    """The report id of seed 001 (ids derive from where the file lives)."""
    from search.engine import search
    from search.results import SearchRequest

    hits = search(seeds_engine, SearchRequest(q="", limit=1000)).hits
    return next(h.report_id for h in hits if h.source.endswith("001_ee0cd8f568fba525.txt"))


@pytest.fixture(scope="module")
def base_url(seeds_index):
    from webui.server import make_server, server_url

    server = make_server(seeds_index, host="127.0.0.1", port=0, threads=4)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    yield server_url(server).rstrip("/")
    server.close()


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium) "
                    "to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def watched(browser, base_url):
    """A page factory that records CSP violations, page errors and any off-site request."""
    problems: list[str] = []
    contexts = []

    def make(width=1280, height=900, **options):
        # options: further context settings (has_touch=True, java_script_enabled=False)
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  permissions=["clipboard-read", "clipboard-write"], **options)
        contexts.append(ctx)
        page = ctx.new_page()
        host = urlsplit(base_url).netloc
        page.on("console", lambda m: problems.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("request", lambda r: problems.append(f"off-site request: {r.url}")
                if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != host else None)
        return page

    yield make
    for ctx in contexts:
        ctx.close()
    assert not problems, problems


def total(page) -> int:
    return int(re.search(r"找到\s*(\d+)\s*个段落", page.locator("p.count").inner_text()).group(1))


def test_search_filter_and_read(watched, base_url, artifacts_dir):
    page = watched()
    page.goto(base_url + "/")
    box = page.get_by_label("检索词")
    assert box.evaluate("el => el === document.activeElement")        # autofocus
    box.fill("营商环境")
    with page.expect_navigation():
        box.press("Enter")
    assert "q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83" in page.url
    all_hits = total(page)
    assert all_hits == 16
    assert page.locator("li.hit").count() == 10
    assert page.locator("li.hit mark").first.inner_text() == "营商环境"
    # all five seed reports: one region each in the facet, five groups when grouped
    regions = {v for v in page.locator("#facet-region ~ ul a.fval[href*='region=']")
               .evaluate_all("els => els.map(e => e.dataset.facetValue)")}
    assert regions == SEED_REGIONS
    page.screenshot(path=str(artifacts_dir / "search-desktop.png"), full_page=True)

    page.get_by_role("link", name="按报告分组").click()
    page.wait_for_load_state()
    assert "by_report=1" in page.url
    assert page.locator("li.group").count() == 5

    # click a region facet value: fewer results, a removable chip
    page.locator("a.fval[data-facet-value='重庆市綦江区']").click()
    page.wait_for_load_state()
    assert "region=" in page.url and "by_report=1" in page.url
    assert total(page) == 6 < all_hits
    chip = page.locator("ul.chips a.chip")
    assert chip.count() == 1 and "重庆市綦江区" in chip.inner_text()
    page.get_by_role("link", name="逐段列出").click()
    page.wait_for_load_state()
    assert total(page) == 6 and chip.count() == 1

    # keyboard: the chip is reachable and removes its filter
    chip.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert total(page) == all_hits and page.locator("ul.chips").count() == 0

    # open a hit at its paragraph
    first = page.locator("li.hit p.goto a").first
    href = first.get_attribute("href")
    para = re.search(r"#p-(\d+)$", href).group(1)
    first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"#p-{para}")
    target = page.locator(f"#p-{para}")
    assert target.evaluate("el => el.matches(':target')")
    target.wait_for(state="visible")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900                       # scrolled into view
    assert page.locator("article mark").count() > 0


def test_report_script_switch_and_copy(watched, base_url, artifacts_dir, seed_001):
    page = watched()
    page.goto(f"{base_url}/reports/{seed_001}?q=营商环境")
    title = page.locator("h1#report-title")
    assert title.inner_text().startswith("關于攀枝花市東區")
    assert page.locator("nav.outline a").count() > 5
    page.screenshot(path=str(artifacts_dir / "report-desktop.png"))
    page.get_by_role("link", name="简体").click()
    page.wait_for_load_state()
    assert "script=" in page.url and "q=" in page.url
    assert title.inner_text().startswith("关于攀枝花市东区")
    assert page.locator("article mark").count() > 0

    # copy citation: paragraph text, then 《title》（date）第N段 (and the source link, which seeds lack)
    unit = page.locator("div.unit").nth(5)
    button = unit.locator("button.cite")
    assert button.is_visible()
    button.click()
    page.wait_for_function("() => document.querySelector('#copy-status').textContent.length > 0")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    text = unit.locator(".u-text").inner_text().strip()
    assert copied.startswith(text)
    para_no = unit.get_attribute("id").removeprefix("p-")
    assert copied.endswith(f"的报告》（2024-02-27）第{para_no}段") and "\n《关于攀枝花市东区" in copied


def test_mobile_layout(watched, base_url, artifacts_dir, seed_001, seeds_engine):
    page = watched(375, 800)
    page.goto(base_url + "/?q=营商环境")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll at 375px: {width}"
    results = page.locator("section.results").bounding_box()
    facets = page.locator("aside.facets").bounding_box()
    assert facets["y"] > results["y"] + results["height"] - 1              # sidebar below results
    page.screenshot(path=str(artifacts_dir / "search-mobile.png"), full_page=False)
    page.goto(f"{base_url}/reports/{seed_001}?script=简")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(artifacts_dir / "report-mobile.png"))
    from search.engine import search
    from search.results import SearchRequest

    row = search(seeds_engine, SearchRequest(q="", filters={"kind": ["table_row"]}, limit=1)).hits[0]
    page.goto(f"{base_url}/reports/{row.report_id}#p-{row.para_no}")
    assert page.locator(f"#p-{row.para_no}").count() == 1 and page.locator("table").count() >= 1
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(artifacts_dir / "report-table-mobile.png"))


def test_match_switch_changes_the_counts(watched, base_url, artifacts_dir, seeds_engine):
    """精确匹配 counts what a reader counts; 分词匹配 counts jieba words: the page switches between them."""
    from indexer.analysis import normalize
    from search.engine import search
    from search.query import load_synonyms
    from search.results import SearchRequest

    snap = seeds_engine.snapshot()
    with snap.searching() as s:
        texts = [normalize(u["text"]) for u in snap.units.all(s)]
    term = next(t for t in ("新质", "规上", "市场经济", "改革开放", "生态环境", "绿色发展")
                if search(seeds_engine, SearchRequest(q=t, match="words")).total
                != search(seeds_engine, SearchRequest(q=t)).total)
    words_total = search(seeds_engine, SearchRequest(q=term, match="words")).total
    synonyms = [normalize(term)] + load_synonyms().get(normalize(term), [])
    exact_total = sum(1 for t in texts if any(x in t for x in synonyms))     # Ctrl-F over every unit
    page = watched()
    page.goto(base_url + "/?q=" + term)
    assert total(page) == exact_total
    assert page.locator(".match-switch a[aria-current]").inner_text() == "精确匹配"
    page.locator(".match-switch a", has_text="分词匹配").click()
    page.wait_for_load_state()
    assert "match=words" in page.url and total(page) == words_total != exact_total
    assert page.locator(".match-switch a[aria-current]").inner_text() == "分词匹配"
    page.screenshot(path=str(artifacts_dir / "match-words.png"))
    page.locator("#q").fill(term)                    # a new search keeps the chosen way of matching
    page.locator("form.searchbox button").click()
    page.wait_for_load_state()
    assert "match=words" in page.url and total(page) == words_total
    page.locator(".match-switch a", has_text="精确匹配").click()
    page.wait_for_load_state()
    assert "match=" not in page.url and total(page) == exact_total
