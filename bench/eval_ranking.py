"""`make eval` (ranking): precision@10 on the judged queries over seeds + provinces.

The judgements (tests/relevance/judgments.json) were made by reading each
candidate paragraph, pooled from the top 20 of three rankers (this one, plain
BM25 and word matching), against the criteria in tests/relevance/README.md.
A paragraph is keyed by a hash of its normalised text, so judgements survive
renumbering; an unjudged paragraph in a top 10 counts as not relevant and is
reported, so that it can be judged.

    python -m bench.eval_ranking [--index DIR] [--json] [--unjudged FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from indexer.analysis import normalize
from search.ranking import BARE_BYTES

ROOT = Path(__file__).resolve().parent.parent
JUDGMENTS = ROOT / "tests" / "relevance" / "judgments.json"
PANELS = ROOT / "tests" / "relevance" / "panels.json"     # two more judges' verdicts: {query: {key: [[v, why], [v, why]]}}
# other queries, three judges each: {query: {key: [[v, why]] * 3}}
SECOND_SET = ROOT / "tests" / "relevance" / "second_set.json"   # chosen on (half A) and checked on (half B)
HELD_OUT = ROOT / "tests" / "relevance" / "held_out.json"       # only checked on
SOURCES = [ROOT / "seeds", ROOT / "tests" / "corpora" / "provinces-2026"]


def unit_key(text: str) -> str:
    """A paragraph's judgement key: its normalised text, hashed."""
    return hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()[:12]


def is_bare_heading(hit) -> bool:
    return hit.kind == "heading" or (hit.kind == "paragraph" and len(hit.text.encode("utf-8")) <= BARE_BYTES)


def load_judges() -> tuple[dict, dict]:
    """The first judges' verdicts (judgments.json) and the two panels' (panels.json)."""
    return (json.loads(JUDGMENTS.read_text(encoding="utf-8")),
            json.loads(PANELS.read_text(encoding="utf-8")))


def majority(judgments: dict, panels: dict) -> dict:
    """query -> key -> the verdict the figure counts: the majority of the three judges where
    both panels judged the paragraph, else the first judges' alone (a key judged later)."""
    out = {}
    for query, judged in judgments.items():
        votes = panels.get(query, {})
        out[query] = {key: int(v + sum(p[0] for p in votes[key]) >= 2) if len(votes.get(key, ())) == 2 else v
                      for key, v in judged.items()}
    return out


def three_judges(path: Path) -> tuple[dict, list[dict]]:
    """A set judged by three judges: its gold (their majority) and each judge's verdicts."""
    votes = json.loads(path.read_text(encoding="utf-8"))
    gold = {q: {k: int(sum(v[0] for v in vs) >= 2) for k, vs in judged.items()} for q, judged in votes.items()}
    return gold, [panel(votes, i) for i in range(3)]


def panel(panels: dict, which: int) -> dict:
    return {q: {k: votes[which][0] for k, votes in judged.items()} for q, judged in panels.items()}


def agreement(a: dict, b: dict) -> dict:
    """Raw agreement and Cohen's kappa of two judges over the paragraphs both judged."""
    pairs = [(v, b[q][k]) for q in a if q in b for k, v in a[q].items() if k in b[q]]
    n = len(pairs)
    if not n:
        return {"paragraphs": 0, "agree": None, "kappa": None}
    agree = sum(x == y for x, y in pairs) / n
    pa, pb = sum(x for x, _ in pairs) / n, sum(y for _, y in pairs) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    kappa = (agree - chance) / (1 - chance) if chance < 1 else None     # both judges gave one verdict only
    return {"paragraphs": n, "agree": round(agree, 3), "kappa": None if kappa is None else round(kappa, 3)}


def evaluate(index_dir: str, judgments: dict, others: dict | None = None) -> dict:
    """precision@10 and its ceilings by ``judgments``; with ``others`` (name -> another
    judge's verdicts), also what a ranking perfect for each judge scores by the others."""
    from search.engine import Engine, search
    from search.results import SearchRequest

    engine = Engine(index_dir)
    tops = {query: search(engine, SearchRequest(q=query, limit=10)).hits for query in judgments}
    rows = [_judge(query, judged, tops[query], _matched_keys(engine, query))
            for query, judged in judgments.items()]
    full = [r for r in rows if r["ideal"] == 1.0]
    return {**_figures(rows), "queries_with_10_relevant": len(full),
            "mean_p_at_10_where_10_relevant": _mean(full, "p_at_10"),
            "halves": {name: _figures(rows[start::2]) for name, start in HALVES},
            "matches_never_judged": sum(r["matches_never_judged"] for r in rows),
            "rows": rows, "unjudged": _unjudged(tops, judgments),
            "across_judges": _across_judges(engine, others) if others else {}}


def _across_judges(engine, judges: dict) -> dict:
    """"a -> b": precision@10 by judge b of the ranking perfect for judge a (a's relevant
    matches first, in govsearch's order): how far one judge's perfect ranking is from
    another's, the most a ranking can be asked to reach by any one judge."""
    from search.engine import search
    from search.results import SearchRequest

    queries = sorted(set.intersection(*(set(j) for j in judges.values())))
    order = {q: [unit_key(h.text) for h in search(engine, SearchRequest(q=q, limit=5000)).hits] for q in queries}
    out = {}
    for a, by_a in judges.items():
        perfect = {q: ([k for k in order[q] if by_a[q].get(k) == 1] +
                       [k for k in order[q] if by_a[q].get(k) != 1])[:10] for q in queries}
        for b, by_b in judges.items():
            if a != b:
                found = sum(by_b[q].get(k) == 1 for q in queries for k in perfect[q])
                out[f"{a} -> {b}"] = round(found / 10 / len(queries), 3)
    return out


def judge_view(hit) -> dict:
    """What a judge reads of a paragraph: where it stands, its text, and a bare
    heading's section opening (``next``)."""
    return {"key": unit_key(hit.text), "region": hit.region, "title": hit.title,
            "heading_path": hit.heading_path, "kind": hit.kind, "text": hit.text, "next": hit.context}


def _unjudged(tops: dict, judgments: dict) -> dict:
    """query -> the unjudged paragraphs of its top 10, in the order of their keys (a hash),
    so that whoever judges them learns nothing of the ranking."""
    out = {}
    for query, hits in tops.items():
        views = {v["key"]: v for v in map(judge_view, hits) if v["key"] not in judgments[query]}
        if views:
            out[query] = [views[k] for k in sorted(views)]
    return out


# Two fixed halves of the judged queries (alternate entries of judgments.json): a ranking
# change is chosen on the first and must not hurt the second, so that the figure is not
# one tuned to the very queries it is measured on.
HALVES = (("A", 0), ("B", 1))


def _figures(rows: list[dict]) -> dict:
    """Plain precision@10 (with its ceilings) and precision@10 normalised to a ceiling of 1."""
    return {"queries": len(rows), "mean_p_at_10": _mean(rows, "p_at_10"),
            "ideal_p_at_10": _mean(rows, "ideal"), "reachable_p_at_10": _mean(rows, "reachable"),
            # a query with no relevant paragraph has no normalised figure (0 of 0): left out
            "mean_normalised_p_at_10": _mean([r for r in rows if r["normalised"] is not None], "normalised")}


def _matched_keys(engine, query: str) -> set:
    """The judgement keys of every paragraph the query matches: some judged relevant
    paragraphs came from the word-matching pool and hold no form of the query, so no
    ranking of the matches can return them."""
    from search.engine import evaluate as match_all

    snap = engine.snapshot()
    _parsed, found, _understood = match_all(snap, query, {})
    return {unit_key(snap.arrays.text(int(d))) for d in found.docs.tolist()}


def _mean(rows: list[dict], key: str) -> float | None:
    return round(sum(r[key] for r in rows) / len(rows), 3) if rows else None


def _fig(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _judge(query: str, judged: dict, hits: list, matched: set) -> dict:
    """One query's top 10 against its judgements (1 relevant, 0 not, absent: unjudged);
    ``matched``: the keys of every paragraph the query matches."""
    keys = [unit_key(h.text) for h in hits]
    found = sum(1 for k in keys if judged.get(k) == 1)
    attainable = min(10, sum(1 for g in judged.values() if g == 1))
    reachable = min(10, sum(1 for k in matched if judged.get(k) == 1))
    return {"query": query, "p_at_10": found / 10, "ideal": attainable / 10, "reachable": reachable / 10,
            "normalised": found / attainable if attainable else None, "hits": len(hits),
            "unjudged": sum(1 for k in keys if k not in judged),
            "matches_never_judged": len(matched - judged.keys()),
            "bare_headings": sum(1 for h in hits if is_bare_heading(h)),
            "single_term": len(query.split()) == 1}


def build_index(folder: str) -> str:
    from indexer.writer import index_paths

    run = index_paths(folder, [str(p) for p in SOURCES])
    if run.failed:
        sys.exit(f"eval: indexing failed: {run.failed}")
    return folder


def _write_unjudged(path: str, unjudged: dict) -> None:
    Path(path).write_text(json.dumps(unjudged, ensure_ascii=False, indent=1), encoding="utf-8")
    n = sum(len(v) for v in unjudged.values())
    print(f"eval: {n} unjudged paragraphs of the top 10s written to {path}, in the order of their keys: "
          f"have them judged by someone who does not know the ranking, then add the verdicts to "
          f"{JUDGMENTS.relative_to(ROOT)}", file=sys.stderr)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", help="an index of seeds + provinces (default: built in a temp folder)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--unjudged", metavar="FILE",
                    help="write the unjudged paragraphs of the top 10s here (JSON, for a judge)")
    args = ap.parse_args(argv)
    first, panels = load_judges()
    judges = {"first judges": first, "panel 1": panel(panels, 0), "panel 2": panel(panels, 1)}
    if args.index and not Path(args.index, "CURRENT").exists():
        sys.exit(f"eval: --index {args.index}: no index there (build one with `govsearch index --index "
                 f"{args.index} seeds tests/corpora/provinces-2026`)")
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index or build_index(tmp)
        report = evaluate(index, majority(first, panels), others=judges)
        by_first = evaluate(index, first)
        report["second_set"] = _three_judge_figures(index, SECOND_SET)
        report["held_out"] = _three_judge_figures(index, HELD_OUT)
    report["by_first_judges"] = {k: by_first[k] for k in ("mean_p_at_10", "mean_normalised_p_at_10", "halves")}
    report["agreement"] = {f"{a} / {b}": agreement(judges[a], judges[b])
                           for a, b in (("first judges", "panel 1"), ("first judges", "panel 2"),
                                        ("panel 1", "panel 2"))}
    if args.unjudged:
        _write_unjudged(args.unjudged, report["unjudged"])
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return
    _print(report)


def _three_judge_figures(index: str, path: Path) -> dict:
    gold, judges = three_judges(path)
    report = evaluate(index, gold, others={f"judge {i + 1}": j for i, j in enumerate(judges)})
    return {**{k: report[k] for k in ("queries", "mean_p_at_10", "reachable_p_at_10", "mean_normalised_p_at_10",
                                      "halves", "across_judges", "rows", "unjudged", "matches_never_judged")},
            "agreement": {f"{i + 1} / {j + 1}": agreement(judges[i], judges[j]) for i, j in ((0, 1), (0, 2), (1, 2))}}


def _print_three_judges(name: str, part: dict, halves: bool) -> None:
    print(f"{name}: precision@10 = {part['mean_p_at_10']:.3f} over {part['queries']} other queries (three judges "
          f"each, the majority counted); a perfect ranking of their judged matches reaches "
          f"{part['reachable_p_at_10']:.3f} (most have fewer than 10 relevant paragraphs in the pool; "
          f"{part['matches_never_judged']} matches were never judged: the pools hold the top 30 of three "
          f"rankers); "
          f"normalised {_fig(part['mean_normalised_p_at_10'])} (over the queries with a relevant paragraph)")
    if halves:
        print("         " + "; ".join(f"half {h}: {f['mean_p_at_10']:.3f} of {f['reachable_p_at_10']:.3f}, "
                                     f"normalised {_fig(f['mean_normalised_p_at_10'])}"
                                     for h, f in part["halves"].items()))
    print("         judges agree: " + _agreement_words(part["agreement"]))
    across = part["across_judges"]
    print(f"         a ranking perfect for one judge scores {min(across.values()):.3f}-"
          f"{max(across.values()):.3f} by another")
    print("  " + "  ".join(f"{r['query']} {r['p_at_10']:.1f}/{r['reachable']:.1f}" for r in part["rows"])
          + "".join(f"\n  {q}: {len(v)} unjudged in its top 10" for q, v in part["unjudged"].items()))


def _agreement_words(agreement: dict) -> str:
    return "; ".join(f"{pair} " + ("no paragraph judged by both" if a["agree"] is None else
                                   f"{a['agree']:.0%} (kappa " + ("n/a" if a["kappa"] is None else f"{a['kappa']:.2f}")
                                   + ")")
                     for pair, a in agreement.items())


def _print(report: dict) -> None:
    first = report["by_first_judges"]
    print(f"ranking: precision@10 = {report['mean_p_at_10']:.3f} over {report['queries']} judged queries "
          f"(seeds + provinces), by the majority of three judges; a perfect ranking would reach "
          f"{report['ideal_p_at_10']:.3f}")
    print(f"         by the first judges alone: {first['mean_p_at_10']:.3f} (half A "
          f"{first['halves']['A']['mean_p_at_10']:.3f}, B {first['halves']['B']['mean_p_at_10']:.3f})")
    print("         judges agree: " + _agreement_words(report["agreement"]))
    across = report["across_judges"]
    print(f"         a ranking perfect for one judge scores {min(across.values()):.3f}-{max(across.values()):.3f} "
          f"by another (" + ", ".join(f"{k} {v:.3f}" for k, v in across.items()) + ")")
    print(f"         a perfect ranking of the queries' own matches reaches {report['reachable_p_at_10']:.3f} "
          f"(some paragraphs judged relevant hold no form of their query)")
    print(f"         precision@10 = {_fig(report['mean_p_at_10_where_10_relevant'])} over the "
          f"{report['queries_with_10_relevant']} queries with at least 10 relevant paragraphs judged")
    print(f"         normalised precision@10 = {_fig(report['mean_normalised_p_at_10'])} (ceiling 1): relevant "
          f"paragraphs in the top 10 divided by min(10, relevant paragraphs judged), per query")
    for name, half in report["halves"].items():
        print(f"         half {name} ({half['queries']} queries, every other one from the "
              f"{'first' if name == 'A' else 'second'}): precision@10 = {half['mean_p_at_10']:.3f} "
              f"of {half['ideal_p_at_10']:.3f} ({half['reachable_p_at_10']:.3f} matched), "
              f"normalised {_fig(half['mean_normalised_p_at_10'])}")
    for r in report["rows"]:
        flags = []
        if r["unjudged"]:
            flags.append(f"{r['unjudged']} unjudged")
        if r["single_term"] and r["bare_headings"] > 1:
            flags.append(f"{r['bare_headings']} bare headings")
        print(f"  {r['p_at_10']:.1f} of {r['ideal']:.1f} ({r['reachable']:.1f} matched)  {r['query']}"
              + (f"  ({', '.join(flags)})" if flags else ""))
    worst = max((r["bare_headings"] for r in report["rows"] if r["single_term"]), default=0)
    print(f"bare headings in a single-term top 10: at most {worst}")
    _print_three_judges("second set", report["second_set"], halves=True)
    _print_three_judges("held out", report["held_out"], halves=False)


if __name__ == "__main__":
    main()
