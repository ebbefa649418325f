"""`make bench`: govsearch beside the naive recipe and SQLite FTS5, on one corpus, in one run.

    python -m bench --paragraphs 100000 [--baseline-cap 100000] [--web-seconds 20]

Prints one table (each figure with its ratio to each baseline) and writes
bench/results/<date>-<paragraphs>.json.  Absolute times are noisy on a shared
machine; the ratios measured in the same run are the figures that count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from .baselines import Fts5, Fts5Facets, Naive, dir_bytes
from .corpus import ROOT, build_corpus
from .expensive import expensive_searches, time_repeated_filters, time_searches
from .load import load, percentile, start_server

# (govsearch query, naive QueryParser query, page)
QUERIES = [
    ("发展", "发展", 1), ("经济", "经济", 1), ("建设", "建设", 1), ("改革 创新", "改革 创新", 1),
    ("驷马桥", "驷马桥", 1), ("綦河", "綦河", 1), ("蟠龙抽水蓄能", "蟠龙抽水蓄能", 1),
    ("营商环境", "营商环境", 1), ("新质生产力", "新质生产力", 1), ("规上工业", "规上工业", 1),
    ("乡村振兴 产业", "乡村振兴 产业", 1),
    ('"稳进增效"', '"稳进增效"', 1), ('"量发展"', '"量发展"', 1), ('"高质量发展"', '"高质量发展"', 1),
    ('"经济圈建"', '"经济圈建"', 1), ('"发展"', '"发展"', 1), ('"营商环境持续优化"', '"营商环境持续优化"', 1),
    ("营商环境 year:2024", "营商环境 year:2024", 1), ("创新 type:计划报告", "创新 type:计划报告", 1),
    ("发展 year:2020..2022", "发展 year:[2020 TO 2022]", 1), ("发展", "发展", 50),
    ("营商环境 OR 招商引资", "营商环境 OR 招商引资", 1), ("发展 -经济", "发展 NOT 经济", 1),
]
REPEAT = 3


def timed_queries(fn, cold: list | None = None) -> list[float]:
    """Times of REPEAT rounds of QUERIES, after one warm-up round (its times go to `cold`)."""
    for q in QUERIES:                       # warm up: caches, first-use costs
        t0 = time.perf_counter()
        fn(q)
        if cold is not None:
            cold.append((time.perf_counter() - t0) * 1000)
    times = []
    for _ in range(REPEAT):
        for q in QUERIES:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


FACET_QUERIES = ["发展", "经济", "营商环境"]


def facet_ratio(engine, naive) -> dict:
    """Facet counting alone, on the same broad queries: govsearch's bincount over
    every match (region, year) against what Whoosh's groupedby adds to a search."""
    from search.matching import Evaluator
    from search.query import parse_query

    snap = engine.snapshot()
    ours, theirs = [], []
    for q in FACET_QUERIES:
        with snap.searching():
            docs = Evaluator(snap.arrays).run(parse_query(q).query).docs
        runs = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            snap.facets.count("region", docs)
            snap.facets.count("year", docs)
            runs.append((time.perf_counter() - t0) * 1000)
        ours.append(statistics.median(runs))
        theirs.append(statistics.median(naive.facet_ms(q) for _ in range(REPEAT)))
    return {"queries": FACET_QUERIES, "govsearch_ms": [round(x, 3) for x in ours],
            "groupedby_ms": [round(x, 1) for x in theirs],
            "ratio_median": round(statistics.median(t / o for t, o in zip(theirs, ours) if o), 1)}


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def analysis_figures(engine, ix: Path, meta: list, gs: list) -> dict:
    """Trends, keywords and export (issue 14): the first call after opening and the
    median of REPEAT more; export throughput in process, its peak RSS in a child
    beside a one-page query's (flat memory: the difference does not grow with the hits)."""
    from search.export import export_rows, render
    from search.keywords import KeywordRequest, keywords
    from search.results import SearchRequest
    from search.trends import TrendRequest, trend

    _region, year, _type, province = meta[0]          # the province and year of the corpus's first report
    jobs = {"trend_by_year": lambda: trend(engine, TrendRequest(["发展"], "year")),
            "trend_by_region": lambda: trend(engine, TrendRequest(["营商环境", "发展"], "province")),
            "keywords_province_year": lambda: keywords(engine, KeywordRequest(
                {"province": [province], "year": [str(year)]}, top=50))}
    out: dict = {"keywords_selection": f"{province} {year}"}
    for name, fn in jobs.items():
        first, _ = _timed(fn)
        runs = [_timed(fn)[0] for _ in range(REPEAT)]
        out[name] = {"first_ms": round(first, 1), "median_ms": round(statistics.median(runs), 1)}

    def export_all():
        total, rows = export_rows(engine, SearchRequest(q="发展"))
        size = sum(len(chunk) for chunk in render(rows, "csv"))
        return total, size

    ms, (total, size) = _timed(export_all)
    out["export"] = {"hits": total, "chars": size, "seconds": round(ms / 1000, 2),
                     "hits_per_s": round(total / (ms / 1000))}
    out["export"].update({
        "child_rss_bytes": cli_peak_rss(["query", "发展", "--format", "csv", "--index", str(ix)]),
        "small_export_child_rss_bytes": cli_peak_rss(["query", "蟠龙抽水蓄能", "--format", "csv", "--index", str(ix)]),
        "query_page_child_rss_bytes": cli_peak_rss(["query", "发展", "--json", "--index", str(ix)])})
    return out


_PEAK = ("import atexit, sys\n"
         "def peak():\n"
         "    line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
         "    print('VmHWM', int(line.split()[1]) * 1024, file=sys.stderr)\n"
         "atexit.register(peak)\n"
         "from cli.main import main\n"
         "sys.argv = ['govsearch'] + sys.argv[1:]\n"
         "main()\n")


def cli_peak_rss(args: list) -> int:
    """Peak RSS of one `govsearch` call, read by the process itself as it exits (a
    child's ru_maxrss starts from its parent's at fork), its output thrown away."""
    proc = subprocess.run([sys.executable, "-c", _PEAK, *args], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, cwd=ROOT, text=True)
    return int(proc.stderr.rsplit("VmHWM", 1)[1].split()[0])


def summary(times: list[float]) -> dict:
    return {"query_p50_ms": round(percentile(times, 50), 2), "query_p95_ms": round(percentile(times, 95), 2),
            "query_max_ms": round(max(times), 2)}


def run_child(cmd) -> tuple[float, int, str]:
    """Run a command; (seconds, peak RSS bytes, stdout) of that child alone."""
    t0 = time.perf_counter()
    err = tempfile.TemporaryFile()                 # a file, not a pipe: nothing can block on it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        err.seek(0)
        raise SystemExit(f"bench: {' '.join(map(str, cmd))} failed: {err.read().decode()[-500:]}")
    return time.perf_counter() - t0, usage.ru_maxrss * 1024, out.decode()


def vm_hwm(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return []


def main(argv=None):
    # (Complexity 17: one straight run of bench sections, each a few lines; the
    # figures of each land in one result dict, written once at the end.)
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--paragraphs", type=int, default=100_000)
    ap.add_argument("--baseline-cap", type=int, default=100_000,
                    help="run the baselines on at most this many paragraphs")
    ap.add_argument("--web-seconds", type=float, default=20.0)
    ap.add_argument("--web-clients", type=int, default=8)
    ap.add_argument("--web-workers", type=int, default=os.cpu_count() or 1,
                    help="`govsearch serve --workers`: processes answering (default: one per core)")
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    ap.add_argument("--shards", type=int, default=0,
                    help="instead: one index against N shards (bench/shards.py; Ray with the cluster extra)")
    ap.add_argument("--no-ray", action="store_true", help="with --shards: leave out the Ray runs")
    ap.add_argument("--skip-local-ingest", action="store_true",
                    help="with --shards: no ingest of the shards in one process (the shards Ray wrote are "
                         "queried in one process too): two ingests instead of three")
    args = ap.parse_args(argv)
    if args.shards:
        from . import shards

        shards.run(args.paragraphs, args.shards, args.out, ray=not args.no_ray,
                   local_ingest=not args.skip_local_ingest or args.no_ray)
        return
    gs = [sys.executable, "-m", "cli"]
    work = Path(tempfile.mkdtemp(prefix="govsearch-bench-"))
    result: dict = {"paragraphs": args.paragraphs, "date": time.strftime("%Y-%m-%d"),
                    "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    try:
        # ---- reading the published formats (the seeds as .docx, GBK page, Chromium-printed PDF)
        print("bench: reading published formats …", flush=True)
        from .readers import make_fixtures, reading_speed
        (work / "formats").mkdir()
        result["formats"] = reading_speed(make_fixtures(work / "formats", doc=False))

        print(f"bench: building a corpus of {args.paragraphs} paragraphs …", flush=True)
        corpus = build_corpus(args.paragraphs, work / "corpus")
        result.update({"chars": corpus.chars, "reports": corpus.reports})
        text_bytes = sum(len(t.encode()) for t in corpus.texts)

        # ---- govsearch: ingest in a child process (its own peak RSS)
        print("bench: govsearch ingest …", flush=True)
        ix = work / "index"
        secs, rss, out = run_child(gs + ["index", str(corpus.folder), "--index", str(ix), "--json"])
        run = json.loads(out)
        data_dir = next(ix.glob("data-*"))
        result.update({"ingest_seconds": round(secs, 1), "ingest_chars_per_s": round(corpus.chars / secs),
                       "index_bytes": dir_bytes(data_dir), "text_bytes": text_bytes,
                       "index_rss_bytes": rss, "units_indexed": run["paragraphs"]})

        # ---- govsearch: queries in process, with highlights and all seven facets
        print("bench: govsearch queries …", flush=True)
        from search.engine import Engine, search
        from search.results import SearchRequest
        from indexer.analysis import cut
        cut("营商环境")                  # the segmenter's dictionary loads once per process, as serve does
        engine = Engine(str(ix))
        t0 = time.perf_counter()
        engine.snapshot()
        result["open_seconds"] = round(time.perf_counter() - t0, 2)
        cold: list[float] = []
        times = timed_queries(lambda q: search(engine, SearchRequest(q=q[0], page=q[2], limit=10)), cold)
        result.update(summary(times))
        # the first round after opening: nothing cached yet (postings are cached per generation)
        result.update({"cold_" + k: v for k, v in summary(cold).items()})
        result["per_query_ms"] = {q[0] + (f" page {q[2]}" if q[2] > 1 else ""):
                                  round(statistics.median(times[i::len(QUERIES)]), 2)
                                  for i, q in enumerate(QUERIES)}
        # which queries make the first round's p95 (each query's cost when nothing is cached)
        result["first_round_per_query_ms"] = {q[0] + (f" page {q[2]}" if q[2] > 1 else ""): round(ms, 2)
                                              for q, ms in zip(QUERIES, cold)}

        # ---- analyses over every match: trends, keywords, export
        print("bench: trends, keywords, export …", flush=True)
        result["analysis"] = analysis_figures(engine, ix, corpus.meta, gs)

        # ---- the searches that used to stall a server: answered or refused, and how fast
        print("bench: expensive searches …", flush=True)
        result["expensive"] = time_searches(Engine(str(ix)), expensive_searches(engine))

        # ---- one report added to the index (time proportional to the report)
        from indexer.writer import index_paths
        extra = work / "corpus" / "zz-new-report.jsonl"
        first = (corpus.folder / "part-0000.jsonl").read_text(encoding="utf-8").splitlines()[0]
        row = json.loads(first)
        row.update({"title": "2026年新到样本区政府工作报告", "district": "新到样本区", "year": 2026})
        extra.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        t0 = time.perf_counter()
        add = index_paths(str(ix), [str(corpus.folder)])
        result["add_one_report_s"] = round(time.perf_counter() - t0, 3)
        result["add_one_report_units"] = add.paragraphs - run["paragraphs"]
        result["index_reports_before_add"] = run["reports"]
        assert add.added == 1, add.as_json()

        # ---- serving: RSS and /api/search under concurrent clients
        print("bench: serving …", flush=True)
        server, base = start_server(str(ix), workers=args.web_workers)
        try:
            for q in QUERIES:                                   # warm every query once
                urllib.request.urlopen(base + "/api/search?" + urllib.parse.urlencode({"q": q[0]}),
                                       timeout=60).read()
            result["web"] = load(base, args.web_clients, args.web_seconds,
                                 queries=[q[0] for q in QUERIES], paths=["/api/search"])
            result["web"].update({"workers": args.web_workers,
                                  "requests_per_s": round(result["web"]["requests"] / args.web_seconds, 1)})
            # with --workers, the parent only binds the port: each worker holds an index
            rss = [vm_hwm(pid) for pid in [server.pid, *child_pids(server.pid)]]
            result["serve_rss_bytes"] = max(rss)
            result["serve_rss_all_processes_bytes"] = sum(rss)
            result["repeated_filters"] = time_repeated_filters(base)
        finally:
            server.terminate()
            server.wait(timeout=30)

        # ---- baselines on the same corpus (capped)
        n = min(args.paragraphs, args.baseline_cap)
        texts, meta = corpus.texts[:n], corpus.meta[:n]
        chars = sum(len(t) for t in texts)
        result["baselines"] = {}
        instances = {}
        for cls, path in ((Fts5, work / "fts5.sqlite"), (Fts5Facets, work / "fts5.sqlite"),
                          (Naive, work / "naive")):
            if cls is Naive and args.no_naive:
                continue
            print(f"bench: baseline {cls.name} on {n} paragraphs …", flush=True)
            b = instances[cls.name] = cls(path)
            if cls is Fts5Facets:                   # the same table: its ingest is fts5's
                b.con, secs = instances["fts5"].con, instances["fts5"].ingest_seconds
            else:
                secs = b.ingest(texts, meta)
                b.ingest_seconds = secs
            base_times = timed_queries(lambda q, b=b, cls=cls: b.query(q[1] if cls is Naive else q[0], q[2]))
            result["baselines"][cls.name] = {"paragraphs": n, "ingest_chars_per_s": round(chars / secs),
                                             "index_bytes": dir_bytes(path) if path.is_dir() else path.stat().st_size,
                                             **summary(base_times)}
        if "naive" in instances:
            result["facets_vs_groupedby"] = facet_ratio(engine, instances["naive"])
        print_table(result)
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        out_file = out_dir / f"{result['date']}-{args.paragraphs}.json"
        out_file.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"\nwritten {out_file}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(r: dict):
    b = r.get("baselines", {})

    def ratio(ours, theirs, higher_better):
        if not ours or not theirs:
            return "—"
        x = ours / theirs if higher_better else theirs / ours
        return f"{x:.2f}×"

    rows = [("ingest chars/s", "ingest_chars_per_s", True, "{:,.0f}"),
            ("index bytes", "index_bytes", False, "{:,.0f}"),
            ("query p50 ms", "query_p50_ms", False, "{:.1f}"),
            ("query p95 ms", "query_p95_ms", False, "{:.1f}"),
            ("query max ms", "query_max_ms", False, "{:.1f}")]
    print(f"\n{r['paragraphs']:,} paragraphs, {r['chars']:,} characters, {r['reports']:,} reports "
          f"(baselines on {b.get('fts5', {}).get('paragraphs', '—')}; govsearch counts 8 facets, "
          f"fts5+facets 4 by GROUP BY, fts5 and naive none)")
    names = [n for n in ("naive", "fts5", "fts5+facets") if n in b]
    head = f"{'':16} {'govsearch':>12}" + "".join(f" {n:>12} {'vs ' + n:>16}" for n in names)
    print(head)
    print("-" * len(head))
    for label, key, hb, fmt in rows:
        ours = r.get(key)
        cell = lambda v: fmt.format(v) if v is not None else "—"  # noqa: E731
        print(f"{label:16} {cell(ours):>12}" + "".join(
            f" {cell(b[n].get(key)):>12} {ratio(ours, b[n].get(key), hb):>16}" for n in names))
    print(f"{'first round':16} p50 {r['cold_query_p50_ms']} ms, p95 {r['cold_query_p95_ms']} ms, "
          f"max {r['cold_query_max_ms']} ms (each query once, right after opening the index)")
    print(f"{'open index':16} {r['open_seconds']:>13.2f}s")
    if r.get("formats"):
        from .readers import print_speed
        print_speed(r["formats"])
    print(f"{'index / text':16} {r['index_bytes'] / r['text_bytes']:>13.2f}×")
    print(f"{'add 1 report':16} {r['add_one_report_s']:>13.3f}s  ({r['add_one_report_units']} units into "
          f"{r['index_reports_before_add']} reports)")
    print(f"{'index RSS':16} {r['index_rss_bytes'] / 2**20:>12.0f}MB")
    print(f"{'serve RSS':16} {r['serve_rss_bytes'] / 2**20:>12.0f}MB per process "
          f"({r.get('serve_rss_all_processes_bytes', r['serve_rss_bytes']) / 2**20:.0f} MB all serve processes)")
    fr = r.get("facets_vs_groupedby")
    if fr:
        print(f"{'facets alone':16} region+year over every match: govsearch {fr['govsearch_ms']} ms, "
              f"groupedby {fr['groupedby_ms']} ms ({fr['ratio_median']}× median)")
    a = r.get("analysis")
    if a:
        e = a["export"]
        print(f"{'trend 发展/year':16} first {a['trend_by_year']['first_ms']} ms, then {a['trend_by_year']['median_ms']} ms"
              f"  (2 terms by province: {a['trend_by_region']['median_ms']} ms)")
        print(f"{'keywords':16} {a['keywords_selection']} vs the rest: first {a['keywords_province_year']['first_ms']} ms"
              f" (vocabulary read once), then {a['keywords_province_year']['median_ms']} ms")
        print(f"{'export 发展 csv':16} {e['hits']:,} hits in {e['seconds']} s = {e['hits_per_s']:,} hits/s; "
              f"peak RSS {e['child_rss_bytes'] / 2**20:.0f} MB (an export of a few hits: "
              f"{e['small_export_child_rss_bytes'] / 2**20:.0f} MB, a one-page query: "
              f"{e['query_page_child_rss_bytes'] / 2**20:.0f} MB) for {e['chars'] / 2**20:.0f}M characters out")
    w = r["web"]
    print(f"{'web ' + str(w['clients']) + ' clients':16} {w.get('requests_per_s', '—')} req/s "
          f"({w.get('workers', 1)} serve workers), p50 {w['p50_ms']} ms, p95 {w['p95_ms']} ms, "
          f"max {w['max_ms']} ms, {w['requests']} requests, {w['errors']} errors, status {w['status']}")
    print_expensive(r)


def print_expensive(r: dict):
    print("\nexpensive searches (a fresh engine: first run cold, then again)")
    for name, e in r.get("expensive", {}).items():
        print(f"  {name:32} {e['first_ms']:>8.1f} ms, again {e['again_ms']:>8.1f} ms  {e['answer']}")
    for path, f in r.get("repeated_filters", {}).items():
        print(f"  5,000 district= on {path:12} {f['best_ms']:>8.1f} ms best, {f['median_ms']} ms median, "
              f"status {f['status']}")


if __name__ == "__main__":
    main()
