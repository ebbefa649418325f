"""Pool candidates for relevance judging: the top 20 of three rankers per query.

    python -m bench.relevance_pool --index DIR "营商环境,民营 经济 发展" pool.json
    python -m bench.relevance_pool --index DIR --judged --depth 30 --every-match-up-to 60 deep.json

The rankers are govsearch's (search/ranking.py), plain BM25 (the same matches with
the ranking adjustments switched off) and word matching.  ``--judged`` deepens the
judged set instead: every judged query, govsearch and plain BM25 to ``--depth``
(every match of a query with at most ``--every-match-up-to``), only the paragraphs
not judged yet (how the pool of 2026-11-23 was made).  Each candidate carries
what a judge reads (region, title, heading path, kind, text, and a bare heading's
section opening); judgements go to tests/relevance/judgments.json (see its README).
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager

import indexer.topics as topics
import search.ranking as ranking

from .eval_ranking import judge_view

_ADJUSTMENTS = ("HEADING_FACTOR", "UNDER_HEADING_BOOST", "ENUMERATION_PENALTY", "PROXIMITY_WEIGHT",
                "OPENING_PENALTY", "ONE_SENTENCE_FACTOR", "SHORT_POWER")
_PLAIN = {"HEADING_FACTOR": 1.0, "ONE_SENTENCE_FACTOR": 1.0}     # every other adjustment to 0 (SHORT_POWER 0: a factor of 1)


@contextmanager
def plain_bm25():
    """The ranking's adjustments switched off for the duration.  Search an engine of
    its own meanwhile: an index generation keeps each paragraph's shape factor once a
    search has read it, so the two rankers must not share one (plain_engine)."""
    saved = {name: getattr(ranking, name) for name in _ADJUSTMENTS}
    saved_topic = topics.TOPIC_WEIGHT
    try:
        for name in _ADJUSTMENTS:
            setattr(ranking, name, _PLAIN.get(name, 0.0))
        topics.TOPIC_WEIGHT = 0.0                   # the topic factor: exp(0) = 1 for every unit
        yield
    finally:
        for name, value in saved.items():
            setattr(ranking, name, value)
        topics.TOPIC_WEIGHT = saved_topic


def plain_engine(engine):
    """An engine on the same index whose kept shape factors are plain BM25's alone."""
    from search.engine import Engine

    return Engine(str(engine.store.root))


def rankings(engine, query: str, depth: int = 20, plain_with=None) -> dict[str, list]:
    """Each ranker's top ``depth`` hits.  ``plain_with``: the engine plain BM25
    searches (plain_engine(engine), made once for a run of queries)."""
    from search.engine import search
    from search.results import SearchRequest

    ranked = search(engine, SearchRequest(q=query, limit=depth)).hits
    words = search(engine, SearchRequest(q=query, limit=depth, match="words")).hits
    with plain_bm25():
        plain = search(plain_with or plain_engine(engine), SearchRequest(q=query, limit=depth)).hits
    return {"govsearch": ranked, "plain": plain, "words": words}


def pool(engine, query: str, depth: int = 20, plain_with=None) -> list[dict]:
    """The rankers' hits, each paragraph once, with what a judge reads, in the order of
    their keys (a hash): a judge reading the pool learns nothing of any ranker's order."""
    seen: dict[str, dict] = {}
    for hits in rankings(engine, query, depth, plain_with).values():
        for h in hits:
            view = judge_view(h)
            seen.setdefault(view["key"], view)
    return [seen[k] for k in sorted(seen)]


def deeper_pool(engine, query: str, judged: dict, depth: int, every_match_up_to: int, plain_with) -> list[dict]:
    """The paragraphs not in ``judged`` among govsearch's and plain BM25's top ``depth``
    (every match when the query has at most ``every_match_up_to``), in key order."""
    from search.engine import search
    from search.results import SearchRequest

    total = search(engine, SearchRequest(q=query, limit=1)).total
    depth = total if total <= every_match_up_to else depth
    hits = search(engine, SearchRequest(q=query, limit=depth)).hits
    with plain_bm25():
        hits += search(plain_with, SearchRequest(q=query, limit=depth)).hits
    seen = {v["key"]: v for v in map(judge_view, hits) if v["key"] not in judged}
    return [seen[k] for k in sorted(seen)]


def main(argv=None) -> None:
    from search.engine import Engine

    from .eval_ranking import JUDGMENTS

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--judged", action="store_true", help="deepen the judged queries' pools (no QUERIES)")
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--every-match-up-to", type=int, default=0)
    ap.add_argument("queries", nargs="?", help="queries separated by commas")
    ap.add_argument("out", help="the pool as JSON")
    args = ap.parse_args(argv)
    if args.judged == bool(args.queries):
        ap.error("give QUERIES or --judged")
    engine = Engine(args.index)
    plain = plain_engine(engine)
    if args.judged:
        judgments = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
        pools = {q: deeper_pool(engine, q, judged, args.depth, args.every_match_up_to, plain)
                 for q, judged in judgments.items()}
    else:
        pools = {q: pool(engine, q, args.depth, plain_with=plain) for q in args.queries.split(",")}
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(pools, fh, ensure_ascii=False, indent=1)
    print({q: len(v) for q, v in pools.items()})


if __name__ == "__main__":
    main()
