"""Disjunctive facet counts against an oracle: a substring scan of every unit.

Once a value of a facet is chosen, that facet's other values keep the counts
they would have without its own selection (what choosing them too would add);
every other facet counts the matches of the whole request.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys

import pytest

from search.engine import search
from search.results import SearchRequest, to_json

TERMS = ("营商环境", "高质量发展", "新质生产力")


@pytest.fixture(scope="module")
def units(corpus_units) -> list[dict]:
    """The units with their year as a number (None: unknown), as facets count it."""
    return [{**u, "year": int(u["year"]) if u.get("year") not in (None, "") else None} for u in corpus_units]


def _json(engine, q, **filters) -> dict:
    return to_json(search(engine, SearchRequest(q=q, limit=1, filters=filters)))


def _counts(facet) -> dict:
    return {v["value"]: v["count"] for v in facet if v["count"]}


def _oracle(units, term, keep) -> list[dict]:
    return [u for u in units if term in u["norm"] and keep(u)]


@pytest.mark.parametrize("term", TERMS)
def test_two_provinces_and_a_year_count_as_a_reader_would(corpus_engine, units, term):
    matching = _oracle(units, term, lambda u: True)
    by_province = collections.Counter(u["province"] for u in matching)
    first, second = [p for p, _ in by_province.most_common(2)]
    year = collections.Counter(u["year"] for u in matching).most_common(1)[0][0]
    got = _json(corpus_engine, term, province=[first, second], year=[str(year)])

    chosen = _oracle(units, term, lambda u: u["province"] in (first, second) and u["year"] == year)
    assert got["total"] == len(chosen) > 0
    # the province facet ignores its own selection, keeps the year: every province stays
    in_year = _oracle(units, term, lambda u: u["year"] == year)
    assert _counts(got["facets"]["province"]) == collections.Counter(u["province"] for u in in_year)
    # the year facet ignores the year, keeps both provinces
    in_two = _oracle(units, term, lambda u: u["province"] in (first, second))
    assert _counts(got["facets"]["year"]) == collections.Counter(u["year"] for u in in_two)
    # a facet nobody chose counts the whole request's matches
    assert _counts(got["facets"]["type"]) == collections.Counter(u["type"] for u in chosen)


def test_a_second_value_adds_what_its_count_said(corpus_engine, units):
    term = TERMS[0]
    one = _json(corpus_engine, term, province=["四川省"])
    said = _counts(one["facets"]["province"])["重庆市"]
    two = _json(corpus_engine, term, province=["四川省", "重庆市"])
    assert two["total"] == one["total"] + said
    assert two["total"] == len(_oracle(units, term, lambda u: u["province"] in ("四川省", "重庆市")))


def test_a_filter_typed_in_the_query_is_part_of_the_query(corpus_engine, units):
    """province:四川 in the query text restricts every count, its own facet too."""
    got = _json(corpus_engine, TERMS[0] + " province:四川")
    assert _counts(got["facets"]["province"]) == {"四川省": got["total"]}


def test_cli_json_carries_the_same_counts(corpus_index, corpus_engine):
    out = subprocess.run([sys.executable, "-m", "cli", "query", TERMS[0], "--province", "四川", "--json",
                          "--index", corpus_index], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    lib = _json(corpus_engine, TERMS[0], province=["四川"])
    assert cli["facets"] == lib["facets"] and len(cli["facets"]["province"]) > 1


@pytest.mark.parametrize("term", TERMS)
def test_facet_values_come_by_count_then_by_value_and_years_newest_first(corpus_engine, units, term):
    """The order a facet lists its values in, from the oracle's counts (ties by the value's text)."""
    got = _json(corpus_engine, term)["facets"]
    matching = _oracle(units, term, lambda u: True)
    for field in ("region", "province", "section", "type"):
        counts = collections.Counter(str(u.get(field) or "") for u in matching)
        want = sorted(counts.items(), key=lambda p: (-p[1], p[0]))
        assert [(str(v["value"] or ""), v["count"]) for v in got[field]] == want, field
    years = [v["value"] for v in got["year"]]
    known = [y for y in years if y != "未知"]
    assert known == sorted(known, key=int, reverse=True) and years[len(known):] in ([], ["未知"])
