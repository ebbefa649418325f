"""A sharded index answers as the one index holding the same reports (issue #16).

The oracle is the one index over seeds + provinces: the same reports indexed
as 4 shards must give the same JSON for every query — totals, every facet, hit
order, scores (within 1e-6), highlights, pages 1 and 3, grouping by report —
in this process (search/shards.py, no Ray) and through Ray actors
(search/cluster.py, marked ``cluster``), also when the candidate bound of the
ranking is in play, and while a shard actor is killed and restarted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import PROVINCES, ROOT, SEEDS

QUERIES = [
    "营商环境", "发展", "民生 就业", '"稳进增效"', "科技 OR 创新", "发展 -经济", "", "新质生产力",
    "province:四川 发展", "region:重庆 投资", "城市*", "绿色 低碳 转型", "“高质量发展”", "规上工业",
    "乡村振兴 (农业 OR 农村)", "教育 医疗 养老", "year:2026 消费", "type:计划 项目", "section_label:部署·主要工作",
    "part:回顾 增长", "kind:heading 改革", "GDP", "地区生产总值 增长", "数字经济", "开放 NOT 对外",
    "生态环境", "安全生产", "人工智能", "粮食", "住房", "財政", "一带一路", "碳达峰 碳中和", "新型城镇化",
]
VARIANTS = [dict(), dict(page=3), dict(by_report=True, page=2, limit=5), dict(sort="-year", page=3),
            dict(match="words", filters={"province": ["四川", "重庆"]})]


@pytest.fixture(scope="module")
def four_shards(tmp_path_factory) -> str:
    from indexer.shards import index_sharded, shard_dirs

    d = tmp_path_factory.mktemp("four-shards")
    run = index_sharded(str(d), [str(SEEDS), str(PROVINCES)], 4)
    assert not run.failed, run.failed
    assert len(shard_dirs(d)) == 4
    return str(d)


def _same(one, sharded, label):
    """The two results' JSON equal (scores compared unrounded, within 1e-6)."""
    from search.results import to_json

    a, b = to_json(one), to_json(sharded)
    assert b.pop("shards") == {"total": 4, "ok": 4, "failed": []}, label
    a.pop("took_ms"), b.pop("took_ms")
    assert a == b, label
    assert len(one.hits) == len(sharded.hits), label
    for x, y in zip(one.hits, sharded.hits):
        assert abs(x.score - y.score) <= 1e-6, (label, x.id, x.score, y.score)


def _compare_all(corpus_engine, shards, variants=VARIANTS, queries=QUERIES):
    from search.engine import search
    from search.results import SearchRequest
    from search.shards import sharded_search

    for q in queries:
        for v in variants:
            req = SearchRequest(q=q, **v)
            _same(search(corpus_engine, req), sharded_search(shards, req), (q, v))


def test_shards_partition_the_reports(four_shards, corpus_engine):
    from indexer.shards import shard_dirs, shard_of
    from search.engine import Engine

    seen = {}
    for i, d in enumerate(shard_dirs(four_shards)):
        snap = Engine(str(d)).snapshot()
        rids = [v for v in snap.facets.columns["report_id"].values if v]
        assert rids and all(shard_of(r, 4) == i for r in rids)
        seen.update((r, i) for r in rids)
    one = corpus_engine.snapshot()
    assert sorted(seen) == sorted(v for v in one.facets.columns["report_id"].values if v)


def test_local_shards_answer_as_one_index(four_shards, corpus_engine):
    from indexer.shards import shard_dirs
    from search.shards import LocalShards

    _compare_all(corpus_engine, LocalShards(shard_dirs(four_shards)))


def test_the_candidate_bound_is_shared(four_shards, corpus_engine, monkeypatch):
    """With a small candidate cap the one index ranks only its best few by array
    score: the shards agree on that bound and rank within it."""
    import search.ranking as ranking
    from indexer.shards import shard_dirs
    from search.shards import LocalShards

    monkeypatch.setattr(ranking, "MAX_CANDIDATES", 25)
    _compare_all(corpus_engine, LocalShards(shard_dirs(four_shards)),
                 [dict(page=3), dict(by_report=True), dict(limit=40)], QUERIES[:12])


def test_a_shard_count_mismatch_is_one_line(four_shards):
    out = subprocess.run([sys.executable, "-m", "cli", "index", str(SEEDS), "--index", four_shards,
                          "--shards", "3"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0
    assert "有 4 个分片，不是 3 个" in out.stderr


def test_each_shard_prices_and_refuses_a_dear_search_as_one_index_does(four_shards, corpus_index, monkeypatch):
    """The cost limit applies to each shard's part: under a budget that one index of the
    whole collection and every shard exceed, the sharded search is refused with the same
    one line; under one that no shard exceeds, it answers as one index."""
    from indexer.shards import shard_dirs
    from search import budget
    from search.engine import Engine, search
    from search.results import SearchRequest
    from search.shards import LocalShards, sharded_search

    req = SearchRequest(q='"发展" OR "改革" OR "经济" OR "建设"')
    monkeypatch.setenv(budget.BUDGET_ENV, "1000")
    with pytest.raises(budget.QueryTooExpensive) as one:
        search(Engine(corpus_index), req)
    with pytest.raises(budget.QueryTooExpensive) as sharded:
        sharded_search(LocalShards(shard_dirs(four_shards)), req)
    assert sharded.value.code == one.value.code == "query_too_expensive"
    monkeypatch.setenv(budget.BUDGET_ENV, "1e9")
    assert sharded_search(LocalShards(shard_dirs(four_shards)), req).total == search(Engine(corpus_index), req).total


def test_cli_query_over_shards_prints_the_same_json(four_shards, corpus_index):
    def run(index):
        out = subprocess.run([sys.executable, "-m", "cli", "query", "营商环境", "--index", index, "--json",
                              "--page", "2"], capture_output=True, text=True, cwd=ROOT, check=True)
        d = json.loads(out.stdout)
        d.pop("took_ms")
        return d

    sharded = run(four_shards)
    assert sharded.pop("shards") == {"total": 4, "ok": 4, "failed": []}
    assert sharded == run(corpus_index)


# --------------------------------------------------------------------------- on Ray

@pytest.fixture(scope="module")
def ray_shards(four_shards):
    pytest.importorskip("ray")
    import ray

    from indexer.shards import shard_dirs
    from search.cluster import RayShards, connect

    # 4 logical CPUs: the shard actors reserve 2, the ingest tests' build tasks use the rest
    connect("local", num_cpus=4, object_store_memory=80 * 1024 * 1024)
    shards = RayShards(shard_dirs(four_shards), timeout=20)
    shards.ready()
    yield shards
    ray.shutdown()


@pytest.mark.cluster
def test_ray_shards_answer_as_one_index(ray_shards, corpus_engine):
    _compare_all(corpus_engine, ray_shards, [dict(), dict(page=3), dict(by_report=True)])


@pytest.mark.cluster
def test_a_killed_shard_actor_restarts_and_meanwhile_answers_are_partial(ray_shards, corpus_engine):
    from search.engine import search
    from search.results import SearchRequest
    from search.shards import sharded_search

    req = SearchRequest(q="营商环境", page=1)
    pids = ray_shards.pids()
    os.kill(pids[2], signal.SIGKILL)
    during = sharded_search(ray_shards, req)          # no exception: a partial answer
    assert during.shards["ok"] == 3 and [f["shard"] for f in during.shards["failed"]] == [2]
    assert during.total < search(corpus_engine, req).total
    deadline = time.monotonic() + 60
    while True:
        after = sharded_search(ray_shards, req)
        if after.shards["ok"] == 4 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    _same(search(corpus_engine, req), after, "after the restart")
    assert ray_shards.pids()[2] != pids[2]


# --------------------------------------------------------------------------- indexing and pages

def test_sharded_indexing_is_incremental_and_finds_duplicates_across_shards(tmp_path, seeds_copy):
    """A second run changes nothing; a copy of a report under another name is a
    duplicate, as in one index, whichever shard its id routes to; a removed
    report leaves its shard."""
    import shutil as _shutil

    from indexer.shards import index_sharded
    from indexer.writer import index_paths

    root = tmp_path / "sharded"
    first = index_sharded(str(root), [str(seeds_copy)], 4)
    assert (first.added, first.failed) == (5, [])
    again = index_sharded(str(root), [str(seeds_copy)], 4)
    assert (again.added, again.unchanged, again.removed) == (0, 5, 0)

    src = sorted(seeds_copy.glob("*.txt"))[1]
    _shutil.copy(src, seeds_copy / "copy-of-a-seed.txt")
    one = index_paths(str(tmp_path / "one"), [str(seeds_copy)])
    sharded = index_sharded(str(root), [str(seeds_copy)], 4)
    assert [d["source"] for d in sharded.duplicates] == [d["source"] for d in one.duplicates] != []
    assert sharded.added == 0

    src.unlink()
    gone = index_sharded(str(root), [str(seeds_copy)], 4)
    one = index_paths(str(tmp_path / "one"), [str(seeds_copy)])
    assert gone.removed == one.removed == 1
    assert (gone.added, gone.reports, gone.paragraphs) == (one.added, one.reports, one.paragraphs)


def test_web_pages_over_shards_and_a_partial_banner(four_shards, corpus_index, tmp_path):
    """The app over a sharded index answers /api/search as over the one index; when a
    shard cannot be read, the page says the result is partial (no 500)."""
    import shutil as _shutil

    from webui import create_app

    copy = tmp_path / "shards"
    _shutil.copytree(four_shards, copy)
    sharded = create_app(str(copy)).test_client()
    one = create_app(corpus_index).test_client()
    a = one.get("/api/search", query_string={"q": "营商环境", "page": 2}).get_json()
    b = sharded.get("/api/search", query_string={"q": "营商环境", "page": 2}).get_json()
    assert b.pop("shards") == {"total": 4, "ok": 4, "failed": []}
    a.pop("took_ms"), b.pop("took_ms")
    assert a == b
    rid = b["hits"][0]["report_id"]
    assert sharded.get(f"/reports/{rid}").status_code == 200
    assert "部分结果" not in sharded.get("/", query_string={"q": "营商环境"}).get_data(as_text=True)

    _shutil.rmtree(copy / "shard-01")                 # a shard's disk gone
    page = sharded.get("/", query_string={"q": "营商环境"})
    assert page.status_code == 200
    assert "部分结果" in page.get_data(as_text=True)
    partial = sharded.get("/api/search", query_string={"q": "营商环境"}).get_json()
    assert partial["shards"]["ok"] == 3 and partial["shards"]["failed"][0]["shard"] == 1
    assert partial["total"] < a["total"]
    # an analysis over three shards of four would give wrong counts: refused in one line
    trends = sharded.get("/api/trends", query_string={"q": "营商环境"})
    assert trends.status_code == 503 and "分片 1" in trends.get_json()["error"]
    assert sharded.get("/export", query_string={"q": "营商环境"}).status_code == 503


@pytest.mark.cluster
def test_a_shard_far_behind_fails_at_once_instead_of_queueing_more(ray_shards, four_shards, monkeypatch):
    """A shard actor holding MAX_PENDING_CALLS unanswered calls takes no more: the next
    call fails at once as a failed shard (a partial answer), and the shard answers again
    once it has caught up."""
    import search.cluster as cluster
    from indexer.shards import shard_dirs
    from search.cluster import RayShards
    from search.results import SearchRequest

    monkeypatch.setattr(cluster, "MAX_PENDING_CALLS", 2)
    shards = RayShards(shard_dirs(four_shards)[:1], timeout=0.0001)
    shards.ready()
    dear = SearchRequest(q=" OR ".join(["发展", "改革", "建设", "经济", "创新", "推进", "服务", "提升"]), limit=2000)
    first = shards.call("query", {0: (dear, None, {}, 2000)})           # still running when the next come
    second = shards.call("ping", {0: ()})
    third = shards.call("ping", {0: ()})
    assert [type(a[0]).__name__ for a in (first, second, third)] == \
        ["GetTimeoutError", "GetTimeoutError", "PendingCallsLimitExceeded"]
    shards.timeout = 20
    deadline = time.monotonic() + 60
    while isinstance(answer := shards.call("ping", {0: ()})[0], Exception) and time.monotonic() < deadline:
        time.sleep(0.2)                                  # still catching up: fails at once again
    assert not isinstance(answer, Exception), answer


@pytest.mark.cluster
def test_a_shard_slower_than_the_timeout_gives_a_flagged_partial_result(ray_shards):
    from search.results import SearchRequest
    from search.shards import sharded_search

    timeout = ray_shards.timeout
    ray_shards.timeout = 0.0001                    # no shard answers this fast
    try:
        lates = [sharded_search(ray_shards, SearchRequest(q=q)) for q in ["营商环境", "发展", "改革", "科技"] * 6]
    finally:
        ray_shards.timeout = timeout
    # Ray waits whole milliseconds (0 here): now and then a shard's quick statistics and
    # query calls answer while the others are being sent, and only its fetch is late
    for late in lates:
        assert late.shards["ok"] < 4 and late.shards["ok"] + len(late.shards["failed"]) == 4
        assert all("秒内没有响应" in f["error"] for f in late.shards["failed"])
    assert sum(late.shards["ok"] == 0 for late in lates) > len(lates) / 2
    # the late calls leave every actor usable: cancelling them (ray.cancel) left holes in an
    # actor's call sequence, and it refused every call for 30 s
    ray_shards.ready(timeout=15)


# --------------------------------------------------------------------------- analyses over shards

TRENDS = [(["营商环境", "新质生产力"], "year", {}, "exact"), (["发展 OR 改革", '"高质量发展"'], "region", {}, "exact"),
          (["就业", "民生"], "province", {"province": ["四川", "重庆"]}, "words"), (["城市*", "数字经济"], "type", {}, "exact"),
          (["投资 province:四川", "消费"], "level", {"year": ["2026"]}, "exact")]
KEYWORDS = [({"province": ["浙江"]}, None, False), ({"year": ["2024"]}, {"year": ["2026"]}, False),
            ({"level": ["县区级"]}, None, False), ({"type": ["计划"]}, {"type": ["政府工作报告"]}, False),
            ({"province": ["四川"], "year": ["2026"]}, None, True)]
EXPORTS = [("营商环境", {}), ("发展", {}), ("", {"sort": "-year"}), ("科技 OR 创新", {"sort": "year"}),
           ("民生 就业", {"match": "words", "filters": {"province": ["四川", "重庆"]}}), ('"高质量发展" -经济', {})]
COMPARES = [("营商环境", ["四川", "浙江", "北京"], {}), ("发展", ["四川", "重庆", "上海"], {"type": ["政府工作报告"]}),
            ("就业 OR 民生", ["四川", "广东"], {})]


def _answer(func, *args):
    """The JSON, or the one-line refusal (both index forms must refuse alike)."""
    from search.results import RequestError

    try:
        return func(*args)
    except RequestError as e:
        return ("refused", str(e))


def _analyses_agree(corpus_engine, shards, exports=EXPORTS, compares=COMPARES):
    from search.compare import CompareRequest, compare, compare_json
    from search.export import export_rows
    from search.keywords import KeywordRequest, keywords
    from search.results import SearchRequest
    from search.shard_analyses import sharded_compare, sharded_export, sharded_keywords, sharded_trend
    from search.trends import TrendRequest, trend

    for terms, by, filters, match in TRENDS:
        req = TrendRequest(terms, by, filters, match)
        assert sharded_trend(shards, req) == trend(corpus_engine, req), req
    for filters, vs, new in KEYWORDS:
        req = KeywordRequest(filters, vs, 40, new)
        assert _answer(sharded_keywords, shards, req) == _answer(keywords, corpus_engine, req), req
    for q, kw in exports:
        req = SearchRequest(q=q, **kw)
        (n1, rows1), (n2, rows2) = export_rows(corpus_engine, req), sharded_export(shards, req)
        assert n1 == n2 and list(rows1) == list(rows2), req
    for q, regions, filters in compares:
        req = CompareRequest(q, regions, filters)
        assert compare_json(sharded_compare(shards, req)) == compare_json(compare(corpus_engine, req)), req


def test_trends_keywords_exports_and_compare_over_shards_answer_as_one_index(four_shards, corpus_engine):
    from indexer.shards import shard_dirs
    from search.shards import LocalShards

    _analyses_agree(corpus_engine, LocalShards(shard_dirs(four_shards)))


def test_exports_and_compare_share_the_candidate_bound(four_shards, corpus_engine, monkeypatch):
    import search.ranking as ranking
    from indexer.shards import shard_dirs
    from search.shards import LocalShards

    monkeypatch.setattr(ranking, "MAX_CANDIDATES", 25)
    _analyses_agree(corpus_engine, LocalShards(shard_dirs(four_shards)), EXPORTS[:2] + EXPORTS[5:], COMPARES[1:2])


def test_cli_and_web_analyses_over_shards(four_shards, corpus_index):
    from webui import create_app

    def run(index, *args):
        return subprocess.run([sys.executable, "-m", "cli", *args, "--index", index], capture_output=True,
                              text=True, cwd=ROOT, check=True).stdout

    for args in (["trend", "营商环境", "绿色", "--by", "province", "--csv"], ["query", "发展", "--format", "csv"],
                 ["keywords", "--province", "四川", "--json"]):
        assert run(four_shards, *args) == run(corpus_index, *args), args
    sharded, one = create_app(four_shards).test_client(), create_app(corpus_index).test_client()
    for url, params in (("/api/trends", {"q": ["营商环境", "开放"], "by": "region"}),
                        ("/api/keywords", {"province": "浙江"}), ("/export", {"q": "创新", "format": "jsonl"}),
                        ("/compare", {"q": "营商环境", "region": ["四川", "重庆"]}), ("/trends", {"q": "营商环境"})):
        a = one.get(url, query_string=params)
        expected = a.get_data()                     # read a streamed export before the next request
        b = sharded.get(url, query_string=params)
        assert a.status_code == b.status_code == 200, url
        assert b.get_data() == expected, url


@pytest.mark.cluster
def test_ray_analyses_answer_as_one_index(ray_shards, corpus_engine):
    # the timeout test before this one leaves searches queued on every actor (late calls are
    # not cancelled, see search/cluster.py); on a loaded machine they outlasted the 20 s
    # timeout: wait until each answers
    ray_shards.ready()
    _analyses_agree(corpus_engine, ray_shards, EXPORTS[:3], COMPARES[:1])


# --------------------------------------------------------------------------- ingest on Ray

@pytest.mark.cluster
def test_ray_ingest_answers_as_one_index(ray_shards, corpus_engine, tmp_path):
    """Read tasks, build tasks (cleaning, structure, segmentation) and one writer actor
    per shard make shards that answer every search and analysis as the one index."""
    from indexer.cluster import RayIngest
    from indexer.shards import index_sharded, shard_dirs
    from search.shards import LocalShards

    ingest = RayIngest("local")
    run = index_sharded(str(tmp_path / "ray"), [str(SEEDS), str(PROVINCES)], 4,
                        run_shards=ingest.run_shards, read_many=ingest.read_many)
    assert (run.added, run.failed, run.reports) == (36, [], 36)
    shards = LocalShards(shard_dirs(tmp_path / "ray"))
    _compare_all(corpus_engine, shards, [dict(), dict(by_report=True)], QUERIES[::2])
    _analyses_agree(corpus_engine, shards, EXPORTS[:2], COMPARES[:1])


@pytest.mark.cluster
def test_ray_ingest_is_incremental_and_a_failing_file_loses_nothing(ray_shards, seeds_copy, tmp_path):
    from functools import partial

    from indexer.cluster import RayIngest
    from indexer.shards import index_sharded, shard_dirs
    from search.results import SearchRequest
    from search.shards import LocalShards, sharded_search

    ingest = RayIngest("local")
    root = str(tmp_path / "ray")
    run = partial(index_sharded, root, [str(seeds_copy)], 4, run_shards=ingest.run_shards,
                  read_many=ingest.read_many)
    assert run().added == 5
    again = run()
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)

    seed = sorted(seeds_copy.glob("*.txt"))[0]
    body = seed.read_text(encoding="utf-8")
    phrase = max((line.strip() for line in body.splitlines()), key=len)[:12]
    seed.write_text("---\nyear: 3000\n---\n" + body, encoding="utf-8")      # fails when built
    (seeds_copy / "binary.txt").write_bytes(bytes(range(256)) * 64)           # fails when read
    bad = run()
    errors = {f["source"]: f["error"] for f in bad.failed}
    assert sorted(errors) == sorted([str(seed), str(seeds_copy / "binary.txt")])
    assert all("\n" not in e for e in errors.values()) and "3000" in errors[str(seed)]
    assert (bad.removed, bad.reports) == (0, 5)                # its indexed version stays
    found = sharded_search(LocalShards(shard_dirs(root)), SearchRequest(q=f'"{phrase}"'))
    assert found.total >= 1 and seed.stem in {h.source.split("/")[-1].split(".")[0] for h in found.hits}


def test_a_report_page_over_shards_marks_what_one_index_marks(four_shards, corpus_index):
    """Each shard read the page's filters against its own values: 营商环境 region:重庆市 on
    綦江区's report marked 0 paragraphs on one index and 6 over shards."""
    from webui import create_app

    sharded, one = create_app(four_shards).test_client(), create_app(corpus_index).test_client()
    hits = one.get("/api/search", query_string={"q": "营商环境", "district": "綦江", "limit": 1}).get_json()["hits"]
    report = hits[0]["report_id"]
    for q in ("营商环境 region:重庆市", "营商环境 region:重庆", "发展 章节原文:202", "营商环境 -优化"):
        a = one.get(f"/api/reports/{report}", query_string={"q": q}).get_json()
        b = sharded.get(f"/api/reports/{report}", query_string={"q": q}).get_json()
        assert a["units"] == b["units"], q                  # (each index has its own indexed_at)
    assert "<mark>" not in str(one.get(f"/api/reports/{report}", query_string={"q": "营商环境 region:重庆市"}).get_json())


def _holds(index: str) -> tuple:
    out = subprocess.run([sys.executable, "-m", "cli", "stats", "--index", index, "--json"],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    return d["reports"], d["paragraphs"]


def test_changing_the_shard_count_keeps_the_index_until_the_new_one_is_complete(tmp_path, seeds_copy):
    """index --rebuild --shards M on an index of N shards deleted the old shards first: a
    failure (a bad setting), a kill or a root it cannot read left no index at all."""
    import os

    from indexer.shards import index_sharded

    index_sharded(str(tmp_path / "ix"), [str(seeds_copy)], 4)
    before = _holds(str(tmp_path / "ix"))

    def reshard(*extra, env=None):
        return subprocess.run([sys.executable, "-m", "cli", "index", str(seeds_copy), *extra, "--index",
                               str(tmp_path / "ix"), "--shards", "2", "--rebuild", "--quiet"],
                              capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})

    failed = reshard(env={"GOVSEARCH_WRITER_PROCESSES": "0"})
    assert failed.returncode == 1 and _holds(str(tmp_path / "ix")) == before
    refused = reshard(str(tmp_path / "not-mounted"))
    assert refused.returncode != 0 and "没有重建" in refused.stderr and _holds(str(tmp_path / "ix")) == before
    assert json.loads((tmp_path / "ix" / "shards.json").read_text())["shards"] == 4
    done = reshard()
    assert done.returncode == 0 and _holds(str(tmp_path / "ix")) == before
    assert json.loads((tmp_path / "ix" / "shards.json").read_text())["shards"] == 2
    assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == ["shard-00", "shard-01", "shards.json"]


def test_a_swap_stopped_half_way_heals_at_the_next_run(tmp_path, seeds_copy):
    """A kill between moving the old shards aside and moving the new ones in: the next run
    puts complete new shards in place, or the old ones back."""
    from indexer.shards import BUILT_MARK, RESHARD_DIR, RETIRED_DIR, index_sharded

    root = tmp_path / "ix"
    index_sharded(str(root), [str(seeds_copy)], 4)
    before = _holds(str(root))
    (root / RETIRED_DIR).mkdir()
    (root / "shard-01").rename(root / RETIRED_DIR / "shard-01")      # the old shards half moved aside
    index_sharded(str(root), [str(seeds_copy)], 4)
    assert _holds(str(root)) == before and not (root / RETIRED_DIR).exists()
    index_sharded(str(root / RESHARD_DIR), [str(seeds_copy)], 2)      # complete new shards, then the kill
    (root / RESHARD_DIR / BUILT_MARK).write_text("")
    index_sharded(str(root), [str(seeds_copy)], 2)
    assert _holds(str(root)) == before and json.loads((root / "shards.json").read_text())["shards"] == 2


def test_a_text_query_without_a_shard_says_it_is_partial(tmp_path, seeds_copy):
    """With a shard lost, query printed smaller totals with exit 0 and no word: only --json
    carried "shards"."""
    from indexer.shards import index_sharded

    root = tmp_path / "ix"
    index_sharded(str(root), [str(seeds_copy)], 4)
    (root / "shard-02" / "CURRENT").rename(root / "shard-02" / "CURRENT.away")
    for extra in ((), ("--json",)):
        out = subprocess.run([sys.executable, "-m", "cli", "query", "营商环境", "--index", str(root), *extra],
                             capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0 and "结果不完整" in out.stderr and "第 2 个" in out.stderr
