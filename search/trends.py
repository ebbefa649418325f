"""Trends: how much each term is said, bucket by bucket (year, region, type …).

A term is any query, with search's semantics (exact by default, synonyms,
"phrases", OR, inline filters): its paragraphs are exactly those search finds.
Counted per bucket of a facet field (search/fields.py):

* ``mentions``: occurrences of the strings the term searches for (itself, its
  synonyms, quoted phrases, a wildcard's stem) in each matching paragraph's
  normalised text, as a reader scanning it counts them: leftmost first, the
  longest at a position, never overlapping (``str.count`` for one string); in
  word matching, add each term's jieba words where all of them stand (the
  fewest of its words' frequencies);
* ``paragraphs`` and ``reports`` that match;
* ``per_report`` (mentions per report of the bucket) and ``per_10k_chars``
  (mentions per 10,000 characters of the bucket's paragraphs).

``buckets`` lists every value with reports under the filters, with their
reports and characters, so a year with reports and no mention shows 0 and a
year without a report is absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from indexer.analysis import phrase_grams, subwords
from indexer.model import UNKNOWN
from indexer.store import HEAD_ONLY_FIELDS

from .engine import Engine, evaluate, years_of
from .facets import in_official_order
from .fields import BY_NAME, FILTERS
from .query import wildcard_stem
from .results import RequestError

# the dimensions a trend can be drawn over: the facet fields
BY_CHOICES = tuple(f.name for f in FILTERS if f.facet)
MAX_TREND_TERMS = 20
# the table of a trend (CSV): one row per term and bucket
TABLE_COLUMNS = ("term", "value", "mentions", "paragraphs", "reports", "bucket_reports", "chars",
                 "per_report", "per_10k_chars")


@dataclass
class TrendRequest:
    terms: list
    by: str = "year"
    filters: dict = field(default_factory=dict)     # filter name -> [values], as search takes them
    match: str = "exact"

    def __post_init__(self):
        self.terms = [t for t in (str(t).strip() for t in self.terms) if t]
        if not self.terms:
            raise RequestError("no_terms", "请至少给一个检索词（q）")
        if len(self.terms) > MAX_TREND_TERMS:
            raise RequestError("too_many_terms", f"检索词最多 {MAX_TREND_TERMS} 个")
        if self.by not in BY_CHOICES:
            raise RequestError("bad_parameter", f"参数 by 只能是 {' / '.join(BY_CHOICES)}，"
                               f"收到的是“{str(self.by)[:20]}”")


class Buckets:
    """The dimension's values over the filtered paragraphs: which value each
    paragraph falls in, and each value's reports and characters."""

    def __init__(self, snap, by: str, docs: np.ndarray):
        self.field = BY_NAME[by].field
        col = snap.facets.columns[self.field]
        self.values = col.values
        self.ords = col.ords
        self.reports = snap.facets.columns["report_id"].ords
        size = len(self.values)
        self.per_report = self.field in HEAD_ONLY_FIELDS
        self.report_counts = self.reports_per_bucket(docs)
        chars = snap.arrays.texts.char_lengths()[docs]
        self.chars = np.bincount(self.ords[docs], weights=chars, minlength=size).astype(np.int64)

    def reports_per_bucket(self, docs: np.ndarray) -> np.ndarray:
        return _reports_per_bucket(self.ords[docs], self.reports[docs], len(self.values), self.per_report)


def _reports_per_bucket(bucket_ords: np.ndarray, report_ords: np.ndarray, size: int,
                        per_report: bool = False) -> np.ndarray:
    """How many distinct reports have a paragraph in each bucket.

    ``per_report``: the field has one value per report (region, year …), so each
    report counts once where any of its paragraphs falls: no sort needed."""
    if not bucket_ords.size:
        return np.zeros(size, dtype=np.int64)
    reports = int(report_ords.max()) + 1
    if per_report:
        bucket_of = np.zeros(reports, dtype=np.int64)
        bucket_of[report_ords] = bucket_ords
        return np.bincount(bucket_of[np.flatnonzero(np.bincount(report_ords, minlength=reports))],
                           minlength=size)
    pairs = np.unique(bucket_ords.astype(np.int64) * reports + report_ords)
    return np.bincount(pairs // reports, minlength=size)


def occurrences(snap, parsed, docs: np.ndarray) -> np.ndarray:
    """Mentions of a parsed query's terms in each of its matching paragraphs (docs ascending)."""
    counts = np.zeros(docs.size, dtype=np.float64)
    # a wildcard counts the mentions of its stem: its words overlap the dictionary
    # sub-words they hold (数字化 and 数字), so their own counts would count one twice
    stems = [wildcard_stem(p) for p in parsed.marks.patterns]
    strings = list(dict.fromkeys(parsed.marks.strings + stems))
    if len(strings) == 1:
        counts += _string_counts(snap.arrays, strings[0], docs)
    elif strings:
        counts += _alternation_counts(snap.arrays, strings, docs)
    seen = set()
    for term in parsed.terms:
        if term.words and term.words not in seen:
            seen.add(term.words)
            counts += _word_form_counts(snap.arrays, term.words, docs)
    return counts


def _word_form_counts(ia, forms: tuple, docs: np.ndarray) -> np.ndarray:
    """Mentions of a term's forms by words (each form's words where all of them stand),
    a mention inside a longer form counted once: the word field holds 生产总值 for every
    地区生产总值 (a dictionary sub-word), so GDP's forms summed counted that mention twice.
    Longer forms first, each form keeps the mentions no longer form it lies inside took."""
    forms = sorted(forms, key=lambda f: len("".join(f)), reverse=True)
    own = []
    for i, form in enumerate(forms):
        found = np.min([_weights_at(ia, "text", w, docs) for w in form], axis=0)
        for longer, taken in zip(forms[:i], own):
            if _inside(form, longer):
                found = found - taken
        own.append(np.maximum(found, 0.0))
    return np.sum(own, axis=0)


def _inside(form: tuple, longer: tuple) -> bool:
    """Every word of ``form`` stands wherever ``longer`` does: as one of its words or a
    dictionary sub-word of one."""
    held = set(longer) | {sub for w in longer for sub, _offset in subwords(w)}
    return form != longer and all(w in held for w in form)


def _string_counts(ia, s: str, docs: np.ndarray) -> np.ndarray:
    """Non-overlapping occurrences of a normalised string in each doc's normalised text."""
    grams = phrase_grams(s)
    if grams == [s] and (len(s) == 1 or s[0] != s[1]):
        return _weights_at(ia, "grams", s, docs)     # the gram's count is the string's
    found, counts = ia.docs_containing(s.encode("utf-8"), docs)
    out = np.zeros(docs.size, dtype=np.float64)
    out[np.searchsorted(docs, found)] = counts
    return out


def _alternation_counts(ia, strings: list, docs: np.ndarray) -> np.ndarray:
    """Occurrences of any of several strings, as a reader scanning the text counts them:
    leftmost first, the longest at a position, never overlapping (地区生产总值 is one
    mention of GDP, not also one of 生产总值)."""
    longest_first = sorted(strings, key=len, reverse=True)
    pattern = re.compile(b"|".join(re.escape(x.encode("utf-8")) for x in longest_first))
    findall, text = pattern.findall, ia.texts.text
    return np.array([len(findall(text(d))) for d in docs.tolist()], dtype=np.float64)


def _weights_at(ia, field: str, term: str, docs: np.ndarray) -> np.ndarray:
    """A term's posting weights (its per-paragraph counts) at docs, 0 where absent."""
    pdocs, weights, _df = ia.postings(field, term)
    out = np.zeros(docs.size, dtype=np.float64)
    if pdocs.size:
        at = np.searchsorted(pdocs, docs).clip(max=pdocs.size - 1)
        hit = pdocs[at] == docs
        out[hit] = weights[at[hit]]
    return out


def trend(engine: Engine, req: TrendRequest) -> dict:
    """The JSON answer of `govsearch trend` and /api/trends."""
    return trend_from_parts(req, [trend_part(engine.snapshot(), req)])


def trend_part(snap, req: TrendRequest, values: dict | None = None) -> dict:
    """One index's counts for a trend, by bucket value: what a shard sends the
    coordinator (search/shards.py), and all a single index needs.  Every count
    sums over shards, since a report's paragraphs all lie in one shard;
    ``values``: the collection's filter values (None: this index's)."""
    _parsed, base, understood = evaluate(snap, "", req.filters, values=values)
    buckets = Buckets(snap, req.by, base.docs)
    present = np.flatnonzero(buckets.report_counts)
    return {"filters": understood,
            "buckets": {buckets.values[o]: (int(buckets.report_counts[o]), int(buckets.chars[o]))
                        for o in present.tolist()},
            "terms": [_term_counts(snap, buckets, t, req, values) for t in req.terms]}


def _term_counts(snap, buckets: Buckets, term: str, req: TrendRequest, values) -> dict:
    parsed, found, _understood = evaluate(snap, term, req.filters, req.match, values=values)
    if parsed.empty:
        raise RequestError("no_terms", f"“{term[:40]}”里没有检索词（只有筛选条件）")
    docs = found.docs
    mentions = occurrences(snap, parsed, docs)
    size = len(buckets.values)
    ords = buckets.ords[docs]
    by_mentions = np.bincount(ords, weights=mentions, minlength=size)
    by_paragraphs = np.bincount(ords, minlength=size)
    by_reports = buckets.reports_per_bucket(docs)
    present = np.flatnonzero(by_paragraphs)
    years = years_of(snap, docs[mentions > 0])
    years = years[years > 0]
    return {"first": int(years.min()) if years.size else None, "mentions": float(mentions.sum()),
            "paragraphs": int(docs.size), "reports": int(np.unique(buckets.reports[docs]).size),
            "buckets": {buckets.values[o]: (float(by_mentions[o]), int(by_paragraphs[o]), int(by_reports[o]))
                        for o in present.tolist()}}


def trend_from_parts(req: TrendRequest, parts: list) -> dict:
    """The trend's JSON from the counts of one index or of every shard, summed."""
    buckets: dict = {}
    for part in parts:
        for v, counts in part["buckets"].items():
            buckets[v] = tuple(a + b for a, b in zip(buckets.get(v, (0, 0)), counts))
    order = _bucket_order(req.by, buckets)
    terms = [_term_series(t, [p["terms"][i] for p in parts], buckets, order) for i, t in enumerate(req.terms)]
    return {"by": req.by, "match": req.match, "filters": _filters_json(parts[0]["filters"] if parts else {}),
            "buckets": [{"value": _shown(v), "reports": buckets[v][0], "chars": buckets[v][1]} for v in order],
            "terms": terms}


def _bucket_order(by: str, buckets: dict) -> list:
    """Years oldest first (a report of no known year last); other values by reports, then
    name: regions by name in the official GB/T 2260 order, as the facets and /reports list
    them (a reader looks 北京, 天津, 河北 … up there, not in code-point order)."""
    if BY_NAME[by].field == "year":
        return sorted(buckets, key=lambda v: (v is None, v or 0))
    by_name = in_official_order(list(buckets), key=str) if BY_NAME[by].place \
        else sorted(buckets, key=str)
    return sorted(by_name, key=lambda v: -buckets[v][0])        # stable: by name among equals


def _shown(v):
    return UNKNOWN if v is None else v


def _filters_json(understood: dict) -> dict:
    return {BY_NAME[f].name: [UNKNOWN if v is None else v for v in vs] for f, vs in understood.items()}


def _term_series(term: str, parts: list, buckets: dict, order: list) -> dict:
    counts: dict = {}
    for part in parts:
        for v, c in part["buckets"].items():
            counts[v] = tuple(a + b for a, b in zip(counts.get(v, (0.0, 0, 0)), c))
    series = []
    for v in order:
        m, paragraphs, reports_with = counts.get(v, (0.0, 0, 0))
        reports, chars = buckets[v]
        series.append({"value": _shown(v), "mentions": int(m), "paragraphs": paragraphs, "reports": reports_with,
                       "per_report": round(m / reports, 3) if reports else 0.0,
                       "per_10k_chars": round(m * 10000 / chars, 3) if chars else 0.0})
    firsts = [p["first"] for p in parts if p["first"] is not None]
    return {"term": term, "first": min(firsts) if firsts else None,
            "total": {"mentions": int(sum(p["mentions"] for p in parts)),
                      "paragraphs": sum(p["paragraphs"] for p in parts),
                      "reports": sum(p["reports"] for p in parts)},
            "series": series}


def table_rows(data: dict) -> list[dict]:
    """A trend's JSON as one row per term and bucket (``bucket_reports``: the bucket's reports)."""
    buckets = {str(b["value"]): b for b in data["buckets"]}
    return [{"term": t["term"], **s, "bucket_reports": buckets[str(s["value"])]["reports"],
             "chars": buckets[str(s["value"])]["chars"]} for t in data["terms"] for s in t["series"]]
