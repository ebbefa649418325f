"""Readers for reports as they are published: web pages, Word and PDF.

Each reader turns a file's bytes into the report's text in the form a .txt of it holds
(a paragraph a line; table cells as tab-indented lines, rows apart by a blank line, under
their caption), so the same cleaning, structure and metadata apply afterwards.  It returns
``Extracted``: that text, the fields the file states (HTML meta tags: they win over the
text) and fallbacks (document properties: used only where the text says nothing).

The heavy libraries (lxml, python-docx, pypdfium2) are imported by the reader that needs
them, so indexing plain text does not load them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}
OFFICE_SUFFIXES = {".docx", ".doc", ".wps"}
PDF_SUFFIXES = {".pdf"}
MHT_SUFFIXES = {".mht", ".mhtml"}             # a web page and its images in one MIME file
CONVERTED_SUFFIXES = {".odt", ".rtf"}         # converted by LibreOffice, as a .doc is
SUFFIXES = HTML_SUFFIXES | {".docx", ".doc"} | PDF_SUFFIXES | MHT_SUFFIXES | CONVERTED_SUFFIXES
# a document title that names no report: a template's, an editor's or a file name
JUNK_TITLE = re.compile(r"^(about:blank|untitled|无标题|新建.*文档|文档\d*|document\d*|microsoft word - .*|"
                        r".*\.(docx?|wps|pdf|html?))$", re.I)
MAX_BYTES = 100 * 1024 * 1024      # a PDF or Word file: fonts and images make them large


class FormatError(Exception):
    """A file of one of these formats that cannot be read: one line saying why."""


@dataclass
class Extracted:
    text: str
    fields: dict = field(default_factory=dict)      # stated by the file: wins over the text
    fallback: dict = field(default_factory=dict)    # used only where the text says nothing
    warnings: list = field(default_factory=list)
    reader: str = ""                                # which reader made it (shown in warnings)


def read_document(data: bytes, suffix: str, name: str = "") -> Extracted:
    """The report in a web page, Word or PDF file's bytes; FormatError when it cannot be read."""
    suffix = suffix.lower()
    if suffix in HTML_SUFFIXES:
        from .html import read_html
        return read_html(data)
    if suffix in MHT_SUFFIXES:
        from .html import mht_page, read_html
        return read_html(mht_page(data))
    if suffix == ".docx":
        from .docx import read_docx
        return read_docx(data)
    if suffix == ".doc":
        from .doc import read_doc
        return read_doc(data, name)
    if suffix in CONVERTED_SUFFIXES:
        from .doc import read_converted
        return read_converted(data, suffix)
    if suffix in PDF_SUFFIXES:
        from .pdf import PdfError, read_pdf
        try:
            text, fallback, warnings = read_pdf(data)
        except PdfError as e:
            raise FormatError(str(e)) from None
        return Extracted(text=text, fallback=fallback, warnings=warnings, reader="pdf")
    raise FormatError(f"不支持的文件类型 {suffix}")


def join_wrapped(a: str, b: str) -> str:
    """Two pieces of one line broken by a layout (a PDF line end, a cell's second paragraph):
    a space only between two pieces of Latin text."""
    if a and b and (a[-1].isascii() and a[-1].isalnum()) and (b[0].isascii() and b[0].isalpha()):
        return a + " " + b
    return a + b
