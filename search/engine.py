"""search(): one function from a SearchRequest to a SearchResult.

The Engine keeps the open index, its facet table and per-thread searchers for
the current index generation, and reopens them when a new commit lands, so a
long-running server follows reindexing without a restart.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
from whoosh import query as Q
from whoosh import scoring, sorting
from whoosh.index import TOC, FileIndex
from whoosh.searching import Searcher

from indexer.store import IndexStore

from .facets import FACETS, FacetTable
from .highlight import highlight
from .query import filter_query, parse_query
from .results import FacetValue, Hit, ReportGroup, SearchRequest, SearchResult

GROUP_HITS = 3                 # paragraphs shown per report when grouped
GROUP_SCAN = 2000              # best paragraphs scanned to build report groups


class Snapshot:
    """One index generation, opened: never changes once made.

    Every reader it hands out is opened from the same table of contents, so the
    facet table (built from one reader) and each thread's searcher always see
    the same documents under the same numbers, whatever commits land meanwhile.
    """

    def __init__(self, store: IndexStore):
        self.ix = store.open()
        self.data_dir = store.current_dir()
        self.toc = TOC.read(self.ix.storage, self.ix.indexname, schema=self.ix.schema)
        self.generation = (self.data_dir.name, self.toc.generation)
        self._local = threading.local()
        reader = self._open_reader()
        try:
            self.facets = FacetTable(reader)
            self.doc_count = reader.doc_count()
        finally:
            reader.close()

    def _open_reader(self):
        return FileIndex._reader(self.ix.storage, self.toc.schema, list(self.toc.segments),
                                 self.toc.generation)

    def searcher(self):
        s = getattr(self._local, "searcher", None)
        if s is None:
            s = Searcher(self._open_reader(), weighting=scoring.BM25F(B=0.6, K1=1.2))
            self._local.searcher = s
        return s


class Engine:
    """The open index behind a CLI call or a web server."""

    def __init__(self, index_dir: str):
        self.store = IndexStore(index_dir)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The current generation's snapshot; reopened when the index has changed."""
        gen = self.store.generation()
        snap = self._snapshot
        if snap is None or snap.generation != gen:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != self.store.generation():
                    for attempt in range(5):
                        try:
                            snap = Snapshot(self.store)
                            break
                        except OSError:       # a writer swapped files as we opened them
                            if attempt == 4:
                                raise
                            time.sleep(0.05)
                    self._snapshot = snap
        return snap


def _filters_query(filters: dict) -> list:
    return [filter_query(field, values) for field, values in filters.items() if values]


def search(engine: Engine, req: SearchRequest) -> SearchResult:
    """Run a search: every matching paragraph counted, one page ranked and highlighted."""
    t0 = time.perf_counter()
    parsed = parse_query(req.q)
    parts = [parsed.query] + _filters_query(req.filters)
    parts = [p for p in parts if not isinstance(p, Q.Every)] or [Q.Every()]
    full = parts[0] if len(parts) == 1 else Q.And(parts)

    snap = engine.snapshot()
    s = snap.searcher()
    docnums = np.fromiter(s.docs_for_query(full), dtype=np.int64)
    total = int(docnums.size)

    selected = {f: set(v) for f, v in req.filters.items()}
    for f, v in parsed.filters.items():
        selected.setdefault(f, set()).update(v)
    facets = {}
    for field in FACETS:
        values = [FacetValue(v, c, str(v) in {str(x) for x in selected.get(field, ())})
                  for v, c in snap.facets.count(field, docnums)]
        present = {str(fv.value) for fv in values}
        for sv in selected.get(field, ()):   # a chosen value stays visible at 0
            if sv not in present and field != "year":
                values.append(FacetValue(sv, 0, True))
        facets[field] = values

    result = SearchResult(query=req.q, total=total, page=req.page, limit=req.limit, took_ms=0.0,
                          hits=[], facets=facets, request=req)
    scoring_q = Q.AndMaybe(full, parsed.boost) if parsed.boost is not None else full
    if req.by_report:
        _grouped(s, snap, scoring_q, parsed, req, result, docnums)
    else:
        offset = (req.page - 1) * req.limit
        if offset < total:
            results = s.search(scoring_q, limit=offset + req.limit, sortedby=_sort_facets(req, parsed),
                               terms=False)
            for sh in results[offset:offset + req.limit]:
                result.hits.append(_make_hit(sh, parsed.highlight))
    result.took_ms = (time.perf_counter() - t0) * 1000
    return result


def _score_of(sh) -> float:
    """The relevance score of a hit, also when it was sorted by a facet list."""
    key = sh.score
    if isinstance(key, tuple):
        floats = [k for k in key if isinstance(k, float)]
        return -floats[0] if floats else 0.0
    return float(key or 0.0)


def _sort_facets(req: SearchRequest, parsed):
    if req.sort == "year":
        return [sorting.FieldFacet("year"), sorting.ScoreFacet(), sorting.FieldFacet("para_no")]
    if req.sort == "-year" or parsed.empty:
        return [sorting.FieldFacet("year", reverse=True), sorting.ScoreFacet(),
                sorting.FieldFacet("report_id"), sorting.FieldFacet("para_no")]
    # relevance, ties broken by recency, then reading order
    return [sorting.ScoreFacet(), sorting.FieldFacet("year", reverse=True),
            sorting.FieldFacet("para_no")]


def _make_hit(sh, terms: list[str]) -> Hit:
    f = sh.fields()
    text = f.get("text", "")
    hl = highlight(text, terms)
    return Hit(
        id=f.get("id", ""), report_id=f.get("report_id", ""), source=f.get("source", ""),
        title=f.get("title", ""), province=f.get("province", ""), city=f.get("city", ""),
        district=f.get("district", ""), region=f.get("region", ""), level=f.get("level", ""),
        year=int(f.get("year") or 0), date=f.get("date", ""), type=f.get("type", ""),
        section=f.get("section", ""), part=f.get("part", ""),
        heading_path=json.loads(f.get("heading_path") or "[]"), kind=f.get("kind", ""),
        para_no=int(f.get("para_no") or 0), text=text, highlight=hl.html(),
        score=_score_of(sh), highlight_ansi=hl.ansi(),
    )


def _grouped(s, snap, scoring_q, parsed, req, result, docnums):
    """Hits grouped by report: best reports first, each with its best paragraphs."""
    report_counts = dict(snap.facets.count("report_id", docnums))
    result.total_reports = len(report_counts)
    results = s.search(scoring_q, limit=GROUP_SCAN, sortedby=_sort_facets(req, parsed), terms=False)
    order: list[str] = []
    best: dict[str, list] = {}
    for sh in results:
        rid = sh["report_id"]
        if rid not in best:
            best[rid] = []
            order.append(rid)
        if len(best[rid]) < GROUP_HITS:
            best[rid].append(sh)
    # reports whose paragraphs all ranked below the scan still get a group, at the end
    for rid in report_counts:
        if rid not in best:
            order.append(rid)
            best[rid] = []
    offset = (req.page - 1) * req.limit
    groups = []
    for rid in order[offset:offset + req.limit]:
        hits = [_make_hit(sh, parsed.highlight) for sh in best[rid]]
        if not hits:
            docnum = next(s.docs_for_query(Q.And([Q.Term("report_id", rid), scoring_q])), None)
            if docnum is None:
                continue
            hits = [_hit_from_docnum(s, docnum, parsed.highlight)]
        h0 = hits[0]
        groups.append(ReportGroup(rid, h0.title, h0.region, h0.year, h0.type,
                                  report_counts.get(rid, len(hits)), hits))
        result.hits.extend(hits)
    result.groups = groups


class _StoredHit:
    def __init__(self, fields):
        self._f = fields
        self.score = 0.0

    def fields(self):
        return self._f

    def __getitem__(self, k):
        return self._f[k]


def _hit_from_docnum(s, docnum, terms):
    return _make_hit(_StoredHit(s.stored_fields(docnum)), terms)
