"""Dirty collections: every good file indexed, every bad one named with its reason."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.analysis import normalize
from indexer.cleaning import clean_lines, clean_text
from indexer.sources import SourceError, find_files, read_file
from indexer.structure import split_units
from search.engine import Engine, search
from search.highlight import highlight, match_spans
from search.results import SearchRequest

from . import published
from .conftest import ROOT, SEEDS

SEED_002 = (SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8")
SEED_004 = (SEEDS / "004_75b1283dda5df6ce.txt").read_text(encoding="utf-8")
# the files of the bad corpus that must be indexed, with their text and how it is encoded
GOOD_FILES = {
    "gbk.txt": (SEED_002, "gbk"),
    "gb18030.txt": (SEED_004, "gb18030"),
    "utf16.txt": ("\ufeff" + SEED_002.replace("渝北", "渝北（UTF16）"), "utf-16-le"),
    "bom.txt": (SEED_004.replace("江北", "江北（BOM）"), "utf-8-sig"),
    "oneline.txt": ("2024年某县政府工作报告" + "推进营商环境优化，发展新质生产力，" * 12500, "utf-8"),  # no breaks
    "endings.txt": ("2024年某区政府工作报告\r\n各位代表：\r一、工作回顾\r\n混合换行的段落，营商环境。\n二、工作安排\r继续优化。",
                    "utf-8"),
    "nul.txt": ("2024年某区政府工作报告\n各位代表：\n含有空字节的报告" + "\x00" + "正文，营商环境。\n", "utf-8"),
}
GOOD_ROWS = [f"各位代表：\n第{i}号测试报告正文，坚持稳进增效。" for i in range(3)]     # rows.jsonl, between a broken row


def gs(*args, **kw):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          timeout=600, cwd=ROOT, **kw)


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad") / "corpus"
    d.mkdir()
    for name, (text, encoding) in GOOD_FILES.items():
        (d / name).write_bytes(text.encode(encoding, errors="replace"))     # GBK lacks a few characters
    (d / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (d / "renamed.pdf.txt").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    (d / "zero.txt").write_bytes(b"")
    (d / "text.odt").write_text("不是 OpenDocument", encoding="utf-8")      # a renamed text file
    (d / "zip.rtf").write_bytes(b"PK\x03\x04" + b"\0" * 60)                  # a ZIP named .rtf
    (d / "spaces.txt").write_text(" \n\t\n\u3000\n", encoding="utf-8")
    with open(d / "huge.txt", "wb") as fh:                  # 50 MB: not one report
        fh.truncate(50 * 1024 * 1024)
        fh.seek(0)
        fh.write("一".encode() * 1000)
    (d / "notext.csv").write_text("province,year,title\n四川省,2024,某报告\n", encoding="utf-8")
    good_rows = [json.dumps({"title": f"2024年测试县{i}政府工作报告", "text": text}, ensure_ascii=False)
                 for i, text in enumerate(GOOD_ROWS)]
    (d / "rows.jsonl").write_text("\n".join([good_rows[0], "{broken json", good_rows[1], good_rows[2]]) + "\n",
                                  encoding="utf-8")
    os.symlink("loop-b.txt", d / "loop-a.txt")
    os.symlink("loop-a.txt", d / "loop-b.txt")
    os.symlink(".", d / "self-dir")                          # a directory loop
    locked = d / "locked.txt"
    locked.write_text(SEED_002.replace("渝北", "渝北（锁）"), encoding="utf-8")
    locked.chmod(0o000)
    return d


@pytest.fixture(scope="module")
def bad_run(bad_corpus, tmp_path_factory):
    """Index the bad corpus; as root, without the capability to ignore file permissions."""
    ix = tmp_path_factory.mktemp("bad-index")
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to test unreadable files as root"
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    out = subprocess.run(prefix + [sys.executable, "-m", "cli", "index", str(bad_corpus),
                                   "--index", str(ix), "--json"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    return out, str(ix)


def failures(out) -> dict[str, str]:
    return {f["source"].split("/")[-1]: f["error"] for f in json.loads(out.stdout)["failed"]}


def test_bad_files_named_good_files_indexed(bad_run):
    out, ix = bad_run
    assert out.returncode == 1, out.stderr                   # something failed: say so
    assert "Traceback" not in out.stderr
    run = json.loads(out.stdout)
    f = failures(out)
    assert "二进制" in f["binary.txt"]
    assert "PDF" in f["renamed.pdf.txt"]
    assert "空文件" in f["zero.txt"] and "空文件" in f["spaces.txt"]
    assert "不是 OpenDocument 文本文件（.odt）" in f["text.odt"] and "不是 RTF 文件（.rtf）" in f["zip.rtf"]
    assert "50 MB" in f["huge.txt"] and "最多 20 MB" in f["huge.txt"]
    assert "没有正文列" in f["notext.csv"]
    assert "不是有效的 JSON" in f["rows.jsonl#2"]
    assert "符号链接成环" in f["loop-a.txt"] and "符号链接成环" in f["loop-b.txt"]
    assert "没有权限" in f["locked.txt"]
    indexed = {"gbk.txt", "gb18030.txt", "utf16.txt", "bom.txt", "oneline.txt", "endings.txt", "nul.txt",
               "rows.jsonl#1", "rows.jsonl#3", "rows.jsonl#4"}
    assert run["added"] == len(indexed) and run["reports"] == len(indexed)
    assert not indexed & set(f)
    warnings = {w["source"].split("/")[-1]: w["warning"] for w in run["warnings"]}
    assert warnings["nul.txt"] == "已删去空字节（NUL）" and "GB18030" in warnings["gbk.txt"]


@pytest.mark.parametrize("phrase", ["渝北区人民政府", "渝北（UTF16）", "江北（BOM）", "混合换行的段落",
                                    "含有空字节的报告正文", "第1号测试报告", "稳进增效"])
def test_good_files_are_searchable(bad_run, phrase):
    """Every report that says it is found, whatever its encoding, line endings or NUL bytes."""
    _, ix = bad_run
    texts = [text for text, _encoding in GOOD_FILES.values()] + GOOD_ROWS
    expected = sum(phrase in text.replace("\x00", "") for text in texts)       # NUL bytes are dropped
    assert expected >= 1
    r = search(Engine(ix), SearchRequest(q=f'"{phrase}"', limit=100))
    assert len({h.report_id for h in r.hits}) == expected


def test_giant_line_split_into_units(bad_run):
    _, ix = bad_run
    snap = Engine(ix).snapshot()
    with snap.searching() as s:
        units = [f for f in snap.units.all(s) if f["source"].endswith("oneline.txt")]
    assert len(units) > 50 and max(len(u["text"]) for u in units) <= 3000
    assert sum(u["text"].count("营商环境") for u in units) == 12500


def test_fixed_file_is_picked_up_on_rerun(bad_corpus, tmp_path):
    d = tmp_path / "c"
    shutil.copytree(bad_corpus, d, symlinks=True, ignore=shutil.ignore_patterns("huge.txt", "locked.txt"))
    ix = str(tmp_path / "ix")
    first = gs("index", str(d), "--index", ix, "--json")
    assert "binary.txt" in failures(first)
    (d / "binary.txt").write_text(SEED_002.replace("渝北", "渝北（修复）"), encoding="utf-8")
    second = json.loads(gs("index", str(d), "--index", ix, "--json").stdout)
    assert second["added"] == 1 and "binary.txt" not in {f["source"].split("/")[-1] for f in second["failed"]}


# error pages as sites serve them in place of an article (a saved link that had gone dead)
ERROR_PAGES = {
    "404.html": "<html><head><title>404 页面不存在</title></head><body><div>您访问的页面不存在</div></body></html>",
    "apache.htm": ("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
                   "<p>The requested URL was not found on this server.</p></body></html>"),
    "removed.html": ("<html><head><meta charset='utf-8'><title>提示信息</title></head><body><div class='tip'>"
                     "您访问的页面不存在或已被删除！</div><a href='/'>返回首页</a></body></html>"),
}


def test_a_saved_error_page_is_refused_and_the_report_it_replaced_stays(tmp_path):
    """A 404 page saved instead of the report is no report: each is named with a one-line reason,
    and a report page that a re-download replaced with one keeps its indexed report."""
    d, ix = tmp_path / "pages", str(tmp_path / "ix")
    d.mkdir()
    page = d / "report.html"
    page.write_bytes(published.govcn_page(SEED_002, published.PageMeta(title=SEED_002.split("\n")[0])))
    assert json.loads(gs("index", str(d), "--index", ix, "--json").stdout)["added"] == 1
    page.write_text(ERROR_PAGES["404.html"], encoding="utf-8")
    for name, html in ERROR_PAGES.items():
        (d / name).write_text(html, encoding="utf-8")
    out = gs("index", str(d), "--index", ix, "--json")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    f = failures(out)
    assert set(f) == {"report.html", *ERROR_PAGES}
    assert all("报错页" in reason and "不是报告" in reason and "\n" not in reason for reason in f.values()), f
    run = json.loads(out.stdout)
    assert run["added"] == 0 and run["removed"] == 0 and run["reports"] == 1
    r = search(Engine(ix), SearchRequest(q='"渝北区人民政府"', limit=10))
    assert len({h.report_id for h in r.hits}) == 1


def test_file_vanishing_between_listing_and_reading(tmp_path):
    (tmp_path / "a.txt").write_text(SEED_002, encoding="utf-8")
    files, _ = find_files([str(tmp_path)])
    (tmp_path / "a.txt").unlink()
    with pytest.raises(SourceError) as e:
        list(read_file(files[0]))
    assert "不见了" in str(e.value)


# ---------------------------------------------------------------- properties, arbitrary Unicode

CJK_TEXT = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=30)
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
LINE = st.one_of(ANY_TEXT, st.builds(lambda a, b: a + b + "。", CJK_TEXT, ANY_TEXT),
                 st.sampled_from(["一、工作回顾", "（一）总体情况", "1.具体措施", "\t类别", "\t", "",
                                  "關(guān)于發(fā)展", "——2024年1月26日在某区人民代表大会上"]))
DOC = st.builds(lambda lines, nl: nl.join(lines), st.lists(LINE, max_size=25),
                st.sampled_from(["\n", "\r\n", "\r", "\n\n"]))


def _cjk(text):
    return collections.Counter(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOC)
def test_cleaner_and_splitter_never_fail_or_lose_characters(doc):
    lines = clean_lines(doc)
    cleaned = clean_text(doc)
    units = split_units(lines)
    assert not (_cjk(cleaned) - _cjk("".join(u.text for u in units)))
    for u in units:
        assert u.text and u.kind in ("heading", "paragraph", "table_row", "list_item")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(lambda a, b: a + b, CJK_TEXT, st.sampled_from(["。", "，", "。\n", "，\n", "；\r\n"])),
                max_size=20))
def test_cleaning_keeps_every_chinese_character_of_prose(sentences):
    """Prose (lines that end in punctuation, so no line is page furniture such as
    a bare 打印本页) loses no Chinese character in cleaning."""
    doc = "各位代表：\n" + "".join(sentences) + "。"
    assert not (_cjk(doc) - _cjk(clean_text(doc)))


@settings(max_examples=500, deadline=None)
@given(ANY_TEXT, st.lists(ANY_TEXT.filter(lambda t: 0 < len(t) < 6), max_size=4))
def test_normalised_offsets_and_highlight_spans(text, terms):
    norm = normalize(text)
    assert len(norm) == len(text)                           # offsets map one to one
    nterms = [normalize(t) for t in terms if normalize(t)]
    spans = match_spans(text, nterms)
    for s, e, ti in spans:
        assert 0 <= s < e <= len(text) and norm[s:e].startswith(nterms[ti])
    # the spans cover exactly the characters of every occurrence of every term (brute force)
    covered = {i for s, e, _ti in spans for i in range(s, e)}
    assert covered == {i for t in nterms for at in range(len(norm)) if norm.startswith(t, at)
                       for i in range(at, at + len(t))}
    assert all(e1 < s2 for (_s1, e1, _t1), (s2, _e2, _t2) in zip(spans, spans[1:]))   # apart, in order
    hl = highlight(text, nterms, max_chars=0)
    for s, e in hl.spans:
        assert 0 <= s < e <= len(text)
        # the marked characters of the original are, normalised, matched text
        assert any(t in norm[s:e] or norm[s:e] in t or norm[s:e].startswith(t) for t in nterms)
