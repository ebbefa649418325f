"""`make eval`'s ceilings (bench/eval_ranking.py) against a substring scan of the corpus."""

from __future__ import annotations

import json

from bench.eval_ranking import JUDGMENTS, evaluate, unit_key


def test_the_matched_ceiling_counts_only_relevant_paragraphs_holding_the_query(corpus_index, corpus_units):
    judgments = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    report = evaluate(corpus_index, judgments)
    rows = {r["query"]: r for r in report["rows"]}
    # 稳就业 has no synonym group: a paragraph matches exactly when its text holds the string
    judged = judgments["稳就业"]
    holding = {unit_key(u["text"]) for u in corpus_units if "稳就业" in u["norm"]}
    relevant_everywhere = sum(1 for g in judged.values() if g == 1)
    relevant_holding = sum(1 for k, g in judged.items() if g == 1 and k in holding)
    assert relevant_holding < min(10, relevant_everywhere)          # the case the ceiling is for
    assert rows["稳就业"]["reachable"] == min(10, relevant_holding) / 10
    assert rows["稳就业"]["ideal"] == min(10, relevant_everywhere) / 10
    for r in report["rows"]:
        assert r["p_at_10"] <= r["reachable"] <= r["ideal"], r["query"]
    assert report["mean_p_at_10"] <= report["reachable_p_at_10"] <= report["ideal_p_at_10"]
