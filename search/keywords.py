"""Keywords: the jieba words that set a selection of reports apart from a reference.

Words are jieba's precise cut with the policy dictionary (indexer/analysis.py
``cut``, the cut the index is built from); words of one character, words
without a Chinese character, numerals and search/stopwords.txt are left out.
Keyness is Dunning's log-likelihood G2 with its sign (+ where the selection
uses a word more often than the reference, relative to their sizes):

    E1 = c(a+b)/(c+d),  E2 = d(a+b)/(c+d),  G2 = 2(a ln(a/E1) + b ln(b/E2))

with a, b the word's count in selection and reference and c, d their sizes
in words (every word of the cut, stop words included).

The selection is cut at query time (a province's year is a few tens of
thousands of characters).  The default reference, everything else, is the
whole index minus the selection; the whole index's counts come from the
``text`` field's term statistics, read once per index generation: the field
holds each word of the cut plus its dictionary sub-words (jieba's search
mode), so the sub-words' share is taken back out, longest words first.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from indexer.analysis import cut, subwords, word_counts
from indexer.model import UNKNOWN
from indexer.whoosh_format import field_term_weights, leaf_segments

from .engine import Engine, evaluate
from .fields import BY_NAME, FILTERS
from .query import QuerySyntaxError, parse_query, parse_year
from .results import RequestError

STOPWORDS_FILE = Path(__file__).resolve().parent / "stopwords.txt"
MAX_TOP = 1000
_NUMERAL = re.compile(r"^[\d.%零〇一二三四五六七八九十百千万亿两第]+$")
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def stopwords() -> frozenset:
    text = STOPWORDS_FILE.read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() for w in line.split("#", 1)[0].split())


def is_keyword(word: str) -> bool:
    """A word worth listing: two characters or more, Chinese, not a numeral or a stop word."""
    return len(word) >= 2 and bool(_HAN.search(word)) and not _NUMERAL.match(word) and word not in stopwords()


@dataclass
class KeywordRequest:
    filters: dict                                   # the selection: filter name -> [values]
    vs: dict | None = None                          # the reference; None: everything else
    top: int = 50
    new: bool = False                               # words the region's previous year never used
    min_count: int = 2                              # a listed word occurs at least this often
    # the previous year's filters (new=True), made from filters
    previous: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not any(self.filters.values()):
            raise RequestError("no_selection", "请给出要分析的报告：至少一个筛选条件（如 --province 浙江 --year 2026）")
        if not 1 <= int(self.top) <= MAX_TOP:
            raise RequestError("bad_parameter", f"参数 top 要在 1 到 {MAX_TOP} 之间，收到的是 {self.top}")
        # a word listed 0 times is no word of the selection (new=1&min_count=0 listed 995 of them)
        if int(self.min_count) < 1:
            raise RequestError("bad_parameter", f"参数 min_count 至少是 1，收到的是 {self.min_count}")
        if self.new:
            self.previous = {**self.filters, "year": [str(self._year() - 1)]}

    def _year(self) -> int:
        years = self.filters.get("year") or []
        try:
            lo, hi = parse_year(years[0]) if len(years) == 1 else (None, None)
        except QuerySyntaxError as e:
            raise RequestError("bad_year", str(e)) from None
        if lo is None or lo != hi:
            raise RequestError("new_needs_year", "新词（new）要指定一个年份：如 --year 2026，与上一年的报告比较")
        return lo


class Vocabulary:
    """Every listed word of an index (or of every shard: their weights summed), with
    its count over the live units; words in code point order, so that ties list
    alike however the collection is split."""

    def __init__(self, weights: Counter):
        precise = _unfold_subwords(weights)
        self.total = float(sum(precise.values()))
        self.words = sorted(w for w, n in precise.items() if n > 0 and is_keyword(w))
        self.index = {w: i for i, w in enumerate(self.words)}
        self.counts = np.array([precise[w] for w in self.words], dtype=np.float64)

    def vector(self, counts: Counter) -> np.ndarray:
        out = np.zeros(len(self.words), dtype=np.float64)
        for w, n in counts.items():
            i = self.index.get(w)
            if i is not None:
                out[i] = n
        return out


def live_weights(ia) -> Counter:
    """word -> its weight in the text field over the live units: what sums over shards."""
    weights = _term_weights(ia)
    for doc in np.flatnonzero(~ia.live).tolist():       # deleted units still count in the terms
        for w, n in word_counts(ia.text(doc)).items():
            weights[w] -= n
    return weights


def _term_weights(ia) -> Counter:
    """word -> its total weight in the text field (deleted units included, as Whoosh keeps them)."""
    weights: Counter = Counter()
    with ia.io:                          # reads the term tables: once per generation, under the reader's lock
        for seg, _base in leaf_segments(ia.reader):
            for btext, weight in field_term_weights(seg, "text"):
                weights[btext.decode("utf-8")] += int(weight)
    return weights


def _unfold_subwords(weights: Counter) -> dict:
    """Counts in the precise cut: a word of three or more characters also put each of
    its dictionary sub-words in the field once per occurrence (analysis.word_counts)."""
    precise = dict(weights)
    for w in sorted(precise, key=len, reverse=True):
        n = precise[w]
        if n > 0 and len(w) > 2:
            for sub, _offset in subwords(w):
                if sub in precise:
                    precise[sub] -= n
    return precise


# snapshot -> its live weights and Vocabulary, gone with the snapshot (a new generation opens a new one)
_WEIGHTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_VOCABULARIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_VOCAB_LOCK = threading.Lock()


def snapshot_weights(snap) -> Counter:
    """The generation's live word weights, read once (its postings reads take the reader's lock each)."""
    with _VOCAB_LOCK:
        weights = _WEIGHTS.get(snap)
        if weights is None:
            weights = _WEIGHTS[snap] = live_weights(snap.arrays)
        return weights


def vocabulary(snap) -> Vocabulary:
    """The generation's vocabulary, built once."""
    weights = snapshot_weights(snap)
    with _VOCAB_LOCK:
        vocab = _VOCABULARIES.get(snap)
        if vocab is None:
            vocab = _VOCABULARIES[snap] = Vocabulary(weights)
        return vocab


def g2(a: np.ndarray, b: np.ndarray, c: float, d: float) -> np.ndarray:
    """Signed log-likelihood keyness of counts a (in c words) against b (in d words)."""
    both = a + b
    e1 = c * both / (c + d)
    e2 = d * both / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        part_a = np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(e1 > 0, e1, 1)), 0.0)
        part_b = np.where(b > 0, b * np.log(np.where(b > 0, b, 1) / np.where(e2 > 0, e2, 1)), 0.0)
    value = 2 * (part_a + part_b)
    sign = np.where(a * d >= b * c, 1.0, -1.0)
    return sign * value


def selection_part(snap, filters: dict, values: dict | None = None) -> dict:
    """One index's share of a selection: its units under the filters, their reports
    and the words of their cut (counted where the text lies: in the shard)."""
    _parsed, found, understood = evaluate(snap, "", filters, values=values)
    counts: Counter = Counter()
    for d in found.docs.tolist():
        counts.update(cut(snap.arrays.text(d)))
    return {"filters": understood, "paragraphs": int(found.docs.size), "counts": counts,
            "reports": int(np.unique(snap.facets.columns["report_id"].ords[found.docs]).size),
            "all": int(snap.arrays.all_docs.size)}


class Selection:
    """The units under some filters, their reports and their words, counted from the
    cut: one index's part, or every shard's summed (a report lies in one shard)."""

    def __init__(self, parts: list, filters: dict, what: str = "所选"):
        understood = parts[0]["filters"] if parts else {}
        self.filters = {BY_NAME[f].name: [UNKNOWN if v is None else v for v in vs] for f, vs in understood.items()}
        self.paragraphs = sum(p["paragraphs"] for p in parts)
        self.reports = sum(p["reports"] for p in parts)
        self.all = sum(p["all"] for p in parts)
        self.counts: Counter = Counter()
        for p in parts:
            self.counts.update(p["counts"])
        self.total = float(sum(self.counts.values()))
        if not self.paragraphs:
            # the filters as pages and the query language name them (省份：浙江), not the URL's province=
            raise RequestError("empty_selection", f"{what}的筛选条件下没有报告："
                               + "；".join(f"{BY_NAME[k].label if k in BY_NAME else k}：{'、'.join(map(str, v))}"
                                          for k, v in filters.items()))

    def as_json(self) -> dict:
        return {"filters": self.filters, "reports": self.reports, "paragraphs": self.paragraphs,
                "words": int(self.total)}


def reference_filters(req: KeywordRequest) -> tuple[dict | None, str]:
    """The reference's filters (None: everything else) and how an empty one is named."""
    if req.new:
        return req.previous, f"上一年（{req.previous['year'][0]}）"
    return req.vs or None, "对照"


def keywords(engine: Engine, req: KeywordRequest) -> dict:
    """The JSON answer of `govsearch keywords` and /api/keywords."""
    snap = engine.snapshot()
    sel = Selection([selection_part(snap, req.filters)], req.filters)
    ref_filters, what = reference_filters(req)
    ref = Selection([selection_part(snap, ref_filters)], ref_filters, what) if ref_filters else None
    return keyness(vocabulary(snap), sel, ref, req)


def keyness(vocab: Vocabulary, sel: Selection, ref: Selection | None, req: KeywordRequest) -> dict:
    """The keywords' JSON: the selection against the reference (None: everything else)."""
    a = vocab.vector(sel.counts)
    if ref is not None:
        b, d, ref_json = vocab.vector(ref.counts), ref.total, ref.as_json()
    else:
        b, d = np.maximum(vocab.counts - a, 0), max(vocab.total - sel.total, 0.0)
        ref_json = {"filters": None, "reports": None, "paragraphs": sel.all - sel.paragraphs,
                    "words": int(d), "rest": True}
    c = sel.total
    g = g2(a, b, c, d)
    rows = _rows(vocab.words, a, b, c, d, g)
    words, under = _ranked(a, b, g, req)
    return {"mode": "new" if req.new else "keyness", "selection": sel.as_json(), "reference": ref_json,
            "words": [rows(i) for i in words], "under": [rows(i) for i in under]}


def _rows(words, a, b, c, d, keyness):
    def row(i: int) -> dict:
        return {"word": words[i], "g2": round(float(keyness[i]), 2), "count": int(a[i]),
                "rate": round(float(a[i]) * 10000 / c, 2) if c else 0.0, "ref_count": int(b[i]),
                "ref_rate": round(float(b[i]) * 10000 / d, 2) if d else 0.0}
    return row


def _ranked(a, b, keyness, req: KeywordRequest) -> tuple[list, list]:
    """Indices of the listed words and of the under-used (or, for new, the dropped) ones."""
    if req.new:
        fresh = np.flatnonzero((a >= req.min_count) & (b == 0))
        gone = np.flatnonzero((b >= req.min_count) & (a == 0))
        return (fresh[np.lexsort((-keyness[fresh], -a[fresh]))][:req.top].tolist(),
                gone[np.lexsort((keyness[gone], -b[gone]))][:req.top].tolist())
    over = np.flatnonzero((keyness > 0) & (a >= req.min_count))
    less = np.flatnonzero((keyness < 0) & (b >= req.min_count))
    return (over[np.argsort(-keyness[over], kind="stable")][:req.top].tolist(),
            less[np.argsort(keyness[less], kind="stable")][:req.top].tolist())


def filters_from_text(text: str, what: str = "vs") -> dict:
    """Filters written in the query language (``省份:江苏 年份:2026``) as filter name -> values."""
    try:
        parsed = parse_query(text or "")
    except QuerySyntaxError as e:
        raise RequestError(e.code, f"{what}：{e}") from None
    if parsed.terms:
        raise RequestError("not_filters", f"{what} 只能写筛选条件（如 省份:江苏 年份:2026），不能有检索词")
    by_field = {f.field: f.name for f in FILTERS}
    return {by_field[field]: list(values) for field, values in parsed.filters.items()}
