"""build_report: one SourceDocument becomes a Report with its Paragraphs.

source text → source_lines → drop_boilerplate → join_lines → extract_metadata → split_units → Report
"""

from __future__ import annotations

import hashlib
import logging
import re

from markdown_it import MarkdownIt

from .analysis import is_traditional
from .boilerplate import drop_boilerplate
from .cleaning import (collapse_spaces, join_lines, remove_chrome, remove_debris, remove_pinyin_debris,
                       source_lines, strip_invisible)
from .indicators import extract_indicators
from .messages import library_detail
from .metadata import extract_metadata
from .model import PARSER_VERSION, Report, SourceDocument, UNKNOWN  # noqa: F401 (PARSER_VERSION: here too)
from .rejoin import NO_MARGIN, Margin, lines_are_paragraphs, wrap_margin
from .structure import split_units


def report_id_for(key: str) -> str:
    """Stable id from where the report lives (folder name + path below it, + #row)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


_md = MarkdownIt("commonmark").enable("table")


def markdown_lines(text: str) -> list[str]:
    """Markdown to the line form the structure reader takes, a blank line between blocks.

    Headings keep their ``#`` marks, list items become ``- `` lines, tables become
    tab-indented cells with a blank line between rows.  A paragraph's line breaks are
    a wrap, joined, unless the document writes one paragraph a line (a report's .txt
    saved as .md, which Markdown would run into one paragraph of the whole report):
    then its lines stay lines, for the rejoining that reads a .txt's.
    """
    blocks = _markdown_blocks(_md.parse(text))
    wrapped = [line.replace(_HARD_BREAK, "") for lines, is_paragraph in blocks if is_paragraph for line in lines[:-1]]
    by_line = lines_are_paragraphs(wrapped)
    margin = NO_MARGIN if by_line else wrap_margin(wrapped)
    out: list[str] = []
    for lines, is_paragraph in blocks:
        if is_paragraph:
            lines = [line.replace(_HARD_BREAK, "") for line in lines] if by_line else [_join_breaks(lines, margin)]
        out.extend([""] * bool(out) + lines)
    return out


def _markdown_blocks(tokens) -> list[tuple[list[str], bool]]:
    """The document's blocks in order: (lines, is a paragraph).  A paragraph's lines are
    its source lines (a line after a hard break starts with ``_HARD_BREAK``); a table
    is one block of its cells.
    (Complexity 17: one flat dispatch over markdown-it's token types, which reads
    best as one chain.)"""
    blocks: list[tuple[list[str], bool]] = []
    row: list[str] = []
    in_item = 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            blocks.append((["#" * level + " " + inline_text(tokens[i + 1])], False))
        elif tok.type == "list_item_open":
            in_item += 1
        elif tok.type == "list_item_close":
            in_item -= 1
        elif tok.type == "inline" and tokens[i - 1].type == "paragraph_open":
            lines = inline_lines(tok)
            blocks.append(((["- " + lines[0]] + lines[1:]) if in_item else lines, True))
        elif tok.type in _BLOCK_TEXT:
            blocks.append((_BLOCK_TEXT[tok.type](tok.content), False))
        elif tok.type == "table_open":
            blocks.append(([], False))
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(inline_text(tok))
        elif tok.type == "tr_close":
            blocks[-1][0].extend(["\t" + c for c in row] + [""])
    return blocks


# where a hard break (two spaces or \\ before a line's end) stood: a line after it starts
# with this control character, which strip_invisible has removed from the text itself
_HARD_BREAK = "\x0b"


def inline_lines(tok) -> list[str]:
    """An inline token's words as a reader sees them, one string a source line: emphasis
    marks, link targets, images and inline tags gone, code kept as written.  Indexing the
    source instead put ``**`` and URLs into paragraphs: in snippets, in the words searched,
    and between the words of a phrase."""
    runs: list[tuple[bool, str]] = []          # (is code, text); a run of text may hold line breaks
    for child in tok.children or ():
        if child.type == "code_inline":
            runs.append((True, child.content))
        elif child.type in ("text", "softbreak", "hardbreak"):
            words = {"text": child.content, "softbreak": "\n"}.get(child.type, "\n" + _HARD_BREAK)
            if runs and not runs[-1][0]:
                runs[-1] = (False, runs[-1][1] + words)
            else:
                runs.append((False, words))
    text = "".join(t if code else _UNCLOSED_EMPHASIS.sub(_unwrap_emphasis, t) for code, t in runs)
    return text.split("\n")


def inline_text(tok) -> str:
    """An inline token's words on one line (a heading's, a table cell's)."""
    return _join_breaks(inline_lines(tok))


def _join_breaks(lines: list[str], margin: Margin = NO_MARGIN) -> str:
    """A wrapped paragraph's lines joined: Chinese and figures run straight on (a wrap
    falls anywhere in a Chinese report: 4 | 200 is 4200, C | 919 is C919, as a wrapped
    .txt is read), a space only between two Latin words (``GDP growth``), unless the
    line before runs to the document's wrap ``margin``: the margin cut a word there
    (国盛I | EC).  After a hard break, which the writer chose, two ASCII characters are
    kept apart (``5.2% 2026年``)."""
    out, before = "", ""
    for piece in lines:
        hard = piece.startswith(_HARD_BREAK)
        piece = piece.lstrip(_HARD_BREAK)
        piece = piece.strip() if out else piece.rstrip()
        at_margin = margin.reaches(before)
        if out and piece and out[-1].isascii() and piece[0].isascii() \
                and (hard or out[-1].isalpha() and piece[0].isalpha() and not at_margin):
            out += " "
        out += piece
        before = piece
    return out


# CommonMark does not close ``**…**`` after punctuation before a Chinese character
# (``**一、加快发展。**坚持…``, ``增长**5%**左右``: the closing run is not "right-flanking"),
# nor open it before punctuation after a character (``坚持**“两个毫不动摇”**，``), and
# leaves the runs as text; a converter's bold lead sentence or figure looks exactly so.
# Such a pair is taken for emphasis only when it holds Chinese or a figure and punctuation
# stands where CommonMark needed a space: ``第__条``, ``__init__``, ``a__b__c`` in a URL and
# escaped ``\*\*`` stay as written, as do single ``*`` (带*的为约束性指标).
_UNCLOSED_EMPHASIS = re.compile(r"(\*\*\*?|___?)(?=\S)(.+?)(?<=\S)\1", re.S)
_CJK_OR_DIGIT = re.compile(r"[\u3400-\u9fff0-9]")
_PUNCT = "。，、；：！？）》」』”’（《「『“‘—…·%％,.;:!?()\"'"


def _unwrap_emphasis(m: re.Match) -> str:
    inner = m.group(2)
    if _CJK_OR_DIGIT.search(inner) and (inner[0] in _PUNCT or inner[-1] in _PUNCT):
        return inner
    return m.group(0)


def _code_lines(content: str) -> list[str]:
    return [line for line in content.splitlines() if line.strip()]


def _html_block_lines(content: str) -> list[str]:
    """A block Markdown holds as raw HTML (<p>, <div>, <table>: a page converted to Markdown
    keeps what Markdown cannot say, tables above all) read as a web page's article is: it
    was dropped, and its text with it."""
    import lxml.etree
    import lxml.html

    from .formats.html import block_lines

    try:
        root = lxml.html.fragment_fromstring(content, create_parent="div")
    except (lxml.etree.ParserError, ValueError):     # a comment or nothing but white space
        return []
    return block_lines(root)


# Markdown blocks whose text is not an inline token: the lines each gives
_BLOCK_TEXT = {"fence": _code_lines, "code_block": _code_lines, "html_block": _html_block_lines}


def source_url(value, warnings: list) -> str:
    """The report's link as given, when it is a web address; anything else (javascript:,
    a file path) is left out with a warning, never shown as a link."""
    url = str(value or "").strip()
    if not url:
        return ""
    if re.match(r"^https?://[^\s<>\"']+$", url, re.I) and len(url) <= 2000:
        return url
    warnings.append(f"链接“{url[:80]}”不是 http 或 https 地址：未采用")
    return ""


def report_lines(doc: SourceDocument) -> list[str]:
    """The document's lines without page chrome, not yet rejoined (Markdown read as Markdown)."""
    if doc.lines is not None:
        return doc.lines
    if doc.fields.get("_markdown"):
        # parsed first, cleaned line by line: the cleaner strips bare tags (<p>, </span>),
        # which broke the HTML blocks a converted page keeps and made their comments text
        # (and, like any text, without page numbers and lone debris: a converted Word file
        # keeps its "― 2 ―" footers as paragraphs)
        lines = markdown_lines(strip_invisible(doc.text))
        return remove_debris(remove_chrome([remove_pinyin_debris(line) for line in lines]))
    return source_lines(doc.text)


def build_report(doc: SourceDocument, key: str) -> Report:
    fields = doc.fields
    lines, dropped = drop_boilerplate(report_lines(doc), doc.boilerplate)
    lines = join_lines(lines)          # Markdown's wrapped paragraphs are whole already, each a block
    meta, origin = extract_metadata(lines, fields)
    warnings = list(doc.warnings)
    if meta.get("_unusable_year"):
        warnings.append(f"给定的年份“{meta['_unusable_year']}”不是年份：改用正文里的年份")
    units = split_units(lines)
    rid = str(fields.get("report_id") or report_id_for(key))
    report = Report(
        report_id=rid, source=doc.source, title=collapse_spaces(meta["title"]) or UNKNOWN,
        province=meta["province"], city=meta["city"], district=meta["district"],
        region=meta["region"], level=meta["level"], year=meta["year"], date=meta["date"],
        type=meta["type"], speaker=meta["speaker"], url=source_url(fields.get("url"), warnings),
        content_hash=doc.content_hash,
        text="\n".join(u.text for u in units), paragraphs=units, metadata_origin=origin,
        warnings=warnings, dropped_lines=dropped, line_keys=sorted(doc.line_keys),
        boilerplate=sorted(doc.boilerplate),
    )
    report.script = "繁" if is_traditional(report.text, threshold=20) else "简"
    try:
        report.indicators = [f.as_json() for f in extract_indicators(report)]
    except Exception as e:  # the report is still worth indexing without its figures (a bug of ours)
        logging.getLogger("govsearch.indexer").debug("indicators of %s failed", key, exc_info=True)
        report.warnings.append("没能从这篇报告里提取指标，报告照常索引" + library_detail(e))
    return report
