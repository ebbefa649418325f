"""Trends, keywords and exports over a sharded index: the one index's answers.

Each shard computes its part where its data lies (search/trends.py
``trend_part``: mentions, paragraphs, reports and characters per bucket value;
search/keywords.py ``selection_part``: a selection's paragraphs, reports and
the words of its cut, and the live word weights of its vocabulary), and the
coordinator sums them with the same functions one index uses for its own
single part.  Sums are exact because a report's paragraphs all lie in one
shard.  Filters resolve against every shard's values, as in a search.

An export ranks as a search does (search/shards.py: global statistics, the
shared candidate bound), over every match, then reads its rows a chunk at a
time from the shards holding them, in that global order.

An analysis needs every shard: a partial count would be a wrong number, not a
smaller one, so a shard that does not answer makes the analysis fail in one
line (``ShardsUnavailable``), unlike a search, which flags a partial result.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace

from indexer.store import IndexError_

from .compare import CompareRequest, compare, grid, region_from_parts
from .engine import Engine
from .export import CHUNK, export_rows
from .keywords import KeywordRequest, Selection, Vocabulary, keyness, keywords, reference_filters
from .query import parse_query
from . import ranking
from .results import SearchRequest
from .shards import _fetch, _merge_ranked, _Phases, _statistics, _within_bound, sharded_search
from .trends import TrendRequest, trend, trend_from_parts

EVERY = sys.maxsize               # k for "every match, ranked"


class ShardsUnavailable(IndexError_):
    """Some shard did not answer: an analysis over the others would be wrong."""


def _require_all(calls: _Phases):
    if calls.failed:
        names = "、".join(str(i) for i in sorted(calls.failed))
        raise ShardsUnavailable(f"{calls.shards.size} 个分片中有 {len(calls.failed)} 个没有响应（分片 {names}）："
                                f"统计与导出需要全部分片，请稍后再试")


def _all(calls: _Phases, method: str, args: tuple) -> list:
    """Every shard's answer to one call, in shard order; one missing fails the whole."""
    got = calls.run(method, {i: args for i in range(calls.shards.size)})
    _require_all(calls)
    return [got[i] for i in range(calls.shards.size)]


def _joined_values(calls: _Phases, queries: list) -> dict:
    """field -> every shard's values, for the filters of these (q, filters, match)."""
    joined: dict[str, set] = {}
    for vals in _all(calls, "values", (queries,)):
        for f, vs in vals.items():
            joined.setdefault(f, set()).update(vs)
    return {f: sorted(vs) for f, vs in joined.items()}


def sharded_trend(shards, req: TrendRequest) -> dict:
    """trend() over shards."""
    for term in req.terms:
        parse_query(term, req.match)                  # a bad term fails here, as on one index
    calls = _Phases(shards)
    values = _joined_values(calls, [("", req.filters, "exact")] + [(t, req.filters, req.match) for t in req.terms])
    return trend_from_parts(req, _all(calls, "trend", (req, values)))


class VocabularyCache:
    """The collection's vocabulary for the shards' current generations, kept on the
    coordinator: the shards send their word weights only when a generation changed."""

    def __init__(self):
        self._lock = threading.Lock()
        self._generations: tuple = ()
        self._weights: list = []
        self._vocab: Vocabulary | None = None

    def get(self, calls: _Phases) -> Vocabulary:
        with self._lock:
            known = self._generations
            calls_args = {i: (known[i] if i < len(known) else None,) for i in range(calls.shards.size)}
            got = calls.run("word_weights", calls_args)
            _require_all(calls)
            weights = [w if w is not None else self._weights[i] for i, (_g, w) in sorted(got.items())]
            generations = tuple(g for _i, (g, _w) in sorted(got.items()))
            if generations != known or self._vocab is None:
                total = weights[0].copy()
                for w in weights[1:]:
                    total.update(w)
                self._generations, self._weights, self._vocab = generations, weights, Vocabulary(total)
            return self._vocab


def _vocabulary(shards, calls: _Phases) -> Vocabulary:
    cache = getattr(shards, "vocabulary_cache", None)
    if cache is None:
        cache = shards.vocabulary_cache = VocabularyCache()
    return cache.get(calls)


def sharded_keywords(shards, req: KeywordRequest) -> dict:
    """keywords() over shards."""
    calls = _Phases(shards)
    ref_filters, what = reference_filters(req)
    queries = [("", req.filters, "exact")] + ([("", ref_filters, "exact")] if ref_filters else [])
    values = _joined_values(calls, queries)
    sel = Selection(_all(calls, "selection", (req.filters, values)), req.filters)
    ref = Selection(_all(calls, "selection", (ref_filters, values)), ref_filters, what) if ref_filters else None
    return keyness(_vocabulary(shards, calls), sel, ref, req)


def sharded_export(shards, req: SearchRequest):
    """export_rows() over shards: (total, iterator of rows in the search's order)."""
    parsed = parse_query(req.q, req.match)           # a bad query fails here, as on one index
    req = replace(req, page=1, by_report=False)
    calls = _Phases(shards)
    stats, values, asked = _statistics(calls, req)
    _require_all(calls)
    answers = calls.run("query", {i: (req, stats, values, EVERY, None) for i in asked})
    _require_all(calls)
    relevance = req.sort == "relevance" and not parsed.empty
    merged = _merge_ranked(answers, relevance, req.sort)
    total = sum(a.total for a in answers.values())
    if relevance and total > ranking.MAX_CANDIDATES:
        merged = _within_bound(calls, req, (stats, values, EVERY), answers, merged)
        _require_all(calls)
    order = [(shard, item[5]) for shard, item in merged]
    generations = {i: a.generation for i, a in answers.items()}

    def rows():
        for start in range(0, len(order), CHUNK):
            yield from _chunk_rows(calls, generations, order[start:start + CHUNK])

    return total, rows()


def _chunk_rows(calls: _Phases, generations: dict, chunk: list) -> list:
    by_shard: dict[int, list] = {}
    for shard, doc in chunk:
        by_shard.setdefault(shard, []).append(doc)
    got = calls.run("rows", {i: (generations[i], docs) for i, docs in by_shard.items()})
    _require_all(calls)
    made = {(i, doc): row for i, docs in by_shard.items() for doc, row in zip(docs, got[i])}
    return [made[key] for key in chunk]


def sharded_compare(shards, req: CompareRequest) -> dict:
    """compare() over shards: each shard ranks its cells with the collection's
    statistics, the coordinator keeps each cell's best and fetches them in one round."""
    parse_query(req.q, req.match)                    # a bad query fails here, as on one index
    calls = _Phases(shards)
    whole = SearchRequest(q=req.q, filters={**req.filters, "region": req.regions}, match=req.match)
    stats, values, _asked = _statistics(calls, whole)
    answers = _all(calls, "compare", (req, stats, values))
    shard_ids = list(range(calls.shards.size))
    rows = [region_from_parts(region, [parts[r] for _g, parts in answers], shard_ids)
            for r, region in enumerate(req.regions)]
    fetched, items = [], []
    for row in rows:
        for y, cell in row["found"].items():
            key, shard = cell.pop("best"), cell.pop("shard")
            if cell["paragraphs"] > ranking.MAX_CANDIDATES and y:
                cell["hit"] = _capped_best(shards, req, row["region"], y)
            else:
                fetched.append(cell)
                items.append((shard, key[4], key[0]))
    generations = {i: _Generation(g) for i, (g, _parts) in enumerate(answers)}
    hits = _fetch(calls, SearchRequest(q=req.q, match=req.match), generations, items)
    _require_all(calls)
    for cell, hit in zip(fetched, hits):
        cell["hit"] = hit
    return grid(req, rows)


class _Generation:
    """What _fetch reads of a shard's answer: the generation that ranked."""

    def __init__(self, generation):
        self.generation = generation


def _capped_best(shards, req: CompareRequest, region: str, year: int):
    """A cell past the ranking's candidate cap: its best as a search of that cell finds
    it (the search shares the cap's bound across shards, search/shards.py)."""
    cell = SearchRequest(q=req.q, filters={**req.filters, "region": [region], "year": [str(year)]},
                         match=req.match, limit=1)
    result = sharded_search(shards, cell)
    if result.shards["failed"]:
        raise ShardsUnavailable(f"{result.shards['total']} 个分片中有 {len(result.shards['failed'])} 个没有响应："
                                f"统计与导出需要全部分片，请稍后再试")
    return result.hits[0]


# --------------------------------------------------------------------------- one index or shards

def trend_over(index, req: TrendRequest) -> dict:
    """trend() over an Engine, or over shards (LocalShards, RayShards)."""
    return trend(index, req) if isinstance(index, Engine) else sharded_trend(index, req)


def keywords_over(index, req: KeywordRequest) -> dict:
    return keywords(index, req) if isinstance(index, Engine) else sharded_keywords(index, req)


def export_over(index, req: SearchRequest):
    return export_rows(index, req) if isinstance(index, Engine) else sharded_export(index, req)


def compare_over(index, req: CompareRequest) -> dict:
    return compare(index, req) if isinstance(index, Engine) else sharded_compare(index, req)
