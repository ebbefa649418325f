"""A short, bounded version of the load test: clients on loopback while an index run adds reports.

The full one (50 clients, 60 s) is `make load`; this one keeps CI fast.
"""

from __future__ import annotations

from bench.load import load_while_indexing
from indexer.writer import index_paths

from .conftest import SEEDS


def test_load_while_indexing(tmp_path, provinces_dir):
    ix = str(tmp_path / "index")
    before = index_paths(ix, [str(provinces_dir)])
    result = load_while_indexing(ix, [str(SEEDS)], clients=12, seconds=8)
    assert result["errors"] == 0, result["error_samples"]
    assert result["server_errors"] == 0, result["status"]
    assert result["requests"] > 50
    assert set(result["status"]) <= {"200", "400"}          # hostile queries get their 400
    assert result["index_run"]["added"] == 5 and result["index_run"]["reports"] == before.reports + 5
    # the running server picked up the new commit without a restart
    assert result["total_after"] > result["total_before"]
    print(f"\nload: {result['requests']} requests, p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
