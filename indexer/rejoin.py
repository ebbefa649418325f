"""rejoin_hard_wraps: lines broken inside a paragraph become the paragraph again.

Three kinds of break: a hard wrap at a fixed width (PDF, wiki copy); a line broken
around a link or bold run by a CMS or wiki export ("…推动加入 | 全面与进步跨太平洋
伙伴关系协定 | 等…", "PM | 2.5"); a word set apart by markup.  The rules look at
the two lines, the line after them, and a few facts about the whole document (its
wrap width, where its body starts, how it numbers paragraphs).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from .analysis import is_cjk, normalize

_TERMINAL = set("。！？!?；;：:…”’」』）)]】》>|") | {"\u201d"}
_OPENERS = "（(“‘《【[「『"
_CLOSERS = {"（": "）", "(": ")", "“": "”", "‘": "’", "《": "》", "【": "】", "[": "]",
            "「": "」", "『": "』"}
_CONTINUES = set("，,、。；;：:！!？?）)”’》】]」』")
_DANGLING = set("的之和与及或在对把将被从向于第等并而以为其")
# a line that starts a new unit whatever the line before it looks like
_STARTS_UNIT = re.compile(
    r"^\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百]+[）)]"
    r"|\d{1,2}[.．、](?!\d)|[（(]\d+[）)]|[①-⑳]|——|—|[一二三四五六七八九十]是|各位代表|同志们|附件|专栏|注[:：]"
    r"|[#＃]|[-*+]\s)"
)


# how a title or subtitle ends: above the body such a line ends there, at a wrap's margin too
_TITLE_END = re.compile(r"(报告|讲话|决议|報告|講話|決議|(会议|會議)上?[）)]?)$")

# numbered headings proper (not dashes, salutations or list marks)
_HEADING_START = re.compile(
    r"^\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百]+[）)])")


# the brackets alone: _unbalanced walks these, not every character of a line
_BRACKET = re.compile("[" + re.escape("".join(_CLOSERS) + "".join(_CLOSERS.values())) + "]")


def _unbalanced(line: str) -> bool:
    """A bracket or quote opened and not closed (a closer with none open counts for nothing)."""
    depth = 0
    for ch in _BRACKET.findall(line):
        if ch in _CLOSERS:
            depth += 1
        elif depth:
            depth -= 1
    return depth > 0


def _complete(line: str) -> bool:
    s = line.rstrip()
    return not s or s[-1] in _TERMINAL


def display_columns(text: str) -> int:
    """The columns a fixed-pitch setting gives the text: a wide or full-width character
    (汉字, full-width punctuation) takes two, any other one."""
    return len(text) + sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


def widest_columns(text: str) -> int:
    """The columns at the most: a character whose width depends on the font (“ ” … ①,
    "ambiguous") taken as two, as a Chinese setting gives it."""
    return len(text) + sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WFA")


@dataclass(frozen=True)
class Margin:
    """Where a hard-wrapped text's lines are cut, in the measure it was wrapped by: characters
    (a converter that counts them) or display columns (a tool that wraps at 70 columns, where
    汉字 and full-width punctuation take two and digits, Latin and ASCII punctuation one: its
    full lines hold 35 to 41 characters).  ``width`` 0: the text is not hard-wrapped.

    ``exact``: the lines were cut by that count, so a line that stops short of the margin was
    not cut by it.  A PDF's justified lines are not: the type's widths vary (digits, squeezed
    punctuation), and full lines hold 21 to 27 characters; only the rules that need no more
    than "this line runs to about the margin" read those."""

    width: int = 0              # the length most lines have, give or take one
    fill: int = 0               # the longest of those: what a full line reaches
    columns: bool = False       # measured in display columns, else in characters
    exact: bool = False         # nearly every line that stops mid-sentence is at the margin

    def measure(self, text: str) -> int:
        return display_columns(text) if self.columns else len(text)

    def reaches(self, line: str) -> bool:
        """The line runs to the margin: in columns it fills the line or stops one short (a wide
        character did not fit), in characters (a converter's, a PDF's) full lines vary by one
        either way of the common width."""
        full = self.fill - 1 if self.columns else self.width - 1
        return bool(self.width) and self.measure(line.rstrip()) >= full

    def falls_short(self, line: str, nxt: str) -> bool:
        """The wrap would have filled the line: the next line's first word would have fitted
        after it, even with every character of a font-dependent width taken as two columns."""
        widest = widest_columns if self.columns else len
        room = self.fill - widest(line.rstrip()) - widest(_first_word(nxt))
        return self.exact and not self.reaches(line) and room >= 0


NO_MARGIN = Margin()


def _first_word(line: str) -> str:
    """What a wrap keeps whole at the start of a line: a figure or Latin word, else a
    character with the marks that may not start a line after it (字。 moves down as one)."""
    s = line.strip()
    word = re.match(r"[A-Za-z0-9.%]+", s)
    if word:
        return word.group()
    return s[:1] + "".join(itertools.takewhile(_CONTINUES.__contains__, s[1:]))


def wrap_margin(lines: list[str]) -> Margin:
    """The margin of a hard-wrapped text (PDF, wiki copy, a fixed-width .txt), or NO_MARGIN.

    Hard-wrapped text has many lines of one length that stop mid-sentence; a
    web page's paragraphs have lengths all over the place and end in 。.  The
    length is read in characters, else in display columns where the text was cut
    exactly by them and not by characters; a margin neither measure finds exact is
    read in characters."""
    long_lines = [l.rstrip() for l in lines if len(l.strip()) >= 16 and not l.startswith("\t")]
    if len(long_lines) < 6:
        return NO_MARGIN
    by_characters, by_columns = (_margin_in(long_lines, measure) for measure in (len, display_columns))
    return by_columns if by_columns.exact and not by_characters.exact else by_characters


def _margin_in(lines: list[str], measure: Callable[[str], int]) -> Margin:
    """The margin ``lines`` (of 16 characters or more) have in ``measure``, or NO_MARGIN."""
    stripped = [l.strip() for l in lines]
    width, n = _common_width(stripped, measure)
    if n < max(5, 0.3 * len(stripped)):
        return NO_MARGIN
    at_width = [l for l in stripped if width - 1 <= measure(l) <= width + 1]
    open_ended = sum(1 for l in at_width if not _complete(l))
    if open_ended < 0.5 * len(at_width):
        return NO_MARGIN
    return Margin(width, max(measure(l) for l in at_width), measure is display_columns,
                  _cut_exactly(lines, width, measure))


def _cut_exactly(lines: list[str], width: int, measure: Callable[[str], int]) -> bool:
    """Whether the lines that stop mid-sentence stop at ``width`` (give or take one), as a
    count cuts them, and hardly any a few characters short of it or past it, as a justified
    PDF's are: a twentieth of them at the most.  Lines keep their indent: it took its
    columns on the line."""
    wide = measure("字")
    at = off = 0
    for line in lines:
        if not _complete(line):
            length = measure(line)
            at += width - 1 <= length <= width + 1
            off += width - 4 * wide <= length < width - 1 or length > width + 1
    return off <= 0.05 * at


def _common_width(lines: list[str], measure: Callable[[str], int]) -> tuple[int, int]:
    """The width (give or take one) most lines have in ``measure``, and how many have it."""
    lengths = [measure(l) for l in lines]
    best, best_n = 0, 0
    for width in set(lengths):
        n = sum(1 for x in lengths if width - 1 <= x <= width + 1)
        if n > best_n:
            best, best_n = width, n
    return best, best_n


def lines_are_paragraphs(lines: list[str]) -> bool:
    """Whether a document's line breaks end its paragraphs (one paragraph a line, as a
    report's .txt is written) rather than wrap them: its lines are not cut at one width
    and most of them end a sentence.  A wrap at any width ends a sentence only where
    the margin happens to fall after one."""
    written = [line.strip() for line in lines if line.strip()]
    if not written or wrap_margin(written).width:
        return False
    return sum(1 for line in written if ends_sentence(line)) >= 0.5 * len(written)


# a first-line indent: full-width or no-break spaces, or two spaces and more (a tab is a table's cell)
_INDENT = re.compile(r"^(\u3000|\u00a0|  )")


def indent_marks_paragraphs(lines: list[str]) -> bool:
    """Whether the document marks its paragraphs by a first-line indent (a hard-wrapped
    text whose paragraphs start indented and whose other lines do not): five lines at
    least are indented, and of the lines that carry on a sentence the line before cut
    off, hardly any.  Then an indented line starts a paragraph and a line without the
    indent goes on one, even where the line before it ends a sentence at the margin."""
    indented = carried = carried_indented = 0
    before = ""
    for line in lines:
        text = "" if line.startswith("\t") else line.strip()
        if text:
            indent = bool(_INDENT.match(line))
            indented += indent
            if before and not ends_sentence(before):
                carried += 1
                carried_indented += indent
        before = text
    return indented >= 5 and carried > 0 and carried_indented <= 0.1 * carried


def blank_lines_mark_paragraphs(lines: list[str], margin: Margin) -> bool:
    """Whether a hard-wrapped text sets its paragraphs apart by blank lines: of its lines
    that end a paragraph (that fall short of the margin), five at least and nearly all
    stand before a blank line.  Then the lines of a block are one paragraph: a line at the
    margin goes on to the next, even where it ends a sentence and the next starts like a
    list item.  (A table's rows are apart by blank lines in any text: the rest of a cell
    on a line of its own is no paragraph's end.)"""
    before_blank = before_text = 0
    for before, line, nxt in zip([""] + lines, lines, lines[1:] + [""]):
        if line.strip() and not line.startswith("\t") and not before.startswith("\t") \
                and margin.falls_short(line, nxt):
            before_text += bool(nxt.strip())
            before_blank += not nxt.strip()
    return before_blank >= 5 and before_text <= 0.1 * (before_blank + before_text)


def rejoin_hard_wraps(lines: list[str]) -> list[str]:
    """Join lines broken mid-sentence or mid-word back into their paragraph.

    Three kinds of break: a hard wrap at a fixed width (PDF, wiki copy); a line
    broken around a link or bold run by a CMS or wiki export ("…推动加入 |
    全面与进步跨太平洋伙伴关系协定 | 等…"); a word set apart by markup.  Tables
    (tab-indented cells) and blank-line structure are left alone; a heading,
    list item or salutation is not glued to the line before it.
    """
    margin = wrap_margin(lines)
    ctx = _Context(margin=margin, body_start=body_start(lines), lead_marks=_lead_marks(lines),
                   indented=indent_marks_paragraphs(lines),
                   blank_separated=bool(margin.width) and blank_lines_mark_paragraphs(lines, margin))
    layout = _Layout()
    out: list[str] = []
    for i, raw in enumerate(lines):
        line = layout.read(raw)
        if layout.stands_alone(line, out) or (ctx.indented and _INDENT.match(line)) \
                or (i > 0 and _wrap_ended(lines[i - 1], line, margin)):
            out.append(line)
        elif _continues(out[-1].strip(), line.strip(), ctx.at(lines, i, out)):
            out[-1] = out[-1].rstrip() + line.strip()
        else:
            out.append(line)
    return out


def _wrap_ended(before: str, line: str, margin: Margin) -> bool:
    """In a hard-wrapped text a line that stops with room for the next line's first word
    ended its paragraph (the wrap would have filled it: a heading, a title line, a paragraph's
    last line), unless it stops where no paragraph stops: on a comma or an opening bracket,
    or before a comma or a closing mark."""
    b, s = before.strip(), line.strip()
    return bool(b and s) and margin.falls_short(before, line) and b[-1] not in "，,、" + _OPENERS \
        and s[0] not in _CONTINUES


class _Layout:
    """Blank lines and tables, as the lines go by: what is never joined to anything."""

    def __init__(self):
        self.in_table = False
        self.blank_run = 0
        self.blank_before = 0

    def read(self, raw: str) -> str:
        line = raw.rstrip()
        if raw.startswith("\t") and not line:
            return "\t"                          # an empty table cell, not a blank line
        return line

    def stands_alone(self, line: str, out: list[str]) -> bool:
        if not line.strip() and line != "\t":
            self.blank_run += 1
            self.in_table = self.in_table and self.blank_run < 2
            return True
        self.blank_before, self.blank_run = self.blank_run, 0
        if line.startswith("\t"):
            self.in_table = True
            return True
        if self.in_table and len(line.strip()) > 12:
            self.in_table = False                 # longer than a cell's runover: the table is over
        return self.in_table or not out or bool(self.blank_before) or not out[-1].strip() \
            or out[-1].startswith("\t")


@dataclass
class _Context:
    """What the rejoining rules see beside the two lines: the document and the next line."""

    margin: Margin              # the hard wrap's margin (NO_MARGIN: none)
    body_start: int             # index of the line where the report's body starts
    lead_marks: set             # numbering marks this document uses for paragraphs, not headings
    indented: bool = False      # the document starts its paragraphs with an indent, and only them
    blank_separated: bool = False     # … or sets its wrapped paragraphs apart by blank lines
    body: bool = False          # the line is in the body (past the title block)
    nxt: str = ""               # the line after the one being decided ('' for a blank or a cell)
    prev_complete: bool = True  # the line before ``p`` ended a sentence (``p`` starts a paragraph)
    heading_may_follow: bool = True   # … and ended a paragraph, so ``p`` may be a plain heading
    line_at_margin: bool = False      # the line before this one (not the paragraph so far) reached the wrap width

    def at(self, lines: list[str], i: int, out: list[str]) -> "_Context":
        """The context for joining lines[i] to out[-1]."""
        self.body = i > self.body_start
        self.line_at_margin = i > 0 and self.margin.reaches(lines[i - 1])
        self.nxt = lines[i + 1].strip() if i + 1 < len(lines) and not lines[i + 1].startswith("\t") else ""
        before = out[-2].strip() if len(out) > 1 else ""
        self.prev_complete = _ends_paragraph(before)
        # a plain heading stands after a paragraph, not under a heading or after a colon
        self.heading_may_follow = not before or (ends_sentence(before) and before.rstrip(_CLOSING)[-1] not in ":：")
        return self


def body_start(lines: list[str]) -> int:
    """Index of the salutation or first numbered top-level heading (else the first
    line that ends a sentence): the title block is above it."""
    keys = [normalize(line).replace(" ", "") for line in lines[:80]]
    for i, k in enumerate(keys):
        if k.startswith(("各位代表", "同志们", "代表们")) or _PART_OR_CHAPTER.match(k):
            return i
    return next((i for i, line in enumerate(lines) if ends_sentence(line)), len(lines))


def _lead_marks(lines: list[str]) -> set:
    """The numbering marks (（一）, 1., …) whose lines, in this document, mostly hold a
    sentence: a paragraph's lead (（一）坚定信念铸就绝对忠诚。把党的…) or a heading that ends
    in a full stop.  A line of such a mark that stops mid-sentence was cut short."""
    votes: dict[str, int] = {}
    for line in lines:
        s = line.strip()
        mark = _mark(s) if s else None
        if mark is None or mark in ("dash", "shi"):
            continue
        if _SENTENCE_INSIDE.search(s[:-1]) or ends_sentence(s):
            votes[mark] = votes.get(mark, 0) + 1
        elif len(s) <= 40:
            votes[mark] = votes.get(mark, 0) - 1
    return {mark for mark, vote in votes.items() if vote > 0}


def _continues(p: str, s: str, ctx: _Context) -> bool:
    """Whether line ``s`` goes on from line ``p``."""
    # a line of a hard-wrapped text that runs to the margin goes on, unless above the body it
    # ends as a title or subtitle ends.  Where it ends a sentence the text does not say whether
    # its paragraph ends; a paragraph's last line fills the margin only by chance, a line inside
    # one ends on 。 as often as 。 is in the text: in the real reports wrapped at 70 columns,
    # six in seven such lines are inside a paragraph.  So where the margin is exact it goes on
    # then too, unless the next line starts like a heading or list item (full_width: the line
    # stops mid-sentence); where it is not (a justified PDF) only a line that stops mid-sentence.
    at_margin = ctx.line_at_margin and (ctx.body or not _TITLE_END.search(p))
    full_width = at_margin and p[-1] not in "。！？!?…"
    # where paragraphs start indented or stand apart by blank lines, a line after one that runs
    # to the margin (without the indent, in the same block) goes on even after a sentence and
    # into a list mark: …取得新成效。 | 地区生产总值…,  …时有发生。 | 二是…
    wraps_on = (ctx.indented or ctx.blank_separated) and ctx.line_at_margin
    if _STARTS_UNIT.match(s) and not (s.startswith("—") and not s.startswith("——") and _running_text(p)):
        return _unit_goes_on(p, s, full_width or wraps_on)
    if wraps_on or (at_margin and ctx.margin.exact) or full_width:
        return True                               # 4.为…“两癌”患病 | 妇女…, 2.…岗位4. | 5万个: not a heading either
    if _heading_line(p):
        return _heading_goes_on(p, s) or (ctx.body and _mark(p) in ctx.lead_marks and not ends_sentence(s))
    if _number_cut(p, s) or p[-1] in "，,、":
        return True                               # …完成投资10428. | 6亿元   现在， | 我代表…
    return _sentence_goes_on(p, s, ctx)


def _unit_goes_on(p: str, s: str, full_width: bool) -> bool:
    """``s`` starts like a heading or list item; it still goes on from ``p`` after an opening
    bracket, at a hard wrap's margin (a heading's mark too, where the margin cut running text
    mid-sentence: …推进合 | 六、合淮产业走廊…), or where a line break cut a mark or number
    from its sentence."""
    at_margin = full_width and (not _HEADING_START.match(s) or _running_text(p) and not _complete(p))
    return p.endswith(tuple(_OPENERS)) or at_margin or _clause_goes_on(p, s) \
        or (_numbering_only(s) and _number_cut(p, s))


def _sentence_goes_on(p: str, s: str, ctx: _Context) -> bool:
    """``p`` is not a heading and ``s`` starts no unit: does the sentence run on?"""
    if not ends_sentence(p) and _runs_on(p, s, ctx):
        return True                               # …推动加入 | 全面与进步跨太平洋伙伴关系协定 | 等…
    if _unbalanced(p) or (s[0] in _CANNOT_START and not ends_sentence(p)):
        return True                               # 健全“日新： | 江淮科创…   具体部署 | 了13项…
    if not _complete(p) and _incomplete_goes_on(p, s):
        return True
    return ctx.body and ctx.prev_complete and _paragraph_start_fragment(p, s, ctx)


def _runs_on(p: str, s: str, ctx: _Context) -> bool:
    """Running text, or in the body a list item, that stops mid-sentence goes on."""
    if _running_text(p):
        return ctx.body or _head_text_goes_on(p, s)
    return ctx.body and _list_item(p)


def _head_text_goes_on(p: str, s: str) -> bool:
    """Above the body (a notice, the title block, a site's header) a short punctuated
    line may be a slogan (维基文库，自由的图书馆) and the next a title: only a sentence of
    some length goes on, and never into a title or subtitle."""
    return len(p) >= 20 and not re.search(r"(报告|讲话|决议|報告|講話|決議)$|会议上?[）)]?$", s) \
        and not s.startswith(("——", "（", "("))


def numbered_heading(line: str) -> bool:
    """第一部分…, 一、…, （一）…: the line starts like a numbered heading."""
    return bool(_HEADING_START.match(line))


def _heading_line(p: str) -> bool:
    """一、…, （一）…, 4.…: a numbered line that may be a heading (no sentence in it, short)."""
    if _HEADING_START.match(p):
        return len(p) <= 40 and not _SENTENCE_INSIDE.search(p[:-1])
    return _mark(p) in ("num", "num_paren", "circled") and len(p) <= 60 and not _SENTENCE_INSIDE.search(p[:-1])


def _ends_paragraph(p: str) -> bool:
    """Whatever follows ``p`` starts a paragraph: ``p`` is blank, ends a sentence or is a heading."""
    return not p or ends_sentence(p) or _heading_line(p) or p.startswith("\t") or (
        len(p) <= 30 and not _CLAUSE_INSIDE.search(p) and bool(_HEADING_END.search(p)))


def _heading_goes_on(p: str, s: str) -> bool:
    """一、2024年经济工作情况 | 2024年，预计…: a heading, kept;  （三）坚定信念铸就 | 绝对忠诚 |
    。把党的…: the lead of a numbered paragraph, broken around a bold run.  A word running
    across the break tells the second from a heading followed by a paragraph; so does,
    where the next line stops mid-sentence too, a document that numbers paragraphs, not
    headings, this way (``_lead_marks``)."""
    return p[-1] in _OPENERS or p[-1] in "，,、" or s[0] in _CONTINUES or _numbering_only(p) \
        or _unbalanced(p) or _word_across(p, s)


def _incomplete_goes_on(p: str, s: str) -> bool:
    """Line ``p`` stops mid-sentence and is not running text (a title, a label, a fragment)."""
    if p[-1] in _OPENERS or _unbalanced(p):
        return True                               # （ | 三）改革开放…
    if s[0] in _CONTINUES or re.match(r"^是[:：]", s):
        return True                               # …带技术 | ；“成果找市场…   …主要目标 | 是：…
    if p[-1] in _DANGLING and is_cjk(s[0]):
        return True                               # …发展的 | 主要目标
    if len(s) <= 4 and is_cjk(s[0]) and not re.search(r"[，。、；：]", s) \
            and not re.search(r"会议上?[）)]?$|报告$", p):
        return True                               # a word set apart by markup: 揭榜
    if p.startswith("——") and re.search(r"\d+年|〇|年", p) and re.search(r"(会议上|上[）)]?)$", s):
        return True                               # ——2026年1月26日在广东省第十四届 | 人民代表大会…会议上
    return _word_across(p, s)


# punctuation inside a line that makes it running text rather than a title or label
_CLAUSE_INSIDE = re.compile(r"[，,、。；;：:！!？?]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_INSIDE = re.compile(r"[。；;！!？?]")
_CLOSING = "”’」』）)》】]\"'"
# characters that do not begin a sentence: the line before it goes on
_CANNOT_START = set("了的们和及等")
_CAPTION_START = re.compile(r"^(专栏|附件|附表|表\s*\d)")
_PART_OR_CHAPTER = re.compile(r"^\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、)")
# list and enumeration marks, by kind: a run of items of one kind stays a run
_MARKS = (("dash", re.compile(r"^[—―-]")), ("num", re.compile(r"^\d{1,2}[.．、](?!\d)")),
          ("num_paren", re.compile(r"^[（(]\d+[）)]")), ("cn_paren", re.compile(r"^[（(][一二三四五六七八九十百]+[）)]")),
          ("circled", re.compile(r"^[①-⑳]")), ("shi", re.compile(r"^[一二三四五六七八九十]是")))


def ends_sentence(line: str) -> bool:
    """The line's last word is sentence-final punctuation (closing quotes and brackets after it)."""
    s = line.rstrip().rstrip(_CLOSING)
    return bool(s) and s[-1] in "。！？!?；;：:…"


def _running_text(line: str) -> bool:
    """Sentences rather than a title or label: punctuated inside, not a caption or chapter heading."""
    return bool(_CLAUSE_INSIDE.search(line[:-1])) and not _CAPTION_START.match(line) \
        and not (_PART_OR_CHAPTER.match(line) and len(line) <= 80)


def _mark(line: str) -> str | None:
    return next((name for name, pat in _MARKS if pat.match(line)), None)


def _clause_goes_on(p: str, s: str) -> bool:
    """…，二是加快…  …增长4.5%，第 | 一、第三产业…: a mark inside a sentence, cut off from it."""
    if ends_sentence(p) or (_mark(s) is not None and _mark(s) == _mark(p)):
        return False
    if p[-1] in "第十百零〇一二三四五六七八九":
        return True                               # the number itself was cut: 十 | 二是
    if p[-1] in "，,、":
        return not _PART_OR_CHAPTER.match(s)
    return _running_text(p) and not _HEADING_START.match(s)


def _numbering_only(p: str) -> bool:
    return bool(re.fullmatch(r"\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、"
                             r"|[（(][一二三四五六七八九十百\d]+[）)]|\d+[.．、])\s*", p))


def _word_across(p: str, s: str) -> bool:
    """A word of jieba's dictionary runs across the break (持续改善空 | 气质量)."""
    from .analysis import jieba_cut

    left, right = normalize(p[-4:]), normalize(s[:4])
    if not (left and right and is_cjk(left[-1]) and is_cjk(right[0])):
        return False
    at = 0
    for word in jieba_cut(left + right):
        if at < len(left) < at + len(word):
            # 回顾 | 过去 is two words that happen to make a longer one: no evidence
            head, tail = word[:len(left) - at], word[len(left) - at:]
            return not (len(head) > 1 and len(tail) > 1 and _is_word(head) and _is_word(tail))
        at += len(word)
    return False


def _is_word(text: str) -> bool:
    from .analysis import _Jieba
    from .encodings import char_frequency

    return _Jieba.fast().has_word(text) if len(text) > 1 else char_frequency(text) > 0


def _number_cut(p: str, s: str) -> bool:
    """A number or Latin word broken in two: …增长6. | 5%,  …2 | 023年,  Indicator | s，
    (not 附件1 | 2026年…: a label's number)."""
    cut = (re.search(r"\d[.．]?$", p) and re.match(r"[\d.．%％]", s)) or \
        (re.search(r"[A-Za-z]$", p) and re.match(r"[A-Za-z]", s))
    return bool(cut) and not _CAPTION_START.match(p) and not (len(p) <= 6 and re.search(r"[\u4e00-\u9fff]", p))


def _list_item(p: str) -> bool:
    """A list item or enumerated line: ——…, 1.…, （1）…, ①…, 一是…"""
    return _mark(p) is not None and not re.search(r"会议上?[）)]?$", p)


# words that end a heading standing on its own line (“十四五”时期工作回顾, 名词解释)
_HEADING_END = re.compile(r"(回顾|任务|工作|目标|要求|安排|部署|举措|措施|建议|情况|成就|成效|形势|思路|"
                          r"展望|建设|解释|注释|说明|附件|附录|附表)$")
_BACK_MATTER = re.compile(r"^(名词解释|名词注释|注释|附录|附件|说明)")
# a date on a line of its own: under a signature, not the rest of a sentence
_DATE_LINE = re.compile(r"^(\d{4}|[〇零○一二三四五六七八九]{4})年[\d〇零○一二三四五六七八九十]{1,3}月"
                        r"[\d〇零○一二三四五六七八九十]{1,3}日$")


def _paragraph_start_fragment(p: str, s: str, ctx: _Context) -> bool:
    """A paragraph that starts with a link or bold run: …。 | 提升文化 | 软实力。实施…

    ``p`` stands after a complete sentence, so it could also be a heading of its
    own; it is taken for a fragment when a word runs across the break, or when it
    does not end the way headings end (回顾, 任务, 解释 …)."""
    if not _CJK.search(p) and re.search("[A-Za-z]", p):
        return False                              # false | 新的段落: a stray value, not a link
    if len(p) > 60 or _CLAUSE_INSIDE.search(p) or ends_sentence(p) or _STARTS_UNIT.match(p) \
            or _CAPTION_START.match(p) or _BACK_MATTER.match(p) or _DATE_LINE.match(s):
        return False
    return _word_across(p, s) or not (ctx.heading_may_follow and _HEADING_END.search(p))
