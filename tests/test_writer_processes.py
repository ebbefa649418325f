"""The number of writer processes changes how an index is written, never what it answers.

The seeds and the 31 provincial reports are indexed once in this process (one
segment) and once by two writer processes (a segment each); every unit, every term's postings and the answers to a range
of searches (totals, facet counts, hits) must be the same.
"""

from __future__ import annotations

import json

import pytest

from indexer.store import IndexStore
from indexer.writer import PROCESSES_ENV, index_paths, writer_processes
from search.engine import Engine, search
from search.results import SearchRequest, to_json

from .conftest import PROVINCES, SEEDS

QUERIES = [
    ("营商环境", {}), ('"高质量发展"', {}), ("发展 -经济", {}), ("乡村振兴 OR 共同富裕", {}),
    ("新质生产力", {"province": ["四川"]}), ("就业", {"year": ["2026"]}), ("规上工业", {}),
    ("民生", {"match": "words"}), ("科技创新", {"match": "words", "level": ["省级"]}), ("", {"type": ["政府工作报告"]}),
    ("改革", {"sort": "-year"}), ("数字经济", {"by_report": True}),
]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _index_with(processes: int, tmp_path_factory, monkeypatch) -> str:
    d = tmp_path_factory.mktemp(f"writers-{processes}")
    monkeypatch.setenv(PROCESSES_ENV, str(processes))
    run = index_paths(str(d), [str(SEEDS), str(PROVINCES)])
    monkeypatch.delenv(PROCESSES_ENV)
    assert not run.failed, run.failed
    return str(d)


@pytest.fixture(scope="module")
def one_process_index(tmp_path_factory, monkeypatch_module) -> str:
    return _index_with(1, tmp_path_factory, monkeypatch_module)


@pytest.fixture(scope="module")
def two_process_index(tmp_path_factory, monkeypatch_module) -> str:
    return _index_with(2, tmp_path_factory, monkeypatch_module)


def _segments(index_dir: str) -> int:
    return len(IndexStore(index_dir).open()._segments())


def _answer(engine, q: str, options: dict) -> dict:
    filters = {k: v for k, v in options.items() if k not in ("match", "sort", "by_report")}
    req = SearchRequest(q=q, limit=50, filters=filters, match=options.get("match", SearchRequest.match),
                        sort=options.get("sort", "relevance"), by_report=options.get("by_report", False))
    out = to_json(search(engine, req))
    out.pop("took_ms")
    return out


def test_one_and_two_writer_processes_answer_alike(one_process_index, two_process_index):
    assert _segments(one_process_index) == 1 and _segments(two_process_index) == 2
    one, two = Engine(one_process_index), Engine(two_process_index)
    for q, options in QUERIES:
        a, b = _answer(one, q, options), _answer(two, q, options)
        assert a["total"] > 0, q
        assert a == b, (q, options)


def test_one_and_two_writer_processes_store_and_index_alike(one_process_index, two_process_index):
    snaps = [Engine(d).snapshot() for d in (one_process_index, two_process_index)]
    units = []
    for snap in snaps:
        with snap.searching() as s:
            units.append({u["id"]: _without_run_time(u) for u in snap.units.all(s)})
    assert units[0] == units[1] and len(units[0]) > 3000
    for field, term in (("text", "发展"), ("grams", "营商"), ("grams", "綦"), ("heading", "就业"), ("region", "四川省")):
        found = []
        for snap, by_id in zip(snaps, units):
            with snap.searching():
                docs = snap.arrays.postings(field, term)[0]
            ids = [_id_of(snap, d) for d in docs.tolist()]
            found.append(sorted(ids))
        assert found[0] == found[1] and found[0], (field, term)


def _without_run_time(unit: dict) -> dict:
    """The unit as stored, but the time of the run (a head unit's ``indexed_at``)."""
    if unit.get("report"):
        report = json.loads(unit["report"])
        report.pop("indexed_at")
        unit = dict(unit, report=report)
    return unit


def _id_of(snap, docnum: int) -> str:
    with snap.searching() as s:
        return s.stored_fields(docnum)["id"]


def test_writer_processes_follow_the_size_of_the_run(monkeypatch):
    monkeypatch.delenv(PROCESSES_ENV, raising=False)
    assert writer_processes(0) == 1 and writer_processes(1999) == 1 and writer_processes(3999) == 1
    assert 1 <= writer_processes(1_000_000) <= 4
    monkeypatch.setenv(PROCESSES_ENV, "3")
    assert writer_processes(10) == 3



def test_each_report_is_written_by_one_process_and_the_processes_share_the_work(two_process_index):
    """A job ends where a report starts (ParallelWriter.add_document), so a report's units
    are in one segment: the terms only it uses are written once.  Jobs go to the process
    given the fewest bytes so far, so each segment holds about half of the units."""
    from collections import Counter

    from indexer.whoosh_format import ParallelWriter

    segments_of: dict[str, set] = {}
    units_of: Counter = Counter()
    units_in = []
    with IndexStore(two_process_index).open().reader() as reader:
        for n, (seg, _base) in enumerate(reader.leaf_readers()):
            units_in.append(seg.doc_count())
            for fields in seg.all_stored_fields():
                rid = fields["id"].rsplit(":", 1)[0]
                segments_of.setdefault(rid, set()).add(n)
                units_of[rid] += 1
    # a longer report may be cut into jobs (the writer's batches are of 100 units)
    whole = [rid for rid, n in units_of.items() if n < ParallelWriter.MAX_BATCHES_A_JOB * 100]
    assert len(whole) > 30
    assert [rid for rid in whole if len(segments_of[rid]) > 1] == []
    assert 0.35 < units_in[0] / sum(units_in) < 0.65, units_in


@pytest.mark.parametrize("first_import", ["search.engine", "indexer.writer", "cli.main", "webui"])
def test_numpy_products_start_no_threads_in_our_processes(first_import):
    """OpenBLAS's threads spin between small products and take the CPU the writer
    processes and serving workers need: whichever of our packages a process loads
    first, numpy runs single-threaded (on a machine of more than one core this
    fails without indexer/__init__.py's setting)."""
    import os
    import subprocess
    import sys

    code = (f"import {first_import}, os, numpy as np\n"
            "a = np.ones((400, 400), np.float32); a @ a\n"
            "print(len(os.listdir('/proc/self/task')))")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "1"
