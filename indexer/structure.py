"""split_units: cleaned lines become ordered units, each with its heading path.

Headings follow the numbering of Chinese official documents (第一部分 > 一、 >
（一） > 1. > （1）, and 一是 for lead sentences), plus Markdown ``#`` and short
unnumbered lines standing alone (甘肃's “十四五”时期工作回顾).  A heading style
gets its level from the order styles first appear in, the way a word processor
builds an outline, so a report that starts at （一） still nests correctly.

Word-exported tables (one cell a tab-indented line, rows apart by a blank line)
become one unit a row; their caption (专栏1：…, 附件1 …) heads the rows.
"""

from __future__ import annotations

import re

from .analysis import to_simplified
from .cleaning import collapse_spaces
from .model import Paragraph

_CN_NUM = "一二三四五六七八九十百零〇"
_STYLES = [
    ("part", re.compile(r"^第[" + _CN_NUM + r"]+(部分|篇|章)\s*")),
    ("cn", re.compile(r"^[" + _CN_NUM + r"]+[、.．]\s*")),
    ("cn_paren", re.compile(r"^[（(][" + _CN_NUM + r"]+[）)]\s*")),
    ("num", re.compile(r"^\d{1,2}[.．、](?!\d)\s*")),
    ("num_paren", re.compile(r"^[（(]\d{1,2}[）)]\s*")),
    ("circled", re.compile(r"^[①-⑳]\s*")),
    ("shi", re.compile(r"^[" + _CN_NUM + r"]+是")),
]
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_CAPTION = re.compile(r"^(专栏\s*\d+|附件\s*\d*|附表\s*\d*|表\s*\d+)(?![\u4e00-\u9fff]{0,2}[:：]?\s*\d+[.．]\s)")
_BACK_MATTER = re.compile(r"^(名词解释|名词注释|注释|附录|附件|说明)")
_SENTENCE_END = re.compile(r"[。！？!?]")
# a line that ends a sentence (closing quotes and brackets may follow), and clause marks inside one
_ENDS_SENTENCE = re.compile("[。！？!?；;：:…][”’」』）)》】\\]\"']*$")
_CLAUSE = re.compile(r"[，,、。；;！!？?]")
# the document's head (title block) is looked for in its first lines only
TITLE_BLOCK_LINES = 20
_TERMINAL = tuple("。！？!?；;：:，,、")

_REVIEW = re.compile(r"回顾|执行情况|完成情况|工作情况|成就|总结|过去|成绩")
_PLAN = re.compile(r"安排|任务|重点工作|主要目标|预期目标|目标任务|草案|部署|建议|总体要求|措施|"
                   r"思路|考量|预期|展望|打算|实现.*计划|自身建设|形势|要求|目标|规划")


MAX_UNIT_CHARS = 3000
# a "heading" longer than this is a paragraph behind a heading mark (a whole file after "# ")
MAX_HEADING_CHARS = 200


def split_long(text: str, limit: int = MAX_UNIT_CHARS) -> list[str]:
    """A paragraph longer than ``limit`` (a whole file on one line, a table dumped as
    prose) becomes several units, cut after a sentence end where there is one."""
    if len(text) <= limit:
        return [text]
    pieces = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind(c) for c in "。！？；!?;")
        if cut < limit // 3:
            cut = max(window.rfind(c) for c in "，,、：:")   # else after a clause
        if cut < limit // 3:
            cut = limit - 1                    # no punctuation at all: cut at the limit
        pieces.append(text[:cut + 1])
        text = text[cut + 1:]
    if text:
        pieces.append(text)
    return pieces


def unit_pieces(text: str, cells: dict | None = None,
                limit: int = MAX_UNIT_CHARS) -> list[tuple[str, dict | None]]:
    """A unit of any kind as units of at most ``limit`` characters: (text, cells) each.

    A table row too long for one unit is cut between cells (a cell too long for
    one unit is cut like a paragraph); the pieces are rows of the same table."""
    if len(text) <= limit:
        return [(text, cells)]
    if not cells or not cells.get("cells"):
        return [(piece, None) for piece in split_long(text, limit)]
    rows = _rows_within(cells["cells"], limit)
    return [(" | ".join(c for c in row if c), {"header": cells.get("header", False) and i == 0, "cells": row})
            for i, row in enumerate(rows) if any(row)]


def _rows_within(cells: list[str], limit: int) -> list[list[str]]:
    """A row's cells in runs whose joined text stays within ``limit`` (a cell too long is cut)."""
    rows: list[list[str]] = [[]]
    for cell in cells:
        for part in split_long(cell, limit) if cell else [cell]:
            if len(" | ".join(c for c in rows[-1] + [part] if c)) > limit:
                rows.append([])
            rows[-1].append(part)
    return rows


def strip_numbering(text: str) -> str:
    for _, pat in _STYLES[:-1]:
        m = pat.match(text)
        if m:
            return text[m.end():].strip()
    m = _MD_HEADING.match(text)
    return m.group(2).strip() if m else text.strip()


# what a section title says beside its subject: the years and plan periods it covers,
# quotes, a draft mark, and the joining words left when those go
_YEARS = re.compile(r"(\d{4}|[〇零○一二三四五六七八九]{4})年度?|[“\"]?[十][一二三四五六七八九]五[”\"]?(时期|期间)?"
                    r"|第[一二三四五六七八九十]+个五年(规划)?")
_QUOTES = re.compile(r"[“”‘’\"'《》「」『』]|[（(]草案[）)]")
_JOINERS = "和及与暨、，, 的"


def section_label(section: str, part: str) -> str:
    """The section a facet groups by: its title without numbering, years, plan periods and
    quotes, joined to its part.  2025年和“十四五”时期工作回顾, “十四五”时期和2025年工作回顾
    and 2025年工作回顾 are all 回顾·工作回顾; the section as written stays on each unit."""
    core = _QUOTES.sub("", _YEARS.sub("", to_simplified(strip_numbering(section))))
    core = re.sub(r"^附[件表]\s*\d*\s*", "", core)
    core = re.sub(r"([和及与暨、])[和及与暨、]+", r"\1", core).strip(_JOINERS)
    core = re.sub(r"^关于", "", core).strip(_JOINERS)
    return f"{part}·{core or strip_numbering(section) or '导言'}"


def classify_part(section_title: str) -> str | None:
    """回顾 for a review of the past year, 部署 for plans and tasks, None if unclear."""
    if not section_title:
        return None
    if _REVIEW.search(section_title) and not re.search(r"安排|任务|部署|预期目标", section_title):
        return "回顾"
    if _PLAN.search(section_title):
        return "部署"
    return None


def _style_of(line: str) -> str | None:
    for name, pat in _STYLES:
        if pat.match(line):
            return name
    return None


class _Outline:
    """The heading stack: styles in order of first appearance define the levels."""

    def __init__(self):
        self.stack: list[tuple[str, str]] = []   # (style, heading text)

    def push(self, style: str, text: str):
        styles = [s for s, _ in self.stack]
        if style in styles:
            del self.stack[styles.index(style):]
        self.stack.append((style, text))

    def pop_style(self, style: str):
        styles = [s for s, _ in self.stack]
        if style in styles:
            del self.stack[styles.index(style):]

    def path(self) -> list[str]:
        return [t for _, t in self.stack]

    def top(self) -> tuple[str, str] | None:
        return self.stack[0] if self.stack else None


def _next_nonblank(lines: list[str], i: int) -> str:
    for j in range(i + 1, len(lines)):
        if lines[j].strip():
            return lines[j].strip()
    return ""


def _is_heading_line(line: str, style: str | None, nxt: str) -> bool:
    """A numbered line is a heading when it is short and a body paragraph follows."""
    if style is None:
        return False
    n = len(line)
    if style in ("part", "cn"):
        return n <= 80
    first_sentence = _SENTENCE_END.search(line)
    if first_sentence and first_sentence.end() < n - 1:
        return False                      # （一）坚定信念铸就绝对忠诚。把党的… : a paragraph
    if n > 60:
        return False
    if style in ("num", "num_paren", "circled", "shi"):
        # a run of items of one style is a list; an item followed by prose heads it
        return _style_of(nxt) != style and bool(nxt) and len(nxt) > n
    return True


def _is_plain_heading(line: str, prev: str, nxt: str) -> bool:
    """An unnumbered short line between complete paragraphs: 名词解释, “十四五”时期工作回顾."""
    if len(line) > 30 or line.endswith(_TERMINAL) or line.startswith(("——", "—")):
        return False
    if not prev or not nxt or not prev.endswith(tuple("。！？!?”")):
        return False
    return len(nxt) > len(line) and not nxt.startswith("\t")


def split_units(lines: list[str]) -> list[Paragraph]:
    """Cleaned lines (tabs kept) to ordered units with heading paths."""
    return _Splitter(lines).run()


class _Splitter:
    """One pass over a report's lines; each kind of line has its own reader, which
    emits its units and returns the index of the next line to read."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.units: list[Paragraph] = []
        self.outline = _Outline()
        self.parts_seen: dict[str, str] = {}    # top heading -> 回顾 / 部署 / 其他
        self.body = False                       # past the salutation or the first heading
        self.lines_read = 0                     # non-blank lines read as text (the title block)
        self.caption_open = False               # a 专栏/附件 box is open until two blank lines
        self.prev_text = ""

    def run(self) -> list[Paragraph]:
        i, blank_run, n = 0, 0, len(self.lines)
        while i < n:
            raw = self.lines[i]
            if raw.strip() or raw.startswith("\t"):
                blank_run = 0
                i = self._line(i)
                continue
            blank_run += 1
            if blank_run >= 2 and self.caption_open:
                self._close_caption()
            i += 1
        _mark_closing_lines(self.units)
        return self.units

    def _line(self, i: int) -> int:
        raw = self.lines[i]
        stripped = raw.strip()
        if raw.startswith("\t") and not stripped:
            return self._table(i)                # a table whose first cell is empty
        if _starts_caption(stripped):
            return self._caption(i)
        if raw.startswith("\t"):
            return self._table(i)
        m = _MD_HEADING.match(stripped)
        if m and len(m.group(2)) <= MAX_HEADING_CHARS:
            self.outline.push("md" + str(len(m.group(1))), collapse_spaces(m.group(2)))
            self.emit("heading", m.group(2))
            self.prev_text = stripped
            return i + 1
        self._text_line(stripped, _next_nonblank(self.lines, i))
        self.prev_text = stripped
        self.lines_read += 1
        return i + 1

    # ---- units

    def emit(self, kind: str, text: str, cells=None):
        text = collapse_spaces(text)
        if not text:
            return
        section, part = self._section_info()
        path = self.outline.path()
        for piece, piece_cells in unit_pieces(text, cells):
            self.units.append(Paragraph(para_no=len(self.units), kind=kind, text=piece, heading_path=path,
                                        section=section, part=part, cells=piece_cells))
        if text.startswith(("各位代表", "同志们", "代表们")) or kind == "heading" and path:
            self.body = True

    def _section_info(self) -> tuple[str, str]:
        top = self.outline.top()
        if not top:
            return "导言", "其他"
        title = strip_numbering(top[1])
        if top[0] in ("caption", "appendix"):
            return title, "其他"
        part = self.parts_seen.get(top[1])
        if part is None:
            part = self.parts_seen[top[1]] = self._part_of(title)
        return title, part

    def _part_of(self, title: str) -> str:
        part = classify_part(title)
        if part is not None:
            return part
        if _BACK_MATTER.match(title):
            return "其他"
        # reports open with the review and go on to plans: an unclear
        # first section reviews, an unclear later one plans
        return "回顾" if not self.parts_seen else "部署"

    # ---- kinds of line

    def _text_line(self, stripped: str, nxt: str):
        """A line that is not a table or a caption: heading, title block, list item or paragraph."""
        style = _style_of(stripped)
        if _is_heading_line(stripped, style, nxt):
            if self.caption_open and style in ("part", "cn", "cn_paren"):
                self._close_caption()
            self.outline.push(style, collapse_spaces(stripped))
            self.emit("heading", stripped)
        elif not self.body and not self.outline.stack and self.lines_read < TITLE_BLOCK_LINES \
                and _title_block_line(stripped):
            self.emit("heading", stripped)       # title, subtitle, speaker, issuer, date
        elif style in ("num", "num_paren", "circled") or stripped.startswith(("——", "—", "- ", "* ", "• ")):
            self.emit("list_item", stripped)
        elif self.body and not self.caption_open and _is_plain_heading(stripped, self.prev_text, nxt):
            if _BACK_MATTER.match(stripped):
                self.outline.stack.clear()       # 名词解释, 注释: back matter is its own section
            self.outline.push("plain", collapse_spaces(stripped))
            self.emit("heading", stripped)
        else:
            self.emit("paragraph", stripped)

    def _caption(self, i: int) -> int:
        """专栏1：…, 附件1 (+ its title lines), tab-indented or not: a box or an appendix opens."""
        caption, j = _caption_text(self.lines, i)
        if caption.startswith(("附件", "附表")):
            _mark_closing_lines(self.units)      # the body before its appendices ends here
            self.outline.stack.clear()           # an appendix is a top-level section
            self.outline.push("appendix", caption)
        else:
            self.outline.push("caption", caption)
            self.caption_open = True
        self.emit("heading", caption)
        self.prev_text = caption
        return j

    def _table(self, i: int) -> int:
        """Tab-indented cells, rows apart by a blank line; a box ends with its table."""
        # a table interrupted by blank lines goes on: only a table's first rows are its header
        continues = bool(self.units) and self.units[-1].kind == "table_row"
        i = _read_table(self.lines, i, self.emit, header=not continues)
        self.prev_text = ""
        if self.caption_open:
            # the box ends with its table, after the table's note (注：…) if any
            k = i
            while k < len(self.lines) and not self.lines[k].strip():
                k += 1
            if k < len(self.lines) and re.match(r"^注[:：]", self.lines[k].strip()):
                self.emit("paragraph", self.lines[k].strip())
                i = k + 1
            self._close_caption()
        return i

    def _close_caption(self):
        self.outline.pop_style("caption")
        self.caption_open = False


def _starts_caption(stripped: str) -> bool:
    return bool(_CAPTION.match(stripped)) and len(stripped) <= 60 and not stripped.startswith("附件：") \
        and not re.match(r"^附件[:：]\s*1", stripped)


def _caption_text(lines: list[str], i: int) -> tuple[str, int]:
    """A caption with the title lines that belong to it (附件1 | 2023年国民经济和社会发展计划 |
    完成情况), and the index of the line after them."""
    caption = collapse_spaces(lines[i].strip())
    j, n = i + 1, len(lines)
    while j < n and (not lines[j].strip() or _caption_title_line(lines[j])):
        if lines[j].strip():
            sep = " " if re.search(r"\d$", caption) or caption in ("附件", "附表") else ""
            caption = caption + sep + collapse_spaces(lines[j].strip())
        j += 1
        if j < n and lines[j].strip() and _style_of(lines[j].strip()):
            break
    return caption, j


def _caption_title_line(line: str) -> bool:
    s = line.strip()
    return not line.startswith("\t") and len(s) <= 30 and not s.endswith(_TERMINAL) \
        and _style_of(s) is None and not _CAPTION.match(s)


def _title_block_line(line: str) -> bool:
    """A line of the document's head that is not a sentence: title, subtitle, speaker, date."""
    return len(line) <= 80 and not _ENDS_SENTENCE.search(line) and not _CLAUSE.search(line)


def _mark_closing_lines(units: list[Paragraph]):
    """The short lines that close a document or its body (signature, date, 印发 line,
    附件：1. … list) are, like the title block, headings outside the outline."""
    for u in reversed(units):
        if u.kind == "heading" and not u.heading_path:
            continue
        if u.kind not in ("paragraph", "list_item") or len(u.text) > 40 or _ENDS_SENTENCE.search(u.text) \
                or _CLAUSE.search(u.text[:-1]):
            return
        if u.kind == "paragraph":                # a list item stays one (附件：1. … | 2. …)
            u.kind, u.heading_path = "heading", []


def _read_table(lines: list[str], i: int, emit, header: bool = True) -> int:
    """Read rows from line i; emit a table_row unit for each; return the next line index.

    ``header``: the first row read is the table's header (not when these rows
    continue a table the blank lines before them interrupted)."""
    rows, i = _table_rows(lines, i)
    for k, cells in enumerate(rows):
        if any(cells):
            emit("table_row", " | ".join(c for c in cells if c), cells={"header": header and k == 0, "cells": cells})
    return i


def _table_rows(lines: list[str], i: int) -> tuple[list[list[str]], int]:
    """A Word-exported table's rows from line i (a cell a tab-indented line, rows
    apart by a blank line, two blank lines end it), and the line after it.

    (Complexity 16: one loop over the four kinds of line a table holds; split
    further, the row being built would have to travel between functions.)"""
    rows: list[list[str]] = [[]]
    blank_run = 0
    while i < len(lines):
        raw = lines[i]
        s = raw.strip()
        if raw.startswith("\t"):
            if blank_run and rows[-1]:
                rows.append([])
            blank_run = 0
            # a tab line holding several cells: split on the remaining tabs
            rows[-1].extend(collapse_spaces(part) for part in raw[1:].split("\t"))
        elif not s:
            blank_run += 1
            if blank_run >= 2:
                break
            if rows[-1]:
                rows.append([])
        elif _rest_of_cell(s) and any(rows):
            # a line without a tab that is the rest of a cell (综合 | 质量 …)
            target = rows[-1] if rows[-1] else next(r for r in reversed(rows) if r)
            target[-1] = target[-1] + collapse_spaces(s)
            blank_run = 0
        else:
            break                                 # the table's end
        i += 1
    return [r for r in rows if r], i


def _rest_of_cell(s: str) -> bool:
    return len(s) <= 12 and not s.startswith(("注", "注：")) and _style_of(s) is None and not _CAPTION.match(s)
