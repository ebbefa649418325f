"""parse_query: what the user typed → a query tree, the terms it searches for, the marks to show.

The language, Chinese users' habits first:

    营商环境 优化          each term found as written (Ctrl-F on the normalised text), all of them
    "稳进增效" “量发展”    a quoted phrase: the same, without synonyms
    “十五五”规划          report text pasted with its quotes: found as written, quotes and all
    A OR B, NOT A, -A     boolean operators, in any case or width (or, ＮＯＴ, - A); ( ) groups;
                          a space (AND) binds tighter than OR
    province:四川 省份:四川 year:2020..2024 type:政府工作报告 section:… part:部署
    营商*                  a jieba word starting with 营商

Two ways to match an unquoted term (``match``):

* ``exact`` (the default): a paragraph matches when its normalised text
  (Simplified, half-width, lower case) contains the term, or one of its
  synonyms (search/synonyms.txt), however jieba cuts either.  Totals and facet
  counts are then what a reader counting occurrences would count.
* ``words``: the term is cut into jieba words and a paragraph matches when it
  has every word (anywhere in it) or a synonym's words: word boundaries keep
  人民生活 out of 民生, at the price of missing strings jieba cuts otherwise.  A
  term jieba cuts into loose characters (新质 → 新 质) is found as written.

Quoted phrases are exact in both modes and never expand.  Errors are
QuerySyntaxError, with a Chinese message that says what is wrong and where
and a stable English ``code``; limits keep any query bounded.
"""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import query as Q

from indexer.analysis import cut, normalize, to_simplified
from indexer.cleaning import strip_invisible
from indexer.model import UNKNOWN

from .fields import KIND_LABELS, QUERY_NAMES, FilterField
from .filters import value_by_label

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
MAX_DEPTH = 16
MAX_PHRASE_CHARS = 200
MAX_WILDCARD_EXPANSION = 512
MAX_VARIANTS = 16                   # a term's synonym forms searched at most

MATCH_MODES = ("exact", "words")
DEFAULT_MATCH = "exact"
_OPERATORS_OR = ("OR", "|", "或")
_OPERATOR_WORDS = ("OR", "AND", "NOT")
_LONE_MINUS = ("-", "－")


class QuerySyntaxError(ValueError):
    """A query that cannot run: ``code`` is stable (JSON), the message is for people."""

    def __init__(self, code: str, message: str, position: int | None = None):
        self.code = code
        self.position = position
        where = f"（第 {position + 1} 个字符处）" if position is not None else ""
        super().__init__(message + where)


@dataclass
class SearchTerm:
    """One term the user searches for, and the strings that count as finding it."""
    text: str                        # normalised, as typed
    variants: tuple                  # normalised strings that count as it: itself first, then synonyms
    quoted: bool = False             # a quoted phrase: exact, never expanded
    words: tuple = ()                # match=words: each variant's jieba words


@dataclass
class Marks:
    """What to mark in a matching text."""
    strings: list = field(default_factory=list)   # marked wherever they occur (normalised)
    words: list = field(default_factory=list)     # marked where the text's jieba cut has them
    patterns: list = field(default_factory=list)  # wildcards: marked where a word of the cut fits one

    def count(self) -> int:
        return len(self.strings) + len(self.words) + len(self.patterns)


@dataclass
class ParsedQuery:
    query: Q.Query                   # what must match
    terms: list                      # SearchTerm per positive term (not under NOT), in typed order
    marks: Marks
    filters: dict = field(default_factory=dict)   # index field -> [values typed inline]
    match: str = DEFAULT_MATCH
    empty: bool = False              # no search term: filters only / browse
    says_nothing: bool = False       # no term, filter or NOT at all: the same as no query


class Phrase(Q.Term):
    """Paragraphs whose normalised text contains this string: Ctrl-F semantics.

    A leaf of the query tree like a Term, so Whoosh's tree helpers (leaves,
    normalize, equality) work on it; only the Evaluator knows how to run it.
    """

    def __init__(self, text: str, boost: float = 1.0):
        super().__init__("norm", text, boost=boost)

    def __repr__(self):
        return f"Phrase({self.text!r}, boost={self.boost})"


class LabelFilter(Q.Term):
    """A filter value as the user typed it (四川, 渝北, 重庆); the Evaluator resolves
    it against the values the index holds (search/filters.py)."""

    def __repr__(self):
        return f"LabelFilter({self.fieldname!r}, {self.text!r})"


# --------------------------------------------------------------------------- synonyms

SYNONYMS_FILE = Path(__file__).resolve().parent / "synonyms.txt"


def load_synonyms(path: str = str(SYNONYMS_FILE)) -> dict[str, list[str]]:
    """member -> the other members of its group (normalised); re-read when the file changes,
    so a running server follows edits."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = None
    return _synonyms(path, stamp)


@lru_cache(maxsize=4)
def _synonyms(path: str, stamp) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return groups
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        members = [normalize(m) for m in line.split()]
        for m in members:
            groups.setdefault(m, [])
            groups[m].extend(x for x in members if x != m and x not in groups[m])
    return groups


def expand(term: str) -> list[str]:
    """Other spellings of a normalised term: its group's other members, then the
    term with a member inside it replaced by each other member (规上工业 → 规模以上工业),
    then with several replaced together (社零、固投 → 社会消费品零售总额、固定资产投资)."""
    syn = load_synonyms()
    # a term with a group of its own means what its group says: 国内生产总值 holds 生产总值, but
    # is no 国内地区生产总值 (in word matching: 国内, 地区 and 生产总值 anywhere)
    inside = [] if term in syn else [(member, others) for member, others in syn.items()
                                     if len(member) >= 2 and member != term and member in term]
    singles = [term.replace(member, other) for member, others in inside for other in others]
    together = [term]
    for member, others in inside:
        if len(together) >= MAX_VARIANTS:
            break
        together += [s.replace(member, other) for s in together if member in s for other in others]
    out = dict.fromkeys([*syn.get(term, []), *singles, *together])
    out.pop(term, None)
    return list(out)[:MAX_VARIANTS - 1]


# --------------------------------------------------------------------------- lexer

def _alternatives(names) -> str:
    """A regex alternation of the names, longest first (年份 before 年)."""
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


_CJK_NAMES = _alternatives(n for n in QUERY_NAMES if not n.isascii())
# ``spaced``: a filter's name, its colon, then a space (省份: 四川): the value is the next token,
# and with none the parser says one is missing (read as text, 省份: found nothing, silently)
_ALL_NAMES = _alternatives(QUERY_NAMES)
_TOKEN = re.compile(rf"""
    (?P<ws>\s+)
  | (?P<lparen>[(（])
  | (?P<rparen>[)）])
  | (?P<field>[A-Za-z_]+|{_CJK_NAMES})[:：](?=[^\s:：])
  | (?P<spaced>(?i:{_ALL_NAMES}))[:：](?=\s|$)
  | (?P<quote>["＂“”「」『』])
  | (?P<minus>[-－](?=[^\s\-－]))
  | (?P<word>[^\s()（）"＂“”「」『』]+)
""", re.X)

_CLOSE = {'"': '"', "＂": "＂", "“": "”", "”": "”", "「": "」", "『": "』", "」": "」", "』": "』"}


_QUOTES = frozenset('"＂“”「」『』')
_CLOSING_ONLY = frozenset("”」』")
_ENDS_QUOTED = re.compile(r"[\s)）]|$")     # what may follow a phrase's closing quote
_NON_SPACE = re.compile(r"\S*")


def _lex(text: str):
    """Yield (kind, value, position) tokens; phrases come out whole, and so does
    report text pasted with its quotes (see _pasted)."""
    i, n = 0, len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        kind = m.lastgroup            # every character starts some token
        if kind in ("quote", "word"):
            pasted = _pasted(text, i)
            if pasted:
                yield "phrase", _curly(pasted), i
                i += len(pasted)
                continue
        if kind == "quote":
            end = _closing_quote(text, i)
            yield "phrase", text[i + 1:end], i
            i = end + 1
            continue
        if kind == "spaced":
            yield "field", m.group(kind), i
        elif kind == "word" and operator(m.group()):
            yield "word", operator(m.group()), i
        elif kind == "word" and m.group() in _LONE_MINUS:
            yield "minus", m.group(), i          # 营商环境 - 优化: the minus typed apart from its word
        elif kind != "ws":
            yield kind, m.group(kind) if kind == "field" else m.group(), i
        i = m.end()


def operator(word: str) -> str | None:
    """The operator a word typed on its own stands for, in any case or width (or, ＯＲ, Not:
    how people type, an input method in full width), else None.  A word written in quotes
    ("or") is searched as a word."""
    if word in _OPERATORS_OR:
        return word
    upper = unicodedata.normalize("NFKC", word).upper()
    return upper if upper in _OPERATOR_WORDS or upper == "|" else None


def is_operator(word: str) -> bool:
    """A whitespace-separated piece of a query that is an operator, a lone minus too."""
    return bool(operator(word)) or word in _LONE_MINUS


def _pasted(text: str, i: int) -> str:
    """The text from i to the next space when it holds a quote mark that does not
    enclose it whole (“十五五”规划, 推进“两重”建设, 十五五」): text copied from a
    report, to be found as written, quotes and all ("" when it is not such text).
    A wholly quoted phrase ("稳进 增效", “稳进增效”) is not: it is a phrase."""
    end = _chunk_end(text, i)
    chunk = text[i:end]
    if not _QUOTES & set(chunk):
        return ""
    if chunk[0] not in _QUOTES:
        return chunk                                  # text before a quote: 推进“两重”建设
    close = _closing_quote(text, i)
    if _ENDS_QUOTED.match(text, close + 1):
        return ""                                     # the quotes enclose it whole
    return text[i:_chunk_end(text, close + 1)]        # text after the closing quote: “十五五”规划


def _curly(pasted: str) -> str:
    """Pasted text with its straight quotes ("十五五"规划, typed in English punctuation or
    on a command line) as the reports write them, “十五五”规划: one character for one, so
    positions stay."""
    out, opening = [], True
    for ch in pasted:
        if ch in '"＂':
            ch, opening = ("“" if opening else "”"), not opening
        out.append(ch)
    return "".join(out)


def _chunk_end(text: str, i: int) -> int:
    """Where the run of non-space characters from i ends, less the closing brackets
    that close a group opened before it: (十五五”规划) leaves the ) to the group."""
    end = _NON_SPACE.match(text, i).end()
    while end > i and text[end - 1] in ")）" and _closes_more(text[i:end]):
        end -= 1
    return end


def _closes_more(s: str) -> bool:
    return s.count(")") + s.count("）") > s.count("(") + s.count("（")


def _closing_quote(text: str, i: int) -> int:
    opening = text[i]
    close = _CLOSE[opening]
    for j in range(i + 1, len(text)):
        if text[j] == close or (opening in "“”" and text[j] in "“”"):
            return j
    if opening in _CLOSING_ONLY:
        raise QuerySyntaxError("unbalanced_quote", f"引号不成对：结束的引号“{opening}”前面没有开始的引号", i)
    raise QuerySyntaxError("unbalanced_quote", "引号不成对：短语开了引号，没有结束的引号", i)


# --------------------------------------------------------------------------- parser

def _and_not(must: list, must_not: list) -> Q.Query | None:
    """All of must and none of must_not (nothing but must_not: everything else)."""
    if not must and not must_not:
        return None
    base = must[0] if len(must) == 1 else Q.And(must or [Q.Every()])
    if must_not:
        base = Q.AndNot(base, must_not[0] if len(must_not) == 1 else Q.Or(must_not))
    return base


class _Parser:
    def __init__(self, text: str, match: str):
        self.text = text
        self.match = match
        self.tokens = list(_lex(text))
        self.i = 0
        self.terms: list[SearchTerm] = []
        self.marks = Marks()
        self.filters: dict[str, list[str]] = {}
        self.counted = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.text))

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    # or_expr := and_expr ("OR" and_expr)*
    def parse_or(self) -> Q.Query | None:
        parts = [self.parse_and()]
        while True:
            kind, value, pos = self.peek()
            if kind != "word" or value not in _OPERATORS_OR:
                break
            self.take()
            nxt = self.parse_and()
            if parts[-1] is None or nxt is None:
                raise QuerySyntaxError("or_operand", "OR 两边都要有检索词", pos)
            parts.append(nxt)
        if parts[0] is None:
            return None
        return parts[0] if len(parts) == 1 else Q.Or(parts)

    # and_expr := ("NOT"|"-")? unary ...
    def parse_and(self) -> Q.Query | None:
        must, must_not = [], []
        while not self._and_ends():
            kind, value, pos = self.peek()
            if kind == "word" and value == "AND":
                self.take()
                self._and_operands(bool(must or must_not), pos)
                continue
            negate = kind == "minus" or (kind == "word" and value == "NOT")
            if negate:
                self.take()
                self._operand_follows(pos)
            q = self.parse_negated() if negate else self.parse_unary()
            if q is not None:
                (must_not if negate else must).append(q)
        return _and_not(must, must_not)

    def _and_ends(self) -> bool:
        kind, value, _pos = self.peek()
        return kind is None or kind == "rparen" or (kind == "word" and value in _OPERATORS_OR)

    def _and_operands(self, before: bool, pos: int):
        """AND needs a term on each side, as OR does: 发展 AND alone once counted every
        paragraph 发展 is in, and AND alone every paragraph."""
        kind, value, _pos = self.peek()
        after = kind not in (None, "rparen") and not (kind == "word" and value in (*_OPERATORS_OR, "AND"))
        if not (before and after):
            raise QuerySyntaxError("and_operand", "AND 两边都要有检索词", pos)

    def _operand_follows(self, pos: int):
        kind, _value, _pos = self.peek()
        if kind is None or kind == "rparen":
            raise QuerySyntaxError("not_operand", "NOT 或“-”后面要有检索词", pos)

    def parse_negated(self) -> Q.Query | None:
        """What must not match is neither a search term, marked, nor a chosen filter."""
        saved = (len(self.terms), len(self.marks.strings), len(self.marks.words),
                 len(self.marks.patterns), {k: list(v) for k, v in self.filters.items()})
        q = self.parse_unary()
        del self.terms[saved[0]:]
        del self.marks.strings[saved[1]:]
        del self.marks.words[saved[2]:]
        del self.marks.patterns[saved[3]:]
        self.filters = saved[4]
        return q

    def parse_unary(self) -> Q.Query | None:
        kind, value, pos = self.take()
        if kind == "lparen":
            return self.parse_group(pos)
        if kind == "rparen":
            raise QuerySyntaxError("unbalanced_parenthesis", "括号不成对：“)”前面没有“(”", pos)
        if kind == "field":
            return self.parse_field(value, pos)
        if kind == "phrase":
            return self.phrase(value, pos)
        if kind == "word":
            return self.word(value, pos)
        raise QuerySyntaxError("unexpected_end", "检索式不完整", pos)

    def parse_group(self, pos: int) -> Q.Query | None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError("too_deep", f"括号嵌套超过 {MAX_DEPTH} 层", pos)
        inner = self.parse_or()
        if self.take()[0] != "rparen":
            raise QuerySyntaxError("unbalanced_parenthesis", "括号不成对：“(”没有对应的“)”", pos)
        self.depth -= 1
        return inner

    def count_term(self, pos, n: int = 1):
        self.counted += n
        if self.counted > MAX_TERMS:
            raise QuerySyntaxError("too_many_terms", f"检索词太多：最多 {MAX_TERMS} 个", pos)

    def parse_field(self, name: str, pos: int) -> Q.Query | None:
        spec = QUERY_NAMES.get(name.lower()) or QUERY_NAMES.get(name)
        if spec is None:
            known = "、".join(f"{f.name}（{f.label}）" for f in dict.fromkeys(QUERY_NAMES.values()))
            raise QuerySyntaxError("unknown_field", f"没有筛选字段“{name}”，可用：{known}", pos)
        kind, value, vpos = self.take()
        if kind not in ("word", "phrase") or not value.strip():
            raise QuerySyntaxError("field_value", f"筛选字段“{name}”后面要有值", pos)
        if spec.field == "year":
            value = plain_year(value)
        self.filters.setdefault(spec.field, []).append(value)
        return filter_query(spec, [value], vpos)

    def phrase(self, raw: str, pos: int) -> Q.Query | None:
        norm = " ".join(normalize(raw).split())
        if not norm:
            return None
        if len(norm) > MAX_PHRASE_CHARS:
            raise QuerySyntaxError("phrase_too_long", f"短语超过 {MAX_PHRASE_CHARS} 个字", pos)
        self.count_term(pos)
        self.terms.append(SearchTerm(norm, (norm,), quoted=True))
        self.marks.strings.append(norm)
        return Phrase(norm)

    def word(self, raw: str, pos: int) -> Q.Query | None:
        if "*" in raw or "?" in raw:
            return self.wildcard(raw, pos)
        norm = normalize(raw)
        if not _has_word_char(norm):
            # punctuation, symbols, emoji (%, ——, 😀): no word to cut or expand, so read as
            # written, as a quoted phrase is, in either match mode; dropping it silently
            # would count every paragraph
            return self.phrase(raw, pos)
        if len(norm) > MAX_PHRASE_CHARS:
            raise QuerySyntaxError("phrase_too_long", f"检索词超过 {MAX_PHRASE_CHARS} 个字", pos)
        variants = (norm, *[v for v in expand(norm) if _has_word_char(v)])
        if self.match == "words":
            return self._words(norm, variants, pos)
        self.count_term(pos)
        self.terms.append(SearchTerm(norm, variants))
        self.marks.strings.extend(variants)
        options = [Phrase(v) for v in variants]
        return options[0] if len(options) == 1 else Q.Or(options)

    def _words(self, norm: str, variants: tuple, pos: int) -> Q.Query | None:
        """match=words: each variant is the AND of its jieba words — unless jieba cuts it
        into loose characters (智算 → 智 算, 大规模设备更新和消费品以旧换新 → … 和 …): a
        character found anywhere is no word of the term, so such a variant is found as
        written, as in exact matching."""
        cuts = {v: tuple(cut(v)) for v in variants}
        whole = [v for v, c in cuts.items() if len(c) > 1 and any(len(w) == 1 for w in c)]
        cuts = [c for v, c in cuts.items() if c and v not in whole]
        cuts = list(dict.fromkeys(cuts))
        if not cuts and not whole:
            return None
        self.count_term(pos, len(cuts[0]) if cuts else 1)
        self.terms.append(SearchTerm(norm, variants, words=tuple(cuts)))
        self.marks.words.extend(w for c in cuts for w in c)
        self.marks.strings.extend(whole)
        options = [Q.Term("text", c[0]) if len(c) == 1 else Q.And([Q.Term("text", w) for w in c])
                   for c in cuts] + [Phrase(v) for v in whole]
        return options[0] if len(options) == 1 else Q.Or(options)

    def wildcard(self, raw: str, pos: int) -> Q.Query:
        norm = normalize(raw)
        if norm[0] in "*?":
            raise QuerySyntaxError("wildcard_first", "通配符不能打头：请在 * 或 ? 前至少写一个字", pos)
        if norm.count("*") + norm.count("?") > 2:
            raise QuerySyntaxError("too_many_wildcards", "一个词里最多两个通配符", pos)
        self.count_term(pos)
        stem = wildcard_stem(norm)
        self.terms.append(SearchTerm(stem, (stem,)))
        # the index matched whole words (or a word's dictionary sub-words) that fit the
        # pattern: those are marked, not the stem wherever it stands
        self.marks.patterns.append(norm)
        if norm.endswith("*") and norm.count("*") == 1 and "?" not in norm:
            return Q.Prefix("text", stem)
        return Q.Wildcard("text", norm)


def wildcard_stem(pattern: str) -> str:
    """What a wildcard's words all start with (it never starts with * or ?)."""
    return re.split(r"[*?]", pattern, maxsplit=1)[0]


_WORD_CHAR = re.compile(r"[^\W_]")


def _has_word_char(s: str) -> bool:
    return bool(_WORD_CHAR.search(s))


# --------------------------------------------------------------------------- filters

def filter_query(spec: FilterField, values: list[str], pos: int | None = None) -> Q.Query:
    """One filter's values OR'ed: district=A&district=B means either."""
    if spec.kind == "year":
        parts = [year_query(v, pos) for v in values]
    elif spec.kind == "id":
        parts = [Q.Term(spec.field, id_value(spec, v)) for v in values]
    else:
        parts = [LabelFilter(spec.field, to_simplified(v.strip())) for v in values]
    return parts[0] if len(parts) == 1 else Q.Or(parts)


def id_value(spec: FilterField, value: str) -> str:
    value = value.strip()
    return value_by_label(value, KIND_LABELS) if spec.name == "kind" and value else value


FIRST_YEAR = 1949                   # the earliest reports of this kind
YEARS_AHEAD = 10                    # how far past this year a year may be asked for

# a year may carry its 年, as people write it (2026年, 2020年-2024年)
_YEAR = re.compile(r"^\s*(\d{4})年?\s*(?:(?:\.\.|-|~|—|到|至)\s*(?:(\d{4})年?)?)?\s*$|^\s*(?:\.\.|-)\s*(\d{4})年?\s*$")


def plain_year(value: str) -> str:
    """A year filter's value without the 年 people write after a year (2024年 → 2024,
    2020年-2024年 → 2020-2024): the facet's value, so that 2024年 ticks 2024."""
    return _NIAN.sub(r"\1", value)


_NIAN = re.compile(r"(\d{4})\s*年")


def parse_year(value: str, pos: int | None = None, last: int | None = None) -> tuple[int | None, int | None]:
    """(first, last) year of a year or range; ``last``: the latest year allowed, if not a
    report's (an indicator's target year: 到2050年)."""
    norm = normalize(str(value))
    m = _YEAR.match(norm)
    if not m:
        raise QuerySyntaxError("bad_year", f"年份（year）“{str(value)[:40]}”无法识别：请写 2023 这样的年份，"
                                           f"或 2020..2024 这样的范围", pos)
    if m.group(3):
        return None, _plausible_year(int(m.group(3)), value, pos, last)
    lo = _plausible_year(int(m.group(1)), value, pos, last)
    ranged = re.search(r"\.\.|-|~|—|到|至", norm)
    hi = _plausible_year(int(m.group(2)), value, pos, last) if m.group(2) else (None if ranged else lo)
    if hi is not None and hi < lo:
        # swapped silently, the answer was echoed as the range typed (年份=2030-2020)
        raise QuerySyntaxError("bad_year", f"年份（year）范围“{str(value)[:40]}”起止颠倒：请先写早的年份，"
                                           f"如 {hi}-{lo}", pos)
    return lo, hi


def year_bounds() -> tuple[int, int]:
    """The years a report can have: none before 1949; a plan may look ten years ahead."""
    return FIRST_YEAR, datetime.date.today().year + YEARS_AHEAD


def _plausible_year(year: int, value, pos: int | None, last: int | None = None) -> int:
    first, latest = year_bounds()
    latest = last or latest
    if not first <= year <= latest:
        # year=1899 or year=2200 found nothing and said nothing, where year:0 was refused
        raise QuerySyntaxError("bad_year", f"年份（year）“{str(value)[:40]}”超出范围：年份在 "
                                           f"{first} 到 {latest} 之间", pos)
    return year


def year_query(value: str, pos: int | None = None) -> Q.Query:
    if normalize(str(value)).strip() == UNKNOWN:
        return Q.AndNot(Q.Every(), Q.NumericRange("year", None, None))   # reports of no known year
    lo, hi = parse_year(value, pos)
    if lo is not None and lo == hi:
        return Q.Term("year", lo)
    return Q.NumericRange("year", lo, hi)


# --------------------------------------------------------------------------- entry point

def parse_query(text: str, match: str = DEFAULT_MATCH) -> ParsedQuery:
    """Parse what the user typed; raise QuerySyntaxError with a short message."""
    if text is None:
        text = ""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError("query_too_long", f"检索式超过 {MAX_QUERY_CHARS} 个字符")
    if match not in MATCH_MODES:
        raise QuerySyntaxError("bad_match", f"匹配方式只能是 exact（精确匹配）或 words（分词匹配），"
                                            f"收到“{str(match)[:20]}”")
    text = query_text(text)
    p = _Parser(text, match)
    q = p.parse_or()
    kind, _, pos = p.peek()
    if kind == "rparen":
        raise QuerySyntaxError("unbalanced_parenthesis", "括号不成对：“)”前面没有“(”", pos)
    empty = q is None or not p.terms
    marks = Marks(_dedupe(p.marks.strings), _dedupe(p.marks.words), _dedupe(p.marks.patterns))
    return ParsedQuery(query=Q.Every() if q is None else q, terms=p.terms, marks=marks,
                       filters=p.filters, match=match, empty=empty, says_nothing=q is None)


def says_nothing(text: str) -> bool:
    """A query with nothing to search for once read: blank, (), "", a zero-width space.
    A page shows what it shows for no query at all (a query it cannot read says something)."""
    try:
        return parse_query(text).says_nothing
    except QuerySyntaxError:
        return False


def query_text(text: str) -> str:
    """What the user typed, with the characters the index drops from report text
    (zero-width spaces, soft hyphens, controls) dropped the same way, so 数字\u200b经济
    is the one term 数字经济 the indexed text holds; other unprintable characters
    (line breaks, odd spaces) separate terms, as white space does."""
    text = strip_invisible(text)
    return "".join(ch if ch.isprintable() or ch in " \t" else " " for ch in text)


def _dedupe(items: list[str]) -> list[str]:
    return [x for x in dict.fromkeys(items) if x]
