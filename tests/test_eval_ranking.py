"""The judged set's tools: `make eval`'s ceilings (bench/eval_ranking.py) against a
substring scan of the corpus, and the judging pool's plain BM25 ranker
(bench/relevance_pool.py) against the matches' BM25F scores."""

from __future__ import annotations

import json

import numpy as np

from bench.eval_ranking import JUDGMENTS, evaluate, unit_key
from bench.relevance_pool import plain_engine, pool, rankings


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


def test_the_pools_plain_ranker_is_bm25_alone_after_the_ranker_has_run(corpus_engine):
    """The pool's second ranker orders by BM25F with no adjustment, whatever searches ran
    before: an index generation keeps the shape factors a search has read, and the plain
    ranker must not take the real ranker's (nor leave it its own)."""
    from search.engine import full_query
    from search.matching import Evaluator
    from search.query import parse_query

    plain = plain_engine(corpus_engine)
    for query in ("营商环境", "科技创新", "民营 经济 发展"):
        snap = corpus_engine.snapshot()
        bm25 = Evaluator(snap.arrays).run(full_query(parse_query(query), {})).scores
        expected = sorted(np.round(bm25, 9).tolist(), reverse=True)[:20]
        got = rankings(corpus_engine, query, 20, plain_with=plain)
        assert [round(h.score, 9) for h in got["plain"]] == expected, query
        assert got["govsearch"] and got["words"]


def test_the_pool_holds_every_rankers_hits_in_an_order_that_says_nothing_of_rank(corpus_engine):
    plain = plain_engine(corpus_engine)
    got = rankings(corpus_engine, "债务风险", 20, plain_with=plain)
    keys = [c["key"] for c in pool(corpus_engine, "债务风险", 20, plain_with=plain)]
    assert keys == sorted({unit_key(h.text) for hits in got.values() for h in hits})


def test_the_unjudged_of_the_top_10s_are_listed_for_a_judge_in_key_order(corpus_index, corpus_engine):
    from search.engine import search
    from search.results import SearchRequest

    top = search(corpus_engine, SearchRequest(q="营商环境", limit=10)).hits
    judged_but_three = {unit_key(h.text): 1 for h in top[3:]}
    every = {unit_key(h.text): 0 for h in search(corpus_engine, SearchRequest(q="稳就业", limit=10)).hits}
    report = evaluate(corpus_index, {"营商环境": judged_but_three, "稳就业": every})
    listed = report["unjudged"]
    assert list(listed) == ["营商环境"]
    assert [v["key"] for v in listed["营商环境"]] == sorted(unit_key(h.text) for h in top[:3])
    assert all(unit_key(v["text"]) == v["key"] for v in listed["营商环境"])
    assert report["rows"][0]["unjudged"] == 3


def test_the_gold_is_the_majority_of_three_judges_where_the_panels_judged():
    from bench.eval_ranking import majority

    first = {"q": {"a": 1, "b": 1, "c": 0, "d": 0, "e": 1}}
    panels = {"q": {"a": [[0, ""], [0, ""]], "b": [[1, ""], [0, ""]], "c": [[1, ""], [1, ""]],
                    "d": [[0, ""], [1, ""]]}}                    # e: judged later, by the first judges only
    assert majority(first, panels) == {"q": {"a": 0, "b": 1, "c": 1, "d": 0, "e": 1}}


def test_agreement_is_cohens_kappa_over_the_paragraphs_both_judged():
    from bench.eval_ranking import agreement

    a = {"q": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1}}
    b = {"q": {"1": 1, "2": 0, "3": 0, "4": 0, "6": 1}}          # 5 and 6: judged by one only
    # 3 of 4 agree; a says 1 for 2 of 4, b for 1 of 4: chance 0.5*0.25 + 0.5*0.75 = 0.5
    assert agreement(a, b) == {"paragraphs": 4, "agree": 0.75, "kappa": 0.5}


def test_the_panels_judged_the_first_judges_paragraphs_twice_each():
    from bench.eval_ranking import load_judges

    first, panels = load_judges()
    assert set(panels) == set(first)
    for query, judged in panels.items():
        assert set(judged) <= set(first[query]), query
        assert all(len(v) == 2 and {x[0] for x in v} <= {0, 1} for v in judged.values()), query
    assert sum(map(len, panels.values())) > 1000


def test_a_ranking_perfect_for_a_judge_scores_the_matched_ceiling_by_that_judge(corpus_index):
    """The across-judges figure, for two identical judges, is the ceiling of the matches: the
    same number computed another way (from the keys of every match)."""
    judgments = json.loads(JUDGMENTS.read_text(encoding="utf-8"))
    some = {q: judgments[q] for q in ("稳就业", "固投", "民营 经济 发展")}
    report = evaluate(corpus_index, some, others={"a": some, "b": some})
    assert report["across_judges"] == {"a -> b": report["reachable_p_at_10"],
                                       "b -> a": report["reachable_p_at_10"]}
    assert 0 < report["reachable_p_at_10"] <= 1


def test_the_other_sets_have_three_verdicts_a_paragraph_and_queries_of_their_own(tmp_path):
    from bench.eval_ranking import HELD_OUT, SECOND_SET, three_judges

    first = set(json.loads(JUDGMENTS.read_text(encoding="utf-8")))
    sets = [json.loads(p.read_text(encoding="utf-8")) for p in (SECOND_SET, HELD_OUT)]
    for votes in sets:
        assert len(votes) == 30
        for query, judged in votes.items():
            assert judged and all(len(v) == 3 and {x[0] for x in v} <= {0, 1} for v in judged.values()), query
    assert not (set(sets[0]) & set(sets[1])) and not ((set(sets[0]) | set(sets[1])) & first)
    path = tmp_path / "three.json"
    path.write_text(json.dumps({"q": {"a": [[1, ""], [0, ""], [1, ""]], "b": [[0, ""], [0, ""], [1, ""]]}}))
    gold, judges = three_judges(path)
    assert gold == {"q": {"a": 1, "b": 0}} and [j["q"]["b"] for j in judges] == [0, 0, 1]


def test_a_query_with_no_relevant_paragraph_is_left_out_of_the_normalised_figure(corpus_index, corpus_engine):
    from search.engine import search
    from search.results import SearchRequest

    top = search(corpus_engine, SearchRequest(q="营商环境", limit=20)).hits
    half = {unit_key(h.text): 1 for h in top[:5] + top[10:15]}       # 5 of the top 10, of 10 relevant
    none = {unit_key(h.text): 0 for h in search(corpus_engine, SearchRequest(q="稳就业", limit=10)).hits}
    report = evaluate(corpus_index, {"营商环境": half, "稳就业": none})
    assert [r["normalised"] for r in report["rows"]] == [0.5, None]
    assert report["mean_normalised_p_at_10"] == 0.5          # not 0.75 (0 of 0 as 1) nor 0.25 (as 0)


def test_agreement_without_a_shared_paragraph_or_with_one_verdict_only_says_so():
    from bench.eval_ranking import agreement

    assert agreement({"q": {"a": 1}}, {"q": {"b": 1}}) == {"paragraphs": 0, "agree": None, "kappa": None}
    assert agreement({"q": {"a": 0, "b": 0}}, {"q": {"a": 0, "b": 0}}) == {"paragraphs": 2, "agree": 1.0,
                                                                          "kappa": None}


def test_the_headroom_tools_features_rank_as_govsearch_ranks(corpus_engine):
    """bench/ranking_headroom.py compares other weights against today's: its features with
    today's weights must give govsearch's own top 10 (the oracle: search itself), or its
    comparisons say nothing of the ranking make eval measures."""
    from bench.ranking_headroom import TODAY, candidate_features
    from search.engine import search
    from search.results import SearchRequest

    snap = corpus_engine.snapshot()
    for query in ("营商环境", "乡村 振兴 产业", "社零", "固投", "绿色 低碳 转型", "养老"):
        c = candidate_features(snap, query)
        hits = search(corpus_engine, SearchRequest(q=query, limit=10)).hits
        assert [c.keys[i] for i in c.top(c.features @ TODAY)] == [unit_key(h.text) for h in hits], query


def test_the_fit_recovers_weights_that_separate_pairs():
    """On made-up pairs where only the second feature tells relevant from not, the fit
    raises that feature's weight and leaves BM25F's at 1 (the scale)."""
    from bench.ranking_headroom import fit

    rng = np.random.default_rng(0)
    diffs = [np.column_stack([rng.normal(0, 1, 50), rng.uniform(0.5, 1.5, 50)] + [np.zeros(50)] * 7)]
    w = fit(diffs, np.array([1.0, 0.1] + [1.0] * 7), pull=0.0, steps=500)
    assert w[0] == 1.0 and w[1] > 1.0
