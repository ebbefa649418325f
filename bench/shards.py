"""`python -m bench --shards 4`: one index against the same corpus as N shards.

    python -m bench --shards 4 --paragraphs 2000000

Ingest chars/s (one index; N shards one after the other; N shards on Ray:
build tasks and a writer actor per shard; ``--skip-local-ingest`` leaves out
the second, so that 2M paragraphs take two ingests, not three), query
p50/p95/max (one index; shards in one process; shards as Ray actors) and the RSS of every process that serves (the coordinator plus each
actor).  Each query side runs in its own child process, so its RSS is its own.
Writes bench/results/<date>-shards-<N>-<paragraphs>.json.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .corpus import ROOT, build_corpus


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def query_child(index: str, mode: str) -> dict:
    """Time the bench queries over index in this process (mode: one, local, ray)."""
    from indexer.analysis import cut
    from indexer.layout import shard_dirs
    from search.engine import Engine, search
    from search.results import SearchRequest
    from search.shards import LocalShards, sharded_search

    from .__main__ import QUERIES, summary, timed_queries

    cut("营商环境")
    pids = [os.getpid()]
    if mode == "one":
        engine = Engine(index)
        run = lambda q: search(engine, SearchRequest(q=q[0], page=q[2], limit=10))  # noqa: E731
    else:
        if mode == "ray":
            from search.cluster import RayShards, connect

            connect("local", num_cpus=os.cpu_count(), object_store_memory=200 * 2**20)
            shards = RayShards(shard_dirs(index), timeout=600)
            shards.ready(timeout=3600)
            pids += shards.pids()
        else:
            shards = LocalShards(shard_dirs(index))
        run = lambda q: sharded_search(shards, SearchRequest(q=q[0], page=q[2], limit=10))  # noqa: E731
    refused: set = set()
    cold: list[float] = []
    times = timed_queries(_answered_or_refused(run, refused), cold)
    out = summary(times)
    # the cost limit is in postings, whatever the layout: at millions of paragraphs one
    # index refuses a broad query that each smaller shard answers; timed either way
    out["refused"] = sorted(refused)
    out.update({"cold_" + k: v for k, v in summary(cold).items()})
    everything = [os.getpid()] + _descendants(os.getpid())
    out["rss_bytes"] = sum(_rss(p) for p in everything)       # Ray's raylet, GCS and workers included
    out["rss_by_process"] = {str(p): _rss(p) for p in everything}
    out["rss_shard_processes_bytes"] = sum(_rss(p) for p in pids)   # this process and the shard actors
    return out


def _answered_or_refused(run, refused: set):
    """run, with a query refused as too expensive (its one-line answer) recorded, not raised."""
    from search.budget import QueryTooExpensive

    def answer(q):
        try:
            run(q)
        except QueryTooExpensive:
            refused.add(q[0] + (f" page {q[2]}" if q[2] > 1 else ""))
    return answer


def _descendants(pid: int) -> list[int]:
    """Every process started under pid (a local Ray's raylet, GCS, workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


class PhaseFailed(Exception):
    """A child (an ingest, a query side) exited with an error: its last lines say why."""


def _timed(cmd) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=ROOT)
    if done.returncode:
        said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()[-5:]
        raise PhaseFailed(f"{' '.join(map(str, cmd[2:5]))} … exited {done.returncode}: " + " | ".join(said))
    return time.perf_counter() - t0, done.stdout.decode()


def run(paragraphs: int, shards: int, out_dir: str, ray: bool = True, local_ingest: bool = True) -> dict:
    """The comparison; ``local_ingest=False`` skips writing the shards in one process
    (the Ray-written shards, the same layout, are then queried in one process too)."""
    gs = [sys.executable, "-m", "cli"]
    work = Path(tempfile.mkdtemp(prefix="govsearch-bench-shards-"))
    result: dict = {"paragraphs": paragraphs, "shards": shards, "date": time.strftime("%Y-%m-%d"),
                    "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    try:
        print(f"bench: building a corpus of {paragraphs} paragraphs …", flush=True)
        corpus = build_corpus(paragraphs, work / "corpus")
        result.update({"chars": corpus.chars, "reports": corpus.reports})
        layouts = {"one": []}
        if local_ingest:
            layouts["local"] = ["--shards", str(shards)]
        if ray:
            layouts["ray"] = ["--shards", str(shards), "--cluster", "local"]
        for name, extra in layouts.items():
            _ingest(result, gs, corpus, work, name, extra)
            _save(result, out_dir)            # an hour's run keeps what it measured if a later phase fails
        indexes = {"one": "one", "local": "local" if local_ingest else "ray"}
        if ray:
            indexes["ray"] = "ray"
        result["local_queries_over"] = indexes["local"]
        for mode, index in indexes.items():
            print(f"bench: queries ({mode}) …", flush=True)
            _, out = _timed([sys.executable, "-m", "bench.shards", "query", str(work / index), mode])
            result[f"query_{mode}"] = json.loads(out.strip().splitlines()[-1])
            _save(result, out_dir)
    except PhaseFailed as e:
        result["failed"] = str(e)
        _save(result, out_dir)
        raise SystemExit(f"bench: {e} (what was measured before it: {_path(result, out_dir)})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    path = _save(result, out_dir)
    _print(result)
    print(f"bench: written {path}")
    return result


def _path(result: dict, out_dir: str) -> Path:
    return Path(out_dir) / f"{result['date']}-shards-{result['shards']}-{result['paragraphs']}.json"


def _save(result: dict, out_dir: str) -> Path:
    path = _path(result, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _ingest(result: dict, gs: list, corpus, work: Path, name: str, extra: list):
    """One ingest: its wall time, chars/s, the CPU time of the processes it waited for
    (the CLI and its writer processes: a local Ray's workers and actors are the raylet's,
    not counted) and, when this ingest set a new high, the largest RSS of one of them
    (the operating system keeps one high-water mark for all of a process's children)."""
    print(f"bench: ingest ({name}) …", flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    secs, _ = _timed(gs + ["index", str(corpus.folder), "--index", str(work / name), "--json"] + extra)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result[f"ingest_{name}_seconds"] = round(secs, 1)
    result[f"ingest_{name}_chars_per_s"] = round(corpus.chars / secs)
    result[f"ingest_{name}_cpu_seconds"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    if after.ru_maxrss > before.ru_maxrss:
        result[f"ingest_{name}_max_process_rss_bytes"] = after.ru_maxrss * 1024


def _print(r: dict):
    print(f"{r['paragraphs']} paragraphs, {r['chars']} characters, {r['shards']} shards, {r['machine']['cpus']} CPUs")
    for name in ("one", "local", "ray"):
        if f"ingest_{name}_chars_per_s" in r:
            print(f"ingest {name:6} {r[f'ingest_{name}_chars_per_s']:>10} chars/s ({r[f'ingest_{name}_seconds']} s, "
                  f"CPU {r.get(f'ingest_{name}_cpu_seconds')} s)")
    for name in ("one", "local", "ray"):
        q = r.get(f"query_{name}")
        if q:
            print(f"query  {name:6} p50 {q['query_p50_ms']:.1f} p95 {q['query_p95_ms']:.1f} max {q['query_max_ms']:.1f} ms; "
                  f"RSS {q['rss_bytes'] / 2**20:.0f} MB over {len(q['rss_by_process'])} processes "
                  f"({q['rss_shard_processes_bytes'] / 2**20:.0f} MB in this one and the shard actors)"
                  + (f"; refused as too expensive: {', '.join(q['refused'])}" if q.get("refused") else ""))


if __name__ == "__main__":
    if sys.argv[1] == "query":
        print(json.dumps(query_child(sys.argv[2], sys.argv[3])))
