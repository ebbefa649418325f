"""Reliability: nothing indexed is lost, no input stalls a run, every failure is one true line.

Real indexes, real `govsearch` processes, real special files, a real writer
process killed mid-run and a real full disk (a small tmpfs, where this machine
lets the tests mount one).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.sources import SourceError, read_bytes
from indexer.store import IndexStore
from search.engine import Engine, search
from search.results import SearchRequest
from cli.terminal import json_text, printable

from .conftest import PROVINCES, ROOT, SEEDS, stop_watch

GS = [sys.executable, "-m", "cli"]
SEED_002 = (SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8")
SEED_004 = (SEEDS / "004_75b1283dda5df6ce.txt").read_text(encoding="utf-8")


# the provinces alone are a small run, written in one process unless told otherwise
TWO_WRITERS = {**os.environ, "GOVSEARCH_WRITER_PROCESSES": "2"}


def gs(*args, timeout=120, prefix=(), **kw):
    return subprocess.run([*prefix, *GS, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, **kw)


def run_json(out) -> dict:
    assert "Traceback" not in out.stderr, out.stderr
    return json.loads(out.stdout)


def failures(run: dict) -> dict[str, str]:
    return {f["source"].split("/")[-1]: f["error"] for f in run["failed"]}


def one_error_line(out) -> str:
    assert out.returncode != 0 and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("govsearch: error: "), out.stderr
    return lines[0]


def report_count(index_dir) -> int:
    return json.loads(gs("stats", "--json", "--index", index_dir).stdout)["reports"]


def total(index_dir, q) -> int:
    return search(Engine(str(index_dir)), SearchRequest(q=q, limit=1)).total


def index_files(index_dir) -> dict[str, list[str]]:
    """Every data folder of an index and the files in it."""
    return {d.name: sorted(p.name for p in d.iterdir()) for d in sorted(Path(index_dir).glob("data-*"))}


def report(title: str, body: str, front: str = "") -> str:
    head = f"---\n{front}---\n" if front else ""
    return f"{head}{title}\n各位代表：\n{body}\n"


def without_dac_override() -> list[str]:
    """As root, run without the capability to read what file permissions forbid."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to test unreadable folders as root"
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A real small filesystem at path; the test is skipped where mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


# ---------------------------------------------------------------- 1. no silent loss in the writer

BAD_YEARS = ["99999999999", "-5", "4294967296", "20244"]


def test_bad_metadata_values_fail_their_report_alone(tmp_path):
    """Bad years from front matter, catalog, CSV and JSONL, next to the 31 provincial reports
    (enough units for the multi-process writer): each bad report fails with one line naming
    its year, every good one is indexed once, and a second run adds nothing twice."""
    d = tmp_path / "in"
    shutil.copytree(PROVINCES, d / "provinces")
    for i, year in enumerate(BAD_YEARS):
        (d / f"front{i}.txt").write_text(report(f"2024年前{i}县政府工作报告", f"前{i}正文。", f"year: {year}\n"),
                                         encoding="utf-8")
    (d / "cat").mkdir()
    (d / "cat" / "c.txt").write_text(report("2024年目录县政府工作报告", "目录正文。"), encoding="utf-8")
    (d / "cat" / "catalog.csv").write_text("file,year\nc.txt,-2024\n", encoding="utf-8")
    rows = [("good", "2024"), ("bad", "99999999999"), ("good2", "2023")]
    (d / "rows.csv").write_text("title,year,text\n" + "".join(
        f"2024年{n}县政府工作报告,{y},\"各位代表：\n{n}正文。\"\n" for n, y in rows), encoding="utf-8")
    (d / "rows.jsonl").write_text("\n".join(json.dumps({"title": f"{n}报告", "year": int(y), "text": f"各位代表：\n{n}行。"})
                                            for n, y in rows) + "\n", encoding="utf-8")
    ix = tmp_path / "ix"
    out = gs("index", d, "--index", ix, "--json", timeout=300)
    run = run_json(out)
    assert out.returncode == 1
    failed = failures(run)
    expected_bad = {f"front{i}.txt" for i in range(len(BAD_YEARS))} | {"c.txt", "rows.csv#2", "rows.jsonl#2"}
    assert set(failed) == expected_bad
    for name in expected_bad:
        assert failed[name].startswith("年份 ") and "1900 到 2199 之间" in failed[name]
    assert "文件开头的元数据" in failed["front0.txt"] and "编目文件" in failed["c.txt"]
    good = 31 + 2 + 2
    assert run["added"] == good and run["reports"] == good
    again = run_json(gs("index", d, "--index", ix, "--json", timeout=300))
    assert again["added"] == 0 and again["unchanged"] == good and again["reports"] == good


def test_labels_titles_and_unicode_are_checked_before_the_writer(tmp_path):
    from indexer.writer import index_paths

    rows = [{"title": "2024年甲县政府工作报告", "province": "四" * 201, "text": "各位代表：\n甲正文。"},
            {"title": "乙" * 1001, "text": "各位代表：\n乙正文。"},
            {"title": "2024年丙县政府工作报告", "district": "丙" * 200, "text": "各位代表：\n丙正文。"}]
    (tmp_path / "x.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                                      encoding="utf-8")
    long_line = "2024年某县政府工作报告" + "很长的标题" * 300          # a title the reader took from the text
    (tmp_path / "t.txt").write_text(f"{long_line}\n——2024年1月5日在某县第一次人民代表大会上\n各位代表：\n正文。\n",
                                    encoding="utf-8")
    run = index_paths(str(tmp_path / "ix"), [str(tmp_path)])
    assert failures(run.as_json()) == {
        "x.jsonl#1": "province 有 201 个字符（来自这一行的列），超过上限 200 个字符",
        "x.jsonl#2": "title 有 1001 个字符（来自这一行的列），超过上限 1000 个字符"}
    assert run.reports == 2                                           # the 200-character label is fine


def _kill_first_writer_child(index_dir) -> subprocess.CompletedProcess:
    """Index the provinces (the multi-process writer) and SIGKILL one of its writer processes
    as soon as it exists, before anything is committed."""
    proc = subprocess.Popen(GS + ["index", str(PROVINCES), "--index", str(index_dir), "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=TWO_WRITERS)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and proc.poll() is None and time.monotonic() < deadline:
        pids = children.read_text().split()
        if pids:
            killed = int(pids[0])
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.005)
    out, err = proc.communicate(timeout=120)
    assert killed is not None, "the run ended before a writer process was seen"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_killed_writer_process_fails_the_commit(tmp_path):
    ix = tmp_path / "ix"
    # fresh index: nothing is published and no data folder is left behind
    out = _kill_first_writer_child(ix)
    line = one_error_line(out)
    assert "写索引的子进程" in line and "SIGKILL" in line and "没有建成索引" in line
    assert not IndexStore(ix).exists() and index_files(ix) == {}
    # an existing index: the previous generation stays, file for file
    assert gs("index", SEEDS, "--index", ix).returncode == 0
    before_files, before_hits = index_files(ix), total(ix, "营商环境")
    out = _kill_first_writer_child(ix)
    line = one_error_line(out)
    assert "写索引的子进程" in line and "索引保持原样" in line
    assert index_files(ix) == before_files and report_count(ix) == 5 and total(ix, "营商环境") == before_hits


# ---------------------------------------------------------------- 2. unreadable roots and folders keep their reports

@pytest.fixture()
def reports_dir(tmp_path) -> Path:
    d = tmp_path / "reports"
    (d / "sub").mkdir(parents=True)
    shutil.copy(SEEDS / "002_afc496c3baaee718.txt", d / "002.txt")
    shutil.copy(SEEDS / "003_b58f78ac1f665e0d.txt", d / "sub" / "003.txt")
    shutil.copy(SEEDS / "004_75b1283dda5df6ce.txt", d / "sub" / "004.txt")
    return d


def test_missing_root_keeps_its_reports(reports_dir, tmp_path):
    ix = tmp_path / "ix"
    assert run_json(gs("index", reports_dir, "--index", ix, "--json"))["reports"] == 3
    reports_dir.rename(tmp_path / "elsewhere")
    out = gs("index", reports_dir, "--index", ix, "--json")
    run = run_json(out)
    assert out.returncode == 1 and run["removed"] == 0 and run["reports"] == 3
    assert failures(run) == {"reports": "没有这个文件或文件夹"}
    # a rebuild without it would drop its reports: refused, the index untouched
    files = index_files(ix)
    line = one_error_line(gs("index", "--rebuild", reports_dir, SEEDS / "000_0934b745515b24c3.txt", "--index", ix))
    assert "没有重建" in line and "没有这个文件或文件夹" in line
    assert index_files(ix) == files and report_count(ix) == 3
    # its parent can be listed: there the folder is seen renamed, and its reports move
    run = run_json(gs("index", tmp_path, "--index", ix, "--json"))
    assert (run["added"], run["removed"], len(run["moved"]), run["reports"]) == (3, 3, 3, 3)


def test_unlistable_folder_keeps_its_reports(reports_dir, tmp_path):
    ix = tmp_path / "ix"
    assert run_json(gs("index", reports_dir, "--index", ix, "--json"))["reports"] == 3
    (reports_dir / "sub").chmod(0)
    try:
        out = gs("index", reports_dir, "--index", ix, "--json", prefix=without_dac_override())
    finally:
        (reports_dir / "sub").chmod(0o755)
    run = run_json(out)
    assert out.returncode == 1 and run["removed"] == 0 and run["unchanged"] == 1 and run["reports"] == 3
    assert failures(run)["sub"].startswith("无法列出文件夹的内容")
    assert total(ix, '"綦江区"') > 0


def test_unmounted_disk_keeps_its_reports(tmp_path):
    mount_point = tmp_path / "disk"
    ix = tmp_path / "ix"
    with tmpfs(mount_point, "8m"):
        (mount_point / "sub").mkdir()
        shutil.copy(SEEDS / "002_afc496c3baaee718.txt", mount_point / "002.txt")
        shutil.copy(SEEDS / "003_b58f78ac1f665e0d.txt", mount_point / "sub" / "003.txt")
        assert run_json(gs("index", mount_point, "--index", ix, "--json"))["reports"] == 2
    # unmounted: an empty folder on the disk beneath, as if every report had been deleted
    assert list(mount_point.iterdir()) == []
    for root in (mount_point, tmp_path):
        out = gs("index", root, "--index", ix, "--json")
        run = run_json(out)
        assert out.returncode == 1 and run["removed"] == 0 and run["reports"] == 2, run
        (error,) = run["failed"]
        assert error["source"] == str(mount_point) and "磁盘挂载了吗" in error["error"]
    # a folder on the same disk that was emptied on purpose loses its reports as before
    (tmp_path / "local").mkdir()
    shutil.copy(SEEDS / "004_75b1283dda5df6ce.txt", tmp_path / "local" / "004.txt")
    gs("index", tmp_path / "local", "--index", ix)
    (tmp_path / "local" / "004.txt").unlink()
    run = run_json(gs("index", tmp_path / "local", "--index", ix, "--json"))
    assert run["removed"] == 1 and run["failed"] == [] and run["reports"] == 2


# ---------------------------------------------------------------- 5. special files and names

GBK_NAME = "报告.txt".encode("gbk")                 # a Chinese name from a Windows archive
RAW_NAME = b"bad\xff\xfe.txt"                      # neither UTF-8 nor GB18030


@pytest.fixture()
def odd_folder(tmp_path) -> Path:
    d = tmp_path / "odd"
    d.mkdir()
    os.mkfifo(d / "pipe.txt")
    os.symlink("/dev/zero", d / "zero.txt")
    os.symlink("nowhere.txt", d / "dangling.txt")
    (d / "good.txt").write_text(SEED_002, encoding="utf-8")
    with open(os.fsencode(d) + b"/" + GBK_NAME, "wb") as fh:
        fh.write(SEED_004.replace("江北", "江北（GBK名）").encode("utf-8"))
    with open(os.fsencode(d) + b"/" + RAW_NAME, "wb") as fh:
        fh.write(report("2024年某县政府工作报告", "名字坏了的报告正文。").encode("utf-8"))
    return d


def test_special_files_are_never_read_and_odd_names_are_indexed(odd_folder, tmp_path):
    ix = tmp_path / "ix"
    out = gs("index", odd_folder, "--index", ix, "--json", timeout=60)     # a FIFO once hung here
    run = run_json(out)
    assert out.returncode == 1
    failed = failures(run)
    assert set(failed) == {"pipe.txt", "zero.txt", "dangling.txt"}
    assert "命名管道" in failed["pipe.txt"] and "不是普通文件" in failed["pipe.txt"]
    assert "字符设备" in failed["zero.txt"] and "/dev/zero" in failed["zero.txt"]
    assert "失效的符号链接" in failed["dangling.txt"] and "nowhere.txt" in failed["dangling.txt"]
    sources = {r["source"].split("/")[-1] for r in json.loads(gs("reports", "--json", "--index", ix).stdout)}
    assert sources == {"good.txt", "报告.txt", "bad\\xff\\xfe.txt"}
    assert total(ix, '"江北（GBK名）"') > 0 and total(ix, '"名字坏了的报告正文"') == 1
    warned = {w["source"].split("/")[-1] for w in run["warnings"] if "不是 UTF-8" in w["warning"]}
    assert warned == {"报告.txt", "bad\\xff\\xfe.txt"}
    again = run_json(gs("index", odd_folder, "--index", ix, "--json", timeout=60))
    assert again["unchanged"] == 3 and again["added"] == again["removed"] == 0


def test_named_fifo_and_device_arguments_are_refused(odd_folder, tmp_path):
    out = gs("index", odd_folder / "pipe.txt", odd_folder / "zero.txt", "--index", tmp_path / "ix", "--json",
             timeout=60)
    assert set(failures(run_json(out))) == {"pipe.txt", "zero.txt"}


def test_size_is_checked_while_reading(tmp_path, monkeypatch):
    """A regular file that says it is empty and is not (/proc) stops at the limit."""
    import indexer.sources as sources

    link = tmp_path / "maps.txt"
    os.symlink("/proc/self/maps", link)
    assert link.stat().st_size == 0 and len(link.read_bytes()) > 2048
    monkeypatch.setattr(sources, "MAX_REPORT_BYTES", 1024)
    with pytest.raises(SourceError) as e:
        read_bytes(link)
    assert "不断变大" in str(e.value)


def test_watch_survives_odd_names_and_special_files(odd_folder, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ix = tmp_path / "ix"
    proc = subprocess.Popen(GS + ["watch", str(inbox), "--index", str(ix), "--debounce", "0.3"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not IndexStore(ix).exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        os.mkfifo(inbox / "pipe.txt")
        os.rename(os.fsencode(odd_folder) + b"/" + GBK_NAME, os.fsencode(inbox) + b"/" + GBK_NAME)
        os.rename(os.fsencode(odd_folder) + b"/" + RAW_NAME, os.fsencode(inbox) + b"/" + RAW_NAME)
        found = False
        while time.monotonic() < deadline + 30 and not found:
            assert proc.poll() is None, "watch died"
            found = IndexStore(ix).exists() and total(ix, '"江北（GBK名）"') > 0 and total(ix, '"名字坏了的报告正文"') == 1
            time.sleep(0.2)
        assert found, "odd names not indexed by watch"
    finally:
        out = stop_watch(proc)
    assert proc.returncode == 0 and "Traceback" not in out
    assert "added: " in out and "报告.txt" in out and "failed: " in out and "命名管道" in out


# ---------------------------------------------------------------- 6. disk full

def test_disk_full_is_one_line_and_leaves_nothing_behind(tmp_path):
    with tmpfs(tmp_path / "small", "6m") as disk:
        ix = disk / "ix"
        assert gs("index", SEEDS, "--index", ix).returncode == 0          # about 4 MB
        files, used = index_files(ix), shutil.disk_usage(disk).used
        # adding the provinces fills the disk in the writer processes; a rebuild in the parent
        for args in (["index", PROVINCES], ["index", "--rebuild", SEEDS]):
            out = gs(*args, "--index", ix, timeout=300, env=TWO_WRITERS)
            line = one_error_line(out)
            assert "磁盘已满" in line and "索引保持原样" in line
            assert index_files(ix) == files and shutil.disk_usage(disk).used == used
            assert report_count(ix) == 5
    with tmpfs(tmp_path / "tiny", "2m") as disk:                          # a first index that cannot fit
        line = one_error_line(gs("index", SEEDS, "--index", disk / "ix"))
        assert "磁盘已满" in line and "没有建成索引" in line
        assert index_files(disk / "ix") == {} and not IndexStore(disk / "ix").exists()


# ---------------------------------------------------------------- 7. terminal and log injection

UNSAFE = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]] + ["\u202e", "\u2066", "\u2028", "\ufeff"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(UNSAFE + list("ab营商\\ 】【x[]"))))
def test_printable_leaves_no_control_character(text):
    shown = printable(text)
    assert not any(ch in shown for ch in UNSAFE)
    assert printable(text.translate({ord(c): None for c in UNSAFE})) == text.translate(
        {ord(c): None for c in UNSAFE})                                     # everything else as it was
    assert json.loads(json_text({"v": text}))["v"] == text and not any(ch in json_text(text) for ch in UNSAFE[32:])


def test_names_and_titles_cannot_forge_lines_or_steer_the_terminal(tmp_path):
    d = tmp_path / "evil"
    d.mkdir()
    (d / "evil\nfailed: fake.txt").write_bytes(bytes(range(256)) * 8)          # binary: listed as failed
    osc = "\x1b]8;;http://example.invalid/\x07链接\x1b]8;;\x07"
    (d / "title\x1b[2J.txt").write_text(report(f"2024年某县政府工作报告{osc}\x9b31m", "营商环境正文。",
                                                f"title: 2024年某县政府工作报告{osc}\x9b31m\nspeaker: 县长\x1b[8m张三\n"),
                                         encoding="utf-8")
    ix = tmp_path / "ix"
    out = gs("index", d, "--index", ix)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"failed: {d}/evil\\nfailed: fake.txt: ")
    shown = gs("reports", "--index", ix).stdout + gs("query", "营商环境", "--index", ix).stdout + \
        gs("stats", "--index", ix).stdout + out.stdout
    for ch in ("\x1b", "\x9b", "\x07"):
        assert ch not in shown
    assert "\\x1b]8;;http://example.invalid/\\x07" in shown and "title\\x1b[2J.txt" in shown
    rows = gs("reports", "--index", ix).stdout.splitlines()
    assert len(rows) == 2                                                    # one report: its two lines
    as_json = gs("reports", "--json", "--index", ix).stdout
    assert "\x9b" not in as_json and json.loads(as_json)[0]["title"].endswith("\x9b31m")


# ---------------------------------------------------------------- 8. serve arguments

@pytest.mark.parametrize("args,words", [
    (["--port", "-1"], "0 到 65535"),
    (["--port", "99999"], "0 到 65535"),
    (["--port", "http"], "0 到 65535"),
    (["--threads", "0"], "1 到 256"),
    (["--host", "no-such-host.invalid"], "没有这个主机名"),
    (["--host", "192.0.2.1"], "不是本机的地址"),
])
def test_serve_bad_arguments_are_one_line(seeds_index, args, words):
    line = one_error_line(gs("serve", "--index", seeds_index, *args, timeout=60))
    assert words in line


def test_serve_port_in_use_is_one_line(seeds_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_error_line(gs("serve", "--index", seeds_index, "--port", port, timeout=60))
    assert f"端口 {port}" in line and "已被占用" in line


def test_serve_workers_share_the_port_are_replaced_and_stop_together(seeds_index):
    """--workers 2: two processes answer on one port; a killed worker is replaced; SIGTERM
    to the server stops every worker."""
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(GS + ["serve", "--index", seeds_index, "--port", str(port), "--workers", "2"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "2 个进程" in proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/api/search?q=%E8%90%A5%E5%95%86%E7%8E%AF%E5%A2%83&limit=1"
        want = json.loads(urllib.request.urlopen(url, timeout=60).read())["total"]
        workers = _children(proc.pid)
        assert len(workers) == 2
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(set(_children(proc.pid)) - {workers[0]}) < 2:
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.2)
        for _ in range(6):                       # every worker answers the same
            assert json.loads(urllib.request.urlopen(url, timeout=60).read())["total"] == want
        workers = _children(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    time.sleep(0.5)
    assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}") and
                "Z" not in open(f"/proc/{pid}/stat").read().split(")")[1][:3]]


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


# ---------------------------------------------------------------- 9. messages that say what is wrong

def test_messages_say_what_is_actually_wrong(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    good = "各位代表：\n正文。"
    rows = [{"title": "甲", "content": 2024}, {"title": "乙", "content": ["段一", "段二"]},
            {"title": "丙", "content": {"p": 1}}, {"title": ["丁"], "content": good}, {"title": "戊", "content": good}]
    (d / "rows.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
                                  + '\n{"title": "己", "content": "\\ud800正文"}\n', encoding="utf-8")
    (d / "rows.csv").write_text('title,text\n甲,"正文一"多余\n乙,正文二\n丙,正文三,多出\n丁\n戊,"正文五\n己,正文六\n',
                                encoding="utf-8")
    os.symlink("gone.txt", d / "link.txt")
    (d / "cat").mkdir()
    (d / "cat" / "a.txt").write_text(report("2024年甲县政府工作报告", "甲正文。"), encoding="utf-8")
    (d / "cat" / "b.txt").write_text(report("2024年乙县政府工作报告", "乙正文。"), encoding="utf-8")
    (d / "cat" / "catalog.csv").write_text('file,district\na.txt,"甲县\nb.txt,乙县\n', encoding="utf-8")
    (d / "twice").mkdir()
    (d / "twice" / "t.txt").write_text(report("2024年丙县政府工作报告", "丙正文。"), encoding="utf-8")
    (d / "twice" / "catalog.csv").write_text("file,district\nt.txt,甲县\nt.txt,乙县\n", encoding="utf-8")
    run = run_json(gs("index", d, "--index", tmp_path / "ix", "--json"))
    f = failures(run)
    assert f["rows.jsonl#1"] == "第 1 行：“content”是数字，不是文字"
    assert f["rows.jsonl#2"] == "第 2 行：“content”是列表，不是文字"
    assert f["rows.jsonl#3"] == "第 3 行：“content”是对象，不是文字"
    assert f["rows.jsonl#4"] == "第 4 行：“title”是列表，不是单个值"
    assert "孤立的代理项" in f["rows.jsonl#6"]
    assert f["rows.csv#1"].startswith("第 1 条（第 2 行）：引号在字段中间就结束了")
    assert f["rows.csv#3"] == "第 3 条（第 4 行）：有 3 个字段，表头只有 2 个（是否有没加引号的逗号，或引号不成对？）"
    assert f["rows.csv#4"].startswith("第 4 条（第 5 行）：还没到正文列“text”就结束了")
    assert f["rows.csv#5"] == ("第 5 条（第 6 行）：这一条里的引号没有闭合"
                               "（第 6–7 行，即文件的其余部分，都读不了）")
    assert f["link.txt"] == "失效的符号链接：它指向的 gone.txt 不存在"
    assert "catalog.csv 有误：第 2 行：这一条里的引号没有闭合" in f["a.txt"]
    assert "twice/catalog.csv 有误：第 3 行：t.txt 在第 2 行已经登记过" in f["t.txt"]
    assert {r["source"].split("/")[-1] for r in json.loads(gs("reports", "--json", "--index",
                                                                tmp_path / "ix").stdout)} == \
        {"rows.jsonl#5", "rows.csv#2"}


def test_a_data_folder_that_cannot_be_made_is_one_chinese_line(tmp_path):
    """Making an index's data folder where none can be made (here: below a file) is the
    store's one-line error naming the folder, not a NameError's traceback."""
    from indexer.store import IndexError_, IndexStore

    (tmp_path / "file").write_text("x", encoding="utf-8")
    store = IndexStore(tmp_path / "file" / "ix")
    try:
        store.new_data_dir()
    except IndexError_ as e:
        message = str(e)
    else:
        raise AssertionError("a data folder was made below a file")
    assert message.startswith("无法在 ") and str(tmp_path / "file" / "ix") in message
    assert "\n" not in message


@pytest.mark.parametrize("listen", ["one", "several"])
def test_a_request_line_with_raw_utf8_is_read_as_its_percent_encoding(seeds_index, listen):
    """curl sends Chinese in a URL as raw UTF-8 bytes; the server answers it as the
    percent-encoded URL a browser sends, not with an English "Bad URI" — on every
    address of a host that has several (localhost: 127.0.0.1 and ::1)."""
    import threading
    from urllib.parse import quote

    from waitress.server import BaseWSGIServer

    from webui import create_app
    from webui.server import _waitress, make_server

    if listen == "one":
        server = make_server(seeds_index, host="127.0.0.1", port=0, threads=2)
    else:
        server = _waitress(create_app(seeds_index), 2, listen="127.0.0.1:0 127.0.0.2:0")
    listeners = [server] if isinstance(server, BaseWSGIServer) else \
        [s for s in server.map.values() if isinstance(s, BaseWSGIServer)]
    assert len(listeners) == (1 if listen == "one" else 2)
    threading.Thread(target=server.run, daemon=True).start()

    def get(address, target: bytes) -> tuple[bytes, bytes]:
        with socket.create_connection(address, timeout=30) as s:
            s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n")[0], body

    try:
        path = "/api/search?q=营商环境&province=重庆&limit=3"
        for listener in listeners:
            address = listener.socket.getsockname()[:2]
            raw_status, raw_body = get(address, path.encode("utf-8"))
            encoded_status, encoded_body = get(address, quote(path, safe="/?&=").encode("ascii"))
            assert raw_status == encoded_status == b"HTTP/1.1 200 OK", address
            raw, encoded = json.loads(raw_body), json.loads(encoded_body)
            raw.pop("took_ms", None), encoded.pop("took_ms", None)
            assert raw == encoded and raw["query"] == "营商环境" and raw["total"] > 0
    finally:
        server.close()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_a_damaged_index_says_so_and_rebuild_mends_it(tmp_path, seeds_index):
    """A segment file cut short was "an unexpected internal error, report it to the maintainers",
    naming no rebuild; a table of contents cut short made --rebuild itself fail that way."""
    ix = tmp_path / "ix"
    shutil.copytree(seeds_index, ix)
    terms = max(ix.glob("data-*/*.trm"), key=lambda f: f.stat().st_size)
    with open(terms, "r+b") as f:
        f.truncate(terms.stat().st_size // 2)
    out = _cli("query", "营商环境", "--index", str(ix))
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1
    assert "可能已损坏" in out.stderr and "--rebuild" in out.stderr and "报告给维护者" not in out.stderr

    shutil.rmtree(ix)
    shutil.copytree(seeds_index, ix)
    toc = next(ix.glob("data-*/_MAIN_*.toc"))
    with open(toc, "r+b") as f:
        f.truncate(20)
    out = _cli("query", "营商环境", "--index", str(ix))
    assert out.returncode == 1 and "可能已损坏" in out.stderr
    assert _cli("index", str(SEEDS), "--index", str(ix), "--rebuild", "--quiet").returncode == 0
    assert json.loads(_cli("query", "营商环境", "--index", str(ix), "--json").stdout)["total"] > 0


def test_a_rebuild_killed_before_it_published_leaves_no_folder_behind(tmp_path, seeds_index):
    """Its half-made data folder stayed through any number of incremental runs."""
    ix = tmp_path / "ix"
    shutil.copytree(seeds_index, ix)
    live = (ix / "CURRENT").read_text().strip()
    abandoned = ix / "data-20260101T000000-1-1"
    abandoned.mkdir()
    (abandoned / "_MAIN_1.toc").write_bytes(b"half")
    assert _cli("index", str(SEEDS), "--index", str(ix), "--quiet").returncode == 0
    assert sorted(p.name for p in ix.glob("data-*")) == [live]
