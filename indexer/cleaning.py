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
from functools import lru_cache

from .analysis import is_cjk, normalize
from .rejoin import rejoin_hard_wraps

# --------------------------------------------------------------------------
# characters


INVISIBLE_CATEGORIES = ("Cf", "Cc", "Cs", "Co", "Cn")


def is_invisible(ch: str) -> bool:
    """A format, control, surrogate, private-use or unassigned character (not tab, newline)."""
    return ch not in "\n\t" and unicodedata.category(ch) in INVISIBLE_CATEGORIES


@lru_cache(maxsize=1)
def _invisible_pattern() -> re.Pattern:
    """Runs of invisible BMP characters, or any one character beyond the BMP.

    A class of BMP ranges compiles to a bitmap (one lookup a character); with
    ranges beyond U+FFFF the regex engine would test the ranges one by one, so a
    supplementary character is matched alone and judged by ``is_invisible``."""
    ranges, start = [], None
    for cp in range(0x10001):
        if cp < 0x10000 and is_invisible(chr(cp)):
            start = cp if start is None else start
        elif start is not None:
            ranges.append(re.escape(chr(start)) + "-" + re.escape(chr(cp - 1)))
            start = None
    return re.compile("[" + "".join(ranges) + "]+|[\U00010000-\U0010FFFF]")


def _drop_invisible(m: re.Match) -> str:
    s = m.group()
    return s if ord(s[0]) > 0xFFFF and not is_invisible(s) else ""


def strip_invisible(text: str) -> str:
    """Drop zero-width/format characters and control characters but tab and newline.

    Line breaks of every kind (\\r\\n, \\r, U+2028/2029, form feed) become \\n.
    The regex engine finds them: a loop over the characters in Python cost a
    fifth of a second per million characters of every index run.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x0c", "\n")
    return _invisible_pattern().sub(_drop_invisible, text)


_TONES = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# 關(guān) -> 關: a lower-case syllable in brackets, carrying a tone mark, glued to
# the character it transcribes (or set on the next line by a link break).  The tone mark keeps real brackets such as
# (一) or (2024年…) or (GDP) out of reach.
_PINYIN = re.compile(r"(?<=\S)\n?\((?=[a-zü]*[" + _TONES + r"])[a-zü" + _TONES + r"]{1,7}\)")
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
    r"|^(当前位置|您的位置|您现在的位置|所在位置)[:][^。]{0,80}$"
    r"|^\(来源[:][^)]{1,30}\)$"
    r"|^\d{4}-\d{1,2}-\d{1,2}( ?\d{1,2}:\d{2}(:\d{2})?)?$"
    r"|^\d{4}年\d{1,2}月\d{1,2}日 ?\d{1,2}[时:]\d{1,2}分?$"
    r"|^[0-9a-f]{32}:?$"
)
_CHROME_WORDS = ("发布时间", "来源", "字号", "阅读次数", "浏览次数", "打印", "关闭", "收藏",
                 "选择阅读", "分享")
_CAPTION = re.compile(r"(记者|摄影|通讯员).{0,12}(摄\)?|摄影)?$|\s摄$|作政府工作报告[。.]?$")


# page widgets a site puts inside the article as well as around it, each a line of its own:
# a pager (上一页 1 2 3 下一页, 首页 上一页 … 尾页, 共5页 第1页 下一页) and the error-report, share,
# print and font buttons (【我要纠错】, 分享到：微信 微博 QQ空间, 【打印】【关闭】).  A line made only
# of such words, one of them a widget's own (a pager needs its 上一页 or 下一页: 共5页 第1页 alone
# could be a page number's line), is no report text wherever it stands, in any format.
_PAGER = re.compile(r"^(?:上一页|下一页|前一页|后一页|上页|下页|首页|尾页|末页|第\d+页|共\d+页|\d{1,3}|…+|\.{2,}"
                    r"|[<>«»‹›\[\]【】()（）|:/,，]|跳转到?|转到|到第|页|go|确定)+$", re.I)
_PAGER_WORD = re.compile(r"上一页|下一页|前一页|后一页|上页|下页|尾页|末页")
_WIDGET = re.compile(r"^(?:[【】\[\]|:/]|我要纠错|在线纠错|纠错|打印本页|打印|关闭窗口|关闭|加入收藏|收藏本页|收藏|"
                     r"分享到|分享|微信|微博|新浪微博|腾讯微博|qq空间|qq|朋友圈|复制链接|返回顶部|字号|字体|大|中|小|默认)+$",
                     re.I)
_WIDGET_WORD = re.compile(r"纠错|打印|关闭|收藏|分享|返回顶部|字号|字体")


def _is_widget(key: str) -> bool:
    return len(key) <= 60 and bool(_PAGER.match(key) and _PAGER_WORD.search(key)
                                   or _WIDGET.match(key) and _WIDGET_WORD.search(key))


def _key(line: str) -> str:
    """The form chrome is recognised in: normalised, no spaces."""
    return normalize(line).replace(" ", "").replace("：", ":")


# a site's navigation bar in one line (首页|无障碍|长者模式|English要闻动态…) and its footer
# (主办：…办公厅 承办：… 网站标识码… ICP备…号 网站地图|联系我们), as a printed page or a copied
# page's text holds them
_NAV_WORDS = ("首页", "无障碍", "长者模式", "适老化", "english", "网站地图", "联系我们", "登录", "注册")
_FOOTER = re.compile(r"icp备|网站标识码|公网安备|公安机关备案号|版权所有|主办单位|主办:|承办:|技术支持:")


# a site's list of links to other pages, after the article: 相关链接 图解：一图读懂…
_RELATED = re.compile(r"^(相关链接|相关阅读|相关新闻|相关报道|相关文章)[^。]{0,200}$")


def _is_site_bar(key: str) -> bool:
    """A navigation bar or a site's footer: short items between |, or the footer's own
    words, and no sentence."""
    if "。" in key or len(key) > 300:
        return False
    nav = key.count("|") >= 2 and sum(w in key for w in _NAV_WORDS) >= 2
    # a footer run together into one line (a printed page): its lines apart, each with a word
    # or two of these, recur across a collection and are the boilerplate reader's to drop and count
    return nav or len(_FOOTER.findall(key)) >= 3


def _is_chrome(key: str) -> bool:
    if key in _CHROME_LINES or _CHROME_PREFIX.match(key) or _is_site_bar(key):
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
    head_end = min(len(lines), _body_anchor(keys) + 1)
    _mark_head_chrome(keys[:head_end], drop)
    _mark_tail_chrome(keys, max(head_end, len(lines) // 2), drop)
    drop = [d or _is_widget(k) for d, k in zip(drop, keys)]
    return [line for line, d in zip(lines, drop) if not d]


def _mark_head_chrome(keys: list[str], drop: list[bool]):
    """Above the body: chrome lines and a label's value, the breadcrumb, and the
    title repeated by the page template."""
    seen: set[str] = set()
    removed_values: set[str] = set()
    for i, k in enumerate(keys):
        if not k:
            continue
        if _is_chrome(k) or _is_caption(k):
            drop[i] = True
            if k in _LABELS and i + 1 < len(keys) and 0 < len(keys[i + 1]) <= 30:
                drop[i + 1] = True
        elif _in_breadcrumb(keys, i):
            drop[i] = True       # breadcrumb: 首页 > 政务信息 > 宁夏要闻
            removed_values.add(k)
        elif (k in seen and re.search(r"报告|讲话|会议上", k)) or (k in removed_values and len(k) <= 10):
            drop[i] = True       # the title and subtitle repeated by the page template
        else:
            seen.add(k)


def _in_breadcrumb(keys: list[str], i: int) -> bool:
    return keys[i] == ">" or (i + 1 < len(keys) and keys[i + 1] == ">") or (i > 0 and keys[i - 1] == ">")


def _mark_tail_chrome(keys: list[str], start: int, drop: list[bool]):
    """In the second half: everything from the first tail marker on, and short chrome lines."""
    for i in range(start, len(keys)):
        if keys[i] in _TAIL_MARKERS:
            drop[i:] = [True] * (len(keys) - i)
            break
    for i in range(start, len(keys)):
        k = keys[i]
        if k and (_is_chrome(k) and len(k) <= 30 or k.startswith("(来源:") or _is_site_bar(k)
                  or _RELATED.match(k)):
            drop[i] = True


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
        if i >= len(out):               # joining halves shortened a short report
            break
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


def source_lines(text: str) -> list[str]:
    """The text's own lines without page chrome and debris, not yet rejoined: what a
    collection's boilerplate is recognised in (indexer/boilerplate.py)."""
    text = strip_invisible(text)
    text = remove_pinyin_debris(text)
    return remove_debris(remove_chrome(text.split("\n")))


def join_lines(lines: list[str]) -> list[str]:
    """Lines broken inside a paragraph or title joined again."""
    return join_split_title(rejoin_hard_wraps(lines))


def clean_lines(text: str) -> list[str]:
    """All cleaning rules; lines keep leading tabs for the table reader."""
    return join_lines(source_lines(text))


def clean_text(text: str) -> str:
    """The cleaned report text: chrome gone, wraps joined, spaces tidied, one unit a line."""
    out = []
    for line in clean_lines(text):
        c = collapse_spaces(line)
        if c:
            out.append(c)
    return "\n".join(out)
