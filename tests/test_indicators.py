"""Indicator facts: extraction on the real reports against hand-read gold facts, the CLI, the API
and the /indicators page (Flask's test client), all over a real index of seeds/ and the provinces."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.eval_indicators import GOAL_PRECISION, GOAL_RECALL, GOLD, HOLDOUT, HOLDOUT2, evaluate, load_gold
from indexer.analysis import normalize
from indexer.indicators import ROLES, TableError, extract_indicators, load_table
from indexer.model import SourceDocument
from indexer.reports import build_report
from indexer.store import META_NAME, IndexStore
from search.indicators import JSON_FIELDS, all_facts, resolve_name
from search.reports import get_report
from webui import create_app
from cli.main import cli

from .conftest import SEEDS

# the fields the issue asks `govsearch indicators --json` for, in its order
ISSUE_FIELDS = ["indicator", "canonical", "low", "high", "unit", "qualifier", "role", "kind", "region",
                "province", "year", "report_id", "para_no", "quote"]


@pytest.fixture(scope="module")
def facts(corpus_engine) -> list[dict]:
    return all_facts(corpus_engine.snapshot().ix)


@pytest.fixture(scope="module")
def units_of(corpus_engine, facts):
    report_of = {f["region"]: f["report_id"] for f in facts}
    cache: dict = {}

    def units(region: str) -> list[dict]:
        if region not in cache:
            view = get_report(corpus_engine, report_of[region])
            cache[region] = [{"para_no": u.para_no, "text": u.text} for u in view.units]
        return cache[region]
    return units


def of(facts, region, canonical, role, year, measure="growth", **more) -> list[dict]:
    return [f for f in facts if f["region"] == region and f["canonical"] == canonical and f["role"] == role
            and f["year"] == year and f["measure"] == measure and all(f[k] == v for k, v in more.items())]


def one(facts, *args, **kwargs) -> dict:
    found = of(facts, *args, **kwargs)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- accuracy on the gold facts

@pytest.mark.parametrize("path", [GOLD, HOLDOUT, HOLDOUT2], ids=["gold", "holdout", "holdout2"])
def test_precision_and_recall_on_hand_read_facts(path, facts, units_of):
    score = evaluate(load_gold(path), facts, units_of)
    assert score.precision >= GOAL_PRECISION, [w["quote"][:40] for w in score.wrong]
    assert score.recall >= GOAL_RECALL, [(m["region"], m["anchor"], m["indicator"]) for m in score.missed]


def test_gold_file_covers_what_the_issue_asks():
    gold = [r for r in load_gold(GOLD) if r["indicator"]]
    assert len(gold) >= 80
    assert len({r["indicator"] for r in gold}) >= 10
    assert {r["role"] for r in gold} == {"target", "result", "plan"}
    assert any(r["masked"] for r in gold)                                   # seed 000
    assert any(r["low"] != r["high"] for r in gold if not r["masked"])      # 4.5%—5%
    assert any(" | " in r["anchor"] for r in gold)                          # table rows
    assert any(r["region"] == "四川省攀枝花市东区" for r in gold)             # seed 001, Traditional
    assert {"以上", "左右"} <= {r["qualifier"] for r in gold}


# --------------------------------------------------------------------------- what the facts say

def test_ranges_are_low_and_high(facts):
    guangdong = one(facts, "广东省", "GDP", "target", 2026)               # 增长4.5%—5%
    assert (guangdong["low"], guangdong["high"], guangdong["unit"]) == (4.5, 5.0, "%")
    heilongjiang = one(facts, "黑龙江省", "GDP", "target", 2026)          # 增长4.5-5%
    assert (heilongjiang["low"], heilongjiang["high"]) == (4.5, 5.0)
    hunan_plan = one(facts, "湖南省", "GDP", "plan", 2030)                # 年均增长5%—5.5%
    assert (hunan_plan["low"], hunan_plan["high"], hunan_plan["period"]) == (5.0, 5.5, "十五五")


def test_qualifiers_as_written(facts):
    assert one(facts, "上海市", "GDP", "target", 2026)["qualifier"] == "左右"
    assert one(facts, "山东省", "GDP", "target", 2026)["qualifier"] == "以上"
    assert one(facts, "上海市", "城镇调查失业率", "target", 2026, "level")["qualifier"] == "以内"
    grain = one(facts, "内蒙古自治区", "粮食产量", "target", 2026, "level")
    assert (grain["low"], grain["unit"], grain["qualifier"]) == (840.0, "亿斤", "超过")


def test_results_are_the_year_reviewed(facts):
    sichuan = of(facts, "四川省", "GDP", "result", 2025, "level") + of(facts, "四川省", "GDP", "result", 2025)
    assert sorted((f["low"], f["unit"]) for f in sichuan) == [(5.5, "%"), (67665.0, "亿元")]
    fujian = one(facts, "福建省", "固定资产投资", "result", 2025)            # 下降3.3%
    assert fujian["low"] == -3.3


def test_table_rows_give_target_result_and_kind(facts):
    qijiang = of(facts, "重庆市綦江区", "GDP", "target", 2023) + of(facts, "重庆市綦江区", "GDP", "result", 2023)
    table = {f["role"]: f for f in qijiang if " | " in f["quote"]}
    assert (table["target"]["low"], table["target"]["qualifier"], table["target"]["kind"]) == (7.0, "以上", "预期性")
    assert (table["result"]["low"], table["result"]["kind"]) == (6.5, "预期性")
    # 江北: no kind column; the note under the table says * marks 约束性, the others are 预期性
    energy = one(facts, "重庆市江北区", "单位GDP能耗", "result", 2023)
    assert (energy["low"], energy["kind"]) == (-2.97, "约束性")
    gdp_2024 = [f for f in of(facts, "重庆市江北区", "GDP", "target", 2024) if " | " in f["quote"]]
    assert [(f["low"], f["kind"]) for f in gdp_2024] == [(6.0, "预期性")]


def test_traditional_script_reads_the_same(facts):
    dongqu = of(facts, "四川省攀枝花市东区", "GDP", "result", 2023)
    assert [f["low"] for f in dongqu] == [6.7]
    assert dongqu[0]["indicator"] == "地區生產總值" and "增長" in dongqu[0]["quote"]
    assert resolve_name("地區生產總值").key == "GDP" and resolve_name("gdp").key == "GDP"
    stretch = sorted(of(facts, "四川省攀枝花市东区", "GDP", "target", 2024), key=lambda f: f["stretch"])
    assert [(f["low"], f["stretch"], f["qualifier"]) for f in stretch] == [(6.7, False, ""), (7.2, True, "力争以上")]


def test_masked_numbers_are_unknown_never_zero(facts):
    jinniu = [f for f in facts if f["region"] == "四川省成都市金牛区"]
    assert len(jinniu) >= 10
    assert all(f["masked"] and f["low"] is None and f["high"] is None for f in jinniu)
    gdp = of(facts, "四川省成都市金牛区", "GDP", "target", 2024)           # 确保…增长X%、力争X%
    assert sorted(f["stretch"] for f in gdp) == [False, True]


def test_five_year_figures_are_told_apart(facts):
    beijing = one(facts, "北京市", "GDP", "plan", 2030)
    assert (beijing["low"], beijing["high"], beijing["period"]) == (4.5, 5.0, "十五五")
    xinjiang = one(facts, "新疆维吾尔自治区", "GDP", "result", 2025, period="十四五")   # 年均增长5.9%
    assert xinjiang["low"] == 5.9
    assert one(facts, "新疆维吾尔自治区", "GDP", "result", 2025, period="")["low"] == 5.5


def test_done_wording_speaks_only_for_its_own_sentence(facts):
    """目标如期实现 has no tense: in a 十五五 section it is to come, so it may not make the next
    sentence or paragraph a result of the year reviewed (宁夏 ¶53 after ¶52's 碳达峰战略目标如期实现)."""
    ningxia = one(facts, "宁夏回族自治区", "常住人口城镇化率", "plan", 2030, "level")
    assert (ningxia["low"], ningxia["qualifier"], ningxia["period"]) == (71.0, "以上", "十五五")
    assert not of(facts, "宁夏回族自治区", "常住人口城镇化率", "result", 2025, "level", para_no=ningxia["para_no"])
    report = _report("一、2025年工作回顾\n地区生产总值增长5.3%，超过年初预期目标。一般公共预算收入增长3%。\n"
                     "二、“十五五”时期主要目标\n生态环境持续改善，碳达峰目标如期实现。人均预期寿命达到80岁。\n"
                     "主要目标任务全面完成。常住人口城镇化率达到70%以上。")
    got = sorted((f.canonical, f.role, f.year, f.period) for f in extract_indicators(report))
    assert got == [("GDP", "result", 2025, ""), ("一般公共预算收入", "result", 2025, ""),
                   ("人均预期寿命", "plan", 2030, "十五五"), ("常住人口城镇化率", "plan", 2030, "十五五")]
    # uncounted beyond its sentence, 超过年初预期目标 still is no 预期目标 (a target cue)
    report = _report("二、2026年工作安排\n2025年地区生产总值增长5.3%，超过年初预期目标。一般公共预算收入增长3%。")
    assert {(f.role, f.year) for f in extract_indicators(report)} == {("result", 2025)}


def test_every_fact_is_stated_in_its_paragraph(facts, units_of):
    """The link target (report, ¶) holds the quote and, unless masked, the number."""
    assert len(facts) > 500
    for f in facts:
        text = next(u["text"] for u in units_of(f["region"]) if u["para_no"] == f["para_no"])
        for piece in f["quote"].split("…"):
            assert piece in text, (f["region"], f["para_no"], piece)
        if not f["masked"]:
            number = f"{abs(f['low']):g}"
            assert number in normalize(text).replace("％", "%"), (f["region"], f["para_no"], number)


# --------------------------------------------------------------------------- the extractor alone

def _report(body: str, year: int = 2026):
    doc = SourceDocument(source="t.txt", text=f"{year}年某某省政府工作报告\n各位代表：\n{body}",
                         fields={"year": year, "province": "某某省"})
    return build_report(doc, "t.txt")


def test_values_that_are_not_the_indicators_own():
    report = _report("一、2025年工作回顾\n"
                     "地区生产总值增长4.7%、低于全国0.3个百分点，增速居全国第2位。"
                     "数字经济增加值占地区生产总值比重达42%。"
                     "城市副中心地区生产总值增长6%。"
                     "一般公共预算收入62.1亿元，其中税收收入48.6亿元、增长4%。"
                     "PM2.5年均浓度为26.3微克/立方米，新增公园127座，89.4%的公园实现开放。\n"
                     "二、2026年重点工作\n今年主要预期目标是：地区生产总值增长5%左右。")
    got = sorted((f.canonical, f.role, f.year, f.low, f.unit) for f in extract_indicators(report))
    assert got == [("GDP", "result", 2025, 4.7, "%"), ("GDP", "target", 2026, 5.0, "%"),
                   ("PM2.5浓度", "result", 2025, 26.3, "微克/立方米"),
                   ("一般公共预算收入", "result", 2025, 62.1, "亿元")]


def test_a_remark_on_rank_or_record_does_not_end_the_name(facts):
    """湖南 ¶6 达到5.53万亿元、稳居全国前十强、增长4.8%: the growth is the GDP's too; a
    comparison or a sub-part in that place still ends it."""
    hunan = of(facts, "湖南省", "GDP", "result", 2025, "growth", period="")
    assert [(f["low"], f["para_no"]) for f in hunan] == [(4.8, 6)]
    report = _report("一、2025年工作回顾\n"
                     "粮食产量达到620亿斤、创历史新高、增长1.2%。"
                     "一般公共预算收入达3507亿元，居全国第9位，增长1.7%。"
                     "社会消费品零售总额达2万亿元、高于全国平均水平、增长6%。"
                     "固定资产投资达1万亿元、居全国前列、其中工业投资增长9%。")
    got = sorted((f.canonical, f.measure, f.low) for f in extract_indicators(report))
    assert got == [("一般公共预算收入", "growth", 1.7), ("一般公共预算收入", "level", 3507.0),
                   ("固定资产投资", "level", 1.0), ("社会消费品零售总额", "level", 2.0),
                   ("粮食产量", "growth", 1.2), ("粮食产量", "level", 620.0)]


def test_long_names_and_long_verbs(facts):
    """山西 ¶41 居民消费价格总水平上涨幅度控制在2%左右: the CPI's full name and 上涨幅度 (涨幅 written out)."""
    shanxi = one(facts, "山西省", "CPI", "target", 2026)
    assert (shanxi["low"], shanxi["qualifier"], shanxi["para_no"]) == (2.0, "左右", 41)
    report = _report("一、2025年工作回顾\n居民消费价格总水平上涨0.2%，城镇居民人均可支配收入增长幅度为4.5%。")
    got = sorted((f.canonical, f.role, f.low) for f in extract_indicators(report))
    assert got == [("CPI", "result", 0.2), ("城镇居民人均可支配收入", "result", 4.5)]


def test_words_that_may_stand_before_a_name(facts):
    """全疆 is 新疆's 全区 (¶13 全疆常住人口城镇化率61.61%), 包括 opens a list's items (福建 ¶57
    包括地区生产总值年均增长5%左右); a sub-region (南疆五地州地区生产总值) still is no name."""
    xinjiang = one(facts, "新疆维吾尔自治区", "常住人口城镇化率", "result", 2025, "level", para_no=13)
    assert (xinjiang["low"], xinjiang["period"]) == (61.61, "十四五")
    assert not [f for f in facts if f["region"] == "新疆维吾尔自治区" and f["para_no"] == 13 and f["canonical"] == "GDP"]
    fujian = one(facts, "福建省", "GDP", "plan", 2030, para_no=57)
    assert (fujian["low"], fujian["qualifier"], fujian["period"]) == (5.0, "左右", "十五五")
    report = _report("二、2026年工作安排\n主要预期目标共8项，包括城镇新增就业50万人，以及一般公共预算收入增长3%。")
    got = sorted((f.canonical, f.role, f.low) for f in extract_indicators(report))
    assert got == [("一般公共预算收入", "target", 3.0), ("城镇新增就业", "target", 50.0)]


def test_economy_with_a_modifier_before_its_growth(facts):
    """经济 is the GDP only before its growth: 经济增长5%, and with a modifier between, 河南 ¶25
    经济年均增长5%左右 (a 十五五 plan); 县域经济增长5.5% is a county's."""
    henan = one(facts, "河南省", "GDP", "plan", 2030, para_no=25)
    assert (henan["low"], henan["qualifier"], henan["period"]) == (5.0, "左右", "十五五")
    report = _report("一、2025年工作回顾\n经济同比增长5.2%，县域经济年均增长5.5%，经济运行稳中向好。")
    assert [(f.canonical, f.role, f.low) for f in extract_indicators(report)] == [("GDP", "result", 5.2)]


def test_a_change_with_a_degree_adverb(facts):
    """海南 ¶12 CPI微降0.1%: a decline, −0.1; 略涨, 小幅下降 and 微增 (an absolute change) read alike."""
    hainan = one(facts, "海南省", "CPI", "result", 2025, para_no=12)
    assert hainan["low"] == -0.1
    report = _report("一、2025年工作回顾\n居民消费价格略涨0.3%，固定资产投资小幅下降1.2%，"
                     "一般公共预算收入微增1.5亿元。")
    got = sorted((f.canonical, f.measure, f.low) for f in extract_indicators(report))
    assert got == [("CPI", "growth", 0.3), ("固定资产投资", "growth", -1.2)]


def test_respectively_pairs_lists():
    report = _report("一、2025年工作回顾\n城镇和农村常住居民人均可支配收入分别达到53685元、26515元，增长4.5%、6.4%。"
                     "城乡居民人均可支配收入年均分别增长5.3%、7.1%。")
    got = sorted((f.canonical, f.measure, f.low, f.period) for f in extract_indicators(report))
    assert got == [("农村居民人均可支配收入", "growth", 6.4, ""), ("农村居民人均可支配收入", "growth", 7.1, "十四五"),
                   ("农村居民人均可支配收入", "level", 26515.0, ""), ("城镇居民人均可支配收入", "growth", 4.5, ""),
                   ("城镇居民人均可支配收入", "growth", 5.3, "十四五"), ("城镇居民人均可支配收入", "level", 53685.0, "")]


PIECES = ["地区生产总值", "城乡居民人均可支配收入", "粮食、蔬菜总产量", "增长", "下降", "提高到", "从", "超过",
          "年初预期目标", "分别", "年均", "累计", "5.5", "4.5", "X", "-", "—", "%", "亿元", "万人", "左右", "以上",
          "，", "。", "、", "；", "(", ")", "“十五五”时期", "刚刚过去的2025年", "今年", " | ", "*", "\t", "\n"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60))
def test_extraction_never_fails_and_never_invents(pieces):
    """Any arrangement of the pieces reports are made of: no exception, and every fact's
    number is in its paragraph (a masked one has no number at all)."""
    body = "".join(pieces)
    report = _report(f"一、2025年工作回顾\n{body}\n二、2026年重点工作\n{body[::-1]}")
    assert not [w for w in report.warnings if "提取指标" in w]
    texts = {p.para_no: normalize(p.text) for p in report.paragraphs}
    for f in extract_indicators(report):
        assert f.role in ROLES and f.measure in ("growth", "level")
        if f.masked:
            assert f.low is None and f.high is None
        else:
            assert f"{abs(f.low):g}" in texts[f.para_no]


def test_a_broken_table_names_its_row(tmp_path):
    bad = tmp_path / "indicators.csv"
    bad.write_text("canonical,label,rate,aliases\nGDP,地区生产总值,no,地区生产总值\nCPI,居民消费价格,no,居民(消费\n",
                   encoding="utf-8")
    with pytest.raises(TableError, match="第 3 行"):
        load_table(str(bad))
    bad.write_text("canonical,label,rate,aliases\nGDP,地区生产总值,maybe,GDP\n", encoding="utf-8")
    with pytest.raises(TableError, match="第 2 行"):
        load_table(str(bad))


# --------------------------------------------------------------------------- the CLI

def run(*args):
    return CliRunner().invoke(cli, ["indicators", *args])


def test_cli_json_has_the_issues_fields(corpus_index, facts):
    out = run("--index", corpus_index, "--name", "GDP", "--role", "target", "--year", "2026", "--json")
    assert out.exit_code == 0, out.stderr
    rows = json.loads(out.stdout)
    assert all(list(r)[:len(ISSUE_FIELDS)] == ISSUE_FIELDS for r in rows)
    assert len(rows) == 31 and len({r["region"] for r in rows}) == 31          # one per province
    gold = {r["region"]: (r["low"], r["high"]) for r in load_gold(GOLD)
            if r["indicator"] == "GDP" and r["role"] == "target" and r["year"] == 2026}
    assert all((r["low"], r["high"]) == gold[r["region"]] for r in rows if r["region"] in gold)
    traditional = run("--index", corpus_index, "--name", "地區生產總值", "--role", "target", "--year", "2026",
                      "--json")
    assert json.loads(traditional.stdout) == rows


def test_cli_region_filters_read_as_in_search(corpus_index):
    """重庆 is 重庆市 and every region under it; 重庆市 is that region alone; 四川 is 四川省."""
    def regions(*args):
        out = run("--index", corpus_index, "--name", "GDP", "--json", *args)
        assert out.exit_code == 0, out.stderr
        return {r["region"] for r in json.loads(out.stdout)}
    assert regions("--region", "重庆") == {"重庆市", "重庆市渝北区", "重庆市綦江区", "重庆市江北区"}
    assert regions("--region", "重庆市") == {"重庆市"}
    assert regions("--province", "四川") == {"四川省", "四川省成都市金牛区", "四川省攀枝花市东区"}
    assert regions("--level", "县区级") == {"重庆市渝北区", "重庆市綦江区", "重庆市江北区", "四川省成都市金牛区",
                                          "四川省攀枝花市东区"}


def test_cli_csv_and_text(corpus_index):
    out = run("--index", corpus_index, "--name", "CPI", "--csv")
    table = list(csv.reader(io.StringIO(out.stdout)))
    assert table[0] == list(JSON_FIELDS)
    as_json = json.loads(run("--index", corpus_index, "--name", "CPI", "--json").stdout)
    assert len(table) - 1 == len(as_json) and all(row[1] == "CPI" for row in table[1:])
    text = run("--index", corpus_index, "--name", "CPI", "--region", "北京市", "--quotes").stdout
    assert "目标  2%左右" in text and "居民消费价格涨幅2%左右" in text


@pytest.mark.parametrize("args, message", [
    (["--role", "targets"], "选项 --role"),
    (["--name", "不存在的指标"], "选项 --name"),
    (["--year", "20x6"], "选项 --year"),
    (["--measure", "ratio"], "选项 --measure"),
])
def test_cli_bad_options_are_one_line(corpus_index, args, message):
    out = run("--index", corpus_index, *args)
    assert out.exit_code == 2 and out.stdout == ""
    assert out.stderr.startswith("govsearch: error: " + message) and out.stderr.count("\n") == 1


def test_an_index_built_with_another_table_says_so_and_rebuilds(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "001_ee0cd8f568fba525.txt", folder)
    ix = str(tmp_path / "ix")
    assert CliRunner().invoke(cli, ["index", str(folder), "--index", ix]).exit_code == 0
    store = IndexStore(ix)
    meta_path = store.current_dir() / META_NAME
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "indicator_table": "older"}), encoding="utf-8")
    out = run("--index", ix, "--json")
    assert out.exit_code == 0 and "另一版指标表" in out.stderr
    assert json.loads(out.stdout)                                    # the facts it has are still shown
    rebuilt = CliRunner().invoke(cli, ["index", str(folder), "--index", ix, "--rebuild-if-stale"])
    assert rebuilt.exit_code == 0 and "用另一版指标表建的：正在重建" in rebuilt.stderr
    assert run("--index", ix, "--json").stderr == ""


# --------------------------------------------------------------------------- the page and the API

@pytest.fixture(scope="module")
def client(corpus_index):
    return create_app(corpus_index).test_client()


def test_api_answers_what_the_cli_prints(client, corpus_index):
    api = client.get("/api/indicators?name=GDP&role=result&year=2025")
    cli_out = run("--index", corpus_index, "--name", "GDP", "--role", "result", "--year", "2025", "--json")
    assert api.status_code == 200 and api.get_json() == json.loads(cli_out.stdout)
    bad = client.get("/api/indicators?role=nope")
    assert bad.status_code == 400 and "参数 role" in bad.get_json()["error"]


def _cells(page: str) -> list[tuple[str, list[str]]]:
    """(region, [cell html]) per table row of the regions × years table."""
    body = page.split('class="ind-table"', 1)[1].split("</table>", 1)[0]
    return [(m.group(1), re.findall(r"<td[^>]*>(.*?)</td>", m.group(2)))
            for m in re.finditer(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', body, re.S)]


def test_page_table_sorts_and_links_each_value_to_its_paragraph(client, facts, units_of):
    page = client.get("/indicators?name=GDP&measure=growth&sort=2026-target&dir=desc").get_data(as_text=True)
    targets = {f["region"]: (f["low"] + f["high"]) / 2 for f in facts
               if f["canonical"] == "GDP" and f["role"] == "target" and f["year"] == 2026 and f["measure"] == "growth"}
    regions = [region for region, _cells_ in _cells(page)]
    assert len(regions) == len({f["region"] for f in facts if f["canonical"] == "GDP" and f["measure"] == "growth"})
    ranked = [targets[r] for r in regions if r in targets]
    assert ranked == sorted(ranked, reverse=True) and len(ranked) == 31
    report_region = {f["report_id"]: f["region"] for f in facts}
    links = re.findall(r'<a href="/reports/([0-9a-f]+)#p-(\d+)" title="[^"]*">([^<]+)</a>', page)
    assert len(links) >= 100
    for report_id, para_no, value in links:
        text = normalize(next(u["text"] for u in units_of(report_region[report_id]) if u["para_no"] == int(para_no)))
        number = re.search(r"[\d.]+|X", html.unescape(value)).group()
        assert (number if number != "X" else "x") in text, (report_id, para_no, value)


def test_page_charts(client, facts):
    page = client.get("/indicators?name=GDP&measure=growth").get_data(as_text=True)
    bars = page.split('class="chart bars"', 1)[1].split("</svg>", 1)[0]
    assert bars.count('class="bar"') == 31                     # 2026: every province's GDP target
    assert bars.count('href="/reports/') == 31
    series = page.split('class="chart series"', 1)[1].split("</svg>", 1)[0]
    assert 'class="target"' in series and 'class="result"' in series


@pytest.mark.parametrize("query", ["name=%3Cscript%3Ealert(1)%3C/script%3E", "level=" + "x" * 300])
def test_page_bad_parameters(client, query):
    resp = client.get("/indicators?" + query)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "参数有误" in page and "<script>alert" not in page
