"""parse_query: what the user typed → a Whoosh query, the terms to highlight, filters.

The language, Chinese users' habits first:

    营商环境 优化          all words (AND), each cut into jieba words
    "稳进增效" “量发展”    exact phrase, Ctrl-F semantics on the normalised text
    A OR B, NOT A, -A     boolean operators; ( ) groups
    district:渝北区 year:2020..2024 type:政府工作报告 section:… part:部署
    营商*                  a jieba word starting with 营商

Unquoted words expand through the synonym list (规上 ⇄ 规模以上); quoted
phrases never do.  Errors are QuerySyntaxError with a message that says what is
wrong and where, and limits keep any query bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh import query as Q

from indexer.analysis import cut, normalize, to_simplified
from indexer.model import UNKNOWN

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
MAX_DEPTH = 16
MAX_PHRASE_CHARS = 200
MAX_WILDCARD_EXPANSION = 512

# field name in a query or URL -> index field
FILTER_FIELDS = {
    "district": "district", "province": "province", "city": "city", "region": "region",
    "level": "level", "type": "type", "section": "section", "section_label": "section_label", "part": "part",
    "kind": "kind",
    "year": "year", "report": "report_id", "report_id": "report_id",
}


class QuerySyntaxError(ValueError):
    def __init__(self, message: str, position: int | None = None):
        self.position = position
        where = f" (at character {position + 1})" if position is not None else ""
        super().__init__(message + where)


@dataclass
class ParsedQuery:
    query: Q.Query                       # what must match
    boost: Q.Query | None                # what ranks higher when it also matches
    highlight: list[str] = field(default_factory=list)   # normalised strings to mark
    filters: dict = field(default_factory=dict)          # field -> [values] typed inline
    empty: bool = False                  # no search words: filters only / browse


class Phrase(Q.Term):
    """Paragraphs whose normalised text contains this string: Ctrl-F semantics.

    A leaf of the query tree like a Term, so Whoosh's tree helpers (leaves,
    normalize, equality) work on it; only the Evaluator knows how to run it.
    """

    def __init__(self, text: str, boost: float = 1.0):
        super().__init__("norm", text, boost=boost)

    def __repr__(self):
        return f"Phrase({self.text!r}, boost={self.boost})"


# --------------------------------------------------------------------------- synonyms

SYNONYMS_FILE = Path(__file__).resolve().parent / "synonyms.txt"


@lru_cache(maxsize=4)
def load_synonyms(path: str = str(SYNONYMS_FILE)) -> dict[str, list[str]]:
    """member -> the other members of its group (normalised)."""
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


def expand(token: str) -> list[str]:
    """Other spellings of a query word: whole-word synonyms, then substitutions inside it."""
    syn = load_synonyms()
    out = list(syn.get(token, []))
    for member, others in syn.items():
        if len(member) >= 2 and member != token and member in token:
            for other in others:
                variant = token.replace(member, other)
                if variant != token and variant not in out:
                    out.append(variant)
    return out[:8]


# --------------------------------------------------------------------------- lexer

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<field>[A-Za-z_]+):(?=\S)
  | (?P<quote>["“”「」『』])
  | (?P<minus>-(?=[^\s\-]))
  | (?P<word>[^\s()"“”「」『』]+)
""", re.X)

_CLOSE = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "」": "」", "』": "』"}


def _lex(text: str):
    """Yield (kind, value, position) tokens; phrases come out whole."""
    i, n = 0, len(text)
    while i < n:
        m = _TOKEN.match(text, i)
        if not m:
            raise QuerySyntaxError(f"unexpected character {text[i]!r}", i)
        kind = m.lastgroup
        if kind == "quote":
            close = _CLOSE[m.group()]
            j = i + 1
            end = -1
            while j < n:
                if text[j] == close or (close == '"' and text[j] == '"') or (
                        m.group() in "“”" and text[j] in "“”"):
                    end = j
                    break
                j += 1
            if end == -1:
                raise QuerySyntaxError("unbalanced quote: a phrase is opened but never closed", i)
            yield "phrase", text[i + 1:end], i
            i = end + 1
            continue
        if kind != "ws":
            yield kind, m.group(kind) if kind != "word" else m.group(), i
        i = m.end()


# --------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = list(_lex(text))
        self.i = 0
        self.highlight: list[str] = []
        self.boost: list[Q.Query] = []
        self.filters: dict[str, list[str]] = {}
        self.terms = 0
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
            if kind == "word" and value in ("OR", "|", "或"):
                if parts[-1] is None:
                    raise QuerySyntaxError("OR needs a word on both sides", pos)
                self.take()
                nxt = self.parse_and()
                if nxt is None:
                    raise QuerySyntaxError("OR needs a word on both sides", pos)
                parts.append(nxt)
            else:
                break
        if parts[0] is None:
            return None
        return parts[0] if len(parts) == 1 else Q.Or(parts)

    # and_expr := unary+
    def parse_and(self) -> Q.Query | None:
        must, must_not = [], []
        while True:
            kind, value, pos = self.peek()
            if kind is None or kind == "rparen" or (kind == "word" and value in ("OR", "|", "或")):
                break
            if kind == "word" and value == "AND":
                self.take()
                continue
            negate = False
            if kind == "minus" or (kind == "word" and value == "NOT"):
                self.take()
                negate = True
                kind, value, pos = self.peek()
                if kind is None or kind == "rparen":
                    raise QuerySyntaxError("NOT needs a word after it", pos)
            marks = (len(self.highlight), len(self.boost), {k: list(v) for k, v in self.filters.items()})
            q = self.parse_unary()
            if negate:                       # what must not match is neither marked, boosted nor chosen
                del self.highlight[marks[0]:]
                del self.boost[marks[1]:]
                self.filters = marks[2]
            if q is None:
                continue
            (must_not if negate else must).append(q)
        if not must and not must_not:
            return None
        if not must:
            must = [Q.Every()]
        base = must[0] if len(must) == 1 else Q.And(must)
        if must_not:
            base = Q.AndNot(base, must_not[0] if len(must_not) == 1 else Q.Or(must_not))
        return base

    def parse_unary(self) -> Q.Query | None:
        kind, value, pos = self.take()
        if kind == "lparen":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses nested deeper than {MAX_DEPTH}", pos)
            inner = self.parse_or()
            k2, _, p2 = self.take()
            if k2 != "rparen":
                raise QuerySyntaxError("unbalanced parenthesis: '(' is never closed", pos)
            self.depth -= 1
            return inner
        if kind == "rparen":
            raise QuerySyntaxError("unbalanced parenthesis: ')' without '('", pos)
        if kind == "field":
            return self.parse_field(value, pos)
        if kind == "phrase":
            return self.phrase(value, pos)
        if kind == "word":
            return self.word(value, pos)
        if kind == "minus":
            raise QuerySyntaxError("'-' needs a word after it", pos)
        raise QuerySyntaxError("unexpected end of query", pos)

    def count_term(self, pos):
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise QuerySyntaxError(f"too many search terms (the limit is {MAX_TERMS})", pos)

    def parse_field(self, name: str, pos: int) -> Q.Query | None:
        key = name.lower()
        if key not in FILTER_FIELDS:
            raise QuerySyntaxError(
                f"unknown field '{name}': use one of {', '.join(sorted(set(FILTER_FIELDS) - {'report'}))}", pos)
        kind, value, vpos = self.take()
        if kind not in ("word", "phrase"):
            raise QuerySyntaxError(f"field '{name}' needs a value", pos)
        self.filters.setdefault(FILTER_FIELDS[key], []).append(value)
        return filter_query(FILTER_FIELDS[key], [value], vpos)

    def phrase(self, raw: str, pos: int) -> Q.Query | None:
        norm = " ".join(normalize(raw).split())
        if not norm:
            return None
        if len(norm) > MAX_PHRASE_CHARS:
            raise QuerySyntaxError(f"phrase longer than {MAX_PHRASE_CHARS} characters", pos)
        self.count_term(pos)
        self.highlight.append(norm)
        return Phrase(norm)

    def word(self, raw: str, pos: int) -> Q.Query | None:
        if "*" in raw or "?" in raw:
            return self.wildcard(raw, pos)
        norm = normalize(raw)
        tokens = cut(norm)
        if not tokens:
            return None                      # punctuation only: nothing to search for
        parts = []
        for tok in tokens:
            self.count_term(pos)
            options: list[Q.Query] = [Q.Term("text", tok)]
            self.highlight.append(tok)
            self.boost.append(Q.Term("heading", tok, boost=2.0))
            for variant in expand(tok):
                vt = cut(variant)
                if not vt:
                    continue
                options.append(Q.Term("text", vt[0]) if len(vt) == 1 else Q.And([Q.Term("text", t) for t in vt]))
                self.highlight.append(variant)
            parts.append(options[0] if len(options) == 1 else Q.Or(options))
        if len(tokens) > 1:
            # the words of one typed chunk rank higher where they stand together as typed
            self.boost.append(Phrase(norm, boost=1.5))
        return parts[0] if len(parts) == 1 else Q.And(parts)

    def wildcard(self, raw: str, pos: int) -> Q.Query:
        norm = normalize(raw)
        if norm[0] in "*?":
            raise QuerySyntaxError("a wildcard cannot start a word: write at least one character before * or ?", pos)
        if norm.count("*") + norm.count("?") > 2:
            raise QuerySyntaxError("at most two wildcards in a word", pos)
        self.count_term(pos)
        stem = re.split(r"[*?]", norm, maxsplit=1)[0]
        self.highlight.append(stem)
        if norm.endswith("*") and norm.count("*") == 1 and "?" not in norm:
            return Q.Prefix("text", stem)
        return Q.Wildcard("text", norm)


def filter_query(field: str, values: list[str], pos: int | None = None) -> Q.Query:
    """Values of one field OR'ed: district=A&district=B means either."""
    if field == "year":
        parts = [year_query(v, pos) for v in values]
    else:
        parts = [Q.Term(field, label_value(field, v)) for v in values]
    return parts[0] if len(parts) == 1 else Q.Or(parts)


def label_value(field: str, value: str) -> str:
    value = value.strip()
    if field in ("report_id", "kind"):
        return value
    return to_simplified(value)


_YEAR = re.compile(r"^\s*(\d{4})\s*(?:(?:\.\.|-|~|—|到|至)\s*(\d{4})?)?\s*$|^\s*(?:\.\.|-)\s*(\d{4})\s*$")


def parse_year(value: str, pos: int | None = None) -> tuple[int | None, int | None]:
    norm = normalize(str(value))
    m = _YEAR.match(norm)
    if not m:
        raise QuerySyntaxError(f"year '{value}' is not a year or range like 2023 or 2020..2024", pos)
    if m.group(3):
        return None, int(m.group(3))
    lo = int(m.group(1))
    ranged = re.search(r"\.\.|-|~|—|到|至", norm)
    hi = int(m.group(2)) if m.group(2) else (None if ranged else lo)
    if hi is not None and hi < lo:
        lo, hi = hi, lo
    return lo, hi


def year_query(value: str, pos: int | None = None) -> Q.Query:
    if normalize(str(value)).strip() == UNKNOWN:
        return Q.AndNot(Q.Every(), Q.NumericRange("year", None, None))   # reports of no known year
    lo, hi = parse_year(value, pos)
    if lo is not None and lo == hi:
        return Q.Term("year", lo)
    return Q.NumericRange("year", lo, hi)


def parse_query(text: str) -> ParsedQuery:
    """Parse what the user typed; raise QuerySyntaxError with a short message."""
    if text is None:
        text = ""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query longer than {MAX_QUERY_CHARS} characters")
    text = "".join(ch if ch.isprintable() or ch in " \t" else " " for ch in text)
    p = _Parser(text)
    q = p.parse_or()
    kind, _, pos = p.peek()
    if kind == "rparen":
        raise QuerySyntaxError("unbalanced parenthesis: ')' without '('", pos)
    if kind is not None:
        raise QuerySyntaxError("could not read the query here", pos)
    empty = q is None or not p.highlight
    if q is None:
        q = Q.Every()
    boost = Q.Or(p.boost) if p.boost else None
    return ParsedQuery(query=q, boost=boost, highlight=_dedupe(p.highlight), filters=p.filters,
                       empty=empty)


def _dedupe(items: list[str]) -> list[str]:
    seen, out = set(), []
    for x in items:
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out
