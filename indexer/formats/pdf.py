"""PDF with a text layer → the report's lines, as a .txt of it would hold them.

Read with pypdfium2 (PDFium): chosen over pdfplumber and pdfminer.six because it is about
13× faster on the same files and, read a character at a time, keeps every character
(bench/readers.py measures both).  A page becomes characters with their boxes, then:

* lines (characters drawn in turn on one band, with a run drawn out of turn added to the
  line it stands on; read left to right), in the order the page draws them, so a column is
  read whole before the next; cut into segments where a gap wider than a character opens (table
  cells, columns of a form) — not the tab after a heading's or an item's own number;
* footnotes (under the short rule at a page's foot) set apart, and their references taken out
  of the text; each follows, as a paragraph, the paragraph it interrupted;
* running headers and footers dropped: the lines above and below the body that recur on
  most pages once digits are set aside (a report's title, ``— 3 —``, ``第3页``, ``-3-``);
* ruled tables (the borders a word processor draws) read as rows of cells, one cell per
  space between the rules; an unruled line of several segments is a row of its cells;
* lines joined into paragraphs: a line that reaches the right margin (or stops short only
  because the next line's first word would not fit) goes on in the next, unless that one is
  indented (a new paragraph) or starts a heading or a numbered item; across pages too.

A PDF whose pages hold only images (a scan) fails with one line: 扫描件，无文字层.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import takewhile
from typing import NamedTuple

from ..analysis import normalize
from ..messages import one_line
from ..rejoin import _STARTS_UNIT
from . import JUNK_TITLE, join_wrapped

_PAGE_NUMBER = re.compile(r"^[—–\-－―]*\s*(第\s*)?\d{1,4}\s*(页)?\s*([/／,，]?\s*共\s*\d{1,4}\s*页)?[—–\-－―]*$"
                          r"|^page\s*\d+(\s*of\s*\d+)?$", re.I)
_DIGITS = re.compile(r"\d+")
_ENDS = re.compile("[。！？!?；;：:][”’」』）)》】]*$")
# what a footnote starts with: its number or sign
_FOOTNOTE_MARK = re.compile(r"^(\d{1,3}|[①-⑳]|[*※]+|注)")
# the space Word and LibreOffice put between Chinese and Latin text by themselves, in ems
AUTOSPACE_EM = 0.25
# a space after a paragraph: the step to the next line exceeds the line pitch by this
# share of the font size (Word's 段后 0.5 行 is half a line, a web page's margin a line)
PARAGRAPH_SPACE = 0.4
# what a line break does not put at a line's start
_NO_LINE_START = "，。、；：？！,.;:?!%）)》」』】”’…·"
# the number Word's automatic numbering puts before a heading or an item, alone
_NUMBER_MARK = re.compile(r"^(第[一二三四五六七八九十百零〇]+[部分章节篇条]|[一二三四五六七八九十百零〇]+[、.．]"
                          r"|[（(]([一二三四五六七八九十百零〇]+|\d{1,3})[）)]|\d{1,3}[.．、]|[①-⑳])$")


class PdfError(Exception):
    """A PDF that cannot be read as a report: the message says why, in one line."""


@dataclass
class Segment:
    x0: float
    x1: float
    text: str


@dataclass
class Line:
    top: float          # page coordinates, y grows upwards
    bottom: float
    size: float         # the font size most of its characters have
    segments: list = field(default_factory=list)
    chars: list = field(default_factory=list)       # its Chars, left to right
    footnote: bool = False      # below a page's footnote separator
    hang: float | None = None   # where the text after its number starts, past Word's tab (1.⇥…)

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return self.segments[-1].x1

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    @cached_property
    def level(self) -> float:
        """Where the line stands: the middle of its characters' feet.  A line's top or bottom
        would move with a run in a font of other ascent (quotes in a Latin font)."""
        return statistics.median(c.bottom for c in self.chars) if self.chars else self.bottom


@dataclass
class Table:
    top: float
    bottom: float
    left: float
    right: float
    rows: list          # [(top, bottom)] row bands, top first
    columns: list       # per row: the x's of the vertical rules crossing it
    cells: dict = field(default_factory=dict)   # (row, col) -> [chars as (y, x, text)]
    texts: list | None = None   # per row, its cells' texts: made once by _texts


def read_pdf(data: bytes) -> tuple[str, dict, list[str]]:
    """(text in .txt form, metadata fields, warnings) of a PDF's bytes."""
    import pypdfium2 as pdfium

    if b"%PDF-" not in data[:1024]:
        raise PdfError(_not_pdf(data))
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise PdfError(_load_error(str(e))) from None
    try:
        pages = [_page_lines(doc[i]) for i in range(len(doc))]
        fields = _properties(doc)
    finally:
        doc.close()
    if not pages:
        raise PdfError("损坏的 PDF：一页也没有")
    warnings = []
    empty = [i + 1 for i, p in enumerate(pages) if not p]
    if len(empty) == len(pages):
        raise PdfError(f"扫描件，无文字层：PDF 的 {len(pages)} 页都没有文字（只有图像），需先做文字识别（OCR）再索引")
    if empty:
        warnings.append(f"第 {'、'.join(map(str, empty[:10]))}{' 等' if len(empty) > 10 else ''} 页没有文字层"
                        f"（扫描页）：未读")
    pages = _join_rows_across_pages(_drop_footnote_references(_drop_running_lines(pages)))
    return "\n".join(_paragraphs(pages)), fields, warnings


def _not_pdf(data: bytes) -> str:
    head = data[:512].lstrip()
    if head[:2] == b"PK":
        what = "ZIP 包（Office 文件？）"
    elif head[:1] == b"<":
        what = "HTML 或 XML"
    elif b"\x00" not in head:
        what = "文本"
    else:
        what = "其他二进制数据"
    return f"不是 PDF 文件：没有 %PDF- 文件头，内容是{what}（是不是改错了扩展名？）"


def _load_error(message: str) -> str:
    if "password" in message.lower():
        return "加密的 PDF：要密码才能读，请先解除密码再索引"
    why = re.search(r"\((PDFium:[^)]*)\)", message)
    return f"损坏的 PDF：打不开（{why.group(1) if why else one_line(message)}）"


def _properties(doc) -> dict:
    try:
        meta = doc.get_metadata_dict(skip_empty=True)
    except Exception:       # a broken Info dictionary costs the fallbacks, not the text
        return {}
    out = {}
    title = meta.get("Title", "").strip()
    if title and not JUNK_TITLE.match(title):
        out["title"] = title
    return out      # its CreationDate is when it was printed, often long after the report


# --------------------------------------------------------------------------
# characters → lines and tables


class Char(NamedTuple):
    text: str
    left: float
    right: float
    bottom: float
    top: float
    size: float
    after_gap: bool     # PDFium saw a gap before it, after the character drawn just before it
    order: int          # its place in the order the page draws its characters

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


def _chars(textpage) -> list[Char]:
    """Each character the page draws, in the order it draws them (not always reading order:
    a run in another font, such as quotes set in a Latin font, may come after its line)."""
    import ctypes

    import pypdfium2.raw as raw

    rect = raw.FS_RECTF()
    out: list[Char] = []
    gap = False
    for i in range(raw.FPDFText_CountChars(textpage)):
        code = raw.FPDFText_GetUnicode(textpage, i)
        if code in (0, 0xFFFE, 0xFFFF, 10, 13, 2):
            continue
        if raw.FPDFText_IsGenerated(textpage, i) == 1:
            gap = code == 32                 # PDFium saw a gap here: a space, or justification?
            continue
        if not raw.FPDFText_GetLooseCharBox(textpage, i, ctypes.byref(rect)):
            continue
        out.append(Char(chr(code), rect.left, rect.right, rect.bottom, rect.top,
                        raw.FPDFText_GetFontSize(textpage, i), gap, len(out)))
        gap = False
    return out


def _spaced(before: Char, after: Char, spread: float = 0.0) -> bool:
    """A space goes between two neighbours on a line: between two pieces of Latin text, or
    beside one (全省 100 个, 6. “一表同享”) when the gap is wider than justification spreads
    between Chinese characters.  Where the page drew them one after the other, PDFium's gap
    says whether there is one; where not (a run drawn after its line), the gap's width does.
    ``spread``: what justification puts between two Chinese characters on this line."""
    drawn_in_turn = after.order == before.order + 1
    if drawn_in_turn and not after.after_gap:
        return False
    gap = (after.left - before.right) / (after.size or 10)
    if _latin(before.text) and _latin(after.text):
        return drawn_in_turn or gap >= 0.25
    gap -= spread / (after.size or 10)
    if not (_latin(before.text) or _latin(after.text) or before.text in "”’" and after.text in "“‘"):
        return False
    # Word and LibreOffice set a quarter em or so between Chinese and Latin text by themselves
    # (中西文自动间距): no space in the text (增长7%, not 增长 7%, which a search for 增长7% would
    # miss).  A space typed there (全省 100 个: 4 in the 36 real reports) is read only where it
    # widens that gap by more than its own narrowest width: a space lost costs a search nothing.
    return gap >= AUTOSPACE_EM + 0.15


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isprintable() and not ch.isspace()


def _rules(page):
    """Thin filled or stroked rectangles: (horizontal, vertical) as bounds tuples."""
    import pypdfium2.raw as raw

    horizontal, vertical = [], []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        if top - bottom <= 2.5 and right - left > 4:
            horizontal.append((left, bottom, right, top))
        elif right - left <= 2.5 and top - bottom > 4:
            vertical.append((left, bottom, right, top))
    return horizontal, vertical


def _merged(values, gap: float = 2.5) -> list[float]:
    """Sorted values with those closer than ``gap`` taken as one (a border drawn twice)."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > gap:
            out.append(v)
    return out


def _tables(horizontal, vertical) -> list[Table]:
    """Ruled tables: horizontal rules joined by the vertical rules between them; each band
    between two rules is a row, each space between the vertical rules crossing it a cell."""
    ys = sorted(_merged((b + t) / 2 for _, b, _, t in horizontal), reverse=True)
    tables: list[Table] = []
    current: Table | None = None
    for upper, lower in zip(ys, ys[1:]):
        xs = _merged((l + r) / 2 for l, b, r, t in vertical if b - 2 <= lower and t + 2 >= upper)
        if len(xs) < 2:
            current = None
            continue
        if current is None or abs(current.bottom - upper) > 2.5:
            current = Table(top=upper, bottom=lower, left=xs[0], right=xs[-1], rows=[], columns=[])
            tables.append(current)
        current.rows.append((upper, lower))
        current.columns.append(xs)
        current.bottom = lower
        current.left, current.right = min(current.left, xs[0]), max(current.right, xs[-1])
    return [t for t in tables if max(len(c) for c in t.columns) >= 3]


def _cell_of(t: Table, x: float, y: float) -> tuple[int, int] | None:
    if not (t.left - 1 <= x <= t.right + 1 and t.bottom <= y <= t.top):
        return None
    for r, (top, bottom) in enumerate(t.rows):
        if bottom <= y <= top:
            xs = t.columns[r]
            col = sum(1 for v in xs if v < x) - 1
            return r, max(col, 0)
    return None


def _page_lines(page) -> list:
    """The page as a list of Lines and Tables, top to bottom."""
    textpage = page.get_textpage()
    try:
        chars = _chars(textpage)
    finally:
        textpage.close()
    if not chars:
        return []
    horizontal, vertical = _rules(page)
    tables = _tables(horizontal, vertical)
    free: list[Char] = []
    for ch in chars:
        table = _table_at(tables, ch.centre, ch.middle)
        if table is None:
            free.append(ch)
        else:
            table.cells.setdefault(_cell_of(table, ch.centre, ch.middle), []).append(ch)
    lines = _footnotes_apart([x for x in map(_line, _drawn_rows(free)) if x.text], horizontal, tables)
    items = lines + [t for t in tables if t.cells]
    return sorted(items, key=_first_drawn)


def _first_drawn(item) -> int:
    """Where the page starts drawing a line or a table: items read in that order, so that a
    column is read whole before the next (a page is drawn column by column)."""
    if isinstance(item, Line):
        return min(c.order for c in item.chars)
    return min(c.order for chars in item.cells.values() for c in chars)


def _table_at(tables, x, y):
    return next((t for t in tables if t.left - 1 <= x <= t.right + 1 and t.bottom <= y <= t.top), None)


def _drawn_rows(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines, each left to right, in the order the page draws them.
    Characters drawn one after the other on one band (their boxes overlap by at least half
    the lower one's height) are a run; a run is added to a line drawn before it that it
    stands on — the same band, within a character's width of it: a run in another font
    drawn after its line (quotes set in a Latin font: “十四五”).  A run on the same band but
    across a gap (the other column of a two-column page, drawn column by column) is no part
    of the line, so columns are not read across as rows of a table."""
    lines: list[list] = []      # [chars, tallest, left, right]
    bands: dict[int, list] = {}     # lines by their tallest character's middle, 8 pt bands
    reach = 0.0                     # the tallest character's height so far: how far to look
    run: list = []
    for ch in chars:
        if run and _same_band(run[1], ch):
            run[0].append(ch)
            run[1] = ch if _height(ch) > _height(run[1]) else run[1]
            run[2], run[3] = min(run[2], ch.left), max(run[3], ch.right)
            continue
        run = [[ch], ch, ch.left, ch.right]
        reach = max(reach, _height(ch))
        home = _line_under(run, bands, reach)
        if home is None:
            lines.append(run)
            bands.setdefault(int(ch.middle // 8), []).append(run)
        else:
            home[0].extend(run[0])
            run = home
    return [_left_to_right(chars) for chars, *_ in lines]


def _same_band(tallest: Char, ch: Char) -> bool:
    return _overlap(tallest, ch) >= 0.5 * min(_height(tallest), _height(ch)) > 0


def _line_under(run: list, bands: dict, reach: float):
    """The line drawn before that a run (its first character, so far) stands on, if any."""
    ch = run[1]
    near = (ch.size or _height(ch) or 10) * 1.2
    for band in range(int((ch.middle - reach) // 8), int((ch.middle + reach) // 8) + 1):
        for line in bands.get(band, ()):
            if _same_band(line[1], ch) and line[2] - near <= ch.left and ch.right <= line[3] + near:
                return line
    return None


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines, top to bottom, each left to right.  Two characters are on
    one line when their boxes overlap by at least half the lower one's height: a line is not a
    band of fixed height, so one that straddles any band's edge stays whole, and a superscript
    or a run in a font with other metrics stays on its line."""
    rows: list[list[Char]] = []
    tallest: Char | None = None         # the current line's tallest character: its band
    for ch in sorted(chars, key=lambda c: -c.middle):
        if tallest is not None and _same_band(tallest, ch):
            rows[-1].append(ch)
            if _height(ch) > _height(tallest):
                tallest = ch
        else:
            rows.append([ch])
            tallest = ch
    return [_left_to_right(row) for row in rows]


def _left_to_right(chars: list[Char]) -> list[Char]:
    return sorted(_without_doubles(chars), key=lambda c: (c.centre, c.order))


def _height(ch: Char) -> float:
    return ch.top - ch.bottom


def _overlap(a: Char, b: Char) -> float:
    return min(a.top, b.top) - max(a.bottom, b.bottom)


def _without_doubles(row: list[Char]) -> list[Char]:
    """Without a character drawn again on itself (a bold faked by drawing twice, offset by a
    fraction of its width): in left to right order it would stutter (政政府府).  A box two
    characters wide holds two: LibreOffice draws —— (and ……) as one run whose two dashes
    PDFium gives the same box, and one dash of a list item's —— is not a double."""
    out: list[Char] = []
    seen: dict[str, list[float]] = {}
    for ch in sorted(row, key=lambda c: c.order):
        lefts = seen.setdefault(ch.text, [])
        width = ch.right - ch.left
        holds = 2 if width >= 1.6 * (ch.size or _height(ch) or width) else 1
        if ch.text.isspace() or sum(abs(ch.left - x) < 0.25 * width for x in lefts) < holds:
            out.append(ch)
            lefts.append(ch.left)
    return out


def _justification(row: list[Char]) -> float:
    """The usual gap between two Chinese characters drawn one after the other on the line:
    what justification spreads between characters, also beside Latin text."""
    gaps = [b.left - a.right for a, b in zip(row, row[1:])
            if b.order == a.order + 1 and not (_latin(a.text) or _latin(b.text) or a.text.isspace() or b.text.isspace())]
    return max(0.0, statistics.median(gaps)) if gaps else 0.0


def _line(row: list[Char]) -> Line:
    """A line of characters (left to right), cut into segments where a gap wider than a
    character opens: table cells or form fields side by side.  The gap after a line's own
    number (Word's tab after automatic numbering: 一、⇥总体要求) is no such gap; after a number
    with a point it is a space when the text starts with a figure (1.⇥2024年 → 1. 2024年)."""
    size = Counter(round(c.size or _height(c) or 10, 1) for c in row).most_common(1)[0][0]
    line = Line(top=max(c.top for c in row), bottom=min(c.bottom for c in row), size=size, chars=row)
    # Only a gap beside Latin text (or between ” and “) is measured against justification.
    spread = _justification(row) if any(_latin(c.text) or c.text in "”’" for c in row) else 0.0
    last: Segment | None = None
    prev: Char | None = None
    for ch in row:
        after_number = last is not None and len(line.segments) == 1 and _NUMBER_MARK.match(last.text)
        if after_number and ch.text.isspace():
            continue
        if after_number:
            tab = ch.left - last.x1 >= 0.25 * size      # the tab after the number, whatever follows
            if tab or not ch.text.isdigit():            # (1.5 is a figure, 1.⇥2024年 an item)
                line.hang = ch.left
            if tab and ch.text.isdigit() and last.text[-1] in ".．":
                last.text += " "                        # 1. 2024年, not 1.2024年
        if last is None or not after_number and ch.left - last.x1 > size * 1.2 and last.text.strip():
            last = Segment(ch.left, ch.right, "")
            line.segments.append(last)
        elif prev is not None and not after_number and not (ch.text.isspace() or prev.text.isspace()) \
                and _spaced(prev, ch, spread):
            last.text += " "
        if not (ch.text.isspace() and (not last.text or last.text.endswith(" "))):
            last.text += " " if ch.text.isspace() else ch.text
            last.x1 = max(last.x1, ch.right)
        prev = ch
    return line


# --------------------------------------------------------------------------
# footnotes


def _footnotes_apart(lines: list[Line], horizontal, tables) -> list[Line]:
    """The page's lines with its footnotes marked as such.

    Word and LibreOffice set footnotes at the page foot under a short rule; read in turn they
    land in the middle of a paragraph that goes on over the page.  The rule is told from a
    table border or an underline by standing alone (no table, no text on it), shorter than
    the text is wide, with a footnote's mark (1, ①, *, 注) starting the line under it."""
    rule = _footnote_rule(lines, horizontal, tables)
    for x in lines:
        x.footnote = rule is not None and x.top < rule
    return lines


def _footnote_rule(lines: list[Line], horizontal, tables) -> float | None:
    """The height of the page's footnote separator, if it has one."""
    if not lines:
        return None
    left, right = min(x.x0 for x in lines), max(x.x1 for x in lines)
    for x0, bottom, x1, top in sorted(horizontal, key=lambda r: r[1]):
        y = (bottom + top) / 2
        below = sorted((x for x in lines if x.top < y), key=lambda x: -x.top)
        if (below and x1 - x0 < 0.6 * (right - left)
                and (_footnote_mark(below[0]) or _flush_mark(below[0]) and _in_note_type(below[0], lines, y))
                and not any(t.bottom - 2 <= y <= t.top + 2 for t in tables)
                and not any(x.bottom - 2 <= y <= x.top + 2 for x in lines)
                and len(below) < len(lines) / 2):
            return y
    return None


def _footnote_mark(line: Line) -> str:
    """The mark a footnote's first line starts with (its number, ①, *, 注), set apart from its
    text by a space or by a smaller size; "" for a line that goes on a footnote (15.8%…)."""
    mark = _FOOTNOTE_MARK.match(line.text)
    if not mark:
        return ""
    rest = line.text[mark.end():]
    chars = [c for c in line.chars if not c.text.isspace()]
    smaller = chars and chars[0].size < 0.9 * line.size
    # set apart: a space in the text, or a gap on the page (no space is read between a figure
    # and Chinese text where the gap is only the automatic one)
    after = len(mark.group(1))
    apart = len(chars) > after and chars[after].left - chars[after - 1].right >= 0.2 * line.size
    return mark.group(1) if rest[:1].isspace() or smaller or apart else ""


def _in_note_type(line: Line, lines: list[Line], rule: float) -> bool:
    """The line is set smaller than the page's lines above the rule: in footnote type."""
    above = [x.size for x in lines if x.top >= rule]
    return bool(above) and line.size < 0.9 * statistics.median(above)


def _flush_mark(line: Line) -> str:
    """A footnote's number set flush against its text, as LibreOffice sets it (1数据来源：…):
    a mark only in a line under a footnote rule, in footnote type; not a figure's start
    (21.8%, 3,000)."""
    digits = re.match(r"\d{1,3}(?=[^\d.．%％,，、:：\s])", line.text)      # 1数据…, 11“民转公”…, 14OPPO…
    return digits.group() if digits else ""


def _note_mark(line: Line, before: str = "") -> str:
    """The mark of a line under the footnote rule (``before``: the last note's mark).  Where
    the note's text starts with a figure (521项… is note 5's 21项…), the mark is the figure's
    start in another size than the text, else the number after ``before``."""
    mark = _footnote_mark(line) or _flush_mark(line)
    if not mark.isdecimal():
        return mark                         # ①, *, 注
    chars = [c for c in line.chars if not c.text.isspace()]
    if len(chars) > len(mark):
        sized = len(list(takewhile(lambda c: abs(c.size - chars[len(mark)].size) > 0.5, chars[:len(mark)])))
        if 0 < sized < len(mark):
            return mark[:sized]
    following = str(int(before) + 1) if before.isdecimal() else "1"
    return following if mark != following and mark.startswith(following) else mark


class _NoteMarks:
    """Which lines under a footnote rule start a note, and with what mark: a line after a
    full footnote line goes on that note even if it starts with a figure (19万户。), unless
    the figure is the next mark."""

    def __init__(self, margins: "_Margins"):
        self.margins = margins
        self.mark = ""                      # the mark of the last note
        self.last: Line | None = None       # the last footnote line read

    def start(self, line: Line) -> str:
        """The mark ``line`` starts a note with, or "" where it goes on the note before."""
        mark = _note_mark(line, self.mark)
        if mark and self.last is not None and _reaches_margin(self.last, *self.margins.frame(self.last)) \
                and not _next_mark(self.mark, mark):
            mark = ""
        self.mark = mark or self.mark
        self.last = line
        return mark


def _drop_footnote_references(pages: list[list]) -> list[list]:
    """Without the raised small numbers in the text that refer to a footnote (营商环境¹): its
    number, wherever the footnote itself was set (LibreOffice may carry it to the next page)."""
    footnotes = [x for items in pages for x in items if isinstance(x, Line) and x.footnote]
    if not footnotes:
        return pages                        # (the margins are worth measuring only for their marks)
    notes = _NoteMarks(_margins(pages))
    marks = {notes.start(x) for x in footnotes} - {""}
    if not marks:
        return pages
    return [[_without_references(x, marks) if isinstance(x, Line) and not x.footnote else x for x in items]
            for items in pages]


def _without_references(line: Line, marks: set[str]) -> Line:
    raised = [c for c in line.chars
              if c.size and c.size < 0.8 * line.size and c.bottom > line.bottom + 0.2 * line.size]
    gone: set[int] = set()
    for run in _runs(raised):
        if "".join(c.text for c in run) in marks:
            gone.update(c.order for c in run)
    return _line([c for c in line.chars if c.order not in gone]) if gone else line


def _runs(chars: list[Char]) -> list[list[Char]]:
    """Characters drawn one after the other, in runs."""
    runs: list[list[Char]] = []
    for c in sorted(chars, key=lambda c: c.order):
        if runs and runs[-1][-1].order == c.order - 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


# --------------------------------------------------------------------------
# running headers and footers


def _shape(line) -> str:
    return _DIGITS.sub("#", normalize(line.text).replace(" ", "")) if isinstance(line, Line) else ""


def _drop_running_lines(pages: list[list]) -> list[list]:
    """Without the page numbers and the lines repeated above or below the body of most pages,
    where they stand on those pages: a first page's title that a running header repeats is
    the title, set elsewhere and larger, and stays."""
    seen: dict[str, list[Line]] = {}
    for items in pages:
        for line in _edges(items):
            seen.setdefault(_shape(line), []).append(line)
    many = max(2, (len(pages) + 1) // 2)
    running = {s: _usual_place(lines) for s, lines in seen.items() if len(lines) >= many and s}
    out = []
    for items in pages:
        edges = {id(x) for x in _edges(items)}
        out.append([x for x in items
                    if not (id(x) in edges and (_at(x, running.get(_shape(x))) or _is_page_number(x)))])
    return out


def _usual_place(lines: list[Line]) -> tuple[float, float]:
    """(top, size) where most of a running line's copies stand: their medians."""
    tops, sizes = sorted(x.top for x in lines), sorted(x.size for x in lines)
    return tops[len(tops) // 2], sizes[len(sizes) // 2]


def _at(line: Line, place: tuple[float, float] | None) -> bool:
    return place is not None and abs(line.top - place[0]) <= line.size and abs(line.size - place[1]) <= 1


def _edges(items: list) -> list:
    """The first two and last two lines of a page: where running headers and footers stand."""
    lines = [x for x in items if isinstance(x, Line)]
    return lines[:2] + lines[-2:] if len(lines) > 4 else lines


def _is_page_number(line) -> bool:
    return isinstance(line, Line) and bool(_PAGE_NUMBER.match(normalize(line.text).replace(" ", "")))


# --------------------------------------------------------------------------
# lines → paragraphs


@dataclass
class _Margins:
    left: float
    right: float
    indents: bool       # the document starts its paragraphs indented (首行缩进)
    pitch: float | None = None      # the usual distance from a full line to the next
    spaced: bool = False            # the document ends its paragraphs with a space under them
    columns: dict = field(default_factory=dict)     # id(line) -> (left, right) of its column

    def of(self, line: Line) -> "_Margins":
        """The margins a line is set between: its column's on a page of columns."""
        frame = self.columns.get(id(line))
        return self if frame is None else replace(self, left=frame[0], right=frame[1], columns={})

    def frame(self, line: Line) -> tuple[float, float]:
        return self.columns.get(id(line), (self.left, self.right))


def _margins(pages: list[list]) -> _Margins:
    lines = [x for items in pages for x in items if isinstance(x, Line) and len(x.segments) == 1]
    left = _mode(round(x.x0) for x in lines) if lines else 0
    right = max((x.x1 for x in lines), default=0)
    margins = _Margins(left, right, False, columns=_column_frames(pages))
    margins.indents = _indents(lines, margins)
    margins.pitch = _pitch(pages, margins)
    margins.spaced = _paragraphs_spaced(pages, margins)
    return margins


def _column_frames(pages: list[list]) -> dict:
    """id(line) -> (left, right) of its column, for the lines of pages set in two columns:
    a line there is full at its column's right edge, not the page's."""
    frames = {}
    for items in pages:
        for column in _columns([x for x in items if _one_line(x)]):
            frame = (_mode(round(x.x0) for x in column), max(x.x1 for x in column))
            frames.update((id(x), frame) for x in column)
    return frames


def _columns(lines: list[Line]) -> list[list[Line]]:
    """A page's two columns, if it has them: lines wholly left or wholly right of the page's
    middle, hardly any across it (a title over both), at least four on each side."""
    if len(lines) < 8:
        return []
    middle = (min(x.x0 for x in lines) + max(x.x1 for x in lines)) / 2
    left = [x for x in lines if x.x1 <= middle]
    right = [x for x in lines if x.x0 >= middle]
    across = len(lines) - len(left) - len(right)
    if len(left) < 4 or len(right) < 4 or across > 0.1 * len(lines):
        return []
    return [left, right] if _filled(left) and _aligned(right) else []


def _filled(column: list[Line]) -> bool:
    """Most of a column's lines run to its right edge: a column of text, not a few short lines
    (a list, headings) that all end left of the page's middle."""
    edge = max(x.x1 for x in column)
    return sum(x.x1 >= edge - 1.5 * x.size for x in column) >= 0.5 * len(column)


def _aligned(column: list[Line]) -> bool:
    """Most of a column's lines start at one place, give or take an indent: a column of text
    (which may end short on a report's last page), not a right-aligned signature block."""
    start = min(x.x0 for x in column)
    return sum(x.x0 <= start + 2.5 * x.size for x in column) >= 0.6 * len(column)


def _pitch(pages: list[list], margins: _Margins) -> float | None:
    """The usual step from a full line to the line under it: the line pitch inside a
    paragraph, which a space after a paragraph (段后间距, a web page's margins) exceeds."""
    steps = Counter()
    for items in pages:
        for a, b in zip(items, items[1:]):
            if _one_line(a) and _one_line(b) and abs(a.size - b.size) <= 0.6 and _reaches_margin(a, *margins.frame(a)):
                steps[round((a.level - b.level) * 2) / 2] += 1
    step, count = steps.most_common(1)[0] if steps else (None, 0)
    return step if step is not None and step > 0 and count >= 3 else None


def _paragraphs_spaced(pages: list[list], margins: _Margins) -> bool:
    """Most paragraphs that plainly end (a finished sentence short of the margin) have a
    space under them: then a line at the pitch goes on its paragraph, whatever it starts
    with (三是…, 2024年…), and a space ends one."""
    ends = Counter()
    pitch = margins.pitch
    for items in pages:
        for a, b in zip(items, items[1:]):
            if _one_line(a) and _one_line(b) and abs(a.size - b.size) <= 0.6 \
                    and _ENDS.search(a.text) and not _reaches_margin(a, *margins.frame(a)):
                ends[pitch is not None and a.level - b.level > pitch + PARAGRAPH_SPACE * b.size] += 1
    return ends[True] >= 5 and ends[True] >= 0.8 * (ends[True] + ends[False])


def _one_line(item) -> bool:
    return isinstance(item, Line) and len(item.segments) == 1 and not item.footnote


def _spaced_apart(prev: Line, line: Line, margins: _Margins) -> bool:
    """A gap wider than the line pitch opens between the lines: a paragraph ends there,
    however full its last line (a paragraph that fills its lines, in a document that
    marks paragraphs with space rather than indents)."""
    return margins.pitch is not None and prev.level - line.level > margins.pitch + PARAGRAPH_SPACE * line.size


def _indents(lines: list[Line], margins: _Margins) -> bool:
    """Most lines after a line that stops short of the margin (paragraph starts) are indented."""
    starts = [b for a, b in zip(lines, lines[1:]) if a.x1 < margins.frame(a)[1] - a.size * 1.5]
    indented = [x for x in starts if x.x0 > margins.frame(x)[0] + x.size * 1.2]
    return bool(starts) and len(indented) >= 0.6 * len(starts)


def _paragraphs(pages: list[list]) -> list[str]:
    """The pages' lines joined into paragraphs.  A footnote waits for the paragraph it
    interrupts to end and follows it as a paragraph of its own: its text stays searchable,
    in the section that refers to it, without cutting a sentence in two."""
    margins = _margins(pages)
    out: list[str] = []
    notes = _Footnotes(margins)             # footnotes waiting for the open paragraph to end
    open_line: Line | None = None          # the last line of the paragraph being built, if it may go on
    open_page = -1                          # the page that line stands on
    for page, items in enumerate(pages):
        for item in items:
            if isinstance(item, Line) and item.footnote:
                notes.add(item)
                continue
            same_page = open_page == page
            if isinstance(item, Line) and len(item.segments) == 1 and open_line is not None \
                    and _full(open_line, item, margins.of(open_line)) \
                    and _goes_on(open_line, item, margins.of(item), same_page and margins.spaced) \
                    and not (same_page and margins.spaced and _spaced_apart(open_line, item, margins)):
                out[-1] = join_wrapped(out[-1], item.text)
                item.hang = item.hang if item.hang is not None else open_line.hang
            else:
                out.extend(notes.flush())
                out.extend(_unit_lines(item))
            open_line = item if isinstance(item, Line) and len(item.segments) == 1 else None
            open_page = page
    return out + notes.flush()


def _unit_lines(item) -> list[str]:
    """A table, a row of cells or a line, as the lines of a .txt hold it."""
    if isinstance(item, Table):
        return _table_lines(item)
    if len(item.segments) > 1:
        return ["\t" + s.text.strip() for s in item.segments] + [""]
    return [item.text]


class _Footnotes:
    """The footnotes read since the last paragraph ended, in order."""

    def __init__(self, margins: _Margins):
        self.marks = _NoteMarks(margins)
        self.texts: list[str] = []

    def add(self, line: Line):
        """A footnote's first line starts with its mark (dropped: its reference is taken out of
        the body); a line without one goes on the footnote before it (_NoteMarks)."""
        mark = self.marks.start(line)
        if mark or not self.texts:
            self.texts.append(line.text[len(mark):].strip() if mark else line.text)
        else:
            self.texts[-1] = join_wrapped(self.texts[-1], line.text)

    def flush(self) -> list[str]:
        texts, self.texts, self.marks.last = self.texts, [], None
        return texts


def _next_mark(before: str, mark: str) -> bool:
    """``mark`` numbers the footnote after ``before``'s (2 after 1, ② after ①), or starts anew."""
    if before.isdecimal() and mark.isdecimal():
        return int(mark) in (int(before) + 1, 1)
    return not before or len(before) == len(mark) == 1 and ord(mark) == ord(before) + 1


def _mode(values) -> float:
    counts = Counter(values)
    return counts.most_common(1)[0][0] if counts else 0


def _goes_on(prev: Line, line: Line, margins: _Margins, spacing_tells: bool = False) -> bool:
    """The line continues the paragraph whose last line (reaching the right margin) is ``prev``:
    the same size, and not indented where paragraphs start indented (else, unless the space
    between paragraphs tells (``spacing_tells``: no space here), not a new unit — a heading, a
    list mark — after a finished sentence); a centred line goes on a wrapped title."""
    if abs(line.size - prev.size) > 0.6:
        return False
    if line.hang is not None and _ENDS.search(prev.text):
        return False                # a numbered item starts (Word's number and tab)
    if prev.hang is not None and abs(line.x0 - prev.hang) <= line.size * 0.5:
        return True                 # under the text of a numbered item: its hanging indent
    if _centred(line, margins.left, margins.right):
        return not _ENDS.search(prev.text)
    if line.x0 > margins.left + line.size * 1.2:
        return False
    return margins.indents or spacing_tells or not (_STARTS_UNIT.match(line.text) and _ENDS.search(prev.text))


def _full(prev: Line, line: Line, margins: _Margins) -> bool:
    """``prev`` reaches the right margin, or stops short only because the first piece of the
    next line would not fit after it: a number or Latin word (15.5%) is not broken, and a line
    does not start with closing punctuation, so its character goes down with it."""
    if _reaches_margin(prev, margins.left, margins.right):
        return True
    if _centred(prev, margins.left, margins.right) or not line.chars:
        return False
    piece = _first_piece(line.chars)
    return prev.x1 + (piece[-1].right - piece[0].left) > margins.right - line.size   # the margin is the widest line's


def _first_piece(chars: list[Char]) -> list[Char]:
    """The first characters of a line that a line break cannot part."""
    piece = [chars[0]]
    latin = _latin(chars[0].text)
    for ch in chars[1:]:
        if not (latin and _latin(ch.text) or ch.text in _NO_LINE_START):
            break
        piece.append(ch)
    return piece


def _centred(line: Line, left: float, right: float) -> bool:
    before, after = line.x0 - left, right - line.x1
    return before > line.size * 0.8 and after > line.size * 0.8 and abs(before - after) < line.size


def _reaches_margin(line: Line, left: float, right: float) -> bool:
    """The line is full: its paragraph may go on in the next line."""
    if _centred(line, left, right):
        return line.x1 - line.x0 >= (right - left) - line.size * 4
    return line.x1 >= right - line.size * 1.5


def _texts(t: Table) -> list[list[str]]:
    """The table's rows as their cells' texts."""
    if t.texts is None:
        t.texts = [[_cell_text(t.cells.get((r, c), [])) for c in range(max(0, len(t.columns[r]) - 1))]
                   for r in range(len(t.rows))]
    return t.texts


def _join_rows_across_pages(pages: list[list]) -> list[list]:
    """A table row that a page break cuts (Word lets a row break across pages) is one row
    again: 社会消费品零售总 | 7.5 on one page and 额增速（%） under it on the next read
    社会消费品零售总额增速（%） | 7.5.  The next page's first row continues the row above when
    its table has the same columns and it holds text only in cells the row above filled, not
    in all of them (_goes_on_row): a new row fills its own cells."""
    for before, after in zip(pages, pages[1:]):
        last = next((x for x in reversed(before) if not (isinstance(x, Line) and x.footnote)), None)
        first = after[0] if after else None
        if not (isinstance(last, Table) and isinstance(first, Table) and _texts(last) and _texts(first)):
            continue
        upper, lower = _texts(last)[-1], _texts(first)[0]
        if _same_columns(last.columns[-1], first.columns[0]) and _goes_on_row(upper, lower):
            _texts(last)[-1] = [join_wrapped(a, b) if a and b else a or b for a, b in zip(upper, lower)]
            del _texts(first)[0]
    return pages


_FIGURE_CELL = re.compile(r"[-+−]?[\d,.]+\s*(%|％|‰)?|[-—–]+")


def _same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= 2 for x, y in zip(a, b))


def _goes_on_row(upper: list[str], lower: list[str]) -> bool:
    """``lower`` holds the rest of ``upper``'s cells: text only where ``upper`` has some, and
    a cell left empty after its first text where ``upper`` has some (the figures and short
    words a row ends with fit on the first page).  A new row under a merged cell (共享发展
    spanning the rows) lacks only its first cells."""
    filled = [i for i, c in enumerate(lower) if c]
    above = {i for i, c in enumerate(upper) if c}
    # a figure is whole in its cell: two figures one above the other are two rows (120.5 | 98.1)
    figures = any(_FIGURE_CELL.fullmatch(upper[i]) or _FIGURE_CELL.fullmatch(lower[i]) for i in filled)
    return bool(filled) and set(filled) <= above and not figures \
        and any(i > filled[0] and not lower[i] for i in above)


def _table_lines(t: Table) -> list[str]:
    out = []
    for cells in _texts(t):
        cells = list(cells)
        if any(cells):
            while cells and not cells[-1]:
                cells.pop()
            out.extend("\t" + c for c in cells)
            out.append("")
    out.append("")
    return out


def _cell_text(chars: list[Char]) -> str:
    """A cell's characters, line by line as on the page, its wrapped lines joined."""
    text = ""
    for row in _rows(chars):
        line = _line(row).text
        text = join_wrapped(text, line) if text and line else text or line
    return re.sub(r"\s+", " ", text).strip()
