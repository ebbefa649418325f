"""Fixtures in the shapes real collections come in, made from the real seed and provincial reports.

* ``break_around_spans``: a CMS or wiki export that puts every link and bold run on a
  line of its own ("…推动加入\\n全面与进步跨太平洋伙伴关系协定\\n等…").
* ``unterminated``: the measure for it: paragraphs that end without sentence-final
  punctuation (and are not headings, list items or table rows).
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .conftest import PROVINCES, SEEDS

SENTENCE_END = "。！？!?；;：:…"
_CLOSING = "”’」』）)》】]\"'"
_ENDS_SENTENCE = re.compile("[" + SENTENCE_END + "][" + re.escape(_CLOSING) + "]*$")


def unterminated(units) -> list:
    """Paragraph units that stop without sentence-final punctuation."""
    return [u for u in units if u.kind == "paragraph" and not _ENDS_SENTENCE.search(u.text)]


def province_rows() -> list[dict]:
    """The 31 provincial reports as their CSV rows (full_text with its web debris)."""
    csv.field_size_limit(10**9)
    rows = []
    for path in sorted(PROVINCES.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def seed_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@dataclass
class Broken:
    text: str
    seams: list[tuple[str, str]]     # (line before, line after) each inserted line break, in the original


def break_around_spans(text: str, rng: random.Random, every: int = 100) -> Broken:
    """A line break before and after random 4–15-character spans of each running-text line.

    Running text: lines of 30 characters or more that end a sentence (not a colon: a
    toolbar line like 阅读次数: is page chrome, not a paragraph), not table cells
    (a CMS puts links and bold runs inside paragraphs; headings and title lines are
    whole elements of their own).  About one span per ``every`` characters."""
    out, seams = [], []
    for line in text.split("\n"):
        s = line.rstrip()
        if line.startswith("\t") or len(s) < 30 or not s.rstrip(_CLOSING).endswith(tuple("。！？；")):
            out.append(line)
            continue
        cuts = set()
        for _ in range(max(1, len(s) // every)):
            start = rng.randrange(0, len(s) - 4)
            end = min(len(s), start + rng.randint(4, 15))
            cuts.update(c for c in (start, end) if 0 < c < len(s))
        cuts = sorted(cuts)
        pieces = [s[a:b] for a, b in zip([0] + cuts, cuts + [len(s)])]
        out.append("\n".join(pieces))
        seams.extend((s[:c], s[c:]) for c in cuts)
    return Broken("\n".join(out), seams)


def write_broken_provinces(folder: Path, seed: int = 12) -> list[tuple[str, str]]:
    """The 31 provincial reports, link-broken, as one CSV collection; returns the seams."""
    rng = random.Random(seed)
    rows = province_rows()
    seams = []
    for row in rows:
        broken = break_around_spans(row["full_text"], rng)
        row["full_text"] = broken.text
        seams.extend(broken.seams)
    write_collection(folder / "provinces-broken.csv", rows)
    return seams


def indent_wrapped(units, indent: str, width: int) -> str:
    """A report's units as a typewriter-style text writes them, every line cut at ``width``
    columns wherever the margin falls: the title block (the headings above the first
    paragraph) as it is, each unit of the body starting with ``indent``."""
    out, body = [], False
    for u in units:
        body = body or u.kind != "heading" or bool(u.heading_path)
        s = (indent if body else "") + u.text
        out += [s[i:i + width] for i in range(0, len(s), width)]
    return "\n".join(out)


def columns(text: str) -> int:
    """Display columns: a wide or full-width character (汉字, full-width punctuation) takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_wrapped_lines(text: str, width: int) -> list[str]:
    """A unit's text as a fixed-width tool cuts it (a terminal, fold, a typewriter-style
    export): a new line wherever the next character would pass ``width`` columns."""
    out, line = [], ""
    for ch in text:
        if columns(line + ch) > width:
            out.append(line)
            line = ""
        line += ch
    return out + [line]


def column_wrapped(units, width: int, between: str = "") -> str:
    """A report's units as a fixed-width text writes them: each from the line's start, no
    indent, cut at ``width`` columns, ``between`` after each ("\n" for a blank line between
    paragraphs, "" for none)."""
    return ("\n" + between).join("\n".join(column_wrapped_lines(u.text, width)) for u in units)


def write_collection(path: Path, rows: list[dict]):
    """Rows as a CSV collection file, in the provinces' column order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


def cjk_only(text: str) -> str:
    return "".join(ch for ch in text if "\u3400" <= ch <= "\u9fff")


def seam_phrase(before: str, after: str, n: int = 3) -> str | None:
    """The Chinese characters either side of a seam (what a phrase search across it looks
    for), or None where the seam follows a sentence end (a paragraph may end there)."""
    if before.rstrip(_CLOSING)[-1:] in SENTENCE_END:
        return None
    left, right = cjk_only(before)[-n:], cjk_only(after)[:n]
    return left + right if len(left) == n and len(right) == n else None


# ------------------------------------------------------------------ boilerplate

WIKI_HEAD = ["维基文库，自由的图书馆", "跳转到导航"]
LICENCE = ["本作品是中华人民共和国的法律、法令、国家机关的决议、决定、命令和其他具有立法、行政、司法性质的文件，"
           "及其官方正式译文。根据《中华人民共和国著作权法》第五条，不受著作权保护。", "Public domain", "false"]
FOOTER = ["主办单位：中国政府网 版权所有", "京ICP备05070218号", "网站标识码：bm01000001"]
# a sentence of real report text that many reports share: not boilerplate
_PAGE_TAIL = re.compile(r"^(相关报道|相关文档|相关链接|相关附件|打印本页|关闭窗口|扫一扫|责任编辑|》》点击|【打印】|\[打印\]|分享)")
SHARED_BODY = "现在，我代表省人民政府向大会报告工作，请予审议，并请省政协委员和其他列席人员提出意见。"


def laden(text: str, i: int) -> tuple[str, int]:
    """A provincial report as a wiki or CMS scraper leaves it: a wiki header on every
    report, a licence notice on most, a site footer on some, a stray "false" inside a few.
    Returns the text and how many boilerplate lines were added."""
    lines = text.split("\n")
    at = next(n for n, line in enumerate(lines) if line.strip().startswith("各位代表"))
    lines.insert(at + 1, SHARED_BODY)
    added = list(WIKI_HEAD)
    if i % 4 == 1:
        lines.insert(len(lines) // 2, "false")
        added.append("false")
    tail = (LICENCE if i % 10 else []) + (FOOTER if i % 3 == 0 else [])
    added += tail
    # the report ends with its last full sentence before the page's own tail (相关报道…)
    tail_at = next((n for n in range(len(lines) // 2, len(lines)) if _PAGE_TAIL.match(lines[n].strip())),
                   len(lines))
    end = max(n for n, line in enumerate(lines[:tail_at]) if re.search(r"[。！][\s\u200b-\u200f\ufeff]*$", line)) + 1
    return "\n".join(WIKI_HEAD + lines[:end] + tail + lines[end:]), len(added)


def write_laden_provinces(folder: Path) -> dict[str, int]:
    """The 31 provincial reports with scraper boilerplate, one CSV; province -> lines added."""
    rows = province_rows()
    added = {}
    for i, row in enumerate(rows):
        row["full_text"], added[row["province"]] = laden(row["full_text"], i)
    write_collection(folder / "wiki-export.csv", rows)
    return added
