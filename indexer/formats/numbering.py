"""Word's automatic numbering rendered as Word shows it: the digits are not in the text.

A paragraph names a list (numId) and a level; the list names an abstract definition whose
level says the format (decimal, chineseCounting 一二三, ideographTraditional 甲乙丙, …), the
text around the number (``%1.``, ``（%1）``, ``%1、``) and where it starts.  Lists that share a
definition share its counters unless one restarts (a start override); a level counts on and
resets the levels under it.
"""

from __future__ import annotations

_CN_DIGITS = "〇一二三四五六七八九"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
          (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def chinese_count(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (Word's chineseCounting)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if not rest else ("零" + chinese_count(rest) if rest < 10 else
                                    (_CN_DIGITS[1] if rest < 20 else "") + chinese_count(rest))
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def _letters(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = ""
    for value, letters in _ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def format_number(n: int, fmt: str) -> str:
    formats = {
        "decimal": str, "decimalZero": lambda k: f"{k:02d}",
        "chineseCounting": chinese_count, "chineseCountingThousand": chinese_count,
        "chineseLegalSimplified": chinese_count, "japaneseCounting": chinese_count,
        "taiwaneseCounting": chinese_count, "taiwaneseCountingThousand": chinese_count,
        "ideographDigital": lambda k: "".join(_CN_DIGITS[int(d)] for d in str(k)),
        "ideographTraditional": lambda k: _TIANGAN[(k - 1) % 10],
        "decimalEnclosedCircle": lambda k: _CIRCLED[k - 1] if 1 <= k <= 20 else str(k),
        "decimalEnclosedCircleChinese": lambda k: _CIRCLED[k - 1] if 1 <= k <= 20 else str(k),
        "decimalFullWidth": lambda k: "".join(chr(ord(d) + 0xFEE0) for d in str(k)),
        "lowerLetter": _letters, "upperLetter": lambda k: _letters(k).upper(),
        "lowerRoman": _roman, "upperRoman": lambda k: _roman(k).upper(),
        "none": lambda k: "",
    }
    return formats.get(fmt, str)(n)


class Numbering:
    """Labels for numbered paragraphs, in document order (call ``label`` once per paragraph)."""

    def __init__(self, root, qn):
        self.qn = qn
        self.abstract: dict[str, dict[int, tuple]] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.started: set[str] = set()
        if root is None:
            return
        for a in root.iterchildren(qn("w:abstractNum")):
            self.abstract[a.get(qn("w:abstractNumId"))] = {
                int(lvl.get(qn("w:ilvl"), "0")): self._level(lvl) for lvl in a.iterchildren(qn("w:lvl"))}
        for num in root.iterchildren(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            overrides = {}
            for o in num.iterchildren(qn("w:lvlOverride")):
                start = o.find(qn("w:startOverride"))
                if start is not None:
                    overrides[int(o.get(qn("w:ilvl"), "0"))] = int(start.get(qn("w:val"), "1"))
            self.nums[num.get(qn("w:numId"))] = (ref.get(qn("w:val")) if ref is not None else "", overrides)

    def _level(self, lvl) -> tuple:
        qn = self.qn

        def val(tag, default):
            el = lvl.find(qn(tag))
            return el.get(qn("w:val"), default) if el is not None else default

        return int(val("w:start", "1")), val("w:numFmt", "decimal"), val("w:lvlText", "")

    def _count(self, num_id: str, abstract_id: str, overrides: dict, levels: dict, ilvl: int) -> dict:
        """Count one paragraph at ``ilvl``: the list's counters (a restarted list has its own),
        the levels under it reset."""
        key = num_id if overrides else abstract_id
        counters = self.counters.setdefault(key, {})
        if overrides and num_id not in self.started:
            self.started.add(num_id)
            for level, start in overrides.items():
                counters[level] = start - 1
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        return counters

    def label(self, num_id: str, ilvl: int) -> str:
        """The label Word shows before this paragraph ('' for none), counting it."""
        if num_id not in self.nums:
            return ""
        abstract_id, overrides = self.nums[num_id]
        levels = self.abstract.get(abstract_id, {})
        if ilvl not in levels:
            return ""
        counters = self._count(num_id, abstract_id, overrides, levels, ilvl)
        start, fmt, text = levels[ilvl]
        if fmt == "bullet":
            return "• "
        for k in range(ilvl + 1):
            if f"%{k + 1}" in text:
                value = counters.get(k, levels.get(k, (1,))[0])
                text = text.replace(f"%{k + 1}", format_number(value, levels.get(k, (1, fmt))[1]))
        return text
