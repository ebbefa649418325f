"""Reindexing as reports arrive: incremental counts, atomic swaps, concurrency, kills, watch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer.store import META_NAME, IndexError_, IndexStore
from indexer.writer import index_paths
from search.engine import Engine, search
from search.results import SearchRequest

from .conftest import ROOT, SEEDS, stop_watch

GS = [sys.executable, "-m", "cli"]


def gs(*args, timeout=300):
    return subprocess.run(GS + list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def counts(run) -> dict:
    j = run.as_json() if hasattr(run, "as_json") else run
    return {k: j[k] for k in ("added", "updated", "removed", "unchanged", "reports")} | \
        {"failed": len(j["failed"])}


def total(index_dir, q) -> int:
    return search(Engine(index_dir), SearchRequest(q=q, limit=1)).total


@pytest.fixture()
def workdir(tmp_path):
    src = tmp_path / "reports"
    src.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[1:]:          # 001..004
        shutil.copy(f, src / f.name)
    return src, str(tmp_path / "index")


def test_add_change_delete_rename_duplicate(workdir, provinces_dir):
    src, ix = workdir
    assert counts(index_paths(ix, [str(src)])) == dict(added=4, updated=0, removed=0, unchanged=0,
                                                        reports=4, failed=0)
    assert total(ix, '"驷马桥"') == 0

    # add: seed 000 arrives
    shutil.copy(next(SEEDS.glob("000_*.txt")), src / "000.txt")
    assert counts(index_paths(ix, [str(src)])) == dict(added=1, updated=0, removed=0, unchanged=4,
                                                        reports=5, failed=0)
    assert total(ix, '"驷马桥"') == 1

    # change: a correction to seed 002
    f002 = next(src.glob("002_*.txt"))
    f002.write_text(f002.read_text(encoding="utf-8").replace("廖红军", "廖红军（更正稿）"), encoding="utf-8")
    assert counts(index_paths(ix, [str(src)])) == dict(added=0, updated=1, removed=0, unchanged=4,
                                                        reports=5, failed=0)
    assert total(ix, '"更正稿"') == 1
    units_before = Engine(ix).snapshot().doc_count

    # rename: same content, new name -> moved cleanly, never twice
    f002.rename(src / "yubei-2024.txt")
    run = index_paths(ix, [str(src)])
    assert counts(run) == dict(added=1, updated=0, removed=1, unchanged=4, reports=5, failed=0)
    assert run.moved and run.moved[0]["to"].endswith("yubei-2024.txt")
    assert total(ix, '"更正稿"') == 1 and Engine(ix).snapshot().doc_count == units_before

    # duplicate: the same content under a second name is reported, not indexed
    shutil.copy(src / "yubei-2024.txt", src / "copy-of-yubei.txt")
    run = index_paths(ix, [str(src)])
    assert counts(run) == dict(added=0, updated=0, removed=0, unchanged=5, reports=5, failed=0)
    assert [d["source"].split("/")[-1] for d in run.duplicates] == ["copy-of-yubei.txt"]
    assert total(ix, '"更正稿"') == 1

    # delete
    (src / "000.txt").unlink()
    (src / "copy-of-yubei.txt").unlink()
    assert counts(index_paths(ix, [str(src)])) == dict(added=0, updated=0, removed=1, unchanged=4,
                                                        reports=4, failed=0)
    assert total(ix, '"驷马桥"') == 0

    # another root leaves these alone; a collection's rows come and go by row
    run = index_paths(ix, [str(provinces_dir)])
    assert counts(run) == dict(added=31, updated=0, removed=0, unchanged=0, reports=35, failed=0)


def test_touch_skips_catalog_edit_updates(workdir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    f = next(src.glob("003_*.txt"))
    os.utime(f, None)                                        # touched, not changed
    assert counts(index_paths(ix, [str(src)]))["unchanged"] == 4
    (src / "catalog.csv").write_text(f"file,province,district,level\n{f.name},重庆市,綦江区,县区级\n"
                                     "004_75b1283dda5df6ce.txt,重庆市,两江新区,县区级\n", encoding="utf-8")
    run = index_paths(ix, [str(src)])
    assert (run.updated, run.unchanged) == (2, 2)
    regions = {h.region for h in search(Engine(ix), SearchRequest(q="", limit=1000)).hits}
    assert "重庆市两江新区" in regions and "重庆市江北区" not in regions


def test_unreadable_file_keeps_its_indexed_version(workdir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    f = next(src.glob("003_*.txt"))
    f.write_bytes(b"\x00\x01\x02\x03" * 1000)           # broken in place
    run = index_paths(ix, [str(src)])
    assert run.failed and run.removed == 0 and run.reports == 4
    assert total(ix, '"綦江"') > 0                        # nothing already indexed is lost


def test_rebuild_swaps_atomically_and_cleans_up(workdir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    store = IndexStore(ix)
    old = store.current_dir()
    run = index_paths(ix, [str(src)], rebuild=True)
    assert run.added == 4 and run.reports == 4
    assert store.current_dir() != old and not old.exists()
    assert len(list(Path(ix).glob("data-*"))) == 1


@pytest.mark.parametrize("key", ["analyzer_version", "whoosh"])
def test_analyzer_or_storage_change_demands_rebuild(workdir, key):
    src, ix = workdir
    index_paths(ix, [str(src)])
    meta_path = IndexStore(ix).current_dir() / META_NAME
    meta = json.loads(meta_path.read_text())
    meta[key] = "0-old"
    meta_path.write_text(json.dumps(meta))
    out = gs("index", str(src), "--index", ix)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "--rebuild" in out.stderr
    out = gs("query", "营商环境", "--index", ix)
    assert out.returncode == 1 and "rebuild" in out.stderr and "Traceback" not in out.stderr
    out = gs("index", str(src), "--index", ix, "--rebuild-if-stale", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["added"] == 4


def test_second_writer_gets_a_clear_message(workdir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    store = IndexStore(ix)
    with store.write_lock():
        with pytest.raises(IndexError_) as e:
            index_paths(ix, [str(src)])
        assert "另一个 govsearch 正在写索引" in str(e.value)
        out = gs("index", str(src), "--index", ix)
        assert out.returncode == 1 and "另一个 govsearch 正在写索引" in out.stderr


def test_reindex_while_querying_never_mixes(workdir, provinces_dir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    engine = Engine(ix)
    q = "营商环境"
    before = search(engine, SearchRequest(q=q, limit=1)).total
    errors, answers = [], []
    stop = threading.Event()

    def query_loop():
        while not stop.is_set():
            time.sleep(0.005)                                 # leave the writer some GIL
            try:
                r = search(engine, SearchRequest(q=q, limit=5))
                facet_sum = sum(v.count for v in r.facets["region"])
                answers.append((r.total, facet_sum, len({h.report_id for h in r.hits})))
            except Exception as e:  # noqa: BLE001 - any error fails the test
                errors.append(repr(e))

    threads = [threading.Thread(target=query_loop) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        index_paths(ix, [str(provinces_dir)])                 # adds 31 reports
        index_paths(ix, [str(src), str(provinces_dir)], rebuild=True)   # swaps in a rebuilt index
    finally:
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
    after = search(engine, SearchRequest(q=q, limit=1)).total
    assert errors == []
    assert answers and after > before
    for tot, facet_sum, _ in answers:
        assert tot in (before, after) and facet_sum == tot


def test_concurrent_searches_agree_with_serial_ones(corpus_engine):
    """Threads sharing one engine get exactly the answers one thread gets."""
    queries = ['"高质量发展"', "发展", '"量发展"', "营商环境 -重庆", "改革 创新", '"稳进增效" OR 招商引资']
    expected = {}
    for q in queries:
        r = search(corpus_engine, SearchRequest(q=q, limit=30))
        expected[q] = (r.total, [(h.id, round(h.score, 6)) for h in r.hits])
    bad, errors = [], []

    def worker(n):
        for i in range(25):
            q = queries[(n + i) % len(queries)]
            try:
                r = search(corpus_engine, SearchRequest(q=q, limit=30))
            except Exception as e:  # noqa: BLE001 - any error fails the test
                errors.append(repr(e))
                continue
            if (r.total, [(h.id, round(h.score, 6)) for h in r.hits]) != expected[q]:
                bad.append(q)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                  # switch threads often: shake out shared state
    try:
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == [] and bad == []


def test_killed_writer_leaves_old_index_and_rerun_completes(workdir, provinces_dir):
    src, ix = workdir
    index_paths(ix, [str(src)])
    before = total(ix, "营商环境")
    proc = subprocess.Popen(GS + ["index", str(provinces_dir), "--index", ix, "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "GOVSEARCH_WRITER_PROCESSES": "2"})   # a small run otherwise in one
    # mid-run: kill as soon as the writer processes exist, before any commit
    # (indexing is too fast now for a fixed sleep to land mid-run)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if children.read_text().split():
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the index run ended before its writer processes were seen"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert total(ix, "营商环境") == before                      # the old index answers
    out = gs("index", str(provinces_dir), "--index", ix, "--json")   # no stale lock in the way
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)
    assert run["added"] == 31 and run["reports"] == 35 and run["failed"] == []
    assert total(ix, "营商环境") > before


def test_watch_indexes_a_dropped_report(tmp_path):
    """A report dropped into a watched folder becomes searchable without a restart.
    (How fast is not this test's business: the bound only catches a watcher that never acts.)"""
    folder = tmp_path / "inbox"
    folder.mkdir()
    ix = str(tmp_path / "index")
    proc = subprocess.Popen(GS + ["watch", str(folder), "--index", ix, "--debounce", "0.5"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not IndexStore(ix).exists():                   # the first (empty) pass
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        shutil.copy(next(SEEDS.glob("000_*.txt")), folder / "speech.txt")
        dropped = time.monotonic()
        found = False
        while time.monotonic() - dropped < 120:
            if IndexStore(ix).exists() and total(ix, '"驷马桥"') == 1:
                found = True
                break
            time.sleep(0.2)
        assert found, "report not searchable after 120 s"
    finally:
        out = stop_watch(proc)
    assert "added: " in out and "speech.txt" in out
    assert "Traceback" not in out and proc.returncode == 0


def test_watch_tries_a_failed_run_again(tmp_path):
    """A report that arrived while the index was locked (a long rebuild beside the watcher)
    stayed unindexed until some other file changed: the folder was taken as done before the
    run that failed.  Now the next rescan runs again."""
    import threading

    from indexer.watch import watch_folders

    folder, ix = tmp_path / "inbox", str(tmp_path / "index")
    folder.mkdir()
    lines, stop = [], threading.Event()
    t = threading.Thread(target=watch_folders, args=(ix, [str(folder)], lines.append),
                         kwargs={"debounce": 0.2, "rescan": 1.0, "polling": True, "stop": stop, "wait": 0.2})
    t.start()
    try:
        deadline = time.monotonic() + 30
        while not IndexStore(ix).exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        with IndexStore(ix).write_lock():
            shutil.copy(next(SEEDS.glob("000_*.txt")), folder / "speech.txt")
            while not any(line.startswith("error:") for line in lines):
                assert time.monotonic() < deadline, lines
                time.sleep(0.1)
        deadline = time.monotonic() + 30
        while total(ix, '"驷马桥"') != 1:
            assert time.monotonic() < deadline, lines
            time.sleep(0.2)
    finally:
        stop.set()
        t.join(10)
    assert any(line.startswith("added: ") for line in lines)


def test_watch_refuses_a_debounce_that_is_no_number_of_seconds(tmp_path):
    for bad in ("-5", "nan"):
        out = subprocess.run(GS + ["watch", str(tmp_path), "--index", str(tmp_path / "ix"), "--debounce", bad],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "--debounce" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_report_whose_file_became_a_broken_link_stays(tmp_path):
    """An indexed file replaced by a symlink to a disk not mounted was listed as failed (which
    keeps a report) and removed in the same run: the unreadable key was the link's target."""
    folder, ix = tmp_path / "r", str(tmp_path / "ix")
    folder.mkdir()
    for p in sorted(SEEDS.glob("00[12]_*.txt")):
        shutil.copy(p, folder / p.name)
    index_paths(ix, [str(folder)])
    before = total(ix, "")
    name = next(SEEDS.glob("001_*.txt")).name
    (folder / name).unlink()
    (folder / name).symlink_to("/nonexistent-mount/" + name)
    run = index_paths(ix, [str(folder)])
    assert len(run.failed) == 1 and name in run.failed[0]["source"]
    assert total(ix, "") == before and total(ix, "攀枝花") > 0


def test_deleting_a_collection_row(tmp_path):
    """Rows are identified by number: deleting row 1 shifts the others, and the
    index must end up holding exactly the rows the file holds."""
    folder = tmp_path / "c"
    folder.mkdir()
    rows = [("甲", "2024年甲县政府工作报告"), ("乙", "2024年乙县政府工作报告"), ("丙", "2024年丙县政府工作报告")]

    def write(rs):
        lines = ["title,text"] + [f'{t},"{t}\n各位代表：\n报告{name}的正文。"' for name, t in rs]
        (folder / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    write(rows)
    ix = str(tmp_path / "ix")
    assert index_paths(ix, [str(folder)]).reports == 3
    write(rows[1:])
    run = index_paths(ix, [str(folder)])
    assert run.reports == 2 and run.duplicates == []
    assert total(ix, '"报告甲"') == 0 and total(ix, '"报告乙"') == 1 and total(ix, '"报告丙"') == 1


def test_same_folder_name_in_two_places(tmp_path):
    for side in ("a", "b"):
        d = tmp_path / side / "reports"
        d.mkdir(parents=True)
        (d / "x.txt").write_text(f"2024年{side}区政府工作报告\n各位代表：\n{side}区的报告正文。\n", encoding="utf-8")
    ix = str(tmp_path / "ix")
    run = index_paths(ix, [str(tmp_path / "a" / "reports"), str(tmp_path / "b" / "reports")])
    assert run.added == 2 and run.reports == 2
    run = index_paths(ix, [str(tmp_path / "b" / "reports")])
    assert (run.unchanged, run.removed, run.reports) == (1, 0, 2)


def test_index_folder_that_is_a_file(tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    out = gs("index", str(SEEDS), "--index", str(f))
    assert out.returncode == 1 and "不是文件夹" in out.stderr and "Traceback" not in out.stderr


def test_progress_covers_the_whole_run_and_quiet_and_verbose(workdir):
    """Progress is heard phase by phase to the end of the commit; --quiet leaves only
    failures; -v logs the library's steps on stderr."""
    src, ix = workdir
    heard = []
    run = index_paths(ix, [str(src)], progress=lambda *a: heard.append(a))
    phases = [h[0] for h in heard]
    assert phases == sorted(phases, key=["read", "write", "commit"].index)     # in order, never back
    reads = [h for h in heard if h[0] == "read"]
    assert [h[1] for h in reads] == list(range(1, len(reads) + 1)) and reads[-1][2] == len(reads)
    writes = [h for h in heard if h[0] == "write"]
    assert len(writes) == run.added == len(list(src.iterdir()))
    assert heard[-2:] == [("commit", 0, 1), ("commit", 1, 1)]       # the commit is the run's last step
    (src / "broken.csv").write_text('title,content\n"x,"unclosed\n', encoding="utf-8")
    out = gs("index", str(src), "--index", ix, "--quiet")
    assert out.returncode == 1 and out.stdout == ""
    assert [line.split(":")[0] for line in out.stderr.splitlines()] == ["failed"]
    out = gs("-v", "index", str(src), "--index", ix)
    assert "govsearch.indexer: read" in out.stderr and "新增 0，更新 0" in out.stdout
