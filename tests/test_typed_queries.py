"""Queries as people type and paste them: invisible characters, report text with its
quotes, queries that say nothing, years and filter values as typed.

Expected counts come from a substring scan of every unit's normalised text (the
oracle of tests/test_counts.py), over the real seeds and provincial reports.
"""

from __future__ import annotations

import pytest

from indexer.analysis import normalize
from search.engine import search
from search.query import QuerySyntaxError, parse_query
from search.results import SearchRequest, to_json


def run(engine, q, **filters) -> dict:
    req = SearchRequest(q=q, limit=10000,
                        filters={k: v if isinstance(v, list) else [v] for k, v in filters.items()})
    return to_json(search(engine, req))


def containing(units, text: str) -> set[str]:
    s = " ".join(normalize(text).split())
    return {u["id"] for u in units if s in u["norm"]}


def ids(result: dict) -> set[str]:
    return {h["id"] for h in result["hits"]}


# ---------------------------------------------------------------- 1. invisible characters

@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\x00"])
def test_an_invisible_character_inside_a_term_is_dropped_as_the_index_drops_it(
        corpus_engine, corpus_units, invisible):
    """The index strips zero-width and control characters from report text; a query
    holding one (pasted from a web page) read it as a space: 数字\u200b经济 counted
    数字 AND 经济 (130 paragraphs), not the term (65)."""
    want = containing(corpus_units, "数字经济")
    got = run(corpus_engine, f"数字{invisible}经济")
    assert want and got["total"] == len(want) and ids(got) == want
