"""Reports in the shapes they are published in, made from a report's text (a seed or a province).

* ``docx_from_text``: a Word file as an office writes it — title style, heading styles on the
  numbered headings, Word's own numbering (``List Number``, the digits not in the text) for the
  numbered paragraphs, tables with their caption above, core properties.
* ``print_html`` + ``print_pdf``: the report printed to PDF by headless Chromium — CJK font,
  first-line indent, justified lines, a running header and ``— N —`` page numbers in the footer,
  a page break before each part.
* ``govcn_page``: a gov.cn-style article page in GBK — nav, breadcrumb, 来源/时间 line, share bar,
  related links and footer around the text, the government-site meta tags.
* ``scan_pdf``: an image-only PDF (a scan): pages printed from screenshots, no text layer.
* ``doc_from_docx``, ``pdf_from_docx``: the .docx converted by LibreOffice (.doc, PDF).

A report's text is read as the .txt reader sees it: tab-indented lines are table cells, rows
apart by a blank line, a short untabbed line after a cell the rest of that cell.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_CN = "一二三四五六七八九十"
HEADING_1 = re.compile(r"^(第[" + _CN + r"]+部分|[" + _CN + r"]+、)")
HEADING_2 = re.compile(r"^[（(][" + _CN + r"]+[）)]")
NUMBERED = re.compile(r"^(\d{1,2})\.(?!\d)")       # 1.xxx: Word's List Number writes "%1."
CAPTION = re.compile(r"^(专栏|附件|附表|表)\s*\d")


@dataclass
class Block:
    kind: str                       # title, h1, h2, p, numbered, caption, table
    text: str = ""
    rows: list = field(default_factory=list)     # table: rows of cells (a cell may hold \n)
    number: int = 0                 # numbered: its number


def blocks(text: str) -> list[Block]:
    """The report's lines as the blocks a word processor holds."""
    lines = text.split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("\t"):
            i = _table(lines, i, out)
            continue
        s = line.strip()
        i += 1
        if s:
            out.append(_paragraph(s, not any(b.kind == "title" for b in out)))
    return out


def _paragraph(s: str, first: bool) -> Block:
    if first:
        return Block("title", s)
    m = NUMBERED.match(s)
    if m and len(s) > len(m.group(0)):
        # Word's number is no text: what follows it starts at the item's first character
        return Block("numbered", s[m.end():].lstrip(" "), number=int(m.group(1)))
    if HEADING_1.match(s) and len(s) <= 60:
        return Block("h1", s)
    if HEADING_2.match(s) and len(s) <= 60:
        return Block("h2", s)
    return Block("p", s)


def _table(lines: list[str], i: int, out: list[Block]) -> int:
    rows, row = [], []
    blank = 0
    while i < len(lines):
        raw = lines[i]
        if raw.startswith("\t"):
            if blank and row:
                rows.append(row)
                row = []
            blank = 0
            row.append(raw[1:].strip())
        elif not raw.strip():
            blank += 1
            if blank >= 2:
                break
        elif len(raw.strip()) <= 12 and row:
            row[-1] += "\n" + raw.strip()           # the rest of the cell, on its own line
            blank = 0
        else:
            break
        i += 1
    if row:
        rows.append(row)
    while rows and len(rows[0]) == 1 and CAPTION.match(rows[0][0]):
        out.append(Block("caption", rows.pop(0)[0]))
    if rows:
        out.append(Block("table", rows=rows))
    return i


# --------------------------------------------------------------------------
# .docx and .doc


def docx_from_text(text: str, path: Path, created=None) -> Path:
    import datetime

    import docx

    d = docx.Document()
    numbering = _Numbering(d)
    props = d.core_properties
    bs = blocks(text)
    props.title = next((b.text for b in bs if b.kind == "title"), "")
    props.created = created or datetime.datetime(2024, 2, 27, 9, 0)
    props.author = "办公室"
    prev = None
    for b in bs:
        if b.kind == "title":
            d.add_paragraph(b.text, style="Title")
        elif b.kind in ("h1", "h2"):
            d.add_paragraph(b.text, style="Heading " + b.kind[1])
        elif b.kind == "numbered":
            p = d.add_paragraph(b.text, style="List Number")
            if prev is None or prev.kind != "numbered" or b.number == 1:
                numbering.restart(p, b.number)
            else:
                numbering.continue_(p)
        elif b.kind == "caption":
            d.add_paragraph(b.text, style="Caption")
        elif b.kind == "table":
            _docx_table(d, b.rows)
        else:
            d.add_paragraph(b.text)
        prev = b
    d.save(path)
    return path


class _Numbering:
    """Each run of numbered paragraphs is a list of its own: a copy of List Number's
    definition starting at the run's first number, as Word writes a restarted list."""

    def __init__(self, d):
        from docx.oxml.ns import qn

        self.qn = qn
        self.part = d.part.numbering_part.element
        style = d.styles["List Number"].element
        num_id = style.pPr.numPr.numId.val
        num = next(n for n in self.part.findall(qn("w:num")) if n.get(qn("w:numId")) == str(num_id))
        abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
        self.abstract = next(a for a in self.part.findall(qn("w:abstractNum"))
                             if a.get(qn("w:abstractNumId")) == abstract_id)
        self.current = None

    def restart(self, p, start: int):
        import copy

        from lxml import etree

        qn = self.qn
        abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in self.part.findall(qn("w:abstractNum"))]
        new_abstract = copy.deepcopy(self.abstract)
        new_abstract.set(qn("w:abstractNumId"), str(max(abstract_ids) + 1))
        for tag in ("w:nsid", "w:tmpl", "w:styleLink", "w:numStyleLink"):
            for el in new_abstract.findall(qn(tag)):
                new_abstract.remove(el)
        level = next(lv for lv in new_abstract.findall(qn("w:lvl")) if lv.get(qn("w:ilvl")) == "0")
        level.find(qn("w:start")).set(qn("w:val"), str(start))
        first_num = self.part.find(qn("w:num"))
        first_num.addprevious(new_abstract)            # abstract definitions come before the lists
        ids = [int(n.get(qn("w:numId"))) for n in self.part.findall(qn("w:num"))]
        self.current = str(max(ids) + 1)
        num = etree.SubElement(self.part, qn("w:num"), {qn("w:numId"): self.current})
        etree.SubElement(num, qn("w:abstractNumId"), {qn("w:val"): new_abstract.get(qn("w:abstractNumId"))})
        self.continue_(p)

    def continue_(self, p):
        from lxml import etree

        qn = self.qn
        ppr = p._p.get_or_add_pPr()
        numpr = etree.SubElement(ppr, qn("w:numPr"))
        etree.SubElement(numpr, qn("w:ilvl"), {qn("w:val"): "0"})
        etree.SubElement(numpr, qn("w:numId"), {qn("w:val"): self.current})


def _docx_table(d, rows):
    width = max(len(r) for r in rows)
    table = d.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    for r, cells in enumerate(rows):
        for c in range(width):
            value = cells[c] if c < len(cells) else ""
            pieces = value.split("\n")
            cell = table.cell(r, c)
            cell.text = pieces[0]
            for piece in pieces[1:]:           # a cell's second line: a paragraph of its own
                cell.add_paragraph(piece)


def doc_from_docx(docx_path: Path, out_dir: Path) -> Path:
    """Word 97–2003 .doc written by LibreOffice, as an office still sends them."""
    return _soffice_convert(docx_path, out_dir, "doc:MS Word 97", ".doc")


def other_from_docx(docx_path: Path, out_dir: Path, suffix: str) -> Path:
    """The .docx saved by LibreOffice as OpenDocument (.odt) or RTF (.rtf), as some offices keep them."""
    target = {".odt": "odt", ".rtf": "rtf:Rich Text Format"}[suffix]
    return _soffice_convert(docx_path, out_dir, target, suffix)


def pdf_from_docx(docx_path: Path, out_dir: Path) -> Path:
    """The .docx exported to PDF by LibreOffice, as offices publish their reports."""
    return _soffice_convert(docx_path, out_dir, "pdf", ".pdf")


def _soffice_convert(path: Path, out_dir: Path, target: str, suffix: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    profile = out_dir / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", target, "--outdir", str(out_dir), str(path)],
                   check=True, capture_output=True, timeout=120)
    return out_dir / (path.stem + suffix)


# --------------------------------------------------------------------------
# HTML: a rendering to print, and a gov.cn article page

_PRINT_CSS = """
@page { size: A4; margin: 30mm 25mm 28mm 25mm; }
body { font-family: 'DejaVu Sans', 'WenQuanYi Micro Hei', sans-serif; font-size: 16pt; line-height: 1.6; }
p { text-indent: 2em; margin: 0; text-align: justify; }
h1 { font-size: 22pt; text-align: center; font-weight: normal; }
h2 { font-size: 16pt; margin: 0; text-indent: 2em; page-break-before: always; }
h3 { font-size: 16pt; margin: 0; text-indent: 2em; }
table { border-collapse: collapse; width: 100%; font-size: 11pt; margin: 8pt 0; }
td { border: 1px solid #000; padding: 2pt 4pt; vertical-align: top; }
.caption { text-align: center; text-indent: 0; }
"""


def _body_html(bs: list[Block]) -> str:
    out = []
    for b in bs:
        t = html.escape(b.text)
        if b.kind == "title":
            out.append(f"<h1>{t}</h1>")
        elif b.kind == "h1":
            out.append(f"<h2>{t}</h2>")
        elif b.kind == "h2":
            out.append(f"<h3>{t}</h3>")
        elif b.kind == "numbered":
            out.append(f"<p>{b.number}.{t}</p>")
        elif b.kind == "caption":
            out.append(f'<p class="caption">{t}</p>')
        elif b.kind == "table":
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c).replace(chr(10), '<br>')}</td>" for c in r)
                           + "</tr>" for r in b.rows)
            out.append(f"<table>{rows}</table>")
        else:
            out.append(f"<p>{t}</p>")
    return "\n".join(out)


def print_html(text: str) -> str:
    """The report as a page to print: the body only (header and footer come from the printer)."""
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{_PRINT_CSS}</style></head>"
            f"<body>{_body_html(blocks(text))}</body></html>")


def print_pdf(browser, text: str, path: Path, running_header: str) -> Path:
    """Headless Chromium prints the report: running header, — N — in the footer."""
    page = browser.new_page()
    try:
        page.set_content(print_html(text))
        page.pdf(path=str(path), format="A4", display_header_footer=True, print_background=False,
                 margin={"top": "30mm", "bottom": "28mm", "left": "25mm", "right": "25mm"},
                 header_template=("<div style='font-size:9pt;width:100%;text-align:center;"
                                  "font-family:WenQuanYi Micro Hei'>" + html.escape(running_header) + "</div>"),
                 footer_template=("<div style='font-size:11pt;width:100%;text-align:center;"
                                  "font-family:WenQuanYi Micro Hei'>— <span class='pageNumber'></span> —</div>"))
    finally:
        page.close()
    return path


def scan_pdf(browser, text: str, path: Path, pages: int = 2) -> Path:
    """A scan: screenshots of the printed report's first pages, printed again as images."""
    import base64

    page = browser.new_page(viewport={"width": 794, "height": 1123})
    try:
        page.set_content(print_html(text))
        shots = [page.screenshot(full_page=True, clip={"x": 0, "y": 1123 * k, "width": 794, "height": 1123})
                 for k in range(pages)]
        imgs = "".join(f"<img style='display:block;width:100%;page-break-after:always' "
                       f"src='data:image/png;base64,{base64.b64encode(s).decode()}'>" for s in shots)
        page.set_content(f"<html><body style='margin:0'>{imgs}</body></html>")
        page.pdf(path=str(path), format="A4", margin={"top": "0", "bottom": "0", "left": "0", "right": "0"})
    finally:
        page.close()
    return path


@dataclass
class PageMeta:
    title: str
    pubdate: str = "2024-03-05 09:30"
    source: str = "区人民政府办公室"
    site: str = "区人民政府门户网站"
    column: str = "政府工作报告"
    url: str = "https://www.example.gov.cn/zwgk/gzbg/202403/t20240305_123456.html"


def govcn_page(text: str, meta: PageMeta, charset: str = "gbk", widgets: bool = False) -> bytes:
    """A gov.cn-style article page, encoded as it declares (GBK by default): the report's first
    line is the page's <h1>, ``meta.title`` its ArticleTitle and <title>.  ``widgets``: as a
    news site splits a long report, a pager inside the article and after it, and an
    error-report button (【我要纠错】) under it."""
    bs = blocks(text)
    title = html.escape(meta.title)
    shown = html.escape(bs[0].text)
    head = (f"<meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
            f"<title>{title}_{html.escape(meta.column)}_{html.escape(meta.site)}</title>"
            f"<meta name='SiteName' content='{html.escape(meta.site)}'>"
            f"<meta name='SiteDomain' content='www.example.gov.cn'>"
            f"<meta name='ColumnName' content='{html.escape(meta.column)}'>"
            f"<meta name='ColumnType' content='政府工作报告'>"
            f"<meta name='ArticleTitle' content='{title}'>"
            f"<meta name='PubDate' content='{html.escape(meta.pubdate)}'>"
            f"<meta name='ContentSource' content='{html.escape(meta.source)}'>"
            f"<meta name='Keywords' content='政府工作报告'>"
            f"<link rel='canonical' href='{html.escape(meta.url)}'>"
            "<link rel='stylesheet' href='/css/common.css'><script src='/js/jquery.min.js'></script>")
    nav = ("<div class='header'><div class='logo'><a href='/'>" + html.escape(meta.site) + "</a></div>"
           "<div class='search'><input type='text' placeholder='请输入关键词'><button>搜索</button></div>"
           "<ul class='nav'><li><a href='/'>首页</a></li><li><a href='/zwgk/'>政务公开</a></li>"
           "<li><a href='/hdjl/'>互动交流</a></li><li><a href='/zwfw/'>政务服务</a></li>"
           "<li><a href='/zjxx/'>走进本区</a></li></ul></div>")
    crumb = ("<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zwgk/'>政务公开</a> &gt; "
             f"<a href='/zwgk/gzbg/'>{html.escape(meta.column)}</a></div>")
    info = (f"<div class='pages-date'>发布时间：{html.escape(meta.pubdate)} "
            f"<span class='font'>来源：{html.escape(meta.source)}</span> "
            "<span class='font'>字号：[ <a>大</a> <a>中</a> <a>小</a> ]</span></div>")
    share = ("<div class='share'>分享到：<a class='wx'>微信</a><a class='wb'>微博</a><a class='qq'>QQ空间</a>"
             "</div>")
    body = "\n".join(b if not b.startswith("<h1>") else "" for b in _body_html(bs).split("\n"))
    if widgets:
        blocks_html = body.split("\n")
        half = len(blocks_html) // 2
        pager = "<div class='page'>上一页 <a href='?p=1'>1</a> <a href='?p=2'>2</a> <a href='?p=3'>3</a> 下一页</div>"
        body = "\n".join(blocks_html[:half] + [pager] + blocks_html[half:]) + (
            "<div class='pages'><a>首页</a> <a>上一页</a> <a>1</a> … <a>3</a> <a>下一页</a> <a>尾页</a></div>"
            "<p class='jc'>【我要纠错】</p>")
    tools = ("<div class='tools'><a href='javascript:window.print()'>【打印本页】</a>"
             "<a href='javascript:window.close()'>【关闭窗口】</a></div>")
    related = ("<div class='related'><h4>相关链接</h4><ul>"
               + "".join(f"<li><a href='/zwgk/gzbg/{y}/'>{y}年政府工作报告</a></li>" for y in range(2019, 2024))
               + "</ul></div>")
    footer = ("<div class='footer'><p>主办：" + html.escape(meta.site) + " 承办：区大数据发展局</p>"
              "<p>网站标识码：5001120001 渝ICP备05003300号 渝公网安备 50011202500012号</p>"
              "<p><a href='/wzdt/'>网站地图</a> | <a href='/lxwm/'>联系我们</a></p></div>")
    page = (f"<!DOCTYPE html><html lang='zh-CN'><head>{head}</head><body>{nav}"
            f"<div class='main'>{crumb}<div class='article'><h1 class='title'>{shown}</h1>{info}{share}"
            f"<div id='UCAP-CONTENT' class='pages_content'>{body}</div>{tools}</div>{related}</div>"
            f"{footer}</body></html>")
    return page.encode(charset, "xmlcharrefreplace")     # what a GBK site does with a character GBK lacks
