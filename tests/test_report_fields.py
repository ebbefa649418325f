"""Document types and years (决议, Chinese-numeral dates, unknown years) and source links."""

from __future__ import annotations

import csv
import html
import json
import re
import subprocess
import sys

import pytest

from indexer.metadata import extract_metadata, years_in
from indexer.writer import index_paths
from search.engine import Engine, search
from search.reports import get_report
from search.results import SearchRequest, to_json
from webui import create_app

from .conftest import PROVINCES, ROOT, SEEDS
from .shapes import LICENCE, province_rows, write_collection

# resolutions in the shapes they are published in: the NPC's (Arabic date), a Wikisource copy
# of an early one (Chinese-numeral date, licence notice), a province's as a row of a collection
NPC_RESOLUTION = """第十四届全国人民代表大会第二次会议关于政府工作报告的决议
（2024年3月11日第十四届全国人民代表大会第二次会议通过）
第十四届全国人民代表大会第二次会议听取和审议了国务院总理李强所作的政府工作报告。会议充分肯定国务院过去一年的工作，同意报告提出的2024年经济社会发展总体要求、政策取向，同意报告确定的各项目标任务和重大举措，决定批准这个报告。
会议号召，全国各族人民更加紧密地团结在以习近平同志为核心的党中央周围，坚定信心、开拓进取，为全面建成社会主义现代化强国、实现第二个百年奋斗目标而团结奋斗。
"""
WIKISOURCE_RESOLUTION = "\n".join([
    "第一届全国人民代表大会第一次会议关于政府工作报告的决议",
    "（一九五四年九月二十九日第一届全国人民代表大会第一次会议通过）",
    "第一届全国人民代表大会第一次会议听取了国务院总理的政府工作报告，批准这个报告。",
    *LICENCE[:2]]) + "\n"
SICHUAN_RESOLUTION = ("四川省第十四届人民代表大会第五次会议关于政府工作报告的决议\n"
                      "（2026年2月7日四川省第十四届人民代表大会第五次会议通过）\n"
                      "四川省第十四届人民代表大会第五次会议听取和审议了省长施小琳所作的政府工作报告。"
                      "会议同意报告对2025年和“十四五”时期工作的回顾，同意报告提出的2026年工作安排，决定批准这个报告。\n")
SICHUAN_URL = "https://www.sc.gov.cn/10462/c105962s/2026/2/7/resolution.shtml"


def test_chinese_numeral_years_and_resolution_types():
    assert years_in("二〇一三年三月十七日") == [2013] and years_in("一九五四年政府工作报告") == [1954]
    meta, _ = extract_metadata(WIKISOURCE_RESOLUTION.splitlines(), {})
    assert (meta["type"], meta["year"], meta["date"], meta["region"]) == ("决议", 1954, "1954-09-29", "全国")
    meta, _ = extract_metadata(["一九九八年国务院政府工作报告", "各位代表："], {})
    assert (meta["type"], meta["year"]) == ("政府工作报告", 1998)
    # 一、2025年工作回顾 names the year reviewed, not the report's
    meta, _ = extract_metadata(["河北省政府工作报告", "各位代表：", "一、2025年工作回顾"], {})
    assert meta["year"] is None


@pytest.fixture(scope="module")
def typed_index(tmp_path_factory):
    """Resolutions, a report whose year nothing names, and the provinces (with their source_url)."""
    root = tmp_path_factory.mktemp("typed")
    docs = root / "resolutions"
    docs.mkdir()
    (docs / "npc-2024.txt").write_text(NPC_RESOLUTION, encoding="utf-8")
    (docs / "npc-1954.txt").write_text("---\nsource_url: https://zh.wikisource.org/wiki/npc-1954\n---\n"
                                      + WIKISOURCE_RESOLUTION, encoding="utf-8")
    (docs / "catalog.csv").write_text("file,url\nnpc-2024.txt,http://www.npc.gov.cn/npc/c2/resolution.html\n",
                                      encoding="utf-8")
    rows = [{"province": "四川省", "title": "", "source_url": SICHUAN_URL, "full_text": SICHUAN_RESOLUTION}]
    hebei = next(r for r in province_rows() if r["province"] == "河北省")
    text = "\n".join(line for line in hebei["full_text"].split("\n")
                     if not re.search(r"\d{4}年\d{1,2}月\d{1,2}日在", line))        # no delivery date
    text = text.replace("2026年河北省政府工作报告", "河北省政府工作报告")
    rows.append({"province": "河北省", "title": "", "source_url": "javascript:alert(1)", "full_text": text})
    write_collection(docs / "rows.csv", rows)
    ix = str(root / "ix")
    run = index_paths(ix, [str(docs), str(PROVINCES)])
    assert not run.failed and run.reports == 35
    return ix, run


def reports_json(ix: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "cli", "reports", "--json", "--index", ix],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_reports_json_has_type_year_url_and_dropped_lines(typed_index):
    ix, _ = typed_index
    rows = {r["file"]: r for r in reports_json(ix)}
    assert {(r["type"], r["year"], r["url"]) for f, r in rows.items() if f.startswith("resolutions/npc")} == {
        ("决议", 2024, "http://www.npc.gov.cn/npc/c2/resolution.html"),
        ("决议", 1954, "https://zh.wikisource.org/wiki/npc-1954")}
    sichuan = rows["resolutions/rows.csv#1"]
    assert (sichuan["type"], sichuan["year"], sichuan["date"], sichuan["region"], sichuan["url"]) == \
        ("决议", 2026, "2026-02-07", "四川省", SICHUAN_URL)
    hebei = rows["resolutions/rows.csv#2"]
    assert hebei["year"] is None and hebei["url"] == "" and hebei["type"] == "政府工作报告"
    with open(next(PROVINCES.glob("*辽宁*")), encoding="utf-8-sig", newline="") as fh:
        liaoning_url = next(csv.DictReader(fh))["source_url"]
    assert rows["provinces-2026/2026_辽宁省_政府工作报告.csv#1"]["url"] == liaoning_url
    assert all({"type", "year", "url", "dropped_lines"} <= set(r) for r in rows.values())


def test_an_unsafe_url_is_left_out_with_a_warning(typed_index):
    _, run = typed_index
    (warning,) = [w for w in run.warnings if "javascript:alert(1)" in w["warning"]]
    assert warning["source"].endswith("rows.csv#2") and "不是 http 或 https 地址" in warning["warning"]
    report = get_report(Engine(typed_index[0]), _report_id(typed_index[0], "resolutions/rows.csv#2"))
    assert report.fields["url"] == ""


def _report_id(ix: str, file: str) -> str:
    return next(r["report_id"] for r in reports_json(ix) if r["file"] == file)


def test_unknown_year_is_null_in_no_range_and_unknown_in_facets(typed_index):
    engine = Engine(typed_index[0])
    everything = to_json(search(engine, SearchRequest(limit=1)))
    hebei_units = search(engine, SearchRequest(filters={"province": ["河北省"]}, limit=10_000)).hits
    unknown = [h for h in hebei_units if h.year is None]
    assert unknown and all(h.source.endswith("rows.csv#2") for h in unknown)
    assert {"value": "未知", "count": len(unknown)} in everything["facets"]["year"]
    assert 0 not in [v["value"] for v in everything["facets"]["year"]]
    for years in ("1949..2030", "..2030", "2020..", "2026"):
        hits = search(engine, SearchRequest(q=f"year:{years}", limit=10_000)).hits
        assert not any(h.year is None for h in hits), years
    chosen = search(engine, SearchRequest(filters={"year": ["未知"]}, limit=10_000))
    assert {h.id for h in chosen.hits} == {h.id for h in unknown}
    assert to_json(chosen)["hits"][0]["year"] is None
    # the resolution type is a facet value like the others
    types = {v["value"]: v["count"] for v in everything["facets"]["type"]}
    assert types["决议"] == len(search(engine, SearchRequest(q="type:决议", limit=10_000)).hits)


@pytest.fixture(scope="module")
def corpus_client(corpus_index):
    return create_app(corpus_index).test_client(), Engine(corpus_index)


def test_report_page_links_the_source_and_cites_it(corpus_client):
    client, engine = corpus_client
    rid = next(r["report_id"] for r in reports_json(engine.store.root.as_posix())
               if r["province"] == "辽宁省")
    view = get_report(engine, rid)
    url = view.fields["url"]
    assert url.startswith("https://")
    page = client.get(f"/reports/{rid}").get_data(as_text=True)
    assert re.search(r'<dt>原文链接</dt><dd><a class="source-url" href="' + re.escape(html.escape(url)) +
                     r'" rel="noopener noreferrer nofollow"', page)
    # the source file below the indexed folder, never where the server keeps it
    assert "<code>provinces-2026/2026_辽宁省_政府工作报告.csv#1</code>" in page
    assert str(ROOT) not in page and str(PROVINCES) not in page
    cites = [html.unescape(c) for c in re.findall(r'data-cite="([^"]*)"', page)]
    unit = next(u for u in view.units if u.kind == "paragraph")
    assert f"《2026年辽宁省政府工作报告》（{view.fields['date']}）第{unit.para_no}段 {url}" in cites
    assert client.get(f"/api/reports/{rid}").get_json()["url"] == url


def test_hits_carry_the_source_url(corpus_client):
    client, engine = corpus_client
    j = client.get("/api/search?q=province:辽宁省&limit=3").get_json()
    assert j["hits"] and all(h["url"].startswith("https://") for h in j["hits"])
    seeds = client.get("/api/search?q=渝北区&limit=3").get_json()
    assert all(h["url"] == "" for h in seeds["hits"] if "seeds" in h["source"])
    assert SEEDS.name == "seeds"
