"""Word .docx → the report's lines (python-docx reads the package; the body is walked in order).

* heading styles (Heading N, 标题 N, an outline level): numbered ones (一、 （一） 1.) are kept as
  written, the structure reader knows their numbering; an unnumbered heading in the body is
  marked ``#`` × level so it stays a heading;
* Word's automatic numbering, whose digits are not in the text, is rendered as Word shows it
  (``%1.`` decimal, 一、 chineseCounting, （%1） …, counters per list, restarts honoured);
  bullets become ``• `` list items;
* tables: one tab-indented line per cell, rows apart by a blank line — what Word's text export
  gives, so the caption above (专栏1：…) heads the rows; merged cells count once;
* core properties title and created are fallbacks for the title and date.

Headers, footers (page numbers) and footnotes are other parts of the package: not read.
"""

from __future__ import annotations

import io
import re
import zipfile

from ..messages import library_detail
from . import JUNK_TITLE, Extracted, FormatError, join_wrapped
from .numbering import Numbering

_HEADING_STYLE = re.compile(r"^(heading|标题)\s*(\d)$", re.I)
_NUMBERED = re.compile(r"^(第[一二三四五六七八九十百]+(部分|篇|章)|[一二三四五六七八九十百]+[、.．]|"
                       r"[（(][一二三四五六七八九十百]+[）)]|\d{1,2}[.．、]|[（(]\d{1,2}[）)])")


def read_docx(data: bytes) -> Extracted:
    import docx
    import lxml.etree
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, lxml.etree.XMLSyntaxError) as e:
        raise FormatError(_why_not_docx(data, e)) from None
    from docx.oxml.ns import qn

    reader = _BodyReader(document, qn)
    lines = reader.read(document.element.body)
    return Extracted(text="\n".join(lines), fallback=core_fallback(document.core_properties), reader="docx")


def _why_not_docx(data: bytes, error: Exception) -> str:
    if data[:2] != b"PK":
        if data[:8] == bytes.fromhex("d0cf11e0a1b11ae1"):
            return "不是 .docx 文件：这是 Word 97–2003 的 .doc 文件，请把扩展名改为 .doc"
        return "不是 .docx 文件：文件不是 ZIP 包（是不是改错了扩展名？）"
    return f"损坏的 .docx 文件：读不出来，可用 Word 打开后另存一份再索引{library_detail(error)}"


def core_fallback(props) -> dict:
    """Title and creation date from the document's core properties, when they say something."""
    out = {}
    title = (props.title or "").strip()
    if title and not JUNK_TITLE.match(title):
        out["title"] = title
    if props.created and 1990 <= props.created.year <= 2199:
        out["date"] = props.created.strftime("%Y-%m-%d")
    return out


class _BodyReader:
    def __init__(self, document, qn):
        self.qn = qn
        self.styles = _Styles(document, qn)
        try:
            numbering_xml = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            # python-docx raises NotImplementedError for a document with no numbering part
            # (one never using Word's automatic numbering): nothing to number then
            numbering_xml = None
        self.numbering = Numbering(numbering_xml, qn)
        self.body_started = False

    def read(self, body) -> list[str]:
        lines: list[str] = []
        for child in body.iterchildren():
            tag = child.tag
            if tag == self.qn("w:p"):
                lines.extend(self.paragraph(child))
            elif tag == self.qn("w:tbl"):
                lines.extend(self.table(child))
            elif tag == self.qn("w:sdt"):
                content = child.find(self.qn("w:sdtContent"))
                if content is not None:
                    lines.extend(self.read(content))
        return lines

    def paragraph(self, p) -> list[str]:
        text = paragraph_text(p, self.qn)
        if not text.strip():
            return []
        _, level, num = self.styles.paragraph_info(p)
        label = self.numbering.label(*num) if num else ""
        stripped = text.strip()
        if label or stripped.startswith(("各位代表", "同志们", "代表们")) or _NUMBERED.match(stripped):
            self.body_started = True
        if label:
            return [_labelled(label, text.rstrip())]
        if level and self.body_started and not _NUMBERED.match(stripped) and "\n" not in stripped:
            return ["#" * min(level, 6) + " " + stripped]       # an unnumbered heading stays one
        return stripped.split("\n")

    def table(self, tbl) -> list[str]:
        out: list[str] = []
        for tr in tbl.iterchildren(self.qn("w:tr")):
            cells = [self.cell_text(tc) for tc in tr.iterchildren(self.qn("w:tc"))]
            if any(cells):
                while cells and not cells[-1]:
                    cells.pop()
                out.extend("\t" + c for c in cells)
                out.append("")
        return out + [""] if out else []

    def cell_text(self, tc) -> str:
        props = tc.find(self.qn("w:tcPr"))
        if props is not None:
            merge = props.find(self.qn("w:vMerge"))
            if merge is not None and merge.get(self.qn("w:val")) in (None, "continue"):
                return ""            # the rest of a cell merged down: its text stands above
        text = ""
        for p in tc.iter(self.qn("w:p")):
            piece = paragraph_text(p, self.qn).replace("\n", "").strip()
            if piece:
                text = join_wrapped(text, piece) if text else piece
        return re.sub(r"[\t ]+", " ", text)


def _labelled(label: str, text: str) -> str:
    """Word's label before the text; the tab Word puts after a label ending in a mark (1. 一、)
    is no space in Chinese text, except before a figure: 1. 2024年, not 1.2024年, which reads
    as a decimal (as the PDF reader writes it)."""
    if label[-1].isalnum() or label == "• ":
        return label + text
    text = text.lstrip("\t")
    return label + (" " if label[-1] in ".．" and text[:1].isdigit() else "") + text


def paragraph_text(p, qn) -> str:
    """A paragraph's visible text: runs, hyperlinks and fields' results, w:br as a line break,
    w:tab as a space; deleted revisions and field codes left out."""
    out = []
    skip_tags = {qn("w:instrText"), qn("w:delText")}
    for el in p.iter():
        tag = el.tag
        if tag == qn("w:t"):
            out.append(el.text or "")
        elif tag == qn("w:tab"):
            out.append(" ")
        elif tag in (qn("w:br"), qn("w:cr")):
            out.append("\n")
        elif tag in skip_tags:
            continue
    return "".join(out)


class _Styles:
    """Paragraph styles: heading level and numbering, through the basedOn chain."""

    def __init__(self, document, qn):
        self.qn = qn
        self.by_id = {}
        for style in document.styles.element.iterchildren(qn("w:style")):
            self.by_id[style.get(qn("w:styleId"))] = style

    def paragraph_info(self, p) -> tuple[str, int, tuple | None]:
        qn = self.qn
        ppr = p.find(qn("w:pPr"))
        style_id = ""
        if ppr is not None and ppr.find(qn("w:pStyle")) is not None:
            style_id = ppr.find(qn("w:pStyle")).get(qn("w:val"))
        level = _outline_level(ppr, qn) or self._style_level(style_id)
        num = _num_pr(ppr, qn) or self._style_num(style_id)
        if num and num[0] == "0":
            num = None               # numId 0: numbering switched off for this paragraph
        return style_id, level, num

    def _chain(self, style_id: str):
        seen = set()
        while style_id and style_id not in seen and style_id in self.by_id:
            seen.add(style_id)
            style = self.by_id[style_id]
            yield style
            based = style.find(self.qn("w:basedOn"))
            style_id = based.get(self.qn("w:val")) if based is not None else ""

    def _style_level(self, style_id: str) -> int:
        for style in self._chain(style_id):
            name = style.find(self.qn("w:name"))
            m = _HEADING_STYLE.match(name.get(self.qn("w:val")) if name is not None else "")
            if m:
                return int(m.group(2))
            level = _outline_level(style.find(self.qn("w:pPr")), self.qn)
            if level:
                return level
        return 0

    def _style_num(self, style_id: str):
        for style in self._chain(style_id):
            num = _num_pr(style.find(self.qn("w:pPr")), self.qn)
            if num:
                return num
        return None


def _outline_level(ppr, qn) -> int:
    if ppr is None:
        return 0
    el = ppr.find(qn("w:outlineLvl"))
    if el is None:
        return 0
    value = int(el.get(qn("w:val"), "9"))
    return value + 1 if value < 9 else 0


def _num_pr(ppr, qn):
    """(numId, ilvl) of a paragraph's or style's numbering, or None."""
    if ppr is None:
        return None
    numpr = ppr.find(qn("w:numPr"))
    if numpr is None:
        return None
    num_id = numpr.find(qn("w:numId"))
    ilvl = numpr.find(qn("w:ilvl"))
    if num_id is None:
        return None
    return num_id.get(qn("w:val")), int(ilvl.get(qn("w:val"), "0")) if ilvl is not None else 0
