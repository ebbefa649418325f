"""What searches cost against what search/budget.py estimates: the data its weights come from.

    python -m bench.budget_fit --index DIR [--json OUT]

On an index (the weights were set on the 1M bench corpus: ``python -m bench
--paragraphs 1000000`` builds one, or bench.corpus.build_corpus and ``govsearch
index``), about 200 searches of every shape the budget prices: the bench
queries, phrases and words cut from the index's own texts, 2 to 64 ORed
characters, strings, wildcards and words, pages of 10 to 10,000 hits, pages grouped by report.  Each runs
on a freshly opened index (cold: no postings decoded yet, the cost the limit is
for) and once more (warm), measured in CPU time of the searching thread, with the
budget lifted so that nothing is refused.  Printed: the CPU time per unit of
estimate, the slowest searches the limit lets through and the cheapest it
refuses.  The limit should let through what takes up to about 0.5 s cold and
refuse what takes more, in that order as far as the estimate can tell.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys

SEED = 7
PHRASES = 60
ALL_WAYS = (2, 4, 8, 16, 32, 64)


def searches(engine) -> list[tuple[str, int, bool]]:
    """(query, limit, by report) of every shape, built from the index's own strings."""
    from .__main__ import QUERIES
    from .expensive import common_strings

    chars, pairs = common_strings(engine)
    cut = _cut_strings(engine)
    out = [(q, 10 * limit if limit > 1 else 10) for q, _naive, limit in QUERIES]
    out += [(f'"{s}"', 10) for s in cut] + [(s, 10) for s in cut]
    for k in ALL_WAYS:
        out += [(" OR ".join(f'"{c}"' for c in chars[:k]), 10), (" OR ".join(f"{c}*" for c in chars[:k]), 10),
                (" OR ".join(f"{p}*" for p in pairs[:k]), 10), (" OR ".join(pairs[:k]), 10)]
    for limit in (10, 100, 1000, 2000, 5000, 10000):
        out += [(" OR ".join(pairs[:8]), limit), ('"发展"', limit), ("改革", limit)]
    out += [(" ".join(cut[:k]), 10) for k in (2, 3, 4)] + [(" ".join(pairs[:k]), 10) for k in (2, 3, 4)]
    pages = [(q, limit, False) for q, limit in out]
    return pages + [(q, limit, True) for q in ('"发展"', "改革") for limit in (10, 100, 300, 700, 1000)]


def _cut_strings(engine) -> list[str]:
    """PHRASES strings of 2 to 8 Chinese characters cut at random from the index's texts."""
    ia = engine.snapshot().arrays
    docs = ia.all_docs[:: max(1, ia.all_docs.size // 3000)]
    texts = [ia.text(int(d)) for d in docs.tolist()]
    rnd, out = random.Random(SEED), []
    while len(out) < PHRASES:
        text, size = rnd.choice(texts), rnd.choice([2, 3, 4, 5, 6, 8])
        if len(text) > size + 1:
            start = rnd.randrange(len(text) - size)
            piece = text[start:start + size]
            if all("\u4e00" <= c <= "\u9fff" for c in piece):
                out.append(piece)
    return out


def measure(index: str, q: str, limit: int, by_report: bool) -> dict | None:
    """Cold and warm CPU seconds of one search on a freshly opened index, and its estimate
    (made on another opening, so that the search reads its wildcards' words itself)."""
    from search import budget
    from search.engine import Engine, check_expansions, full_query, search
    from search.query import parse_query
    from search.results import RequestError, SearchRequest

    req = SearchRequest(q=q, limit=limit, by_report=by_report)
    parsed = parse_query(req.q, req.match)
    full = full_query(parsed, req.filters)
    ia = Engine(index).snapshot().arrays
    try:
        check_expansions(ia, full)          # a wildcard of too many words is refused by its syntax
    except RequestError:
        return None
    marks = parsed.marks.count()
    estimate = budget.estimate(ia, full, len(parsed.terms), marks, req.page * req.limit, req.limit, req.by_report)
    del ia                                  # one opening at a time in memory
    engine = Engine(index)
    engine.snapshot()
    times = []
    for _ in range(2):
        start = budget.thread_cpu()
        search(engine, req)
        times.append(budget.thread_cpu() - start)
    return {"q": q, "limit": limit, "by_report": by_report, "estimate": estimate, "cold_s": times[0],
            "warm_s": times[1]}


def report(rows: list[dict], limit: float) -> str:
    allowed = sorted((r for r in rows if r["estimate"] <= limit), key=lambda r: -r["cold_s"])
    refused = sorted((r for r in rows if r["estimate"] > limit), key=lambda r: r["cold_s"])
    big = [r["cold_s"] / r["estimate"] * 1e6 for r in rows if r["estimate"] > 1e6]
    lines = [f"{len(rows)} searches; limit {limit:,.0f}: {len(allowed)} let through, {len(refused)} refused",
             f"cold CPU per unit of estimate over 1M units: median {statistics.median(big):.3f} µs, "
             f"max {max(big):.3f} µs ({len(big)} searches)" if big else "no search over 1M units",
             "slowest let through (cold ms, warm ms, estimate):"]
    lines += [_line(r) for r in allowed[:8]] + ["cheapest refused:"] + [_line(r) for r in refused[:8]]
    return "\n".join(lines)


def _line(r: dict) -> str:
    grouped = " by report" if r["by_report"] else ""
    return (f"  {r['cold_s'] * 1e3:8.1f} {r['warm_s'] * 1e3:8.1f} {r['estimate'] / 1e6:7.2f}M  {r['q'][:48]}  "
            f"limit {r['limit']}{grouped}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True, help="an index (the 1M bench corpus for the weights in budget.py)")
    ap.add_argument("--json", help="also write every search's figures here")
    args = ap.parse_args(argv)
    # lifted: every search runs to the end (search/budget.py reads them at each search)
    os.environ["GOVSEARCH_QUERY_BUDGET"], os.environ["GOVSEARCH_QUERY_SECONDS"] = "1e15", "1e6"
    from search import budget
    from search.engine import Engine

    if not os.path.isdir(args.index):
        sys.exit(f"budget_fit: --index {args.index}: no such folder")
    rows = [r for q, limit, by_report in searches(Engine(args.index))
            if (r := measure(args.index, q, limit, by_report))]
    print(report(rows, budget.MAX_COST))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
