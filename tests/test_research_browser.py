"""/trends, /keywords and /compare in a real headless Chromium over the real server:
the drawn series are the API's numbers, a click on a point opens its search."""

from __future__ import annotations

import json
import re
from urllib.parse import quote
from urllib.request import urlopen

import pytest

from .test_browser import browser, total, watched  # noqa: F401  (fixtures: Debian's Chromium, a CSP-watching page)
from .test_indicators_browser import base_url  # noqa: F401  (fixture: the real server over seeds + provinces)

pytestmark = pytest.mark.browser


def api(base_url: str, path: str) -> dict:
    with urlopen(base_url + quote(path, safe="/?&=%")) as r:
        return json.loads(r.read().decode("utf-8"))


def test_trend_line_chart_draws_the_series_and_opens_a_point(watched, base_url, artifacts_dir):
    page = watched()
    page.goto(base_url + "/trends?q=营商环境&q=规上 OR 规模以上&q=“稳中求进”&metric=per_10k_chars")
    data = api(base_url, "/api/trends?q=营商环境&q=规上%20OR%20规模以上&q=“稳中求进”")
    chart = page.locator("svg#trend-chart")
    assert chart.get_attribute("data-kind") == "line"
    page.screenshot(path=str(artifacts_dir / "trends-line.png"), full_page=True)
    for t in data["terms"]:
        series = page.locator(f'svg#trend-chart g.series[data-term="{t["term"]}"]')
        assert series.locator("polyline").count() == 1
        drawn = [float(v) for v in series.locator("circle").evaluate_all("cs => cs.map(c => c.dataset.value)")]
        assert drawn == [s["per_10k_chars"] for s in t["series"]]
        assert series.locator("circle").first.bounding_box()["width"] > 0        # painted, not just present
    # a click on 2026's point of the first term opens the search filtered to that year
    page.locator('svg#trend-chart g.series[data-term="营商环境"] circle[data-label="2026"]').click()
    page.wait_for_url(re.compile(r"year=2026"))
    want = next(s for s in data["terms"][0]["series"] if s["value"] == 2026)
    assert total(page) == want["paragraphs"]


def test_trend_bar_chart_by_region(watched, base_url, artifacts_dir):
    page = watched()
    page.goto(base_url + "/trends?q=营商环境&by=region&f=层级:省级")
    data = api(base_url, "/api/trends?q=营商环境&by=region&level=省级")
    assert page.locator("svg#trend-chart").get_attribute("data-kind") == "bars"
    bars = page.locator("svg#trend-chart rect")
    drawn = dict(zip(bars.evaluate_all("rs => rs.map(r => r.dataset.label)"),
                     map(int, bars.evaluate_all("rs => rs.map(r => r.dataset.value)"))))
    assert drawn == {s["value"]: s["mentions"] for s in data["terms"][0]["series"]}
    page.screenshot(path=str(artifacts_dir / "trends-bars.png"), full_page=True)
    assert page.locator("table#trend-table tbody tr").count() == len(data["buckets"])


def test_keywords_side_by_side(watched, base_url, artifacts_dir):
    page = watched()
    page.goto(base_url + "/keywords?a=省份:浙江 年份:2026&b=省份:江苏 年份:2026&top=15")
    cols = page.locator("section.kw-col")
    assert cols.count() == 2
    data = api(base_url, "/api/keywords?province=浙江&year=2026&vs=省份:江苏%20年份:2026&top=15")
    shown = cols.nth(0).locator('table[data-list="words"] a[data-word]').all_inner_texts()
    assert shown == [w["word"] for w in data["words"]]
    page.screenshot(path=str(artifacts_dir / "keywords.png"), full_page=True)
    cols.nth(0).locator('a[data-word="浙江"]').first.click()
    page.wait_for_url(re.compile(r"q=%E6%B5%99%E6%B1%9F"))
    assert total(page) > 0


def test_compare_grid(watched, base_url, artifacts_dir):
    page = watched()
    page.goto(base_url + "/compare?q=营商环境&region=重庆&region=四川&region=浙江省")
    grid = page.locator("table#compare-grid")
    assert grid.locator("thead th").all_inner_texts() == ["地区", "2024", "2026"]
    assert grid.locator('td[data-status="hit"] mark').count() >= 5
    assert grid.locator('tr[data-region="浙江省"] td[data-year="2024"]').inner_text().strip() == "无报告"
    page.screenshot(path=str(artifacts_dir / "compare.png"), full_page=True)
    grid.locator('tr[data-region="四川"] td[data-year="2026"] a.cmp-hit').click()
    page.wait_for_url(re.compile(r"/reports/"))
    assert page.locator("mark").count() > 0


# the rendered height of the chart's smallest label, the page's and each chart box's widths
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].map(s => {
  const box = s.closest('.chart-scroll') || s.parentElement;
  return {label: Math.min(...[...s.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)),
          box: box.clientWidth, drawn: box.scrollWidth}; })"""


@pytest.mark.parametrize("path", ["/trends?q=营商环境&q=低空经济&by=province", "/trends?q=营商环境&q=低空经济",
                                  "/indicators?name=GDP"])
def test_charts_are_readable_on_a_phone(watched, base_url, artifacts_dir, path):
    """At 375 px the 760 px charts were shrunk to 45%, their 11 px labels 5 px high: each now keeps
    its drawn size and scrolls in its own box, the page itself no wider than the screen."""
    page = watched(375, 812)
    page.goto(base_url + path)
    charts = page.evaluate(CHART_TEXT)
    assert charts
    for c in charts:
        assert c["label"] >= 11                      # an 11 px label (its line box) at full size
        assert c["drawn"] > c["box"]                 # wider than the screen: it scrolls, in its box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(artifacts_dir / f"phone-chart-{path.split('?')[0].strip('/')}.png"))
    # a bar or point scrolled into view still opens its search
    first = page.locator("svg.chart a").first
    first.scroll_into_view_if_needed()
    assert first.bounding_box()["x"] >= 0
