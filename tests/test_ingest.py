"""Metadata, structure and the index built from the real seed and provincial reports."""

from __future__ import annotations

import collections
import json
import re
import subprocess
import sys

import pytest

from indexer.cleaning import clean_text
from indexer.metadata import cn_number, extract_metadata, find_region, parse_date
from indexer.reports import build_report
from indexer.sources import FoundFile, find_files, load_catalog, read_file, split_front_matter

from .conftest import SEEDS
from .shapes import province_rows

EXPECTED_SEEDS = {
    "000": dict(province="四川省", city="成都市", district="金牛区", region="四川省成都市金牛区",
                level="县区级", year=2024, type="讲话", date="", speaker=""),
    "001": dict(province="四川省", city="攀枝花市", district="东区", region="四川省攀枝花市东区",
                level="县区级", year=2024, type="计划报告", date="2024-02-27",
                speaker="攀枝花市東區發展和改革局局長 孟昆"),
    "002": dict(province="重庆市", city="", district="渝北区", region="重庆市渝北区", level="县区级",
                year=2024, type="政府工作报告", date="2024-01-26",
                speaker="重庆市渝北区人民政府区长 廖红军"),
    "003": dict(province="重庆市", city="", district="綦江区", region="重庆市綦江区", level="县区级",
                year=2024, type="计划报告", date="", speaker=""),
    "004": dict(province="重庆市", city="", district="江北区", region="重庆市江北区", level="县区级",
                year=2024, type="计划报告", date="", speaker=""),
}


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          timeout=300)


def reports_of(index_dir) -> list[dict]:
    out = cli("reports", "--json", "--index", index_dir)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def build_all(path):
    files, _ = find_files([str(path)])
    out = []
    for f in files:
        for source, doc in read_file(f, load_catalog(f.path.parent)):
            out.append(build_report(doc, f.key))
    return out


# ---------------------------------------------------------------- reports --json

def test_seed_reports_metadata(seeds_index):
    rows = {r["source"].split("/")[-1][:3]: r for r in reports_of(seeds_index)}
    assert sorted(rows) == sorted(EXPECTED_SEEDS)
    for key, want in EXPECTED_SEEDS.items():
        got = {k: rows[key][k] for k in want}
        assert got == want, key
        assert rows[key]["report_id"] and rows[key]["units"] > 20


def test_seed_000_district_comes_from_the_catalog(seeds_copy):
    """Without the catalog the text names no district: 未知, never a guess."""
    report = next(r for r in build_all(seeds_copy) if r.source.endswith("000_0934b745515b24c3.txt"))
    assert report.region == "未知" and report.province == "未知" and report.level == "未知"
    assert report.type == "讲话" and report.year == 2024


def test_seed_metadata_from_text_alone(seeds_copy):
    """Everything but seed 000's place is read from the text itself."""
    by = {r.source.split("/")[-1][:3]: r for r in build_all(seeds_copy)}
    for key, want in EXPECTED_SEEDS.items():
        if key == "000":
            continue
        got = {k: getattr(by[key], k) for k in want}
        assert got == want, key


def test_provincial_reports(corpus_index, provinces_dir):
    rows = [r for r in reports_of(corpus_index) if "provinces-2026" in r["source"]]
    assert len(rows) == 31
    names = {p.name.split("_")[1] for p in provinces_dir.glob("*.csv")}
    assert {r["province"] for r in rows} == names
    for r in rows:
        assert r["year"] == 2026 and r["type"] == "政府工作报告" and r["level"] == "省级"
        assert r["region"] == r["province"]
        assert re.fullmatch(r"2026-0[12]-\d\d", r["date"]), r
        assert r["source"].endswith("#1")


def test_delivery_date_not_publication_date(corpus_index):
    rows = {r["province"]: r for r in reports_of(corpus_index)}
    assert rows["上海市"]["date"] == "2026-02-03"       # the CSV says published 2026-02-09
    assert rows["甘肃省"]["date"] == "2026-01-27"       # 二〇二六年一月二十七日
    assert rows["湖南省"]["speaker"] == "毛伟明"          # a name alone under the subtitle
    assert rows["陕西省"]["speaker"] == "陕西省省长 赵刚"  # on the subtitle's line


CHROME = re.compile(r"^(下载|打印|全屏|收藏|加大|还原|减小|分享|大|中|小|】|【|首页|>)$|【字号|【字体|"
                    r"^来源[:：]|^时间[:：]|^发表时间|阅读量|扫一扫|^相关报道|相关链接|相关附件|相关文档|"
                    r"关闭窗口|打印本页|责任编辑|^编辑[:：]|记者.{0,8}摄|^\d{4}-\d\d-\d\d \d\d:\d\d")


def test_no_page_chrome_in_any_unit(corpus_engine):
    snap = corpus_engine.snapshot()
    with snap.searching() as s:
        bad = [f["text"] for f in snap.units.all(s) if CHROME.search(f["text"])]
    assert bad == []


# ---------------------------------------------------------------- metadata rules

def test_dates_in_arabic_and_chinese_numerals():
    assert parse_date("——2024年1月26日在重庆市渝北区第十九届人民代表大会") == "2024-01-26"
    assert parse_date("——二〇二六年一月二十七日在甘肃省十四届人民代表大会") == "2026-01-27"
    assert parse_date("（2026年1月27日在贵州省第十四届人民代表大会第四次会议上）") == "2026-01-27"
    assert cn_number("二十七") == 27 and cn_number("十") == 10 and cn_number("二〇二六") == 2026


def test_region_hierarchy():
    assert find_region("關于攀枝花市東區2023年國民經濟") == {"province": "四川省", "city": "攀枝花市",
                                                      "district": "东区"}
    assert find_region("重庆市渝北区人民政府工作报告") == {"province": "重庆市", "district": "渝北区"}
    assert find_region("2026年上海市政府工作报告") == {"province": "上海市"}
    assert find_region("在上海市第十六届人民代表大会") == {"province": "上海市"}
    assert find_region("2024在区委经济工作会议上的讲话") == {}


def test_titles_in_both_word_orders_and_types():
    meta, _ = extract_metadata(["陕西省2026年政府工作报告", "2026年1月27日在陕西省第十四届人民代表大会第四次会议上"], {})
    assert (meta["title"], meta["year"], meta["type"], meta["province"]) == \
        ("陕西省2026年政府工作报告", 2026, "政府工作报告", "陕西省")
    meta, _ = extract_metadata(["2026年陕西省政府工作报告"], {})
    assert meta["province"] == "陕西省" and meta["year"] == 2026
    meta, _ = extract_metadata(["关于2025年预算执行情况和2026年预算草案的报告"], {})
    assert meta["type"] == "预算报告" and meta["year"] == 2026
    meta, _ = extract_metadata(["政府工作报告", "——2026年3月5日在第十四届全国人民代表大会第四次会议上",
                                "国务院总理 李强"], {})
    assert meta["region"] == "全国" and meta["level"] == "国家" and meta["speaker"] == "国务院总理 李强"


def test_front_matter_beats_catalog_beats_text(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "catalog.csv").write_text("file,district,city,province,year\nr.txt,金牛区,成都市,四川省,2023\n",
                                        encoding="utf-8")
    (folder / "r.txt").write_text("---\nyear: 2022\n---\n2021年重庆市渝北区政府工作报告\n各位代表：\n一、工作回顾\n过去一年。\n",
                                  encoding="utf-8")
    report = build_all(folder)[0]
    assert report.year == 2022                                  # front matter
    assert report.region == "四川省成都市金牛区"                  # catalog, over the text's 渝北区
    assert report.metadata_origin["year"] == "front matter"
    assert report.metadata_origin["district"] == "catalog"


def test_front_matter_parsing():
    fields, body = split_front_matter("---\ntitle: 某报告\nyear: 2024\nbogus: x\n---\n正文")
    assert fields == {"title": "某报告", "year": "2024"}
    assert body.endswith("正文") and body.count("\n") == 5


# ---------------------------------------------------------------- structure

def units_of(prefix: str):
    path = next(SEEDS.glob(prefix + "_*.txt"))
    f = FoundFile(path, "seeds/" + path.name, str(path))
    (source, doc), = list(read_file(f))
    return build_report(doc, f.key).paragraphs


def test_word_tables_become_rows_not_cells():
    units = units_of("003")
    rows = [u for u in units if u.kind == "table_row"]
    assert any(u.text == "发展综合质量效益 | 地区生产总值增速（%） | 7以上 | 6.5 | 预期性" for u in rows)
    assert any(u.text == "规上工业增加值增速（%） | 9 | 8.6 | 预期性" for u in rows)
    first = next(u for u in rows)
    assert first.cells == {"header": True, "cells": ["类别", "指标名称", "2023年计划目标", "完成情况", "备注"]}
    assert first.heading_path[-1] == "专栏1：2023年国民经济和社会发展主要指标完成情况"
    # never one unit per cell: no table unit is a bare number
    assert not any(re.fullmatch(r"[\d.%]+", u.text) for u in units)


def test_appendix_tables_and_caption_titles():
    units = units_of("004")
    rows = [u for u in units if u.kind == "table_row"]
    assert "19 | 单位地区生产总值二氧化碳排放下降（%）* | 市级下达 | 完成市级下达目标" in [u.text for u in rows]
    assert rows[0].heading_path == ["附件1 2023年国民经济和社会发展计划主要指标完成情况"]
    assert rows[0].section.startswith("附件1") and rows[0].part == "其他"
    # every table row of the file: a block of tab-indented cell lines between blank lines
    raw = next(SEEDS.glob("004_*.txt")).read_text(encoding="utf-8")
    assert len(rows) == sum(1 for block in re.split(r"\n\s*\n", raw) if block.startswith("\t")) > 40


def test_headings_levels_sections_and_parts():
    units = units_of("002")
    by_text = {u.text: u for u in units}
    h = by_text["（三）扎实推进开放合作走深走实"]
    assert h.kind == "heading" and h.heading_path == ["一、2023年工作回顾", "（三）扎实推进开放合作走深走实"]
    assert h.section == "2023年工作回顾" and h.part == "回顾"
    plan = next(u for u in units if u.text.startswith("纵深推进重点领域改革"))
    assert plan.part == "部署" and plan.heading_path[0] == "二、2024年重点工作"
    assert units[0].section == "导言" and units[0].part == "其他"
    speech = units_of("000")
    assert next(u for u in speech if u.text == "九是加快打造营商环境标杆。").kind == "heading"


def test_box_paragraphs_and_lists_under_their_caption():
    units = units_of("003")
    item = next(u for u in units if u.text == "1.江苏省人民医院重庆医院。")
    assert item.kind == "list_item" and item.heading_path[-1] == "专栏32：2024年区级民心工程项目"
    after_box = next(u for u in units if u.text.startswith("招商引资成效初显"))
    assert not any(h.startswith("专栏") for h in after_box.heading_path)


def _cjk(text: str) -> collections.Counter:
    return collections.Counter(ch for ch in text if "\u3400" <= ch <= "\u9fff")


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_units_keep_every_chinese_character_of_the_cleaned_text(prefix):
    path = next(SEEDS.glob(prefix + "_*.txt"))
    cleaned = clean_text(path.read_text(encoding="utf-8"))
    joined = "".join(u.text for u in units_of(prefix))
    missing = _cjk(cleaned) - _cjk(joined)
    assert not missing


def test_provincial_units_keep_every_chinese_character(provinces_dir):
    for report in build_all(provinces_dir):
        files, _ = find_files([str(provinces_dir)])
        doc_text = None
        for f in files:
            for source, doc in read_file(f):
                if source == report.source:
                    doc_text = doc.text
        missing = _cjk(clean_text(doc_text)) - _cjk(report.text)
        assert not missing, report.source


# ---------------------------------------------------------------- the CLI

def test_index_json_stats_and_rerun(tmp_path):
    d = str(tmp_path / "ix")
    out = cli("index", str(SEEDS), "--index", d, "--json")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)
    assert {k: run[k] for k in ("added", "updated", "removed", "unchanged", "failed", "reports")} == \
        {"added": 5, "updated": 0, "removed": 0, "unchanged": 0, "failed": [], "reports": 5}
    assert run["paragraphs"] > 500 and run["seconds"] > 0
    again = json.loads(cli("index", str(SEEDS), "--index", d, "--json").stdout)
    assert (again["added"], again["unchanged"], again["reports"]) == (0, 5, 5)
    stats = json.loads(cli("stats", "--json", "--index", d).stdout)
    assert stats["reports"] == 5 and stats["paragraphs"] == run["paragraphs"]
    assert {r["value"]: r["count"] for r in stats["type"]} == {"计划报告": 3, "政府工作报告": 1, "讲话": 1}
    assert stats["year"] == [{"value": 2024, "count": 5}]


def test_unreadable_file_listed_others_indexed(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text((SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (folder / "fake.txt").write_bytes(b"%PDF-1.4\n\x00\x01\x02binary")
    (folder / "empty.txt").write_bytes(b"")
    out = cli("index", str(folder), "--index", str(tmp_path / "ix"), "--json")
    assert out.returncode == 1
    run = json.loads(out.stdout)
    assert run["added"] == 1 and run["reports"] == 1
    reasons = {f["source"].split("/")[-1]: f["error"] for f in run["failed"]}
    assert "PDF" in reasons["fake.txt"] and "空文件" in reasons["empty.txt"]


def test_missing_index_is_one_line_error(tmp_path):
    out = cli("reports", "--index", str(tmp_path / "nothing"))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "没有索引" in out.stderr


def test_markdown_report(tmp_path):
    (tmp_path / "r.md").write_text(
        "---\ntitle: 2025年某区政府工作报告\nprovince: 重庆市\ndistrict: 渝北区\nyear: 2025\n---\n"
        "# 一、2024年工作回顾\n\n过去一年，我们\n坚持稳进增效。\n\n## （一）产业\n\n- 规上工业增长8%\n- 新增企业\n\n"
        "| 指标 | 目标 |\n|---|---|\n| 地区生产总值增速 | 6 |\n\n# 二、2025年工作安排\n\n持续优化营商环境。\n",
        encoding="utf-8")
    report = build_all(tmp_path)[0]
    assert (report.title, report.region, report.year, report.type) == \
        ("2025年某区政府工作报告", "重庆市渝北区", 2025, "政府工作报告")
    units = [(u.kind, u.text, u.heading_path, u.part) for u in report.paragraphs]
    assert ("paragraph", "过去一年，我们坚持稳进增效。", ["一、2024年工作回顾"], "回顾") in units
    assert ("list_item", "- 规上工业增长8%", ["一、2024年工作回顾", "（一）产业"], "回顾") in units
    assert ("table_row", "地区生产总值增速 | 6", ["一、2024年工作回顾", "（一）产业"], "回顾") in units
    assert ("paragraph", "持续优化营商环境。", ["二、2025年工作安排"], "部署") in units


def converter_markdown(text: str) -> str:
    """A plain-text report as a converter (pandoc from Word, a CMS export) writes it in
    Markdown: one paragraph a block, a lead sentence in bold (``**…。**`` before Chinese,
    which CommonMark cannot close), a term linked, another in italics."""
    out = []
    for line in filter(str.strip, text.split("\n")):
        lead = re.match(r"^([^。]{4,60}。)(.+)$", line)
        if lead:
            line = f"**{lead.group(1)}**{lead.group(2)}"
        line = line.replace("营商环境", "[营商环境](http://www.gov.cn/zhengce/a.html)", 1)
        out.append(line.replace("高质量发展", "*高质量发展*", 1))
    return "\n\n".join(out) + "\n"


@pytest.mark.parametrize("seed", ["000_", "001_", "002_"])     # the seeds without Word tables
def test_a_markdown_report_reads_as_the_same_report_in_plain_text(tmp_path, seed):
    """Markdown's inline markup is not text: a report converted to Markdown gives the same
    paragraphs as the plain text it came from (the oracle), without ``**``, link targets
    or page numbers, so its counts, phrases and snippets are the plain text's."""
    path = next(SEEDS.glob(seed + "*.txt"))
    text = path.read_text(encoding="utf-8")
    (tmp_path / "txt").mkdir()
    (tmp_path / "md").mkdir()
    (tmp_path / "txt" / path.name).write_text(text, encoding="utf-8")
    (tmp_path / "md" / (path.stem + ".md")).write_text(converter_markdown(text), encoding="utf-8")
    (plain,), (markdown,) = build_all(tmp_path / "txt"), build_all(tmp_path / "md")
    assert [(u.text, u.heading_path) for u in markdown.paragraphs] == \
        [(u.text, u.heading_path) for u in plain.paragraphs]
    assert (markdown.title, markdown.region, markdown.year) == (plain.title, plain.region, plain.year)
    assert "**" in converter_markdown(text) and "**" not in markdown.text and "http" not in markdown.text


def _plain_and_markdown(tmp_path, name: str, text: str, markdown: str):
    """The report read from its plain text (the oracle) and from its Markdown form."""
    for folder, body in (("txt", text), ("md", markdown)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.{folder}").write_text(body, encoding="utf-8")
    (plain,), (md,) = build_all(tmp_path / "txt"), build_all(tmp_path / "md")
    return plain, md


def _report_text(name: str) -> str:
    seed = next(SEEDS.glob(name + "*.txt"), None)
    if seed:
        return seed.read_text(encoding="utf-8")
    return next(row["full_text"] for row in province_rows() if row["province"].startswith(name))


# (the provinces chosen have no breadcrumb: its > marks are block quotes in Markdown)
@pytest.mark.parametrize("name", ["000_", "001_", "002_", "河南", "北京"])
def test_a_report_saved_as_markdown_a_paragraph_a_line_reads_as_its_plain_text(tmp_path, name):
    """A report's .txt saved as .md: a paragraph a line, no blank line between them.  Read as
    Markdown alone, the whole report was one paragraph (河南: 5 units of 3000 characters, its
    year 2030 from a sentence); its lines are paragraphs, as in the plain text."""
    text = _report_text(name)
    plain, md = _plain_and_markdown(tmp_path, "r", text, text)
    assert [(u.kind, u.text, u.heading_path) for u in md.paragraphs] == \
        [(u.kind, u.text, u.heading_path) for u in plain.paragraphs]
    assert (md.title, md.region, md.year, md.date) == (plain.title, plain.region, plain.year, plain.date)


@pytest.mark.parametrize("name", ["山东", "河南"])
def test_a_markdown_reports_title_is_its_heading_without_the_marks(tmp_path, name):
    """A report whose title Markdown marks as its heading (# 2026年山东省政府工作报告) is titled by
    the words, as its plain text is (the title was "# 2026年…", in the list and in the facets)."""
    lines = [line.strip() for line in _report_text(name).split("\n") if line.strip()]
    lines = lines[next(i for i, line in enumerate(lines) if line.endswith("政府工作报告")):]   # the page's chrome off
    markdown = "# " + lines[0] + "\n\n" + "\n\n".join(lines[1:]) + "\n"
    plain, md = _plain_and_markdown(tmp_path, "r", "\n".join(lines), markdown)
    assert plain.title == lines[0] and md.title == plain.title


def hard_wrapped_markdown(text: str, width: int) -> str:
    """A report as Markdown whose paragraphs (a block each) are cut every ``width``
    characters, wherever the margin falls: inside a figure or a word too."""
    blocks = [line.strip() for line in text.split("\n") if line.strip()]
    return "\n\n".join("\n".join(b[i:i + width] for i in range(0, len(b), width)) for b in blocks) + "\n"


@pytest.mark.parametrize("name, width", [("001_", 38), ("002_", 60), ("山东", 60)])
def test_a_hard_wrapped_markdown_report_reads_as_its_plain_text(tmp_path, name, width):
    """A wrap that cut a figure (…项目4 | 200余个) is joined without a space, as in a wrapped
    .txt: the figure is 4200 again for counts, phrases and indicators."""
    text = _report_text(name)
    markdown = hard_wrapped_markdown(text, width)
    assert re.search(r"\d\n\d", markdown), "the wrap cuts no figure: nothing tested"
    plain, md = _plain_and_markdown(tmp_path, "r", text, markdown)
    assert [u.text for u in md.paragraphs] == [u.text for u in plain.paragraphs]
    assert (md.title, md.region, md.year) == (plain.title, plain.region, plain.year)


@pytest.mark.parametrize("markdown, line", [
    ("**（一）稳增长。**坚持*创新*驱动", "（一）稳增长。坚持创新驱动"),             # bold lead CommonMark leaves open
    ("坚持**“两个毫不动摇”**，支持", "坚持“两个毫不动摇”，支持"),
    ("见[新闻](http://x.cn/a)和<span>内联</span>", "见新闻和内联"),
    ("第__条和第__款，共________项", "第__条和第__款，共________项"),    # blanks to fill in, not emphasis
    ("代码 `a**b**c` 照写", "代码 a**b**c 照写"),
    ("\\*\\*字面\\*\\*", "**字面**"),                                            # escaped: literal stars
    ("网址 http://www.gov.cn/a__b__c.html", "网址 http://www.gov.cn/a__b__c.html"),
    ("全年增长5.2%  \n2026年目标", "全年增长5.2% 2026年目标"),            # a hard break: digits kept apart
    ("GDP\ngrowth，中文\n续行", "GDP growth，中文续行"),
    ("项目4\n200余个，增长1\n.39%，C\n919和PM2\n.5", "项目4200余个，增长1.39%，C919和PM2.5"),   # a wrap inside a figure
    ("**一、加快\n发展。**坚持", "一、加快发展。坚持"),                     # a bold lead across a wrapped line
    ("GDP增长**5%**左右，**1.**加快发展", "GDP增长5%左右，1.加快发展"),       # bold figures and numbers
    ("坚持\ue0005\ue001发展和`x`", "坚持\ue0005\ue001发展和x"),                 # private-use text stays itself
])
def test_markdown_inline_markup_is_read_as_its_words(markdown, line):
    from indexer.reports import markdown_lines

    assert markdown_lines(markdown + "\n") == [line]


def test_broken_catalog_is_a_named_failure(tmp_path):
    (tmp_path / "catalog.csv").write_text('file,note\nr.txt,"' + "长" * 200_000 + '"\n', encoding="utf-8")
    (tmp_path / "r.txt").write_text("2024年某区政府工作报告\n各位代表：\n正文。\n", encoding="utf-8")
    out = cli("index", str(tmp_path), "--index", str(tmp_path / "ix"), "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    (fail,) = json.loads(out.stdout)["failed"]
    assert "编目文件" in fail["error"] and "有误" in fail["error"]


def test_a_table_interrupted_by_blank_lines_keeps_one_header(tmp_path):
    """A Word table broken across a page (two blank lines between two rows) reads
    on as the same table: only the first row of a run of table rows is a header."""
    path = next(SEEDS.glob("003_*.txt"))
    lines = path.read_text(encoding="utf-8").split("\n")
    at = lines.index("\t规上工业增加值增速（%）") - 1          # its row starts with an empty cell
    assert lines[at] == "\t" and lines[at - 1] == ""
    broken = tmp_path / path.name
    broken.write_text("\n".join(lines[:at] + [""] + lines[at:]), encoding="utf-8")
    for p in (path, broken):
        (_source, doc), = list(read_file(FoundFile(p, "seeds/" + p.name, str(p))))
        units = build_report(doc, "seeds/" + p.name).paragraphs
        rows_after_rows = [u for prev, u in zip(units, units[1:])
                           if u.kind == "table_row" and prev.kind == "table_row"]
        assert rows_after_rows and not any(u.cells["header"] for u in rows_after_rows)
        assert any(u.text.startswith("规上工业增加值增速（%）") for u in rows_after_rows)


def test_a_catalog_year_that_is_no_year_and_a_row_for_no_file_are_said(tmp_path):
    """A catalog's year of "abc" used to make the year unknown, and a row naming a file not
    in the folder was ignored: both silently. The year is now the text's (the oracle: the
    same file indexed without a catalog), each with a warning."""
    from indexer.writer import index_paths

    seed = next(SEEDS.glob("000_*.txt"))
    for name in ("plain", "catalogued"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "r.txt").write_bytes(seed.read_bytes())
    (tmp_path / "catalogued" / "catalog.csv").write_text(
        "file,year\nr.txt,abc\nnothere.txt,2024\n", encoding="utf-8")
    plain = index_paths(str(tmp_path / "ix1"), [str(tmp_path / "plain")])
    run = index_paths(str(tmp_path / "ix2"), [str(tmp_path / "catalogued")])
    assert not plain.warnings
    said = {w["source"].rsplit("/", 1)[-1]: w["warning"] for w in run.warnings}
    assert "nothere.txt" in said["catalog.csv"] and "abc" in said["r.txt"]
    years = [[r["year"] for r in reports_of(str(tmp_path / ix))] for ix in ("ix1", "ix2")]
    assert years[0] == years[1] and years[0][0] is not None


@pytest.mark.parametrize("given, year, warned", [("abc", "text", True), ("未知", None, False), ("-", None, False),
                                                 ("2023", 2023, False)])
def test_a_given_year_that_names_none_is_the_texts_and_an_unknown_one_stays_unknown(given, year, warned):
    from indexer.metadata import extract_metadata

    lines = ["2024年某区政府工作报告", "各位代表：", "正文。"]
    text_year = extract_metadata(lines, {})[0]["year"]
    out, _origin = extract_metadata(lines, {"year": given, "_origin": {"year": "catalog"}})
    assert out["year"] == (text_year if year == "text" else year) and text_year == 2024
    assert bool(out.get("_unusable_year")) == warned


def test_catalog_rows_are_checked_against_the_folder_by_name_never_by_a_path_lookup(tmp_path):
    """A row naming a file of 60 关于 (longer than a file name can be) used to stop the whole run
    (ENAMETOOLONG from a lookup); a path where a name belongs (sub/r.txt) is never used."""
    from indexer.writer import index_paths

    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "r.txt").write_bytes(next(SEEDS.glob("000_*.txt")).read_bytes())
    long_name = "关于" * 60 + ".txt"
    (tmp_path / "in" / "catalog.csv").write_text(
        f"file,province\nr.txt,重庆市\n{long_name},四川省\nsub/r.txt,四川省\n", encoding="utf-8")
    run = index_paths(str(tmp_path / "ix"), [str(tmp_path / "in")])
    assert run.added == 1 and not run.failed
    said = sorted(w["warning"] for w in run.warnings if w["source"].endswith("catalog.csv"))
    assert len(said) == 2 and any(long_name in w for w in said) and any("sub/r.txt" in w for w in said)
