"""Reports as they are published — web pages, Word, PDF — read like their .txt.

The fixtures are made here from the real seed and provincial reports (tests/published.py):
a .docx with heading styles, Word numbering and tables; a PDF printed by headless Chromium
with a running header, ``— N —`` footers and page breaks; a gov.cn-style GBK page; a .doc
written by LibreOffice; a scan with no text layer.  The oracle is the same report read from
its .txt: each format must give at least 98% of those units, identically.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.analysis import normalize
from indexer.reports import build_report
from indexer.sources import FoundFile, path_key, read_file
from indexer.writer import index_paths
from search.catalog import list_reports
from search.engine import Engine, search
from search.results import SearchRequest

from . import published
from .conftest import ROOT, SEEDS
from .shapes import province_rows
from .test_browser import CHROMIUM, CHROMIUM_ARGS

SEED_NAMES = sorted(p.stem for p in SEEDS.glob("*.txt"))
PDF_SEEDS = ["001_ee0cd8f568fba525", "003_b58f78ac1f665e0d", "004_75b1283dda5df6ce"]
PROVINCES = ["2026_北京市_政府工作报告", "2026_四川省_政府工作报告", "2026_广东省_政府工作报告"]
RUNNING_HEADER = "政府工作报告（送审稿）"
PAGE_NUMBER = re.compile(r"^[—–\-－―]\s*\d{1,4}\s*[—–\-－―]$|^第\s*\d+\s*页")
CREATED = (2024, 2, 27)


def read_units(path: Path):
    """The report a file holds, read as `govsearch index` reads it: (report, [(kind, text)])."""
    found = FoundFile(path, path_key(path), str(path))
    [(_, doc)] = list(read_file(found))
    if isinstance(doc, Exception):
        raise doc
    report = build_report(doc, found.key)
    return report, [(u.kind, u.text) for u in report.paragraphs]


def identical_share(oracle: list, got: list) -> float:
    """Share of the oracle's units found identically, in order, in ``got``."""
    matcher = difflib.SequenceMatcher(None, oracle, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(oracle)


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> Path:
    """The seeds and three provinces as .txt files: the oracle's input."""
    d = tmp_path_factory.mktemp("txt")
    for name in SEED_NAMES:
        shutil.copy(SEEDS / f"{name}.txt", d / f"{name}.txt")
    rows = {f"2026_{r['province']}_政府工作报告": r for r in province_rows()}
    for name in PROVINCES:
        (d / f"{name}.txt").write_text(rows[name]["full_text"], encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def oracle(texts):
    return {p.stem: read_units(p) for p in texts.glob("*.txt")}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def published_dir(tmp_path_factory, texts, oracle, browser) -> Path:
    """Every report in every published shape, in one folder per shape."""
    import datetime

    root = tmp_path_factory.mktemp("published")
    for shape in ("docx", "html", "pdf", "doc", "odt", "rtf", "scan"):
        (root / shape).mkdir()
    for txt in sorted(texts.glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        name = txt.stem
        published.docx_from_text(text, root / "docx" / f"{name}.docx", created=datetime.datetime(*CREATED))
        meta = published.PageMeta(title=oracle[name][0].title, source=f"{_issuer(name)}人民政府",
                                  url=f"https://www.example.gov.cn/zwgk/{name}.html")
        (root / "html" / f"{name}.html").write_bytes(published.govcn_page(text, meta))
        if name in PDF_SEEDS or name == PROVINCES[0]:      # Chromium takes 1–2 s a report
            published.print_pdf(browser, text, root / "pdf" / f"{name}.pdf", RUNNING_HEADER)
    seed = "003_b58f78ac1f665e0d"
    published.scan_pdf(browser, (texts / f"{seed}.txt").read_text(encoding="utf-8"), root / "scan" / "scan.pdf")
    if shutil.which("soffice"):
        published.doc_from_docx(root / "docx" / f"{seed}.docx", root / "doc")
        for other in ("odt", "rtf"):
            published.other_from_docx(root / "docx" / f"{seed}.docx", root / other, f".{other}")
        for shape in ("doc", "odt", "rtf"):
            shutil.rmtree(root / shape / "lo-profile", ignore_errors=True)
    return root


@pytest.fixture(scope="module")
def readings(published_dir):
    """Each shape's files read once: shape -> {name: (report, units)}."""
    cache: dict = {}

    def read(shape: str) -> dict:
        if shape not in cache:
            cache[shape] = {f.stem: read_units(f) for f in sorted((published_dir / shape).glob(f"*.{shape}"))}
        return cache[shape]
    return read


def _issuer(name: str) -> str:
    return {"000_0934b745515b24c3": "成都市金牛区"}.get(name, "某某")


@pytest.mark.parametrize("name", ["002_afc496c3baaee718", "2026_北京市_政府工作报告", "2026_四川省_政府工作报告"])
def test_a_pages_pager_and_error_report_button_are_no_report_text(tmp_path, name):
    """A news site's pager (上一页 1 2 3 下一页 in the article, 首页 上一页 … 尾页 under it) and its
    【我要纠错】 button: the page reads as the same page without them (the pager was glued to the
    paragraph after it, the button kept as the report's last heading)."""
    rows = {f"2026_{r['province']}_政府工作报告": r["full_text"] for r in province_rows()}
    text = rows.get(name) or (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
    meta = published.PageMeta(title=text.strip().split("\n")[0])
    (tmp_path / "plain.html").write_bytes(published.govcn_page(text, meta))
    (tmp_path / "widgets.html").write_bytes(published.govcn_page(text, meta, widgets=True))
    assert "上一页" in (tmp_path / "widgets.html").read_bytes().decode("gbk")
    (_, plain), (_, widgets) = read_units(tmp_path / "plain.html"), read_units(tmp_path / "widgets.html")
    assert widgets == plain


@pytest.mark.parametrize("source, site, region", [
    ("区政府办公室", "成都市金牛区人民政府", "四川省成都市金牛区"),          # the issuer names no region: the site does
    ("成都市金牛区人民政府", "某某网", "四川省成都市金牛区"),
    ("区政府办公室", "政府门户网站", "未知"),
])
def test_a_pages_region_is_its_issuers_else_its_sites(tmp_path, source, site, region):
    """Seed 000's text names no region (its catalog gives it): on a web page, the region comes from
    the page's ContentSource, and where that names none (区政府办公室) from its SiteName."""
    text = (SEEDS / "000_0934b745515b24c3.txt").read_text(encoding="utf-8")
    meta = published.PageMeta(title=text.split("\n")[0], source=source, site=site)
    (tmp_path / "page.html").write_bytes(published.govcn_page(text, meta))
    report, _ = read_units(tmp_path / "page.html")
    assert report.region == region


@pytest.mark.parametrize("created, date", [
    ((2019, 6, 1), ""),                       # made from a template years before: not the report's date
    ((2024, 1, 15), "2024-01-15"),            # the report's own year: the date it was written
])
def test_a_word_files_creation_date_is_the_reports_only_in_the_reports_year(tmp_path, created, date):
    """Seed 000 names its year (2024) but no date: a .docx of it gives its creation date as the
    report's date, unless that date is of another year than the text's."""
    import datetime

    text = (SEEDS / "000_0934b745515b24c3.txt").read_text(encoding="utf-8")
    published.docx_from_text(text, tmp_path / "r.docx", created=datetime.datetime(*created))
    report, _ = read_units(tmp_path / "r.docx")
    assert (report.year, report.date) == (2024, date)


# --------------------------------------------------------------------------
# the units: at least 98% identical to the .txt's


@pytest.mark.parametrize("shape", ["docx", "html", "pdf", "doc", "odt", "rtf"])
def test_each_shape_yields_the_units_of_the_txt(readings, oracle, shape):
    read = readings(shape)
    assert read, f"no {shape} fixture was made"
    shares = {name: identical_share(oracle[name][1], units) for name, (_, units) in read.items()}
    assert min(shares.values()) >= 0.98, shares


def test_docx_headings_numbering_and_tables(readings, oracle):
    report, units = readings("docx")["003_b58f78ac1f665e0d"]
    kinds = {k for k, _ in units}
    assert {"heading", "paragraph", "table_row", "list_item"} <= kinds
    # Word's numbering: the digits are not in the document's text, yet the items read 1., 2. …
    items = [t for k, t in units if k == "list_item" and re.match(r"^\d+\.", t)]
    expected = [t for k, t in oracle["003_b58f78ac1f665e0d"][1] if k == "list_item" and re.match(r"^\d+\.", t)]
    assert items == expected and len(items) >= 10
    rows = [u for u in report.paragraphs if u.kind == "table_row"]
    assert any(u.heading_path and u.heading_path[-1].startswith("专栏1") for u in rows)


def test_no_page_numbers_or_running_headers_among_the_units(readings):
    for name, (_, units) in readings("pdf").items():
        assert not [t for _, t in units if PAGE_NUMBER.match(t) or RUNNING_HEADER in t], name
        assert not [t for _, t in units if re.search(r"— \d+ —", t)], name


# --------------------------------------------------------------------------
# phrases across page breaks


def _pages(pdf: Path) -> list[list[str]]:
    """Each page's body lines as poppler's pdftotext reads them (not our reader)."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[line.strip() for line in page.splitlines()
             if line.strip() and line.strip() != RUNNING_HEADER and not PAGE_NUMBER.match(line.strip())]
            for page in out.split("\f")]


def page_break_phrases(pdf: Path, oracle_units: list) -> list[str]:
    """Phrases that run across a page break inside a paragraph, taken from poppler's reading of
    each page and kept when a unit of the report's .txt holds them whole."""
    units = "\n".join(normalize(re.sub(r"\s+", "", text)) for _, text in oracle_units)
    pages = _pages(pdf)
    phrases = []
    for before, after in zip(pages, pages[1:]):
        if not before or not after:
            continue
        phrase = re.sub(r"\s+", "", before[-1])[-5:] + re.sub(r"\s+", "", after[0])[:5]
        if len(phrase) == 10 and normalize(phrase) in units and '"' not in phrase:
            phrases.append(phrase)
    return phrases


@pytest.fixture(scope="module")
def published_index(tmp_path_factory, published_dir) -> str:
    """The PDFs and the pages and Word files the metadata tests look at, indexed."""
    ix = str(tmp_path_factory.mktemp("published-index"))
    picked = [published_dir / "pdf"] + [published_dir / shape / f"{name}.{shape}" for shape in ("html", "docx")
                                        for name in ("000_0934b745515b24c3", "002_afc496c3baaee718",
                                                     "003_b58f78ac1f665e0d")]
    run = index_paths(ix, [str(p) for p in picked])
    assert run.failed == [] and run.added == len(PDF_SEEDS) + 1 + 6
    return ix


def test_exact_phrases_across_page_breaks_are_found(published_dir, published_index, oracle):
    engine = Engine(published_index)
    checked = 0
    for pdf in sorted((published_dir / "pdf").glob("*.pdf")):
        for phrase in page_break_phrases(pdf, oracle[pdf.stem][1]):
            hits = search(engine, SearchRequest(q=f'"{phrase}"', limit=50)).hits
            assert any(h.source.endswith(pdf.name) for h in hits), phrase
            checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------
# metadata


def _report(ix, file_name):
    return next(r for r in list_reports(Engine(ix).snapshot().ix) if r["source"].endswith(file_name))


def test_html_metadata_from_meta_tags(published_index, oracle):
    r = _report(published_index, "003_b58f78ac1f665e0d.html")
    assert r["title"] == oracle["003_b58f78ac1f665e0d"][0].title
    assert r["url"] == "https://www.example.gov.cn/zwgk/003_b58f78ac1f665e0d.html"
    assert r["date"] == "2024-03-05"           # PubDate: the text names no date
    # the text names no region: ContentSource (成都市金牛区人民政府) does
    r = _report(published_index, "000_0934b745515b24c3.html")
    assert (r["province"], r["city"], r["district"]) == ("四川省", "成都市", "金牛区")
    # a date the text states wins over PubDate
    r = _report(published_index, "002_afc496c3baaee718.html")
    assert r["date"] == oracle["002_afc496c3baaee718"][0].date != "2024-03-05"


def test_docx_core_properties_are_fallbacks(published_index, oracle):
    r = _report(published_index, "003_b58f78ac1f665e0d.docx")
    assert r["date"] == "2024-02-27" and oracle["003_b58f78ac1f665e0d"][0].date == ""
    assert r["title"] == oracle["003_b58f78ac1f665e0d"][0].title      # the text's title wins
    r = _report(published_index, "002_afc496c3baaee718.docx")
    assert r["date"] == oracle["002_afc496c3baaee718"][0].date


def test_gbk_page_is_read_in_its_declared_encoding(published_dir, oracle):
    data = (published_dir / "html" / "2026_广东省_政府工作报告.html").read_bytes()
    assert b"charset=gbk" in data[:600]
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report, _ = read_units(published_dir / "html" / "2026_广东省_政府工作报告.html")
    assert report.title == oracle["2026_广东省_政府工作报告"][0].title
    assert report.province == "广东省" and "粤港澳大湾区" in report.text


# --------------------------------------------------------------------------
# what cannot be read


def test_scan_without_text_layer_fails_with_one_line(published_dir, tmp_path):
    ix = str(tmp_path / "ix")
    run = index_paths(ix, [str(published_dir / "scan")])
    [failure] = run.failed
    assert "扫描件，无文字层" in failure["error"] and "\n" not in failure["error"]


def test_a_txt_renamed_pdf_is_listed_as_failed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "000_0934b745515b24c3.txt", folder / "report.pdf")
    shutil.copy(SEEDS / "001_ee0cd8f568fba525.txt", folder / "report.docx")
    shutil.copy(SEEDS / "002_afc496c3baaee718.txt", folder / "report.txt")
    run = index_paths(str(tmp_path / "ix"), [str(folder)])
    errors = {Path(f["source"]).name: f["error"] for f in run.failed}
    assert set(errors) == {"report.pdf", "report.docx"}
    assert "不是 PDF" in errors["report.pdf"] and "文本" in errors["report.pdf"]
    assert "不是 .docx" in errors["report.docx"]
    assert run.added == 1


def test_a_damaged_pdf_says_so(published_dir, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    whole = (published_dir / "pdf" / "003_b58f78ac1f665e0d.pdf").read_bytes()
    (folder / "cut.pdf").write_bytes(whole[: len(whole) // 2])       # a download cut short
    run = index_paths(str(tmp_path / "ix"), [str(folder)])
    [failure] = run.failed
    assert failure["error"].startswith("损坏的 PDF：打不开（PDFium:"), failure


def test_an_office_file_without_word_text_is_not_read_as_text(tmp_path):
    """An OLE file with no WordDocument stream (an .xls renamed, a cut file): LibreOffice would
    import its bytes as plain text and index them as the report; it is refused instead. A real
    Word 97-2003 file (tests/published.py's) holds the stream."""
    from indexer.formats.doc import OLE_MAGIC, WORD_STREAM

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "j.doc").write_bytes(OLE_MAGIC + "报告正文junk".encode("gb18030") * 50)
    run = index_paths(str(tmp_path / "ix"), [str(tmp_path / "in")])
    [failure] = run.failed
    assert "没有 Word 正文" in failure["error"] and not run.added


@pytest.mark.parametrize("wrapping, suffix", [("mht", ".doc"), ("bom", ".doc"), ("mht", ".mht")])
def test_a_doc_that_is_a_web_page_reads_as_that_page(published_dir, tmp_path, wrapping, suffix):
    """Government sites often serve a ".doc" that is Word's single-file web page (MIME, .mht)
    or an HTML file with a BOM; both were refused as "not OLE". Each reads as the same page
    saved as .html does (the oracle)."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    page = published_dir / "html" / "004_75b1283dda5df6ce.html"
    html = page.read_bytes()
    if wrapping == "mht":
        mht = MIMEMultipart("related")
        part = MIMEText(html.decode("gbk"), "html", "gbk")
        part["Content-Location"] = "file:///C:/report.htm"
        mht.attach(part)
        data = mht.as_bytes()
    else:
        data = b"\xef\xbb\xbf" + html.decode("gbk").replace('charset="gbk"', 'charset="utf-8"') \
            .replace("charset=gbk", "charset=utf-8").encode("utf-8")
    (tmp_path / f"004{suffix}").write_bytes(data)
    _, want = read_units(page)
    _, got = read_units(tmp_path / f"004{suffix}")
    assert got == want and len(want) > 50


def test_doc_without_libreoffice_names_the_package(published_dir, tmp_path, monkeypatch):
    """With LibreOffice off the PATH the .doc fails with one line naming the Debian package."""
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    run = index_paths(str(tmp_path / "ix"), [str(published_dir / "doc")])
    [failure] = run.failed
    assert failure["source"].endswith(".doc") and "LibreOffice" in failure["error"]
    assert "apt-get install libreoffice-writer-nogui" in failure["error"] and "\n" not in failure["error"]


# --------------------------------------------------------------------------
# incremental reindexing and watch


def test_reindexing_published_files_is_incremental(published_dir, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("000_0934b745515b24c3.docx",):
        shutil.copy(published_dir / "docx" / name, folder / name)
    shutil.copy(published_dir / "html" / "004_75b1283dda5df6ce.html", folder / "page.htm")
    ix = str(tmp_path / "ix")
    first = index_paths(ix, [str(folder)])
    assert first.added == 2 and not first.failed
    again = index_paths(ix, [str(folder)])
    assert again.unchanged == 2 and again.added == again.updated == 0
    shutil.copy(published_dir / "docx" / "002_afc496c3baaee718.docx", folder / "000_0934b745515b24c3.docx")
    changed = index_paths(ix, [str(folder)])
    assert changed.updated == 1
    assert search(Engine(ix), SearchRequest(q='"渝北"', limit=1)).total > 0


def test_watch_indexes_a_dropped_docx(published_dir, tmp_path):
    import time

    from indexer.store import IndexStore

    from .conftest import stop_watch

    folder = tmp_path / "inbox"
    folder.mkdir()
    ix = str(tmp_path / "index")
    proc = subprocess.Popen([sys.executable, "-m", "cli", "watch", str(folder), "--index", ix, "--debounce", "0.5"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not IndexStore(ix).exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        shutil.copy(published_dir / "docx" / "000_0934b745515b24c3.docx", folder / "speech.docx")
        dropped = time.monotonic()
        while time.monotonic() - dropped < 15:
            if search(Engine(ix), SearchRequest(q='"驷马桥"', limit=1)).total == 1:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the .docx was not searchable within 15 s")
    finally:
        out = stop_watch(proc)
    assert "speech.docx" in out and "Traceback" not in out
