"""Hostile queries to the CLI and the API: a bounded answer (results or a 400), never a 500 or a hang."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse

import pytest

from webui import create_app

from .conftest import ROOT

HOSTILE_QUERIES = {
    "100k characters": "营" * 100_000,
    "1000 terms": " ".join(["营商", "环境", "发展", "改革"] * 250),
    "parentheses 1000 deep": "(" * 1000 + "营商" + ")" * 1000,
    "lone quote": '"',
    "lone chinese quote": "“营商",
    "lone bracket": ")",
    "lone open bracket": "(",
    "leading star": "*商",
    "leading question mark": "?环境",
    "wildcard storm": "营*商*环*境*",
    "control characters": "营商\x00\x01\x1b[31m环境\x7f",
    "only operators": "OR AND NOT - ( )",
    "field syntax in word": "district:\"渝北区\" OR year:2024..2026 type:",
    "unknown field": "password:x",
    "year nonsense": "year:99999999999",
    "html": "\"><img src=x onerror=alert(1)>",
    "sql": "' OR 1=1 --",
    "emoji and rtl": "\U0001F600\u202e营商环境",
}


@pytest.fixture(scope="module")
def client(seeds_index):
    return create_app(seeds_index).test_client()


@pytest.mark.parametrize("name", sorted(HOSTILE_QUERIES))
def test_hostile_query_api_bounded(client, name):
    q = HOSTILE_QUERIES[name]
    r = client.get("/api/search?" + urllib.parse.urlencode({"q": q}))
    assert r.status_code in (200, 400), (name, r.status_code)
    body = r.get_json()
    if r.status_code == 400:
        assert body["error"] and "\n" not in body["error"]
    else:
        assert "total" in body
        for h in body["hits"]:
            assert "<img" not in h["highlight"] and "<script" not in h["highlight"]
    page = client.get("/?" + urllib.parse.urlencode({"q": q}))
    assert page.status_code in (200, 400)
    assert b"<img src=x" not in page.data


@pytest.mark.parametrize("params", [
    {"q": "营商", "page": str(10**12)}, {"q": "营商", "limit": str(10**9)}, {"q": "营商", "limit": "-5"},
    {"q": "营商", "page": "-1"}, {"q": "营商", "page": "1e9"}, {"q": "营商", "limit": "0x10"},
    {"q": "营商", "sort": "year;drop"}, {"q": "营商", "year": "二〇二四"}, {"q": "营商", "year": "2024..x"},
])
def test_out_of_range_parameters_are_400_with_the_name(client, params):
    r = client.get("/api/search?" + urllib.parse.urlencode(params))
    assert r.status_code == 400
    names = [k for k in params if k != "q"]
    assert any(f"'{n}'" in r.get_json()["error"] or n in r.get_json()["error"] for n in names)


def test_repeated_unknown_and_injected_filter_params(client):
    qs = "q=营商环境&q=发展&district=渝北区&district=渝北区&bogus=1&bogus=2&debug=1" \
         "&district=" + urllib.parse.quote('渝北区" OR year:2024') + "&region=" + urllib.parse.quote("*")
    r = client.get("/api/search?" + qs)
    assert r.status_code == 200
    body = r.get_json()
    assert body["query"] == "营商环境"                       # the first q wins
    assert all(h["district"] == "渝北区" for h in body["hits"])  # a quoted filter value is a literal


def test_too_many_filter_values(client):
    qs = "&".join(f"district=d{i}" for i in range(60))
    r = client.get("/api/search?q=营商&" + qs)
    assert r.status_code == 400 and "district" in r.get_json()["error"]
    assert r.get_json()["code"] == "too_many_values"


def test_report_ids_cannot_reach_files(client):
    for rid in ("../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "a" * 500, "CURRENT",
                "write.lock", "data-*"):
        r = client.get("/api/reports/" + rid)
        assert r.status_code == 404
        assert b"root:" not in r.data


def test_methods_other_than_get_and_head_refused(client):
    for path in ("/", "/api/search", "/api/facets", "/reports", "/api/reports/x"):
        for method in ("post", "put", "delete", "patch"):
            assert getattr(client, method)(path).status_code == 405


@pytest.mark.parametrize("name", ["100k characters", "1000 terms", "parentheses 1000 deep", "lone quote",
                                  "leading star", "control characters", "unknown field"])
def test_hostile_query_cli(seeds_index, name):
    q = HOSTILE_QUERIES[name]
    fits = len(q.encode()) < 100_000 and "\x00" not in q             # argv: size limit, no NUL
    arg, stdin = (q, None) if fits else ("-", q)
    out = subprocess.run([sys.executable, "-m", "cli", "query", arg, "--json",
                          "--index", seeds_index], input=stdin, capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.returncode in (0, 2), out.stderr
    assert "Traceback" not in out.stderr
    if out.returncode == 2:
        assert out.stderr.startswith("govsearch: error: ") and out.stderr.count("\n") == 1
    else:
        json.loads(out.stdout)


def test_wildcard_standing_for_too_many_words_is_refused(tmp_path):
    from indexer.writer import index_paths
    from search.engine import Engine, search
    from search.query import MAX_WILDCARD_EXPANSION, QuerySyntaxError
    from search.results import SearchRequest

    words = " ".join(f"x{i:04d}" for i in range(MAX_WILDCARD_EXPANSION + 50))
    (tmp_path / "r.txt").write_text(f"2024年某区政府工作报告\n各位代表：\n编号 {words} 。\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    index_paths(ix, [str(tmp_path / "r.txt")])
    engine = Engine(ix)
    with pytest.raises(QuerySyntaxError) as e:
        search(engine, SearchRequest(q="x*"))
    assert e.value.code == "wildcard_too_broad" and "多写一个字" in str(e.value)
    assert search(engine, SearchRequest(q="x001*")).total == 1      # a narrower one runs


@pytest.mark.parametrize("q", ["省份: 西藏", "year: 2030", "营商环境 省份: 西藏", "甲 OR 乙", "甲 NOT 乙", "' OR 1=1 --"])
def test_an_empty_page_whose_pieces_are_no_query_alone_still_answers(client, q):
    """An empty result suggests the search without each piece; 省份: 西藏 without 西藏, or
    甲 OR 乙 without 乙, is no query: that suggestion is skipped, not a server error."""
    page = client.get("/?" + urllib.parse.urlencode({"q": q}))
    assert page.status_code == 200, q
