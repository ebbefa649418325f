"""A bounded load test on loopback: N clients against `govsearch serve` while `index` adds reports.

    python -m bench.load [--index DIR | --paragraphs N] [--add PATH...] [--clients 50] [--seconds 60]
                         [--expensive]

Without --index it indexes the provincial corpus (or, with --paragraphs, the
bench's scale corpus of that many paragraphs) into a temporary folder and
adds seeds/ during the load.  With --expensive one more client sends the
searches that used to stall a server (bench/expensive.py) the whole time;
its answers are counted apart, and the other clients' figures are the ones
that must stay fast.

Clients cycle through the bench query set (and a few hostile ones) on
/api/search and / for a fixed time; meanwhile one `govsearch index PATH`
runs against the same index.  Prints requests, errors, status counts and
latency percentiles as JSON.  Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .corpus import ROOT

QUERIES = ["发展", "营商环境", '"稳进增效"', '"量发展"', "改革 创新", "营商环境 year:2024",
           "乡村振兴 产业", "发展 -经济", "营商环境 OR 招商引资", '"高质量发展"', "驷马桥",
           '"><img src=x onerror=alert(1)>', "(" * 40 + "营商", "*商"]
PATHS = ["/api/search", "/"]


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return 0.0
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index_dir: str, threads: int = 8, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # the server's log goes to a file: a pipe nobody reads fills up under load
    # (waitress warns about its queue depth) and then blocks the server
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--index", index_dir, "--port",
                             str(port), "--threads", str(threads), "--workers", str(workers)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/api/search?q=" + urllib.parse.quote("发展"), timeout=30).read()
            return proc, base
        except Exception:  # noqa: BLE001 - not up yet
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log.seek(0)
                raise SystemExit(f"server did not start: {log.read().decode()[-400:]}")
            time.sleep(0.2)


def fetch(url: str, timeout: float) -> int:
    """GET url and read it whole; its HTTP status (an error status too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        with e:                      # close it: an open error response holds its socket
            e.read()
        return e.code


def load(base: str, clients: int, seconds: float, queries=QUERIES, paths=PATHS) -> dict:
    """`clients` threads request for `seconds`; each request is bounded by a 30 s timeout."""
    latencies, errors, statuses = [], [], {}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n: int):
        i = n
        while time.monotonic() < stop:
            q = queries[i % len(queries)]
            path = paths[i % len(paths)]
            i += 1
            url = f"{base}{path}?" + urllib.parse.urlencode({"q": q})
            t0 = time.perf_counter()
            try:
                code = fetch(url, timeout=30)
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(repr(e)[:200])
                continue
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    return {"clients": clients, "seconds": seconds, "requests": len(latencies), "errors": len(errors),
            "error_samples": errors[:5], "status": {str(k): v for k, v in sorted(statuses.items())},
            "server_errors": sum(v for k, v in statuses.items() if k >= 500),
            "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
            "max_ms": round(max(latencies or [0]), 1)}


def expensive_client(base: str, searches: list, stop: float) -> dict:
    """One client sending the expensive searches until `stop`: answers by status, latencies."""
    latencies, statuses, errors, i = [], {}, [], 0
    while time.monotonic() < stop:
        _name, params = searches[i % len(searches)]
        path = PATHS[(i // len(searches)) % len(PATHS)]
        i += 1
        t0 = time.perf_counter()
        try:
            code = fetch(f"{base}{path}?" + urllib.parse.urlencode(params), timeout=60)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors.append(repr(e)[:200])
            continue
        latencies.append((time.perf_counter() - t0) * 1000)
        statuses[code] = statuses.get(code, 0) + 1
    return {"requests": len(latencies), "errors": len(errors), "error_samples": errors[:3],
            "status": {str(k): v for k, v in sorted(statuses.items())},
            "p50_ms": round(percentile(latencies, 50), 1), "max_ms": round(max(latencies or [0]), 1)}


def load_while_indexing(index_dir: str, add_paths: list[str], clients: int, seconds: float,
                        expensive: list | None = None, workers: int = 1) -> dict:
    server, base = start_server(index_dir, workers=workers)

    def total() -> int:
        url = base + "/api/search?q=" + urllib.parse.quote("发展") + "&limit=1"
        with urllib.request.urlopen(url, timeout=60) as r:
            return json.loads(r.read())["total"]

    try:
        result_before = total()
        indexer = subprocess.Popen([sys.executable, "-m", "cli", "index", *add_paths, "--index",
                                    index_dir, "--json", "--wait", "60"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        side: dict = {}
        if expensive:
            stop = time.monotonic() + seconds
            sender = threading.Thread(target=lambda: side.update(expensive_client(base, expensive, stop)))
            sender.start()
        result = load(base, clients, seconds)
        if expensive:
            sender.join()
            result["expensive_client"] = side
        out, err = indexer.communicate(timeout=600)
        result["index_run"] = json.loads(out) if out.strip() else {"error": err.decode()[-400:]}
        # the server follows the commit: the added reports are searchable now
        result["total_before"] = result_before
        result["total_after"] = total()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m bench.load")
    ap.add_argument("--index", help="an existing index (default: a temporary one of the provinces)")
    ap.add_argument("--add", nargs="+", default=[str(ROOT / "seeds")],
                    help="paths to index while the load runs")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--paragraphs", type=int, default=0,
                    help="index the bench's scale corpus of this many paragraphs (default: the provinces)")
    ap.add_argument("--workers", type=int, default=1, help="govsearch serve --workers (processes)")
    ap.add_argument("--expensive", action="store_true",
                    help="one more client sends the expensive searches (bench/expensive.py) throughout")
    args = ap.parse_args(argv)
    tmp = None
    index_dir = args.index
    if not index_dir:
        tmp = tempfile.mkdtemp(prefix="govsearch-load-")
        index_dir = str(Path(tmp) / "index")
        _build_index(index_dir, Path(tmp), args.paragraphs)
    try:
        searches = None
        if args.expensive:
            from search.engine import Engine

            from .expensive import expensive_searches
            searches = expensive_searches(Engine(index_dir))
        result = load_while_indexing(index_dir, args.add, args.clients, args.seconds, searches, args.workers)
        result["workers"] = args.workers
        result["load_average_after"] = os.getloadavg()
        print(json.dumps(result, ensure_ascii=False, indent=1))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _build_index(index_dir: str, work: Path, paragraphs: int) -> None:
    from indexer.writer import index_paths

    from .corpus import PROVINCES, build_corpus
    if paragraphs:
        print(f"load: indexing a corpus of {paragraphs} paragraphs …", file=sys.stderr, flush=True)
        index_paths(index_dir, [str(build_corpus(paragraphs, work / "corpus").folder)])
    else:
        index_paths(index_dir, [str(PROVINCES)])


if __name__ == "__main__":
    main()
