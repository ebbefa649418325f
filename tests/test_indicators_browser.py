"""/indicators in a real headless Chromium over the real server and the provincial reports."""

from __future__ import annotations

import re
import threading

import pytest

from .test_browser import browser, watched  # noqa: F401  (fixtures: Debian's Chromium, a CSP-watching page)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(corpus_index):
    from webui.server import make_server, server_url

    server = make_server(corpus_index, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    yield server_url(server).rstrip("/")
    server.close()


def column_values(page, column_id: str) -> list[float | None]:
    """The numbers down one column of the regions × years table, in row order."""
    index = page.locator("table.ind-table thead th").evaluate_all(
        f"ths => ths.findIndex(th => th.querySelector('a[data-col=\"{column_id}\"]'))")
    out = []
    for cell in page.locator(f"table.ind-table tbody tr td:nth-child({index + 1})").all_inner_texts():
        m = re.search(r"−?[\d.]+", cell)
        out.append(float(m.group().replace("−", "-")) if m else None)
    return out


def test_indicator_page_sorts_links_and_draws(watched, base_url, artifacts_dir):
    page = watched(1280, 900)
    page.goto(base_url + "/")
    page.get_by_role("link", name="指标").click()
    page.wait_for_url(re.compile(r"/indicators"))
    assert page.locator("h1").inner_text().startswith("指标：地区生产总值")

    # sort by the 2026 targets: one click descending (numbers first), another ascending
    page.locator('a[data-col="2026-target"]').click()
    page.wait_for_url(re.compile(r"sort=2026-target"))
    values = [v for v in column_values(page, "2026-target") if v is not None]
    assert len(values) == 31 and values == sorted(values, reverse=True)
    page.locator('a[data-col="2026-target"]').click()
    page.wait_for_url(re.compile(r"dir=asc"))
    values = [v for v in column_values(page, "2026-target") if v is not None]
    assert values == sorted(values)

    # the bar chart: one bar per province with a 2026 target, each a link
    assert page.locator("svg.bars rect.bar").count() == 31
    page.screenshot(path=str(artifacts_dir / "indicators.png"), full_page=True)

    # choose another region for target against result; the charts follow
    page.select_option("select[name=focus]", "重庆市江北区")
    page.locator("section[aria-labelledby=t-series] button").click()
    page.wait_for_url(re.compile(r"focus="))
    assert page.locator("#t-series").inner_text() == "目标与结果：重庆市江北区"
    assert page.locator("svg.series circle.result").count() >= 1

    # a value leads to the paragraph that states it
    link = page.locator("table.ind-table tbody a").first
    value = re.search(r"[\d.]+", link.inner_text()).group()
    link.click()
    page.wait_for_load_state()
    anchor = page.url.rsplit("#", 1)[1]
    assert re.fullmatch(r"p-\d+", anchor)
    assert value in page.locator(f"[id='{anchor}']").inner_text()


def test_indicator_page_other_indicator_and_level(watched, base_url, artifacts_dir):
    page = watched(900, 900)
    page.goto(base_url + "/indicators")
    page.select_option("select[name=name]", label="粮食产量")
    page.select_option("select[name=measure]", "level")
    page.select_option("select[name=level]", "省级")
    page.get_by_role("button", name="查看").first.click()
    page.wait_for_url(re.compile(r"name=%E7%B2%AE"))
    assert "粮食产量" in page.locator("h1").inner_text()
    # grain is stated in 万吨 and in 亿斤: the chart converts to one unit and draws every target
    assert page.locator("svg.bars rect.bar").count() == page.locator("svg.bars a").count() > 5
    widths = [float(w) for w in page.locator("svg.bars rect.bar").evaluate_all(
        "rects => rects.map(r => r.getAttribute('width'))")]
    assert widths == sorted(widths, reverse=True)            # ranked on one scale, not on raw numbers
    page.screenshot(path=str(artifacts_dir / "indicators-grain.png"), full_page=True)
