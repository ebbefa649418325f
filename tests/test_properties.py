"""Properties that must hold for any input (Hypothesis), on the real seed index.

* The query parser: any string gives a parsed query or a clear error (a stable
  code and one line in Chinese), never a crash; so does a whole search.
* Exact phrases: a random substring of a random paragraph is found, in exactly
  the paragraphs a substring scan finds; a string the corpus never contains
  finds nothing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.analysis import normalize
from search.engine import search
from search.query import QuerySyntaxError, parse_query
from search.results import RequestError, SearchRequest

# what people type, and what breaks parsers: operators, quotes of both kinds,
# brackets, field names (English and Chinese), wildcards, odd white space
QUERY_PIECES = ["营商环境", "发展", "规上", "新质生产力", "稳进增效", "OR", "AND", "NOT", "-", "+", "(", ")", "（",
                "）", '"', "“", "”", "'", ":", "：", "*", "?", "year:", "年份:", "province:", "省份:", "region:重庆",
                "year:2020..2024", "year:未知", "district:", "foo:", " ", "\u3000", "\t", "\n", "\\", "a", "Z9",
                "關於", "ＡＢＣ", "\u200b", "\x00", "😀", "..", "2024"]
QUERIES = st.one_of(st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map("".join),
                    st.lists(st.sampled_from(QUERY_PIECES), max_size=12).map(" ".join),
                    st.text(max_size=40))
CODE = re.compile(r"^[a-z_]+$")


def _clear_error(e: Exception):
    assert CODE.match(e.code), e.code
    message = str(e)
    assert message and "\n" not in message and "Traceback" not in message
    assert re.search(r"[\u4e00-\u9fff]", message), message          # said in Chinese


@settings(max_examples=400, deadline=None)
@given(QUERIES, st.sampled_from(["exact", "words"]))
def test_parser_gives_a_query_or_a_clear_error(text, match):
    try:
        parsed = parse_query(text, match=match)
    except QuerySyntaxError as e:
        _clear_error(e)
        return
    assert parsed.match == match
    assert parsed.empty or parsed.terms or parsed.query is not None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(QUERIES)
def test_search_gives_a_result_or_a_clear_error(seeds_engine, text):
    try:
        result = search(seeds_engine, SearchRequest(q=text, limit=5))
    except (QuerySyntaxError, RequestError) as e:
        _clear_error(e)
        return
    assert result.total >= len(result.hits) and len(result.hits) <= 5


@pytest.fixture(scope="module")
def seed_texts(seeds_engine) -> dict[str, str]:
    """unit id -> normalised text, every paragraph of the seeds."""
    snap = seeds_engine.snapshot()
    with snap.searching() as s:
        return {u["id"]: normalize(u["text"]) for u in snap.units.all(s)}


def _phrase_total(engine, phrase: str) -> tuple[int, set[str]]:
    r = search(engine, SearchRequest(q=f'"{phrase}"', limit=10000))
    return r.total, {h.id for h in r.hits}


def _quotable(s: str) -> bool:
    """A phrase that can be typed between quotes as it is (no quote marks; white space
    inside is one space, as the parser reads it)."""
    return bool(s.strip()) and s == " ".join(s.split()) and not set(s) & set('"“”')


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_random_substrings_are_found_exactly(seeds_engine, seed_texts, data):
    ids = sorted(seed_texts)
    unit = data.draw(st.sampled_from(ids))
    text = seed_texts[unit]
    start = data.draw(st.integers(0, max(0, len(text) - 1)))
    length = data.draw(st.integers(1, 12))
    phrase = text[start:start + length]
    if not _quotable(phrase):
        return
    total, found = _phrase_total(seeds_engine, phrase)
    want = {i for i, t in seed_texts.items() if phrase in t}
    assert unit in found and found == want and total == len(want), phrase


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_strings_the_corpus_never_says_find_nothing(seeds_engine, seed_texts, data):
    chars = sorted({c for t in seed_texts.values() for c in t if "\u4e00" <= c <= "\u9fff"})
    phrase = "".join(data.draw(st.lists(st.sampled_from(chars), min_size=2, max_size=8)))
    if any(phrase in t for t in seed_texts.values()):
        return                                   # it happens to be said: the other test's case
    assert _phrase_total(seeds_engine, phrase) == (0, set())
