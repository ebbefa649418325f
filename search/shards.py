"""A search over a sharded index: the same answer as one index holding every shard.

No Ray here: a shard is a ``ShardIndex`` (an ordinary index, opened once,
following its commits), and the coordinator talks to the shards through any
object with ``size`` and ``call(method, {shard: args}) -> {shard: result or
exception}`` (``LocalShards`` in this process; search/cluster.py's Ray actors).

Three phases, as Elasticsearch's dfs_query_then_fetch:

1. statistics: each shard counts N, total field lengths and the document
   frequency of every term the query scores, and lists the values of the
   fields its filters resolve against; the coordinator sums them;
2. query: each shard matches and scores with those global statistics (so
   every score is the one-index score), counts its facets and returns the
   keys of its best k; the coordinator sums the facets and merges the keys.
   When the one index would have ranked only its MAX_CANDIDATES best by array
   score (search/ranking.py), the shards rank again within that global bound;
3. fetch: the shards holding the page's hits make them (stored fields,
   highlights) from the same snapshot that ranked them.

A shard that fails or does not answer in time is left out and named in
``result.shards["failed"]``: the answer is partial, never an error.
"""

from __future__ import annotations

import functools
import heapq
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .compare import region_part
from .export import rows_at
from .keywords import selection_part, snapshot_weights
from .trends import trend_part
from .engine import (GROUP_SCAN, Engine, check_expansions, facet_counts, facet_values, full_query, group_order,
                     make_hit, match_and_facet_sets, page_fields, ranked_arrays, reading_places, relaxations,
                     report_rows, understood_filters)
from indexer.messages import library_detail, one_line
from indexer.metadata import region_order_key

from .facets import FACETS, sum_counts
from .matching import Evaluator
from .query import LabelFilter, QuerySyntaxError, parse_query
from . import budget, ranking
from .ranking import array_scores, best_by_array
from .reports import get_report
from .results import ReportGroup, RequestError, SearchRequest, SearchResult
from .stats import CollectionStats, scored_keys, shard_stats

KEPT_SNAPSHOTS = 2          # generations a shard keeps for the fetch phase of queries in flight


class ShardGone(RuntimeError):
    """The snapshot a query ranked on is no longer kept (many commits meanwhile)."""


@dataclass
class ShardAnswer:
    """One shard's part of a query: counts, and the keys of its best matches."""
    generation: tuple
    total: int
    facets: dict                                   # field -> [(value, count)]
    understood: dict                               # field -> typed value -> values
    ranked: list            # (tier, score, year, report id, para_no, docnum, array score, region), best first
    array_keys: tuple | None = None                # _array_keys: this shard's best by array score
    reports: dict = field(default_factory=dict)    # report id -> (count, (docnum, score), year)


@functools.lru_cache(maxsize=512)
def _parse(q: str, match: str):
    """parse_query, once per query text for the phases of a search (a parsed query
    is never changed once made): each phase and each shard asked it again."""
    return parse_query(q, match)


def _label_fields(query) -> list[str]:
    leaves = [query] if query.is_leaf() else list(query.leaves())
    return sorted({leaf.fieldname for leaf in leaves if isinstance(leaf, LabelFilter)})


class ShardIndex:
    """One shard, answering the coordinator's phases."""

    def __init__(self, index_dir: str):
        self.engine = Engine(index_dir)
        self._kept: OrderedDict = OrderedDict()
        self._lock = threading.Lock()            # LocalShards is called from many server threads

    def _snapshot(self):
        snap = self.engine.snapshot()
        with self._lock:
            self._kept[snap.generation] = snap
            self._kept.move_to_end(snap.generation)
            while len(self._kept) > KEPT_SNAPSHOTS:
                self._kept.popitem(last=False)
        return snap

    def stats(self, req: SearchRequest) -> tuple[CollectionStats, dict]:
        """This shard's statistics for the query's terms, and the values of its filters' fields."""
        full = full_query(_parse(req.q, req.match), req.filters)
        snap = self._snapshot()
        with snap.searching():
            stats = shard_stats(snap.arrays, scored_keys(full))
        return stats, _values(snap, _label_fields(full))

    def values(self, queries: list) -> dict:
        """The values of the fields the filters of these (q, filters, match) resolve against."""
        fields = {f for q, filters, match in queries for f in _label_fields(full_query(_parse(q, match), filters))}
        return _values(self._snapshot(), sorted(fields))

    # the analyses' parts (search/trends.py, keywords.py, export.py), summed by search/shard_analyses.py

    def trend(self, req, values: dict) -> dict:
        return trend_part(self._snapshot(), req, values)

    def selection(self, filters: dict, values: dict) -> dict:
        return selection_part(self._snapshot(), filters, values)

    def word_weights(self, known: tuple | None) -> tuple:
        """(generation, its live word weights), or (generation, None) when the
        coordinator already holds that generation's."""
        snap = self._snapshot()
        return snap.generation, (None if known == snap.generation else snapshot_weights(snap))

    def compare(self, req, stats: CollectionStats, values: dict) -> tuple:
        """(generation, each region's part of the compare grid), scored with the collection's statistics."""
        snap = self._snapshot()
        return snap.generation, [region_part(snap, req, region, stats, values) for region in req.regions]

    def rows(self, generation: tuple, docnums: list) -> list:
        """Export rows of these units, read from the snapshot that ranked them."""
        return rows_at(self._kept_snapshot(generation), docnums)

    def query(self, req: SearchRequest, stats: CollectionStats, values: dict, k: int,
              bound: tuple | None = None, floor: float | None = None) -> ShardAnswer:
        parsed = _parse(req.q, req.match)
        full = full_query(parsed, req.filters)
        snap = self._snapshot()
        # each shard prices and times its part as one index does its whole: a dear
        # search is refused (the coordinator passes the refusal on), and a call
        # the coordinator gave up on cannot hold the shard past the deadline
        with snap.searching(), budget.deadline():
            check_expansions(snap.arrays, full)
            budget.check_estimate(snap.arrays, parsed, full, req)
            evaluator = Evaluator(snap.arrays, stats, values)
            match, counted_over = match_and_facet_sets(evaluator, req, parsed, full)
            if not parsed.empty:
                match.scores = array_scores(snap.arrays, match.docs, match.scores, parsed.terms)
            relevance = req.sort == "relevance" and not parsed.empty
            inside = _inside(snap, match, bound) if bound is not None and relevance else None
            docs, scores, tiers = ranked_arrays(snap, parsed, req, match, k, inside, floor)
            array = match.scores[np.searchsorted(match.docs, docs)]
            answer = ShardAnswer(snap.generation, int(match.docs.size),
                                 facet_counts(snap, match.docs, counted_over),
                                 evaluator.understood, _keys(snap, docs, scores, tiers, array))
            if relevance and bound is None:
                best = best_by_array(match.scores, *_tiebreaks(snap, match.docs), match.docs, ranking.MAX_CANDIDATES)
                answer.array_keys = _array_keys(snap, match.docs[best], match.scores[best])
            if req.by_report:
                answer.reports = report_rows(snap, match)
        return answer

    def fetch(self, generation: tuple, items: list, q: str, match: str) -> list:
        """The hits of (docnum, score) items, made on the snapshot that ranked them."""
        snap = self._kept_snapshot(generation)
        marks = _parse(q, match).marks
        with budget.deadline():
            with snap.searching() as s:
                page = page_fields(snap, s, items)
            hits = []
            for f, score in page:
                budget.check()
                hits.append(make_hit(f, score, marks))
        return hits

    def _kept_snapshot(self, generation: tuple):
        snap = self._kept.get(tuple(generation))
        if snap is None:
            raise ShardGone(f"索引的第 {generation} 代已经关闭（有新的提交）")
        return snap

    def report(self, report_id: str, q: str, match: str, found: frozenset = frozenset(), problem=None):
        """A whole report this shard holds (search/reports.py), or None."""
        return get_report(self.engine, report_id, q=q, match=match, found=found, problem=problem)

    def ping(self) -> tuple:
        return self._snapshot().generation


def _values(snap, fields) -> dict:
    with snap.searching():
        return {f: [v for v in snap.facets.columns[f].values if v] for f in fields}


def _tiebreaks(snap, docs):
    years = snap.year_values[snap.facets.columns["year"].ords[docs]]
    return years, reading_places(snap, docs)


def _keys(snap, docs, scores, tiers, array) -> list:
    """(tier, score, year, report id, para_no, docnum, array score, region) per document."""
    col = snap.facets.columns["report_id"]
    region = snap.facets.columns["region"]
    regions = [str(region.values[o] or "") for o in region.ords[docs].tolist()]
    years = snap.year_values[snap.facets.columns["year"].ords[docs]].tolist()
    rids = [col.values[o] for o in col.ords[docs].tolist()]
    paras = (reading_places(snap, docs) & 0xFFFFFFFF).tolist()
    tiers = tiers.tolist() if tiers is not None else [0] * len(rids)
    return list(zip(tiers, scores.tolist(), years, rids, paras, docs.tolist(), array.tolist(), regions))


def _array_keys(snap, docs, scores) -> tuple:
    """(rounded array scores, years, report ids, para_nos) of these documents, as
    arrays (the ids as indices into a list of this shard's): a few thousand a query,
    so no tuple per document."""
    col = snap.facets.columns["report_id"]
    ords = col.ords[docs]
    uniq, idx = np.unique(ords, return_inverse=True)
    years = snap.year_values[snap.facets.columns["year"].ords[docs]]
    paras = reading_places(snap, docs) & 0xFFFFFFFF
    return np.round(scores, 9), years, [col.values[o] for o in uniq.tolist()], idx, paras


def _inside(snap, match, bound: tuple) -> np.ndarray:
    """Mask of the matches ranked no lower than ``bound`` (rounded array score, year,
    report id, para_no): this shard's share of the collection's MAX_CANDIDATES best."""
    b_score, b_year, b_rid, b_para = bound
    docs = match.docs
    col = snap.facets.columns["report_id"]
    names = [str(v or "") for v in col.values]
    ords = col.ords[docs]
    rid_lt = np.array([n < b_rid for n in names])[ords]
    rid_eq = np.array([n == b_rid for n in names])[ords]
    paras = reading_places(snap, docs) & 0xFFFFFFFF
    years = snap.year_values[snap.facets.columns["year"].ords[docs]]
    rounded = np.round(match.scores, 9)
    tie = (years > b_year) | ((years == b_year) & (rid_lt | (rid_eq & (paras <= b_para))))
    return (rounded > b_score) | ((rounded == b_score) & tie)


class LocalShards:
    """Shards opened in this process, called one after the other (no Ray)."""

    sequential = True

    def __init__(self, dirs):
        self.shards = [ShardIndex(str(d)) for d in dirs]
        self.size = len(self.shards)

    def call(self, method: str, args: dict) -> dict:
        out = {}
        for i, a in args.items():
            try:
                out[i] = getattr(self.shards[i], method)(*a)
            except (QuerySyntaxError, RequestError):
                raise
            except Exception as e:  # noqa: BLE001 - a shard's failure makes the answer partial
                out[i] = e
        return out


# --------------------------------------------------------------------------- the coordinator

def shard_failure(e: BaseException) -> str:
    """Why a shard did not answer, as a person reads it in the JSON: our own words when the
    exception carries them, else the library's in parentheses (never its class)."""
    said = one_line(str(e).split("\n", 1)[0])
    if any("\u4e00" <= ch <= "\u9fff" for ch in said):
        return said
    return "分片出错，没有答复" + library_detail(said)


class _Phases:
    """Calls to the shards still answering; failures remembered by shard."""

    def __init__(self, shards):
        self.shards = shards
        self.failed: dict[int, str] = {}

    def run(self, method: str, args: dict) -> dict:
        args = {i: a for i, a in args.items() if i not in self.failed}
        ok = {}
        for i, got in self.shards.call(method, args).items():
            if isinstance(got, (QuerySyntaxError, RequestError)):
                raise got
            if isinstance(got, BaseException):
                self.failed[i] = shard_failure(got)
            else:
                ok[i] = got
        return ok

    def summary(self) -> dict:
        n = self.shards.size
        return {"total": n, "ok": n - len(self.failed),
                "failed": [{"shard": i, "error": e} for i, e in sorted(self.failed.items())]}


def sharded_search(shards, req: SearchRequest) -> SearchResult:
    """search() over shards: the same result as one index, or a partial one flagged."""
    t0 = time.perf_counter()
    parsed = parse_query(req.q, req.match)        # a bad query fails here, as on one index
    calls = _Phases(shards)
    stats, values, asked = _statistics(calls, req)
    relevance = req.sort == "relevance" and not parsed.empty
    k = GROUP_SCAN if req.by_report else req.page * req.limit
    answers = _query_phase(calls, (req, stats, values, k), asked, relevance)
    merged = _merge_ranked(answers, relevance, req.sort)
    if relevance and sum(a.total for a in answers.values()) > ranking.MAX_CANDIDATES:
        merged = _within_bound(calls, req, (stats, values, k), answers, merged)
    understood = understood_filters(req, parsed, _resolutions(answers))
    counts = {f: sum_counts(f, [a.facets.get(f, []) for a in answers.values()]) for f in FACETS}
    result = SearchResult(query=req.q, total=sum(a.total for a in answers.values()), page=req.page,
                          limit=req.limit, took_ms=0.0, hits=[], facets=facet_values(counts, understood),
                          request=req, match=parsed.match, filters=understood)
    if req.by_report:
        _groups(calls, req, answers, merged, result)
    else:
        offset = (req.page - 1) * req.limit
        page = [(shard, it[5], it[1]) for shard, it in merged[offset:offset + req.limit]]
        result.hits = _fetch(calls, req, answers, page)
    result.shards = calls.summary()
    result.took_ms = (time.perf_counter() - t0) * 1000
    return result


def _query_phase(calls: "_Phases", asked_args: tuple, asked: list, relevance: bool) -> dict:
    """Every shard's answer to the query phase.  Shards called one after the other
    (LocalShards) pass on a floor: the k-th best score the shards before hold, below
    which a shard need not read its candidates' texts (they cannot enter the k best)."""
    req, stats, values, k = asked_args
    if not (relevance and getattr(calls.shards, "sequential", False)):
        return calls.run("query", {i: (req, stats, values, k, None) for i in asked})
    answers: dict = {}
    floor = None
    for i in asked:
        answers.update(calls.run("query", {i: (req, stats, values, k, None, floor)}))
        floor = _kth_score(answers, k)
    return answers


def _kth_score(answers: dict, k: int) -> float | None:
    """The k-th best rounded score the answers hold among their read candidates."""
    scores = [round(it[1], 9) for a in answers.values() for it in a.ranked if it[0] == 0]
    if len(scores) < k:
        return None
    return heapq.nlargest(k, scores)[-1]


def _statistics(calls: "_Phases", req) -> tuple[CollectionStats, dict, list]:
    """The collection's statistics for the query, summed over the shards; the values
    its filters resolve against, joined; the shards that answered."""
    gathered = calls.run("stats", {i: (req,) for i in range(calls.shards.size)})
    stats = CollectionStats.total(st for st, _ in gathered.values())
    values: dict[str, set] = {}
    for _st, vals in gathered.values():
        for f, vs in vals.items():
            values.setdefault(f, set()).update(vs)
    return stats, {f: sorted(vs) for f, vs in values.items()}, list(gathered)


def _within_bound(calls: "_Phases", req, asked: tuple, answers: dict, merged: list) -> list:
    """The merged ranking as one index makes it when it reorders only its
    MAX_CANDIDATES best by array score: when a merged hit lies past that bound
    (or the page reaches past it), the shards rank again within it."""
    stats, values, k = asked
    bound = _bound(answers)
    if k <= ranking.MAX_CANDIDATES and not any(_outside(item, bound) for item in merged[:k]):
        return merged
    again = calls.run("query", {i: (req, stats, values, k, bound) for i in answers})
    for i in list(answers):
        if i in again:
            answers[i].ranked = again[i].ranked
        else:
            del answers[i]
    return _merge_ranked(answers, True, req.sort)


def _resolutions(answers: dict) -> dict:
    """field -> typed value -> the values it was taken to mean, from every shard."""
    out: dict = {}
    for a in answers.values():
        for f, typed in a.understood.items():
            out.setdefault(f, {}).update(typed)
    return out


def sharded_relaxations(shards, req: SearchRequest):
    """relaxations() over shards: each suggestion's total from a sharded search."""
    return relaxations(shards, req, run=sharded_search)


def _merge_ranked(answers: dict, relevance: bool, sort: str) -> list:
    """[(shard, (tier, score, year, report id, docnum))] in the one index's order."""
    items = [(i, item) for i, a in answers.items() for item in a.ranked]
    if relevance:
        key = lambda it: (it[1][0], -round(it[1][1], 9), -it[1][2], it[1][3], it[1][4])  # noqa: E731
    elif sort == "year":       # browsing: by year, regions in the official order, report, paragraph
        key = lambda it: (it[1][2], region_order_key(it[1][7]), it[1][3], it[1][4])  # noqa: E731
    else:
        key = lambda it: (-it[1][2], region_order_key(it[1][7]), it[1][3], it[1][4])  # noqa: E731
    return sorted(items, key=key)


def _bound(answers: dict) -> tuple:
    """The collection's MAX_CANDIDATES-th best match by array score, as
    (rounded score, year, report id, para_no)."""
    parts = [a.array_keys for a in answers.values() if a.array_keys is not None]
    scores = np.concatenate([p[0] for p in parts])
    m = min(ranking.MAX_CANDIDATES, scores.size)
    at = -np.partition(-scores, m - 1)[m - 1]          # the m-th best score; ties ordered below
    above = int((scores > at).sum())
    ties = []
    for rounded, years, rids, idx, paras in parts:
        for i in np.flatnonzero(rounded == at).tolist():
            ties.append((-int(years[i]), rids[idx[i]], int(paras[i])))
    ties.sort()
    year, rid, para = ties[m - above - 1]
    return float(at), -year, rid, para


def _outside(item, bound: tuple) -> bool:
    """The item ranks below the bound by array score: one index would not have looked at it."""
    _shard, (_t, _score, year, rid, para, _doc, array, _region) = item
    b_score, b_year, b_rid, b_para = bound
    return (-round(array, 9), -year, rid, para) > (-b_score, -b_year, b_rid, b_para)


def _fetch(calls: _Phases, req, answers: dict, items: list) -> list:
    """Hits for [(shard, docnum, score)], in that order; a shard that fails is left out."""
    by_shard: dict[int, list] = {}
    for shard, doc, score in items:
        by_shard.setdefault(shard, []).append((doc, score))
    got = calls.run("fetch", {i: (answers[i].generation, its, req.q, req.match) for i, its in by_shard.items()})
    made = {}
    for i, hits in got.items():
        for (doc, _score), hit in zip(by_shard[i], hits):
            made[(i, doc)] = hit
    return [made[(shard, doc)] for shard, doc, _s in items if (shard, doc) in made]


def _groups(calls: _Phases, req, answers: dict, merged: list, result: SearchResult):
    rows = {rid: (count, (i, first[0], first[1]), year)
            for i, a in answers.items() for rid, (count, first, year) in a.reports.items()}
    result.total_reports = len(rows)
    scan = [(it[3], (i, it[5], it[1])) for i, it in merged[:GROUP_SCAN]]
    offset = (req.page - 1) * req.limit
    chosen = group_order(scan, rows, req.sort)[offset:offset + req.limit]
    hits = _fetch(calls, req, answers, [item for _rid, best in chosen for item in best])
    by_report: dict[str, list] = {}
    for h in hits:
        by_report.setdefault(h.report_id, []).append(h)
    groups = []
    for rid, _best in chosen:
        its = by_report.get(rid)
        if its:
            head = its[0]
            groups.append(ReportGroup(rid, head.title, head.region, head.year, head.type, rows[rid][0], its))
    result.groups = groups
    result.hits = [h for g in groups for h in g.hits]
