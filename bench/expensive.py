"""The searches that used to stall a server (issue 20), in the shapes the limits allow.

Built from the index's own commonest characters and two-character strings, so
that they are as dear as the query language lets them be on any collection:

* 64 single-character phrases OR'ed (``"的" OR "和" OR …``);
* 64 single-character prefix wildcards (``的* OR 和* OR …``);
* 64 two-character prefix wildcards;
* 64 two-character terms OR'ed, 10,000 hits a page;

and a page with 5,000 repeated filter parameters.  `python -m bench` times
each (section "expensive"); `python -m bench.load --expensive` sends them from
one client while the others search normally.
"""

from __future__ import annotations

import time
import urllib.parse
from collections import Counter

from .load import fetch

SAMPLE_UNITS = 5000              # paragraphs read to find the commonest strings


def _is_han(s: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in s)


def common_strings(engine, n: int = 64) -> tuple[list[str], list[str]]:
    """The n characters and two-character strings most paragraphs hold (from a sample)."""
    ia = engine.snapshot().arrays
    docs = ia.all_docs[:: max(1, ia.all_docs.size // SAMPLE_UNITS)]
    chars, pairs = Counter(), Counter()
    for d in docs.tolist():
        t = ia.text(d)
        chars.update({c for c in t if _is_han(c)})
        pairs.update({t[i:i + 2] for i in range(len(t) - 1) if _is_han(t[i:i + 2])})
    return [c for c, _ in chars.most_common(n)], [p for p, _ in pairs.most_common(n)]


def expensive_searches(engine) -> list[tuple[str, dict]]:
    """(name, URL parameters) of each expensive shape."""
    chars, pairs = common_strings(engine)
    return [("64 single-character phrases", {"q": " OR ".join(f'"{c}"' for c in chars)}),
            ("64 single-character wildcards", {"q": " OR ".join(f"{c}*" for c in chars)}),
            ("64 two-character wildcards", {"q": " OR ".join(f"{p}*" for p in pairs)}),
            ("64 OR terms, limit 10000", {"q": " OR ".join(pairs), "limit": "10000"})]


def time_searches(engine, searches) -> dict:
    """name -> wall time of its first and second run, and whether it was answered."""
    from search.engine import search
    from search.results import RequestError, SearchRequest

    out = {}
    engine.snapshot()                       # opening the index is not the searches' cost
    for name, params in searches:
        runs = []
        for _ in range(2):
            t0 = time.perf_counter()
            try:
                req = SearchRequest.from_params(lambda k: [params[k]] if k in params else [], params.get)
                answer = f"answered, {search(engine, req).total} matches"
            except RequestError as e:           # QueryTooExpensive is one
                answer = f"refused: {e.code}"
            runs.append(round((time.perf_counter() - t0) * 1000, 1))
        out[name] = {"first_ms": runs[0], "again_ms": runs[1], "answer": answer}
    return out


def repeated_filters_url(base: str, path: str, values: int = 5000) -> str:
    return f"{base}{path}?q=" + urllib.parse.quote("发展") + "".join(f"&district=d{i}" for i in range(values))


def time_repeated_filters(base: str, values: int = 5000, rounds: int = 5) -> dict:
    """The page and the API with `values` district= parameters, over HTTP: status and ms (best, median)."""
    out = {}
    for path in ("/", "/api/search"):
        times, status = [], None
        for _ in range(rounds):
            t0 = time.perf_counter()
            status = fetch(repeated_filters_url(base, path, values), timeout=300)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        out[path] = {"status": status, "best_ms": round(times[0], 1), "median_ms": round(times[len(times) // 2], 1)}
    return out
