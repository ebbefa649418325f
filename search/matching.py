"""Evaluate a parsed query over the index as numpy arrays: every match, every score.

A query is a tree of Whoosh query objects (search/query.py builds it).  Each
node evaluates to a ``Match``: the ascending document numbers it matches and
one score per document.  Leaves read postings a block at a time
(search/arrays.py); And/Or/Not are sorted-array set operations; scores are
BM25F, computed for all matches at once, with the same formula, parameters and
field-length encoding as Whoosh's own ``BM25F`` scorer.

Scoring every match costs little more than finding it, and it gives facets
(which need every match) and ranking (which needs the best) from one pass.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass

import numpy as np
from whoosh import query as Q

from indexer.analysis import phrase_grams
from indexer.topics import TABLE_DIMS
from indexer.whoosh_format import word_expansions

from . import arrays, budget
from .facets import FACETS
from .filters import resolve
from .query import MAX_WILDCARD_EXPANSION, LabelFilter, Phrase
from .stats import LocalStats

B, K1 = 0.6, 1.2                       # BM25F parameters (Whoosh's BM25F(B=0.6, K1=1.2))
SCORED_FIELDS = ("text",)
# assembled postings kept per generation, in documents (about 12 bytes each)
ASSEMBLED_POSTINGS = 10_000_000
EXPANSIONS_KEPT = 2000                 # wildcards whose words are remembered per generation
FREQUENCIES_KEPT = 200_000             # document frequencies remembered per generation
# text factors remembered per generation, (query terms, document) pairs: about 80 bytes each
FACTORS_KEPT = 200_000
FACTOR_QUERIES_KEPT = 1000
CHECK_EVERY = 2048                     # texts confirmed between two looks at the deadline
NARROW = 8                             # `within` this many times below a string's rarest gram: read it alone
DENSE_UNION_SHARE = 16                 # a union of postings this many times sparser than the documents sorts


@dataclass
class Match:
    docs: np.ndarray                   # ascending document numbers (int64)
    scores: np.ndarray                 # one per document (float64)

    @classmethod
    def empty(cls) -> "Match":
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    def __len__(self):
        return int(self.docs.size)


def bm25(idf: float, tf: np.ndarray, fl: np.ndarray, avgfl: float) -> np.ndarray:
    return idf * (tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))


class IndexArrays:
    """One index generation's postings, lengths, texts and labels as arrays.

    Safe to share between threads.  Whoosh's files seek, so every read of the
    reader holds ``io`` (one segment's bytes of a term, one lookup, one
    column); all the rest (decoding, set operations, scoring, text scans)
    runs without it, so a search that does much work never keeps the others
    from reading.
    """

    def __init__(self, reader, facets, text_cache: dict | None = None,
                 postings_cache: arrays.PostingsCache | None = None, io: threading.RLock | None = None,
                 texts: arrays.SegmentTexts | None = None,
                 vector_cache: dict | None = None):
        self.io = io if io is not None else threading.RLock()
        self.reader = reader
        self.facets = facets
        self.doc_count_all = reader.doc_count_all()
        self.live = arrays.live_docs(reader)
        self._deletions = not self.live.all()
        self.all_docs = np.flatnonzero(self.live).astype(np.int64)
        self._lengths: dict[str, np.ndarray] = {}
        self._avgfl: dict[str, float] = {}
        self._postings = postings_cache if postings_cache is not None else arrays.PostingsCache()
        self._postings.keep_segments({seg.segment().segment_id() for seg, _base in arrays.leaf_segments(reader)})
        # this generation's assembled arrays: a term's live postings, a string's documents
        self._assembled = arrays.ArrayLRU(ASSEMBLED_POSTINGS)
        self._cache_lock = threading.Lock()      # creating the shape factors and text-factor memos once
        self._expanded: dict = {}
        self._label_counts: dict = {}
        self._frequencies: dict = {}
        self._shapes: np.ndarray | None = None
        self._topics: arrays.SegmentVectors | None = None
        self._vector_cache = vector_cache
        self._factors: dict = {}                 # query terms -> {document: text factor}
        self.texts = texts if texts is not None else arrays.SegmentTexts(reader, "norm", text_cache)

    # ---- field statistics, as Whoosh's BM25F sees them

    def lengths(self, field: str) -> np.ndarray:
        if field not in self._lengths:
            with self.io:
                self._avgfl[field] = (self.reader.field_length(field) / (self.doc_count_all or 1)) or 1.0
                self._lengths[field] = arrays.field_lengths(self.reader, field)
        return self._lengths[field]

    def topic_vectors(self, docs: np.ndarray) -> np.ndarray:
        """The topic vectors (indexer/topics.py, int8) of ``docs``; each segment's read
        once, and kept for the next generation (``vector_cache``)."""
        if self._topics is None:
            with self.io:
                if self._topics is None:
                    self._topics = arrays.SegmentVectors(self.reader, "topic", TABLE_DIMS, self._vector_cache)
        return self._topics.rows(docs)

    def avgfl(self, field: str) -> float:
        self.lengths(field)
        return self._avgfl[field]

    def idf(self, df: int) -> float:
        return float(np.log(max(self.doc_count_all, 1) / (df + 1)) + 1)

    # ---- postings: whole-index arrays per generation, decoded once per segment

    def postings(self, field: str, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(live docs, weights, document frequency as Whoosh counts it) of one term.

        Two caches: this generation's assembled arrays (live documents only,
        what repeated queries reuse), and arrays.PostingsCache, per segment and
        shared across generations, so after a commit the old segments' terms
        are joined again rather than decoded again."""
        key = (field, text)
        hit = self._assembled.get(key)
        if hit is not None:
            return hit
        btext = self.reader.schema[field].to_bytes(text)
        docs, weights = arrays.postings(self.reader, field, btext, cache=self._postings, io=self.io)
        df = int(docs.size)                      # Whoosh's idf counts deleted documents too
        if docs.size and self._deletions:
            keep = self.live[docs]
            docs, weights = docs[keep], weights[keep]
        return self._assembled.put(key, (docs, weights, df))

    def occurrences(self, text: str, grams: list[str], within: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(live docs, occurrence counts) of a string in the normalised text, within `within`.

        What a term's postings are to a word, this is to a string, and it is
        kept the same way for the generation: the documents are found once
        over the whole index and later searches restrict them.  Only when
        `within` is much narrower than the string's rarest gram are the few
        documents of `within` read directly, and that answer is not kept."""
        key = ("", text)
        hit = self._assembled.get(key)
        if hit is None:
            rarest = min((self.doc_frequency("grams", g) for g in grams), default=self.doc_count_all)
            if within is not None and within.size * NARROW < rarest:
                return self.docs_containing(text.encode("utf-8"), self._gram_candidates(grams, within))
            docs, counts = self.docs_containing(text.encode("utf-8"), self._gram_candidates(grams, None))
            hit = self._assembled.put(key, (docs, counts, int(docs.size)))
        docs, counts, _n = hit
        if within is not None:
            keep = np.isin(docs, within, assume_unique=True)
            docs, counts = docs[keep], counts[keep]
        return docs, counts

    def _gram_candidates(self, grams: list[str], within: np.ndarray | None) -> np.ndarray | None:
        """The documents holding the rarest few of a string's grams (and in `within`)."""
        candidates = within
        for g in sorted(grams, key=lambda g: self.doc_frequency("grams", g))[:6]:
            docs, _w, _df = self.postings("grams", g)
            candidates = docs if candidates is None else np.intersect1d(candidates, docs, assume_unique=True)
            if candidates.size <= 64:           # a few grams narrow the candidates enough
                break
        return candidates

    def label_counts(self, field: str) -> np.ndarray:
        """A facet field's ordinal -> how many documents have that value (deleted ones too)."""
        counts = self._label_counts.get(field)
        if counts is None:
            col = self.facets.columns[field]
            counts = self._label_counts[field] = np.bincount(col.ords, minlength=len(col.values))
        return counts

    def doc_frequency(self, field: str, text: str) -> int:
        """A term's document frequency (deleted documents too, as Whoosh's idf counts them);
        remembered for the generation: estimates and phrases ask for the same ones again."""
        key = (field, text)
        df = self._frequencies.get(key)
        if df is None:
            with self.io:
                df = self.reader.doc_frequency(field, text)
            if len(self._frequencies) >= FREQUENCIES_KEPT:
                self._frequencies.clear()
            self._frequencies[key] = df
        return df

    def expansions(self, q) -> list[str]:
        """The words a Prefix or Wildcard stands for, at most MAX_WILDCARD_EXPANSION + 1
        (one more says it stands for too many)."""
        key = (type(q).__name__, q.fieldname, q.text)
        words = self._expanded.get(key)
        if words is None:
            field = self.reader.schema[q.fieldname]
            with self.io:
                words = [field.from_bytes(b) for b in
                         itertools.islice(word_expansions(q, self.reader), MAX_WILDCARD_EXPANSION + 1)]
            if len(self._expanded) >= EXPANSIONS_KEPT:
                self._expanded.clear()
            self._expanded[key] = words
        return words

    def phrase_frequency(self, norm: str) -> int:
        """How many documents may contain a string: its rarest gram's document
        frequency (exact for one or two characters), or every document when
        the string has no gram (punctuation alone)."""
        grams = phrase_grams(norm)
        if not grams:
            return self.doc_count_all
        return min(self.doc_frequency("grams", g) for g in grams)

    # ---- normalised text

    def shape_factors(self) -> np.ndarray:
        """Document -> ranking.shape_factor of its text, NaN until a search reads it
        (the ranking fills it in): a property of the paragraph alone, kept for the
        generation so that later searches bound their candidates more tightly."""
        if self._shapes is None:
            with self._cache_lock:
                if self._shapes is None:
                    self._shapes = np.full(self.doc_count_all, np.nan, dtype=np.float64)
        return self._shapes

    def text_factors(self, terms_key: tuple) -> dict:
        """Document -> ranking.text_factor for the query terms ``terms_key`` (their
        variants), filled in by the ranking as it reads texts.  A factor depends on
        the terms and the paragraph alone, so a query asked again (another page,
        another filter, the next visitor) reads no text it has read before: the
        re-rank's reading of candidate texts is most of a repeated search's CPU.
        Bounded: past FACTORS_KEPT factors or FACTOR_QUERIES_KEPT queries, every
        query starts afresh."""
        with self._cache_lock:
            if (len(self._factors) >= FACTOR_QUERIES_KEPT
                    or sum(map(len, self._factors.values())) >= FACTORS_KEPT):
                self._factors = {}
            return self._factors.setdefault(terms_key, {})

    def text(self, doc: int) -> str:
        """A unit's normalised text."""
        return self.texts.text(doc).decode("utf-8")

    def docs_containing(self, needle: bytes, candidates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(docs, occurrence counts) whose normalised text contains needle.

        With candidates (ascending), only those are looked at; without, each
        segment's text is scanned once, jumping to the next document after a hit."""
        found, counts = [], []
        for base, text, starts in self.texts.parts:
            end_doc = base + starts.size - 1
            if candidates is not None:
                lo, hi = np.searchsorted(candidates, [base, end_doc])
                local = candidates[lo:hi] - base
                if not local.size:
                    continue
                for lo in range(0, local.size, CHECK_EVERY):
                    budget.check()
                    chunk = local[lo:lo + CHECK_EVERY]
                    # map over the builtin: no bytecode per document
                    c = np.fromiter(map(text.count, itertools.repeat(needle), starts[chunk].tolist(),
                                        starts[chunk + 1].tolist()), dtype=np.int64, count=chunk.size)
                    hit = c > 0
                    found.extend((chunk[hit] + base).tolist())
                    counts.extend(c[hit].tolist())
            else:
                sl = starts.tolist()
                find, count, live = text.find, text.count, self.live
                pos = 0
                while True:
                    budget.check()
                    pos = find(needle, pos)
                    if pos < 0:
                        break
                    d = bisect.bisect_right(sl, pos) - 1
                    end = sl[d + 1]
                    if pos + len(needle) <= end:     # a match never spans two documents
                        if live[base + d]:
                            found.append(base + d)
                            counts.append(count(needle, pos, end))
                        pos = end
                    else:
                        pos += 1
        return np.array(found, dtype=np.int64), np.array(counts, dtype=np.float64)


# --------------------------------------------------------------------------- set operations

def _intersect(a: Match, b: Match) -> Match:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    return Match(docs, a.scores[ia] + b.scores[ib])


def _union(parts: list[Match]) -> Match:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Match.empty()
    if len(parts) == 1:
        return parts[0]
    docs = np.concatenate([p.docs for p in parts])
    scores = np.concatenate([p.scores for p in parts])
    top = int(max(p.docs[-1] for p in parts)) + 1
    if docs.size * DENSE_UNION_SHARE < top:
        uniq, inverse = np.unique(docs, return_inverse=True)
        summed = np.zeros(uniq.size, dtype=np.float64)
        np.add.at(summed, inverse, scores)
        return Match(uniq, summed)
    # many postings: one pass over the document numbers instead of a sort.
    # bincount adds each document's scores in the order given, as add.at does,
    # so the sums are the same to the last bit
    uniq = _dense_members(docs, top)
    return Match(uniq, np.bincount(docs, weights=scores, minlength=top)[uniq])


def _merged_docs(parts: list[np.ndarray]) -> np.ndarray:
    """The ascending distinct documents of several ascending arrays."""
    docs = np.concatenate(parts)
    top = int(max(p[-1] for p in parts if p.size)) + 1
    if docs.size * DENSE_UNION_SHARE < top:
        return np.unique(docs)
    return _dense_members(docs, top)


def _dense_members(docs: np.ndarray, top: int) -> np.ndarray:
    present = np.zeros(top, dtype=bool)
    present[docs] = True
    return np.flatnonzero(present).astype(np.int64, copy=False)


def _minus(a: Match, b: Match) -> Match:
    if not len(a) or not len(b):
        return a
    keep = ~np.isin(a.docs, b.docs, assume_unique=True)
    return Match(a.docs[keep], a.scores[keep])


def _restrict(m: Match, within: np.ndarray | None) -> Match:
    if within is None or not len(m):
        return m
    keep = np.isin(m.docs, within, assume_unique=True)
    return Match(m.docs[keep], m.scores[keep])


def _add_where(a: Match, b: Match) -> Match:
    """a's documents, with b's scores added where b matches too (AndMaybe)."""
    if not len(b):
        return a
    _, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    scores = a.scores.copy()
    scores[ia] += b.scores[ib]
    return Match(a.docs, scores)


# --------------------------------------------------------------------------- evaluation

class Evaluator:
    """Turns one query tree into a Match over one IndexArrays.

    ``understood`` records, per filter field, the values each typed filter
    value was resolved to (四川 → [四川省]), for the result to say.

    ``stats`` (search/stats.py) gives N, document frequencies and average
    field lengths: this index's own by default, or a whole sharded
    collection's, so that a shard scores as the one index would.  ``values``
    (field -> values) likewise lets typed filter values resolve against every
    shard's values, not only this one's."""

    def __init__(self, ia: IndexArrays, stats=None, values: dict | None = None):
        self.ia = ia
        self.stats = stats if stats is not None else LocalStats(ia)
        self.values = values or {}
        self.understood: dict[str, dict[str, list]] = {}

    def run(self, q, within: np.ndarray | None = None) -> Match:
        """Every live document q matches (restricted to `within` when given), scored."""
        budget.check()
        if isinstance(q, Q.AndMaybe):
            base = self.run(q.a, within)
            return _add_where(base, self.run(q.b, base.docs))
        if isinstance(q, Q.AndNot):
            base = self.run(q.a, within)
            return _minus(base, self.run(q.b, base.docs))
        if isinstance(q, Q.And):
            return self._and(q.subqueries, within)
        if isinstance(q, Q.Or):
            return _union([self.run(sub, within) for sub in q.subqueries])
        if isinstance(q, Q.Every):
            docs = self.ia.all_docs if within is None else within
            return Match(docs, np.zeros(docs.size, dtype=np.float64))
        if isinstance(q, Phrase):
            return self._phrase(q, within)
        if isinstance(q, LabelFilter):
            return _restrict(self._label(q.fieldname, self.resolve(q.fieldname, q.text)), within)
        if isinstance(q, Q.NumericRange):
            return self._label_range(q, within)
        if isinstance(q, (Q.Prefix, Q.Wildcard)):
            return self._expansion(q, within)
        if isinstance(q, Q.Term):
            return self._term(q, within)
        raise TypeError(f"cannot evaluate {type(q).__name__} queries")

    def _and(self, subs, within):
        # the cheapest-looking parts first, each later part only within the matches so far
        parts = sorted(subs, key=self._cost)
        m = self.run(parts[0], within)
        for sub in parts[1:]:
            if not len(m):
                break
            m = _intersect(m, self.run(sub, m.docs))
        return m

    def _cost(self, q) -> int:
        """About how many documents q matches, to run the rarest parts of an AND first."""
        # from the collection's statistics, so every shard runs the parts in
        # the same order and adds their scores in the same order
        n = self.stats.doc_count
        if isinstance(q, Phrase):
            grams = phrase_grams(q.text)
            return min((self.stats.doc_frequency("grams", g) for g in grams), default=n)
        if isinstance(q, Q.Term) and q.fieldname in SCORED_FIELDS + ("grams",):
            return self.stats.doc_frequency(q.fieldname, q.text)
        if isinstance(q, Q.Or):
            return min(n, sum(self._cost(sub) for sub in q.subqueries))
        if isinstance(q, Q.Every):
            return n + 1
        return n                                # unknown: after the known-cheap ones

    def _term(self, q: Q.Term, within) -> Match:
        field = q.fieldname
        if field in FACETS:                       # its ordinals are loaded: one array compare
            return _restrict(self._label(field, [q.text]), within)
        docs, weights, df = self.ia.postings(field, q.text)
        m = _restrict(Match(docs, weights.astype(np.float64)), within)
        if field in SCORED_FIELDS or field == "grams":
            # a two-character phrase is one gram: ranked like a phrase, on the text's lengths
            scored_on = "text" if field == "grams" else field
            fl = self.ia.lengths(scored_on)[m.docs]
            if not isinstance(self.stats, LocalStats):       # a shard: the collection's df
                df = self.stats.doc_frequency(field, q.text)
            m.scores = q.boost * bm25(self.stats.idf(df), m.scores, fl, self.stats.avgfl(scored_on))
        else:
            m.scores = np.zeros(m.docs.size, dtype=np.float64)     # a filter: matches, ranks nothing
        return m

    def resolve(self, field: str, typed: str) -> list:
        """The index values a typed filter value stands for, remembered for the result."""
        known = self.values.get(field)
        values = resolve(field, typed, known if known is not None else self.ia.facets.columns[field].values)
        self.understood.setdefault(field, {})[typed] = values
        return values

    def _label(self, field: str, values: list) -> Match:
        col = self.ia.facets.columns[field]
        wanted = [col.index[v] for v in values if v in col.index]
        if not wanted:
            return Match.empty()
        mask = np.isin(col.ords, wanted)
        docs = np.flatnonzero(mask & self.ia.live).astype(np.int64)
        return Match(docs, np.zeros(docs.size, dtype=np.float64))

    def _label_range(self, q: Q.NumericRange, within) -> Match:
        col = self.ia.facets.columns[q.fieldname]
        lo = q.start if q.start is not None else -(2 ** 62)
        hi = q.end if q.end is not None else 2 ** 62
        values = [v for v in col.index if lo <= int(v) <= hi]
        return _restrict(self._label(q.fieldname, values), within)

    def _expansion(self, q, within) -> Match:
        """A word prefix or wildcard: any of its words, each match scoring its boost (as Whoosh does)."""
        parts = []
        for word in self.ia.expansions(q):
            budget.check()
            docs, _w, _df = self.ia.postings(q.fieldname, word)
            parts.append(docs)
        if not any(p.size for p in parts):
            return Match.empty()
        docs = _merged_docs(parts)
        m = _restrict(Match(docs, np.full(docs.size, float(q.boost))), within)
        return m

    def _phrase(self, q: "Phrase", within) -> Match:
        """Documents whose normalised text contains the string, scored by its occurrences.

        A one- or two-character string is one gram: its postings are the answer.
        A longer one is looked up as the documents holding its rarest grams,
        then confirmed in each one's text.  Its idf comes from its rarest gram,
        whatever ``within`` is, so a document's score never depends on the
        rest of the query."""
        ia = self.ia
        grams = phrase_grams(q.text)
        if len(grams) == 1 and grams[0] == q.text:
            return self._term(Q.Term("grams", q.text, boost=q.boost), within)
        docs, counts = ia.occurrences(q.text, grams, within)
        fl = ia.lengths("text")[docs]
        stats = self.stats
        rarest = min(stats.doc_frequency("grams", g) for g in grams) if grams else stats.doc_count
        return Match(docs, q.boost * bm25(stats.idf(rarest), counts, fl, stats.avgfl("text")))
