"""Each cleaning rule, on the real seed and provincial files."""

from __future__ import annotations

import csv
import re

import pytest

from indexer.analysis import normalize
from indexer.cleaning import (clean_lines, clean_text, collapse_spaces, rejoin_hard_wraps,
                              remove_chrome, remove_pinyin_debris, strip_invisible)

from .conftest import SEEDS


def seed_text(prefix: str) -> str:
    path = next(SEEDS.glob(prefix + "_*.txt"))
    return path.read_text(encoding="utf-8")


def province_text(provinces_dir, name: str) -> str:
    path = next(provinces_dir.glob(f"*{name}*.csv"))
    csv.field_size_limit(10**9)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.DictReader(fh))["full_text"]


TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_LEFT = re.compile(r"\([a-zü" + TONES + r"]+\)|[a-zü]*[" + TONES + r"][a-zü]*\)")


# ---------------------------------------------------------------- pinyin debris

def test_pinyin_debris_removed_from_seed_001():
    cleaned = clean_text(seed_text("001"))
    assert not PINYIN_LEFT.search(cleaned), PINYIN_LEFT.search(cleaned).group()
    assert cleaned.startswith("關于攀枝花市東區2023年國民經濟和社會發展計劃")
    assert "發展" in cleaned and "發(fā)展" not in cleaned


def test_pinyin_debris_rule_keeps_real_brackets():
    assert remove_pinyin_debris("關(guān)于") == "關于"
    assert remove_pinyin_debris("(一)2023年目標(biāo)完成") == "(一)2023年目標完成"
    for keep in ("（一）", "(2024年2月27日在東區第十二屆人民代表大會)", "核心指标(GDP)增速", "(5)"):
        assert remove_pinyin_debris(keep) == keep


# ---------------------------------------------------------------- invisible characters

def test_invisible_and_control_characters_dropped():
    raw = "营商\u200b环境\ufeff优化\u200d，\x00稳\r\n进\r增效\u2028完"
    assert strip_invisible(raw) == "营商环境优化，稳\n进\n增效\n完"


def test_strip_invisible_keeps_exactly_the_visible_characters():
    """Every character of the BMP, and a sample beyond it (CJK Extension B, private
    use, tags, unassigned), against the rule read off each character's category."""
    import random
    import unicodedata

    rnd = random.Random(19)
    astral = [0x20000, 0x2A6DF, 0x1F600, 0xE0001, 0xF0000, 0x10FFFD, 0x1D173] + \
        [rnd.randrange(0x10000, 0x110000) for _ in range(3000)]
    chars = [chr(cp) for cp in range(0x10000) if cp not in (0x0D, 0x0C, 0x2028, 0x2029)] + [chr(cp) for cp in astral]
    text = "".join(chars)
    want = "".join(ch for ch in chars if ch in "\n\t" or unicodedata.category(ch) not in
                   ("Cf", "Cc", "Cs", "Co", "Cn"))
    assert strip_invisible(text) == want
    assert "\u200b" not in want and "\U00020000" in want and "\U000F0000" not in want


# ---------------------------------------------------------------- page chrome

CHROME_SAMPLES = ["下载", "打印", "全屏", "收藏", "【字号：", "加大", "还原", "减小", "分享:",
                  "相关报道：", "来源：解放日报", "时间：2026-02-09", "扫一扫在手机打开当前页",
                  "关闭窗口", "责任编辑："]


def test_page_chrome_removed_from_shanghai(provinces_dir):
    lines = [l.strip() for l in clean_lines(province_text(provinces_dir, "上海"))]
    for chrome in CHROME_SAMPLES:
        assert chrome not in lines, chrome
    assert lines[0] == "2026年上海市政府工作报告"
    assert "——2026年2月3日在上海市第十六届人民代表大会第四次会议上" in lines


@pytest.mark.parametrize("province,caption", [
    ("宁夏", "宁夏日报记者 王鼎 摄"),
    ("贵州", "贵州日报天眼新闻记者 李森 摄"),
    ("内蒙古", "本报记者 韩卿立 摄"),
    ("甘肃", "甘肃日报记者 盛学卿"),
    ("陕西", "省长赵刚作政府工作报告"),
])
def test_photo_captions_and_bylines_removed(provinces_dir, province, caption):
    assert caption not in clean_text(province_text(provinces_dir, province))


def test_breadcrumbs_timestamps_and_tail_removed(provinces_dir):
    sichuan = clean_text(province_text(provinces_dir, "四川"))
    assert "责任编辑" not in sichuan and "相关链接" not in sichuan and "打印本页" not in sichuan
    assert "abcd39f1fb7f426d9dfb6bd0fa1f2146" not in sichuan
    # the page repeated the title and first paragraph after the article: gone
    assert sichuan.count("各位代表：现在，我代表省人民政府") == 0
    assert "2026年02月10日 07时41分" not in sichuan
    yunnan = clean_text(province_text(provinces_dir, "云南"))
    assert "2026-02-03 09:02:33" not in yunnan and "云南要闻" not in yunnan
    assert "》》点击图片进入专题《《" not in yunnan
    ningxia = clean_text(province_text(provinces_dir, "宁夏"))
    assert "阅读量" not in ningxia and "当前位置" not in ningxia
    qinghai = clean_text(province_text(provinces_dir, "青海"))
    assert "编辑：何继红" not in qinghai and "（来源：青海日报）" not in qinghai


def test_chrome_inside_body_is_kept():
    """A body line that merely mentions a chrome word stays."""
    lines = ["2026年某省政府工作报告", "各位代表：", "一、工作回顾",
             "新增重庆老字号2个，相关报道总点击量超610亿次。", "下载"]
    kept = remove_chrome(lines)
    assert "新增重庆老字号2个，相关报道总点击量超610亿次。" in kept


def test_seed_002_notice_is_document_not_chrome():
    cleaned = clean_text(seed_text("002"))
    assert cleaned.startswith("渝北府发〔2024〕1号")
    assert "关于印发2024年政府工作报告的通知" in cleaned


# ---------------------------------------------------------------- hard wraps

def test_broken_bracket_rejoined(provinces_dir):
    yunnan = clean_lines(province_text(provinces_dir, "云南"))
    assert "（三）改革开放持续深化、互促共进。" in [l.strip() for l in yunnan]


def test_subtitle_broken_across_lines_rejoined(provinces_dir):
    lines = [l.strip() for l in clean_lines(province_text(provinces_dir, "广东"))]
    assert "——2026年1月26日在广东省第十四届人民代表大会第五次会议上" in lines
    assert any(l.startswith("“十五五”时期经济社会发展的主要目标是：地区生产总值") for l in lines)


def test_words_split_by_markup_rejoined(provinces_dir):
    text = clean_text(province_text(provinces_dir, "四川"))
    assert "企业找技术、成果找市场“双向揭榜挂帅”的简称" in text
    assert "带技术揭榜；“成果找市场”" in text


def test_pdf_style_hard_wrap_rejoined():
    """A seed paragraph wrapped at a fixed width comes back as one paragraph."""
    paragraphs = [l for l in seed_text("002").splitlines() if len(l) > 120][:6]
    width = 28
    wrapped = []
    for p in paragraphs:
        wrapped += [p[i:i + width] for i in range(0, len(p), width)]
    joined = [l for l in rejoin_hard_wraps(wrapped) if l.strip()]
    assert joined == paragraphs


def test_headings_never_glued_to_the_next_line():
    lines = ["一、2024年经济工作情况", "2024年，预计实现地区生产总值X亿元。", "（一）疫情防控有序有力。",
             "一是坚持率先部署。"]
    assert rejoin_hard_wraps(lines) == lines


def test_split_title_rejoined():
    lines = [l.strip() for l in clean_lines(seed_text("003"))]
    assert lines[0] == "关于重庆市綦江区2023年国民经济和社会发展计划执行情况及2024年计划草案的报告"


# ---------------------------------------------------------------- whitespace and width

def test_spaces_between_cjk_collapsed_but_words_kept():
    assert collapse_spaces("上海市市长 龚 正") == "上海市市长龚正"
    assert collapse_spaces("实施 AI  +  行动") == "实施 AI + 行动"
    assert collapse_spaces("\t 稳进\u3000增效 ") == "稳进增效"


def test_normalize_is_one_to_one_and_matches_across_forms():
    for s in ("關於攀枝花市東區２０２４（一）", "ＧＤＰ增長６．５％", "――2026年"):
        assert len(normalize(s)) == len(s)
    assert normalize("發展") == normalize("发展") == "发展"
    assert normalize("ＧＤＰ（%）") == "gdp(%)"


def test_display_text_keeps_traditional():
    cleaned = clean_text(seed_text("001"))
    assert "國民經濟" in cleaned and "国民经济" not in cleaned


def test_text_decoded_out_of_step_after_a_lost_character_is_repaired():
    """Seed 001's converter lost three characters' first bytes; the GBK text after
    each was decoded one byte out of step. The run is decoded back in step (the
    lost character itself is gone)."""
    cleaned = clean_text(seed_text("001"))
    assert "發展能得到新釋放" in cleaned and "撃艿玫叫箩尫拧" not in cleaned
    assert "啟動華山山地體育公園" in cleaned and "|華山" not in cleaned
    assert "品、特" in cleaned and "称贰⑻厣" not in cleaned
    # ordinary text after a lost character is left alone
    assert remove_pinyin_debris("發展?jié)能得到新釋放") == "發展能得到新釋放"


@pytest.mark.parametrize("lines", [3, 6, 9])
def test_a_short_report_whose_title_is_in_two_halves_is_read(tmp_path, lines):
    """Seed 003 cut to its first few lines (its title is in two halves with blank lines
    between): the halves join into the title the whole seed gets, and the report is
    read (one of fewer than a dozen lines failed with IndexError: the lines were
    counted before the halves were joined)."""
    from indexer.reports import build_report
    from indexer.sources import find_files, read_file

    short = tmp_path / "short.txt"
    short.write_text("\n".join(seed_text("003").split("\n")[:lines]) + "\n", encoding="utf-8")
    (found,), _ = find_files([str(short)])
    (_source, doc), = list(read_file(found))
    assert build_report(doc, found.key).title == "关于重庆市綦江区2023年国民经济和社会发展计划执行情况及2024年计划草案的报告"


@pytest.mark.parametrize("province", ["四川省", "浙江省"])
def test_a_sites_bars_around_a_copied_or_printed_page_are_no_report_text(tmp_path, province):
    """A page printed to PDF or copied whole holds the site's navigation bar, its breadcrumb
    in one line, its related links and its footer run together in one line: none of them is
    report text (they were a heading and a paragraph of the report)."""
    from .shapes import province_rows
    from .test_formats import read_units

    text = next(r["full_text"] for r in province_rows() if r["province"] == province)
    site = (f"首页|无障碍|长者模式| English\n当前位置：首页>政务公开>政府工作报告\n{text.rstrip()}\n"
            f"相关链接 图解：一图读懂2026年{province}人民政府工作报告 代表委员热议政府工作报告\n"
            f"主办：{province}人民政府办公厅 承办：{province}大数据中心 网站标识码：5100000062 "
            f"ICP备05003828号 网站地图|联系我们|隐私声明\n")
    (tmp_path / "plain.txt").write_text(text, encoding="utf-8")
    (tmp_path / "site.txt").write_text(site, encoding="utf-8")
    assert read_units(tmp_path / "site.txt")[1] == read_units(tmp_path / "plain.txt")[1]
