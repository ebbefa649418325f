"""search(): one function from a SearchRequest to a SearchResult.

The Engine keeps the open index for the current index generation (a
Snapshot: its reader, facet table and arrays, search/matching.py) and reopens
it when a new commit lands, so a long-running server follows reindexing
without a restart.  Matching and scoring happen in numpy (search/matching.py);
this module turns a match into a ranked page, facets and groups.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
from whoosh import query as Q
from whoosh.index import EmptyIndexError
from whoosh.searching import Searcher

from indexer.analysis import to_simplified
from indexer.store import IndexError_, IndexStore
from indexer.whoosh_format import open_reader

from . import budget
from .arrays import PostingsCache, SegmentTexts
from .facets import FACETS, FacetTable, reading_order
from .fields import BY_NAME
from .highlight import highlight, highlight_context
from .matching import Evaluator, IndexArrays, Match
from .query import MAX_WILDCARD_EXPANSION, QuerySyntaxError, filter_query, id_value, is_operator, parse_query
from .ranking import array_scores, is_bare_heading, top_k
from .results import FacetValue, Hit, Relaxation, ReportGroup, SearchRequest, SearchResult, reader_source, stored_year, written_section
from .units import UnitStore

log = logging.getLogger("govsearch.search")

GROUP_HITS = 3                 # paragraphs shown per report when grouped
GROUP_SCAN = 2000              # best paragraphs scanned to build report groups
MAX_RELAXATIONS = 12           # searches an empty result may run to find suggestions
# what people put between keywords (营商环境，优化): a term as written, which an empty
# result offers to search as separate terms
_TERM_SEPARATORS = re.compile(r"[，、；;]+|,(?!\d)|(?<!\d),")     # a comma inside a number (1,000) is none


class Snapshot:
    """One index generation, opened: never changes once made.

    Its one reader is opened from one table of contents, so the facet table and
    the searcher see the same documents under the same numbers, whatever
    commits land meanwhile.
    """

    def __init__(self, store: IndexStore, text_cache: dict | None = None, postings_cache=None,
                 vector_cache: dict | None = None):
        self.data_dir = store.current_dir()          # read CURRENT once: a swap may follow
        self.ix = store.open(data_dir=self.data_dir)
        toc_generation, reader = open_reader(self.ix)
        self.generation = (self.data_dir.name, toc_generation)
        # One reader for every thread.  Whoosh's readers seek and read shared
        # file objects, so two threads reading at once corrupt each other's
        # reads (a reader per thread would map every segment once per
        # thread): each read holds ``io``, one term's bytes or one unit's
        # stored fields at a time.  Everything else a search does works on
        # arrays this snapshot never changes, without the lock, so a search
        # that costs much never keeps the others from reading.
        self.io = threading.RLock()
        # the texts decompress in threads while the facet columns load (the two
        # largest costs of opening, about equal)
        texts = SegmentTexts(reader, "norm", text_cache)
        self.facets = FacetTable(reader, io=self.io)
        self.year_values = np.array([int(v or 0) for v in self.facets.columns["year"].values],
                                    dtype=np.int64)
        self.arrays = IndexArrays(reader, self.facets, text_cache, postings_cache, io=self.io, texts=texts,
                                  vector_cache=vector_cache)
        texts.parts                                  # opened means ready: wait for the texts here
        self.units = UnitStore(self.arrays)
        self.doc_count = reader.doc_count()
        self.searcher = Searcher(reader)

    @contextmanager
    def searching(self):
        """The searcher, for reading the reader directly: no other thread reads
        until the block ends (UnitStore and IndexArrays take ``io`` per read)."""
        with self.io:
            yield self.searcher


class Engine:
    """The open index behind a CLI call or a web server."""

    def __init__(self, index_dir: str):
        self.store = IndexStore(index_dir)
        self._snapshot: Snapshot | None = None
        self._stamp = None                  # the store's change stamp when last checked
        self._listed = 0.0                  # when the data folder was last listed (monotonic)
        self._lock = threading.Lock()
        # segment texts and postings carried from one generation to the next
        # (segments never change once written)
        self._text_cache: dict = {}
        self._vector_cache: dict = {}
        self.postings_cache = PostingsCache(limit=10_000_000)

    def snapshot(self) -> Snapshot:
        """The current generation's snapshot; reopened when the index has changed.

        Whether it changed is first asked of two stat calls (the CURRENT file and
        the data folder, which every commit and swap touch); only then are the
        folder's files listed for the generation.  File times can be as coarse as
        a few milliseconds, so a stat taken while a commit was landing may match
        the finished one: the files are listed anyway at least once a second."""
        snap = self._snapshot
        stamp = self.store.change_stamp(snap.data_dir if snap is not None else None)
        now = time.monotonic()
        if snap is not None and stamp is not None and stamp == self._stamp and now - self._listed < 1.0:
            return snap
        self._stamp, self._listed = stamp, now
        gen = self.store.generation()
        if snap is None or snap.generation != gen:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != self.store.generation():
                    for attempt in range(5):
                        try:
                            opened = time.monotonic()
                            snap = Snapshot(self.store, self._text_cache, self.postings_cache, self._vector_cache)
                            log.info("opened %s generation %s in %.2f s (%d paragraphs)", self.store.root,
                                     snap.generation[1], time.monotonic() - opened, snap.doc_count)
                            break
                        except (OSError, IndexError_, EmptyIndexError):
                            # a writer swapped or removed files as we opened them
                            if attempt == 4:
                                raise
                            time.sleep(0.1)
                    self._snapshot = snap
        return snap


def filters_query(filters: dict) -> list:
    return [filter_query(BY_NAME[name], values) for name, values in filters.items() if values]


def full_query(parsed, filters: dict):
    """The parsed query AND the request's filters: one tree for the Evaluator."""
    parts = [parsed.query] + filters_query(filters)
    parts = [p for p in parts if not isinstance(p, Q.Every)] or [Q.Every()]
    return parts[0] if len(parts) == 1 else Q.And(parts)


def evaluate(snap: Snapshot, q: str, filters: dict, match: str = "exact", stats=None, values=None):
    """(parsed query, every match scored as search ranks it, filters as understood):
    what search() starts from, for the analyses over matches (search/trends.py …).
    ``stats`` and ``values``: a sharded collection's (search/shards.py), so that a
    shard scores and resolves filters as the one index would."""
    parsed = parse_query(q, match)
    full = full_query(parsed, filters)
    # no lock held: matching reads the index through the snapshot's arrays, which
    # take the reader's lock for each read alone
    check_expansions(snap.arrays, full)
    evaluator = Evaluator(snap.arrays, stats, values)
    found = evaluator.run(full)
    if not parsed.empty:
        found.scores = array_scores(snap.arrays, found.docs, found.scores, parsed.terms)
    req = SearchRequest(q=q, filters=filters, match=match)
    return parsed, found, _understood(req, parsed, evaluator)


def search(engine: Engine, req: SearchRequest) -> SearchResult:
    """Run a search: every matching paragraph counted, one page ranked and highlighted."""
    t0 = time.perf_counter()
    parsed = parse_query(req.q, req.match)
    full = full_query(parsed, req.filters)

    snap = engine.snapshot()
    # no lock: the snapshot's arrays never change, and each read of its
    # reader takes the reader's lock for that read alone
    with budget.deadline():
        check_expansions(snap.arrays, full)
        budget.check_estimate(snap.arrays, parsed, full, req)
        result, pages = _search(snap, snap.searcher, req, parsed, full)
        for page, hits in pages:
            for f, score in page:
                budget.check()
                hits.append(make_hit(f, score, parsed.marks))
    if result.groups is not None:
        result.hits = [h for g in result.groups for h in g.hits]
    result.took_ms = (time.perf_counter() - t0) * 1000
    return result


def relaxations(engine, req: SearchRequest, run=None) -> list[Relaxation]:
    """For an empty result: the same search without each filter value, then without
    each term, keeping only those that find something (a suggestion never leads to
    another empty page).  ``run`` searches (a sharded search passes its own)."""
    run = run or search
    options = _relaxation_options(req)
    out = []
    # each option is one more search: only the first few, so a page with many
    # filter values costs a bounded amount, and all of them one search's deadline
    with budget.deadline():
        for kind, name, value, q, filters in options[:MAX_RELAXATIONS]:
            try:
                total = run(engine, replace(req, q=q, filters=filters, page=1, limit=1, by_report=False)).total
            except budget.QueryTooExpensive:
                break                   # no more suggestions: the page itself was answered
            except QuerySyntaxError:
                continue                # a piece dropped from 省份: 西藏 or 甲 OR 乙 leaves no query
            if total:
                out.append(Relaxation(kind, name, value, q, total))
    return out


def _relaxation_options(req: SearchRequest) -> list[tuple]:
    """(kind, name, value, q, filters) of each other search an empty result may offer:
    terms typed with Chinese punctuation between them searched apart, a filter value
    dropped, or a term dropped from a plain list of terms."""
    options = []
    terms = req.q.split()
    plain = not any(c in req.q for c in '"“”()（）＂') and not any(is_operator(t) for t in terms)
    apart = _TERM_SEPARATORS.sub(" ", req.q).split() if plain else []
    if len(apart) > len(terms):             # only where it makes more terms (not ，，，, not 1,000)
        options.append(("split", "q", req.q, " ".join(apart), req.filters))
    for name, values in req.filters.items():
        for v in values:
            rest = {n: [x for x in vs if not (n == name and x == v)] for n, vs in req.filters.items()}
            options.append(("filter", name, v, req.q, {n: vs for n, vs in rest.items() if vs}))
    # only from a plain list: dropping NOT (or the - of 营商环境 - 优化) would offer the opposite
    if len(terms) > 1 and plain:
        for i, t in enumerate(terms):
            options.append(("term", "q", t, " ".join(terms[:i] + terms[i + 1:]), req.filters))
    return options


def check_expansions(ia, query):
    """Refuse a word wildcard that stands for too many words, and wildcards that
    stand for too many together, before they run."""
    words = 0
    for leaf in query.leaves():
        if isinstance(leaf, (Q.Prefix, Q.Wildcard)) and leaf.fieldname == "text":
            n = len(ia.expansions(leaf))
            words += n
            budget.check_words(words)
            if n > MAX_WILDCARD_EXPANSION:
                raise QuerySyntaxError("wildcard_too_broad", f"“{leaf.text}…”可以代表超过 "
                                       f"{MAX_WILDCARD_EXPANSION} 个词：请多写一个字")


def _search(snap, s, req, parsed, full):
    """The result without hits, and [(stored fields and scores, list to fill)] pages."""
    evaluator = Evaluator(snap.arrays)
    match, counted_over = match_and_facet_sets(evaluator, req, parsed, full)
    if not parsed.empty:
        match.scores = array_scores(snap.arrays, match.docs, match.scores, parsed.terms)
    understood = _understood(req, parsed, evaluator)
    result = SearchResult(query=req.q, total=int(match.docs.size), page=req.page, limit=req.limit,
                          took_ms=0.0, hits=[],
                          facets=facet_values(facet_counts(snap, match.docs, counted_over), understood),
                          request=req, match=parsed.match, filters=understood)
    if req.by_report:
        return result, _grouped(s, snap, parsed, req, result, match)
    offset = (req.page - 1) * req.limit
    if offset >= result.total:
        return result, []
    page = ranked(snap, parsed, req, match, offset + req.limit)
    return result, [(page_fields(snap, s, page[offset:offset + req.limit]), result.hits)]


def _understood(req, parsed, evaluator) -> dict:
    return understood_filters(req, parsed, evaluator.understood)


def understood_filters(req, parsed, resolutions: dict) -> dict:
    """field -> the values its filters were taken to mean, request and query text alike."""
    out: dict[str, list] = {}
    typed = {BY_NAME[n].field: list(v) for n, v in req.filters.items()}
    for field, values in parsed.filters.items():
        typed.setdefault(field, []).extend(values)
    for field, values in typed.items():
        resolved = resolutions.get(field, {})
        for v in values:
            if BY_NAME[field].kind == "label":
                meant = resolved.get(to_simplified(v.strip()), [])
            else:
                meant = [id_value(BY_NAME[field], v)]
            known = out.setdefault(field, [])
            known.extend(x for x in meant if x not in known)
    return out


def match_and_facet_sets(evaluator, req, parsed, full):
    """The match, and for each facet field the request filters on, the documents its
    facet is counted over: the matches of the query and every other filter.

    Disjunctive faceting (as Meilisearch and Algolia count): a facet's own
    selection never hides its other values, so 重庆市 keeps its count once 四川省
    is chosen, and clicking it adds its paragraphs.  The query and the other
    filters are evaluated once; each facet filter is a mask over those
    documents, so n selected facet fields cost n masks, not n searches.
    (Complexity 16 counts the comprehensions' conditions; the steps are the three above.)"""
    own = [name for name, values in req.filters.items() if values and BY_NAME[name].facet]
    if not own:
        return evaluator.run(full), {}
    rest = [parsed.query] + filters_query({n: v for n, v in req.filters.items() if n not in own})
    rest = [p for p in rest if not isinstance(p, Q.Every)] or [Q.Every()]
    base = evaluator.run(rest[0] if len(rest) == 1 else Q.And(rest))
    masks = {name: np.isin(base.docs, evaluator.run(filter_query(BY_NAME[name], req.filters[name]),
                                                    base.docs).docs, assume_unique=True)
             for name in own}
    every = np.logical_and.reduce(list(masks.values()))
    match = Match(base.docs[every], base.scores[every])
    counted_over = {}
    for name in own:
        others = [m for n, m in masks.items() if n != name]
        keep = np.logical_and.reduce(others) if others else np.ones(base.docs.size, dtype=bool)
        counted_over[BY_NAME[name].field] = base.docs[keep]
    return match, counted_over


def facet_counts(snap, docnums, counted_over: dict | None = None) -> dict:
    """field -> [(value, count)]: over the matches, or, for a field the request
    filters on, over counted_over[field] (see match_and_facet_sets)."""
    counted_over = counted_over or {}
    return {field: snap.facets.count(field, counted_over.get(field, docnums)) for field in FACETS}


def facet_values(counts: dict, selected: dict) -> dict:
    """The facets a result shows: counts (in facet order: FacetTable.count and
    sum_counts order them), with the values a filter chose marked."""
    facets = {}
    for field in FACETS:
        chosen = {str(x) for x in selected.get(field, ())}
        values = [FacetValue(v, c, str(v) in chosen) for v, c in counts.get(field, [])]
        present = {str(fv.value) for fv in values}
        for sv in selected.get(field, ()):   # a chosen value stays visible at 0
            if str(sv) not in present and field != "year":
                values.append(FacetValue(sv, 0, True))
        facets[field] = values
    return facets


def page_fields(snap, s, page) -> list[tuple[dict, float]]:
    """Stored fields of a page's units; a bare heading carries the start of its section."""
    bare = is_bare_heading(snap.arrays, np.array([d for d, _ in page], dtype=np.int64))
    out = []
    for (d, score), heading in zip(page, bare.tolist()):
        budget.check()
        f = snap.units.fields(s, d)
        if heading:
            f["context"] = snap.units.section_start(s, d, f)
        out.append((f, score))
    return out


def years_of(snap, docs: np.ndarray) -> np.ndarray:
    col = snap.facets.columns["year"]
    return snap.year_values[col.ords[docs]]


def reading_places(snap, docs: np.ndarray) -> np.ndarray:
    """Each document's place for ties: its report id's rank in sorted order, then its
    paragraph number; the same order in one index and across shards (document
    numbers follow the writer, which may interleave reports)."""
    col = snap.facets.columns["report_id"]
    para = snap.facets.columns["para_no"]
    return (col.ranks()[col.ords[docs]] << 32) + para.numbers()[para.ords[docs]]


def ranked(snap, parsed, req, match, k: int) -> list[tuple[int, float]]:
    """The first k matches in the requested order, as (docnum, score)."""
    docs, scores, _tiers = ranked_arrays(snap, parsed, req, match, k)
    return [(int(d), float(sc)) for d, sc in zip(docs, scores)]


def ranked_arrays(snap, parsed, req, match, k: int, inside=None, floor=None):
    """(docs, scores, tiers) of the first k matches in the requested order.

    Relevance: by score, ties to the newer report, then by report id and
    paragraph number (the same whichever shard holds a paragraph).
    Only the candidates for the first k are sorted (search/ranking.py).  Year
    orders and browsing (no search words) sort by year, then reading order:
    regions in the official order, each report (by id) from its first paragraph.
    """
    docs, scores = match.docs, match.scores
    years, places = years_of(snap, docs), reading_places(snap, docs)
    if req.sort == "relevance" and not parsed.empty:
        return top_k(snap.arrays, docs, scores, parsed.terms, k, years, places, inside, floor)
    region, _report, _para = reading_order(snap.facets, docs)
    order = np.lexsort((docs, places, region, -years if req.sort != "year" else years))[:k]
    return docs[order], scores[order], np.zeros(order.size, dtype=np.int8)


def make_hit(f: dict, score: float, marks) -> Hit:
    text = f.get("text", "")
    hl = highlight(text, marks)
    return Hit(
        id=f.get("id", ""), report_id=f.get("report_id", ""), source=reader_source(f),
        title=f.get("title", ""), province=f.get("province", ""), city=f.get("city", ""),
        district=f.get("district", ""), region=f.get("region", ""), level=f.get("level", ""),
        year=stored_year(f.get("year")), date=f.get("date", ""), type=f.get("type", ""),
        section=f.get("section", ""), section_written=written_section(f), part=f.get("part", ""),
        heading_path=json.loads(f.get("heading_path") or "[]"), kind=f.get("kind", ""),
        para_no=int(f.get("para_no") or 0), text=text, highlight=hl.html(),
        score=score, highlight_ansi=hl.ansi(), url=f.get("url", ""), section_label=f.get("section_label", ""),
        context=highlight_context(f.get("context", ""), marks), script=f.get("script", "简"),
    )


def _grouped(s, snap, parsed, req, result, match):
    """Hits grouped by report: best reports first, each with its best paragraphs.

    Returns the pages of stored fields to turn into hits, one per group."""
    rows = report_rows(snap, match)
    result.total_reports = len(rows)
    rid_col = snap.facets.columns["report_id"]
    scan = [(rid_col.values[rid_col.ords[d]], (d, score)) for d, score in ranked(snap, parsed, req, match, GROUP_SCAN)]
    offset = (req.page - 1) * req.limit
    groups, pages = [], []
    for rid, best in group_order(scan, rows, req.sort)[offset:offset + req.limit]:
        page = page_fields(snap, s, best)
        head = page[0][0]
        group = ReportGroup(rid, head.get("title", ""), head.get("region", ""), stored_year(head.get("year")),
                            head.get("type", ""), rows[rid][0], [])
        groups.append(group)
        pages.append((page, group.hits))
    result.groups = groups
    return pages


def report_rows(snap, match) -> dict:
    """report id -> (matching paragraphs, (its first matching paragraph's docnum,
    score), year) for every report with a match."""
    by_place = np.argsort(reading_places(snap, match.docs), kind="stable")
    docnums, scores = match.docs[by_place], match.scores[by_place]
    rid_col = snap.facets.columns["report_id"]
    uniq, first, counts = np.unique(rid_col.ords[docnums], return_index=True, return_counts=True)
    years = years_of(snap, docnums[first]).tolist()
    return {rid_col.values[o]: (int(c), (int(docnums[i]), float(scores[i])), y)
            for o, i, c, y in zip(uniq.tolist(), first.tolist(), counts.tolist(), years)}


def group_order(scan, rows: dict, sort: str) -> list[tuple[str, list]]:
    """[(report id, its best items)] in the order groups are shown.

    ``scan``: (report id, item) of the best paragraphs, best first; reports
    whose paragraphs all ranked below the scan still get a group, at the end,
    with their first matching paragraph (``rows``: report id -> (count, first
    item, year)), by year for year orders, else by count; ties by report id."""
    order: list[str] = []
    best: dict[str, list] = {}
    for rid, item in scan:
        if rid not in best:
            best[rid] = []
            order.append(rid)
        if len(best[rid]) < GROUP_HITS:
            best[rid].append(item)
    rest = [rid for rid in rows if rid not in best]
    if sort in ("year", "-year"):
        sign = -1 if sort == "-year" else 1
        rest.sort(key=lambda r: (sign * rows[r][2], r))
    else:
        rest.sort(key=lambda r: (-rows[r][0], r))
    return [(rid, best[rid]) for rid in order] + [(rid, [rows[rid][1]]) for rid in rest]
