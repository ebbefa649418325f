"""clean_text: from decoded file text to the text we index and show.

Each rule is a small function over lines, applied in order by ``clean_text``:
invisible characters, pinyin debris from web converters, web-page chrome, hard
wraps.  Lines keep their leading tabs: the structure step reads Word-exported
tables from them.  Nothing here changes the script (Traditional stays
Traditional); matching forms are made later by ``analysis.normalize``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .analysis import is_cjk, normalize

# --------------------------------------------------------------------------
# characters


def strip_invisible(text: str) -> str:
    """Drop zero-width/format characters and control characters but tab and newline.

    Line breaks of every kind (\\r\\n, \\r, U+2028/2029, form feed) become \\n.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x0c", "\n")
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Cs", "Co", "Cn"):
            continue
        out.append(ch)
    return "".join(out)


_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# 關(guān) -> 關: a lower-case syllable in brackets, carrying a tone mark, glued to
# the character it transcribes.  The tone mark keeps real brackets such as
# (一) or (2024年…) or (GDP) out of reach.
_PINYIN = re.compile(r"(?<=\S)\((?=[a-zü]*[" + _TONES + r"])[a-zü" + _TONES + r"]{1,7}\)")
# where the converter also lost the character itself it leaves '?' and the
# bracket's opening half: 發展?jié)… -> 發展…
_PINYIN_LOST = re.compile(r"\?(?=[a-zü]*[" + _TONES + r"])[a-zü" + _TONES + r"]{1,7}\)")
_HTML_DEBRIS = re.compile(r"\??</?(?:p|br|span|div|strong|b|font)\s*/?>|\?/p>", re.I)


def remove_pinyin_debris(text: str) -> str:
    text = _PINYIN.sub("", text)
    out, pos = [], 0
    for m in _PINYIN_LOST.finditer(text):
        if m.start() < pos:
            continue                       # inside a run already repaired
        out.append(text[pos:m.start()])
        pos = m.end()
        run_len, fixed = _repair_run(text, pos)
        if fixed is not None:
            out.append(fixed)
            pos += run_len
    out.append(text[pos:])
    return _HTML_DEBRIS.sub("", "".join(out))


_RUN_END = re.compile(r"[\n,，(（?？]")


def _commonness(text: str) -> float:
    """Median log-frequency of the text's Chinese characters in jieba's dictionary."""
    import math
    from statistics import median

    from .encodings import char_frequency

    scores = [math.log10(char_frequency(ch) + 1) for ch in text if is_cjk(ch)]
    return median(scores) if scores else 0.0


def _repair_run(text: str, at: int) -> tuple[int, str | None]:
    """Where a converter lost a character's first byte, the GBK text after it was
    decoded one byte out of step (發展?jié)撃艿玫叫箩尫拧).  Re-encode that run and
    decode it back in step; keep the repair only when it reads as far more
    ordinary Chinese than the run did.  The lost character itself cannot be
    recovered.  Returns (length of the run replaced, repaired text or None)."""
    rest = text[at:at + 80]
    end = _RUN_END.search(rest)
    run = rest[:end.start()] if end else rest
    if not run:
        return 0, None
    try:
        raw = run.encode("gbk")
    except UnicodeEncodeError:
        return 0, None
    fixed = raw[1:].decode("gbk", errors="replace").rstrip("\ufffd")
    if not fixed or not all(is_cjk(c) or c in "、，。；：" for c in fixed):
        return 0, None
    if _commonness(fixed) >= _commonness(run) + 0.8 or (run[0] in "|\\^`{}~" and fixed == run[1:]):
        return len(run), fixed
    return 0, None


# --------------------------------------------------------------------------
# page chrome

# whole lines that are page furniture wherever they stand in the head or tail
_CHROME_LINES = {
    "下载", "打印", "全屏", "收藏", "【字号:", "【字体:", "加大", "还原", "减小", "】", "【",
    "大", "中", "小", "分享:", "分享到:", "分享到微信", "×", "|", ">", "首页",
    "您的位置:", "当前位置:", "来源:", "时间:", "发表时间:", "发布时间:", "阅读量:", "阅读次数:",
    "打印本页", "关闭窗口", "扫一扫在手机打开当前页", "相关报道:", "相关文档:", "相关附件>>",
    "相关链接>>", "责任编辑:", "编辑:", "》》点击图片进入专题《《", "字号:", "【打印】", "【关闭】",
    "[打印]", "[关闭]", "返回顶部", "打印本页 关闭窗口",
}
# labels whose value sits on the next line (来源：\n宁夏日报客户端)
_LABELS = {"来源:", "时间:", "发表时间:", "发布时间:", "阅读量:", "责任编辑:", "编辑:"}
# once one of these stands alone on a line, the article is over
_TAIL_MARKERS = {
    "相关报道:", "相关文档:", "相关附件>>", "相关链接>>", "责任编辑:", "扫一扫在手机打开当前页",
    "打印本页", "关闭窗口", "》》点击图片进入专题《《", "【打印】", "【关闭】", "[打印]", "[关闭]",
    "返回顶部",
}
_CHROME_PREFIX = re.compile(
    r"^(来源|时间|发表时间|发布时间|责任编辑|编辑|作者|阅读量|阅读次数|浏览次数)[:][^。]{0,40}$"
    r"|^\(来源[:][^)]{1,30}\)$"
    r"|^\d{4}-\d{1,2}-\d{1,2}( ?\d{1,2}:\d{2}(:\d{2})?)?$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日 ?\d{1,2}[时:]\d{1,2}分?$"
    r"|^[0-9a-f]{32}:?$"
)
_CHROME_WORDS = ("发布时间", "来源", "字号", "阅读次数", "浏览次数", "打印", "关闭", "收藏",
                 "选择阅读", "分享")
_CAPTION = re.compile(r"(记者|摄影|通讯员).{0,12}(摄\)?|摄影)?$|\s摄$|作政府工作报告[。.]?$")


def _key(line: str) -> str:
    """The form chrome is recognised in: normalised, no spaces."""
    return normalize(line).replace(" ", "").replace("：", ":")


def _is_chrome(key: str) -> bool:
    if key in _CHROME_LINES or _CHROME_PREFIX.match(key):
        return True
    # a run-together chrome line: 发布时间:… 来源:… 选择阅读字号:[大中小] 阅读次数:
    return len(key) < 120 and sum(w in key for w in _CHROME_WORDS) >= 3


def _is_caption(key: str) -> bool:
    return len(key) < 120 and bool(_CAPTION.search(key)) and not key.startswith("各位代表")


def _body_anchor(keys: list[str]) -> int:
    """Index of the salutation or first top-level heading: the head ends there."""
    for i, k in enumerate(keys[:80]):
        if k.startswith(("各位代表", "同志们", "代表们")) or re.match(r"^一、", k):
            return i
    return min(len(keys), 40)


def remove_chrome(lines: list[str]) -> list[str]:
    """Drop page furniture around the report body; keep every line of the body."""
    keys = [_key(line) for line in lines]
    drop = [False] * len(lines)

    anchor = _body_anchor(keys)
    head_end = min(len(lines), anchor + 1)
    seen: set[str] = set()
    removed_values: set[str] = set()
    for i in range(head_end):
        k = keys[i]
        if not k:
            continue
        if _is_chrome(k) or _is_caption(k):
            drop[i] = True
            if k in _LABELS and i + 1 < head_end and 0 < len(keys[i + 1]) <= 30:
                drop[i + 1] = True
            continue
        if k == ">" or (i + 1 < head_end and keys[i + 1] == ">") or (i > 0 and keys[i - 1] == ">"):
            drop[i] = True       # breadcrumb: 首页 > 政务信息 > 宁夏要闻
            removed_values.add(k)
            continue
        if (k in seen and re.search(r"报告|讲话|会议上", k)) or (k in removed_values and len(k) <= 10):
            drop[i] = True       # the title and subtitle repeated by the page template
            continue
        seen.add(k)

    # the tail: everything from the first tail marker in the second half
    start_tail = max(head_end, len(lines) // 2)
    for i in range(start_tail, len(lines)):
        if keys[i] in _TAIL_MARKERS:
            for j in range(i, len(lines)):
                drop[j] = True
            break
    for i in range(start_tail, len(lines)):
        k = keys[i]
        if k and (_is_chrome(k) and len(k) <= 30 or k.startswith("(来源:")):
            drop[i] = True
    return [line for line, d in zip(lines, drop) if not d]


# --------------------------------------------------------------------------
# hard wraps

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


# numbered headings proper (not dashes, salutations or list marks)
_HEADING_START = re.compile(
    r"^\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、|[（(][一二三四五六七八九十百]+[）)])")


def _unbalanced(line: str) -> bool:
    depth = 0
    for ch in line:
        if ch in _CLOSERS:
            depth += 1
        elif ch in _CLOSERS.values():
            depth = max(0, depth - 1)
    return depth > 0


def _complete(line: str) -> bool:
    s = line.rstrip()
    return not s or s[-1] in _TERMINAL


def _wrap_width(lines: list[str]) -> int:
    """The fixed width of a hard-wrapped text (PDF, wiki copy), or 0 if none.

    Hard-wrapped text has many lines of one length that stop mid-sentence; a
    web page's paragraphs have lengths all over the place and end in 。
    """
    stripped = [l.strip() for l in lines if len(l.strip()) >= 16 and not l.startswith("\t")]
    if len(stripped) < 6:
        return 0
    lengths = [len(l) for l in stripped]
    best, best_n = 0, 0
    for width in set(lengths):
        n = sum(1 for x in lengths if width - 1 <= x <= width + 1)
        if n > best_n:
            best, best_n = width, n
    if best_n < max(5, 0.3 * len(lengths)):
        return 0
    at_width = [l for l in stripped if best - 1 <= len(l) <= best + 1]
    open_ended = sum(1 for l in at_width if not _complete(l))
    return best if open_ended >= 0.5 * len(at_width) else 0


def rejoin_hard_wraps(lines: list[str]) -> list[str]:
    """Join lines broken mid-sentence or mid-word back into their paragraph.

    Three kinds of break: a hard wrap at a fixed width (PDF, wiki copy); a line
    broken around a link or bold run by a CMS or wiki export ("…推动加入 |
    全面与进步跨太平洋伙伴关系协定 | 等…"); a word set apart by markup.  Tables
    (tab-indented cells) and blank-line structure are left alone; a heading,
    list item or salutation is not glued to the line before it.
    """
    ctx = _Context(width=_wrap_width(lines), body_start=_body_start(lines), lead_marks=_lead_marks(lines))
    out: list[str] = []
    in_table = False
    blank_run = 0
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        if raw.startswith("\t") and not line:
            line = "\t"                          # an empty table cell, not a blank line
        if not line.strip() and line != "\t":
            blank_run += 1
            if blank_run >= 2:
                in_table = False
            out.append(line)
            continue
        blank_run_before, blank_run = blank_run, 0
        if line.startswith("\t"):
            in_table = True
            out.append(line)
            continue
        if in_table and len(line.strip()) > 12:
            in_table = False                      # longer than a cell's runover: the table is over
        if in_table or not out or blank_run_before or not out[-1].strip() or out[-1].startswith("\t"):
            out.append(line)
            continue
        ctx.body = i > ctx.body_start
        ctx.nxt = lines[i + 1].strip() if i + 1 < len(lines) and not lines[i + 1].startswith("\t") else ""
        before = out[-2].strip() if len(out) > 1 else ""
        ctx.prev_complete = _ends_paragraph(before)
        # a plain heading stands after a paragraph, not under a heading or after a colon
        ctx.heading_may_follow = not before or (_ends_sentence(before) and before.rstrip(_CLOSING)[-1] not in ":：")
        if _continues(out[-1].strip(), line.strip(), ctx):
            out[-1] = out[-1].rstrip() + line.strip()
        else:
            out.append(line)
    return out


@dataclass
class _Context:
    """What the rejoining rules see beside the two lines: the document and the next line."""

    width: int                  # the hard-wrap width, or 0
    body_start: int             # index of the line where the report's body starts
    lead_marks: set             # numbering marks this document uses for paragraphs, not headings
    body: bool = False          # the line is in the body (past the title block)
    nxt: str = ""               # the line after the one being decided ('' for a blank or a cell)
    prev_complete: bool = True  # the line before ``p`` ended a sentence (``p`` starts a paragraph)
    heading_may_follow: bool = True   # … and ended a paragraph, so ``p`` may be a plain heading


def _body_start(lines: list[str]) -> int:
    """Index of the salutation or first numbered top-level heading (else the first
    line that ends a sentence): the title block is above it."""
    keys = [_key(line) for line in lines[:80]]
    for i, k in enumerate(keys):
        if k.startswith(("各位代表", "同志们", "代表们")) or _PART_OR_CHAPTER.match(k):
            return i
    return next((i for i, line in enumerate(lines) if _ends_sentence(line)), len(lines))


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
        if _SENTENCE_INSIDE.search(s[:-1]) or _ends_sentence(s):
            votes[mark] = votes.get(mark, 0) + 1
        elif len(s) <= 40:
            votes[mark] = votes.get(mark, 0) - 1
    return {mark for mark, vote in votes.items() if vote > 0}


def _continues(p: str, s: str, ctx: _Context) -> bool:
    """Whether line ``s`` goes on from line ``p``."""
    # a line of a hard-wrapped text that runs to the margin goes on, unless it
    # ends a sentence (then a paragraph may or may not end: keep the break)
    full_width = bool(ctx.width) and len(p) >= ctx.width - 1 and p[-1] not in "。！？!?…"
    if _STARTS_UNIT.match(s) and not (s.startswith("—") and not s.startswith("——") and _running_text(p)):
        return p.endswith(tuple(_OPENERS)) or (full_width and not _HEADING_START.match(s)) \
            or _clause_goes_on(p, s) or (_numbering_only(s) and _number_cut(p, s))
    if _heading_line(p):
        return _heading_goes_on(p, s) or (ctx.body and _mark(p) in ctx.lead_marks and not _ends_sentence(s))
    if full_width or _number_cut(p, s) or p[-1] in "，,、":
        return True                               # …完成投资10428. | 6亿元   现在， | 我代表…
    if not _ends_sentence(p) and (_running_text(p) or (ctx.body and _list_item(p))):
        return True                               # …推动加入 | 全面与进步跨太平洋伙伴关系协定 | 等…
    if _unbalanced(p) or (s[0] in _CANNOT_START and not _ends_sentence(p)):
        return True                               # 健全“日新： | 江淮科创…   具体部署 | 了13项…
    if not _complete(p) and _incomplete_goes_on(p, s):
        return True
    return ctx.body and ctx.prev_complete and _paragraph_start_fragment(p, s, ctx)


def _heading_line(p: str) -> bool:
    """一、…, （一）…, 4.…: a numbered line that may be a heading (no sentence in it, short)."""
    if _HEADING_START.match(p):
        return len(p) <= 40 and not _SENTENCE_INSIDE.search(p[:-1])
    return _mark(p) in ("num", "num_paren", "circled") and len(p) <= 60 and not _SENTENCE_INSIDE.search(p[:-1])


def _ends_paragraph(p: str) -> bool:
    """Whatever follows ``p`` starts a paragraph: ``p`` is blank, ends a sentence or is a heading."""
    return not p or _ends_sentence(p) or _heading_line(p) or p.startswith("\t") or (
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


def _ends_sentence(line: str) -> bool:
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
    if _ends_sentence(p) or (_mark(s) is not None and _mark(s) == _mark(p)):
        return False
    if p[-1] in "第十百零〇一二三四五六七八九":
        return True                               # the number itself was cut: 十 | 二是
    if p[-1] in "，,、":
        return not _PART_OR_CHAPTER.match(s)
    return _running_text(p) and not _HEADING_START.match(s)


def _numbering_only(p: str) -> bool:
    return bool(re.fullmatch(r"\s*(第[一二三四五六七八九十百]+[部分章节篇]|[一二三四五六七八九十百]+、"
                             r"|[（(][一二三四五六七八九十百\d]+[）)]|\d+[.．、])\s*", p))


def _fragment(s: str) -> bool:
    """A few characters without punctuation: a link's or bold run's text, not a paragraph."""
    return len(s) <= 15 and not _CLAUSE_INSIDE.search(s) and not _ends_sentence(s)


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
    from .encodings import char_frequency, _freq

    return (_freq().get(text, 0) if len(text) > 1 else char_frequency(text)) > 0


def _number_cut(p: str, s: str) -> bool:
    """A number or Latin word broken in two: …增长6. | 5%,  …2 | 023年,  Indicator | s
    (not 附件1 | 2026年…: a label's number)."""
    return bool(re.search(r"(\d[.．]?|[A-Za-z])$", p) and re.match(r"[\dA-Za-z.．%％]", s)) \
        and not _CAPTION_START.match(p) and not (len(p) <= 6 and re.search(r"[\u4e00-\u9fff]", p))


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
    if len(p) > 60 or _CLAUSE_INSIDE.search(p) or _ends_sentence(p) or _STARTS_UNIT.match(p) \
            or _CAPTION_START.match(p) or _BACK_MATTER.match(p) or _DATE_LINE.match(s):
        return False
    return _word_across(p, s) or not (ctx.heading_may_follow and _HEADING_END.search(p))


# --------------------------------------------------------------------------


def collapse_spaces(line: str) -> str:
    """Runs of white space become one space; a space between two CJK characters goes."""
    line = re.sub(r"[ \u3000\u00a0\u2000-\u200a\u202f\u205f]+", " ", line).strip()
    return re.sub(r"(?<=[\u3400-\u9fff\uf900-\ufaff]) (?=[\u3400-\u9fff\uf900-\ufaff（“《【])", "",
                  line)


def join_split_title(lines: list[str]) -> list[str]:
    """关于…2023年国民经济和社会发展 | (blank) | 计划执行情况…的报告 -> one title line."""
    out = list(lines)
    for i in range(min(len(out), 12)):
        s = out[i].strip()
        if not s.startswith("关于") or re.search(r"(报告|讲话|通知|决议|意见)$", s):
            continue
        for j in range(i + 1, min(len(out), i + 4)):
            t = out[j].strip()
            if not t:
                continue
            if len(t) <= 40 and re.search(r"(报告|報告)$", t) and not t.startswith("\t"):
                out[i] = s + t
                del out[j]
                for k in range(j - 1, i, -1):   # blank lines between the halves
                    if not out[k].strip():
                        del out[k]
            break
    return out


_PUNCTUATION = set("。！？!?；;：:…，,、（(“‘《【[「『）)”’》】]」』")
# a page number left by a PDF or Word export: ― 2 ―, - 12 -, 第3页, 第 3 页 共 20 页
_PAGE_NUMBER = re.compile(r"^[—–\-－]\s*\d{1,4}\s*[—–\-－]$|^第\s*\d{1,4}\s*页(\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$")


def remove_debris(lines: list[str]) -> list[str]:
    """Drop page numbers and lines with no letter, digit, Chinese character or sentence
    punctuation (a lone \ufffd, a row of stars); table cells stay, whatever they hold.
    Before rejoining: a paragraph broken by a page number is whole again."""
    out = []
    for line in lines:
        if line.strip() and not line.startswith("\t"):
            key = normalize(line.strip())
            if _PAGE_NUMBER.match(key) or not (re.search(r"[^\W_]", key) or _PUNCTUATION & set(key)):
                continue
        out.append(line)
    return out


def clean_lines(text: str) -> list[str]:
    """All cleaning rules; lines keep leading tabs for the table reader."""
    text = strip_invisible(text)
    text = remove_pinyin_debris(text)
    lines = text.split("\n")
    lines = remove_chrome(lines)
    lines = remove_debris(lines)
    lines = rejoin_hard_wraps(lines)
    return join_split_title(lines)


def clean_text(text: str) -> str:
    """The cleaned report text: chrome gone, wraps joined, spaces tidied, one unit a line."""
    out = []
    for line in clean_lines(text):
        c = collapse_spaces(line)
        if c:
            out.append(c)
    return "\n".join(out)
