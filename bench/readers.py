"""Reading speed of the published formats, and the measurements that chose their libraries.

``python -m bench.readers`` (and the first section of ``make bench``): the five seed reports made
into a .docx, a gov.cn-style GBK page, a PDF printed by headless Chromium and (with LibreOffice)
a .doc, each read by govsearch's reader (indexer/formats/): characters of report text per second.

``python -m bench.readers --compare`` (needs ``pip install -e '.[compare]'`` and antiword/catdoc
for the .doc row): the alternatives on the same files, by the share of the .txt reading's units
found identically after the same cleaning and structure (HTML, .doc), or by the share of the
seed's characters found in the extracted text (PDF: the libraries give raw text), and speed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CHROMIUM = "/usr/bin/chromium"


def make_fixtures(work: Path, doc: bool = True) -> dict[str, list[Path]]:
    """The seeds as .docx, .html (GBK), .pdf and (``doc``, with LibreOffice) .doc files: shape -> paths."""
    sys.path.insert(0, str(ROOT))
    from tests import published

    files: dict[str, list[Path]] = {"docx": [], "html": [], "pdf": [], "doc": []}
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    for name, text in texts.items():
        files["docx"].append(published.docx_from_text(text, work / f"{name}.docx"))
        page = published.govcn_page(text, published.PageMeta(title=published.blocks(text)[0].text))
        (work / f"{name}.html").write_bytes(page)
        files["html"].append(work / f"{name}.html")
    if Path(CHROMIUM).exists():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
            for name, text in texts.items():
                files["pdf"].append(published.print_pdf(browser, text, work / f"{name}.pdf", "政府工作报告"))
            browser.close()
    if doc and shutil.which("soffice"):
        for path in files["docx"]:
            files["doc"].append(published.doc_from_docx(path, work))
    return files


def reading_speed(files: dict[str, list[Path]], min_seconds: float = 0.5) -> dict:
    """Characters of report text per second for each format's reader (repeated to ``min_seconds``)."""
    from indexer.formats import read_document

    out = {}
    for shape, paths in files.items():
        if not paths:
            continue
        data = [(p.read_bytes(), p.suffix) for p in paths]
        chars, rounds, started = 0, 0, time.perf_counter()
        while rounds == 0 or (time.perf_counter() - started < min_seconds and shape != "doc"):
            chars += sum(len(read_document(d, suffix).text) for d, suffix in data)
            rounds += 1
        secs = time.perf_counter() - started
        out[shape] = {"files": len(paths), "chars_per_s": round(chars / secs),
                      "ms_per_file": round(secs * 1000 / (rounds * len(paths)), 1)}
    return out


def print_speed(speed: dict):
    for shape, r in speed.items():
        print(f"{'read ' + shape:16} {r['chars_per_s']:>13,} chars/s  ({r['ms_per_file']} ms a file, "
              f"{r['files']} seed reports)")


# --------------------------------------------------------------------------
# the comparisons


def _units_of_lines(text: str):
    from indexer.model import SourceDocument
    from indexer.reports import build_report

    report = build_report(SourceDocument(source="x", text=text), "x")
    return [(u.kind, u.text) for u in report.paragraphs]


def _share(oracle, got) -> float:
    m = difflib.SequenceMatcher(None, oracle, got, autojunk=False)
    return sum(b.size for b in m.get_matching_blocks()) / len(oracle)


def _oracle(name: str):
    return _units_of_lines((SEEDS / f"{name}.txt").read_text(encoding="utf-8"))


_CHROME = re.compile(r"当前位置|分享到|主办：|网站标识码|相关链接|打印本页|关闭窗口|请输入关键词")


def compare_html(paths: list[Path]) -> dict:
    import justext
    import trafilatura

    from indexer.formats.html import decode_page, read_html

    def ours(data):
        return read_html(data).text

    def traf(data):
        return trafilatura.extract(decode_page(data), include_tables=True, include_formatting=False,
                                   favor_recall=True) or ""

    def jt(data):
        paras = justext.justext(decode_page(data).encode("utf-8"), frozenset(), encoding="utf-8")
        return "\n".join(p.text for p in paras if not p.is_boilerplate)

    return _compare(paths, {"readability-lxml (ours)": ours, "trafilatura": traf, "jusText": jt}, units=True)


def compare_pdf(paths: list[Path]) -> dict:
    import logging

    logging.disable(logging.WARNING)           # pdfminer warns about every Type 3 font

    def pdfium_text(data):
        import pypdfium2 as pdfium
        doc = pdfium.PdfDocument(data)
        try:
            return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        finally:
            doc.close()

    def ours(data):
        from indexer.formats.pdf import read_pdf
        return read_pdf(data)[0]

    def plumber(data):
        import io

        import pdfplumber
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return "\n".join(page.extract_text() or "" for page in pdf.pages)

    def miner(data):
        import io

        from pdfminer.high_level import extract_text
        return extract_text(io.BytesIO(data))

    return _compare(paths, {"pypdfium2": pdfium_text, "pdfplumber": plumber, "pdfminer.six": miner,
                            "govsearch's PDF reader (pypdfium2 a character at a time)": ours}, units=False)


def compare_doc(paths: list[Path]) -> dict:
    from indexer.formats.doc import read_doc

    def run(cmd):
        def convert(data):
            with tempfile.NamedTemporaryFile(suffix=".doc") as fh:
                fh.write(data)
                fh.flush()
                return subprocess.run(cmd + [fh.name], capture_output=True).stdout.decode("utf-8", "replace")
        return convert

    readers = {"LibreOffice → .docx (ours)": lambda data: read_doc(data).text}
    if shutil.which("antiword"):
        readers["antiword"] = run(["antiword", "-m", "UTF-8.txt"])
    if shutil.which("catdoc"):
        readers["catdoc"] = run(["catdoc", "-d", "utf-8"])
    return _compare(paths, readers, units=True)


def _chars_found(text: str, name: str) -> float:
    """Share of the seed's characters (white space aside) the extracted text holds: CJK fidelity."""
    from collections import Counter

    seed = Counter(re.sub(r"\s+", "", (SEEDS / f"{name}.txt").read_text(encoding="utf-8")))
    got = Counter(re.sub(r"\s+", "", text))
    return sum(min(n, got[ch]) for ch, n in seed.items()) / sum(seed.values())


def _compare(paths: list[Path], readers: dict, units: bool) -> dict:
    out = {}
    for label, read in readers.items():
        shares, chars, secs = [], 0, 0.0
        for path in paths:
            data = path.read_bytes()
            t0 = time.perf_counter()
            text = read(data)
            secs += time.perf_counter() - t0
            chars += len(text)
            shares.append(_share(_oracle(path.stem), _units_of_lines(text)) if units
                          else _chars_found(text, path.stem))
            leaked = len(_CHROME.findall(text))
            out.setdefault(label, {"chrome_lines": 0})["chrome_lines"] += leaked
        out[label].update({"measure": "units identical to the .txt" if units else "seed characters found",
                           "min": round(min(shares), 4), "mean": round(sum(shares) / len(shares), 4),
                           "chars_per_s": round(chars / secs) if secs else 0})
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.readers")
    ap.add_argument("--compare", action="store_true", help="measure the alternative libraries too")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="govsearch-readers-"))
    try:
        files = make_fixtures(work)
        speed = reading_speed(files)
        print_speed(speed)
        result = {"speed": speed}
        if args.compare:
            result["html"] = compare_html(files["html"])
            result["pdf"] = compare_pdf(files["pdf"])
            if files["doc"]:
                result["doc"] = compare_doc(files["doc"])
            print(json.dumps({k: v for k, v in result.items() if k != "speed"}, ensure_ascii=False, indent=1))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
