"""Every refusal a person reads is one line in Chinese naming its file or parameter (the
guide): a folder of bad inputs of every kind goes through the real `govsearch index`, beside
reports indexed before, which stay searchable with the same counts."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest

from .conftest import ROOT, SEEDS
from .published import docx_from_text
from .test_reliability import without_dac_override

PROVINCE_CSV = ROOT / "tests/corpora/provinces-2026/2026_上海市_政府工作报告.csv"
GOOD_SEEDS = sorted(SEEDS.glob("00*.txt"))[:3]
CJK = re.compile(r"[\u4e00-\u9fff]")
# what a person must never read: a traceback, an exception's class or its repr
PYTHON_WORDS = re.compile(r"Traceback|Exception|Error\(|\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b")
TERMS = ("营商环境", "新质生产力", '"稳中求进"')


def gs(*args, prefix=()):
    return subprocess.run([*prefix, sys.executable, "-m", "cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def _docx_bytes(tmp: Path) -> bytes:
    path = docx_from_text(GOOD_SEEDS[0].read_text(encoding="utf-8"), tmp / "whole.docx")
    data = path.read_bytes()
    path.unlink()
    return data


def _xml_cut(docx: bytes) -> bytes:
    """A .docx whose document.xml stops halfway: the ZIP is fine, the XML is not."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            zout.writestr(item, body[: len(body) // 2] if item.filename == "word/document.xml" else body)
    return out.getvalue()


def write_bad_inputs(bad: Path, tmp: Path) -> dict[str, str]:
    """Bad inputs of every kind the readers refuse; returns each failing source (relative to
    ``bad``, ``#N`` for a row) with a word its line must hold (the kind of refusal)."""
    docx = _docx_bytes(tmp)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    files = {
        "truncated.docx": docx[: len(docx) // 2],
        "xml-cut.docx": _xml_cut(docx),
        "word97.docx": ole + b"\0" * 600,
        "truncated.pdf": b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pa",
        "text.pdf": "这是一个文本文件，不是PDF。\n".encode(),
        "damaged.doc": ole + b"\0" * 3000,
        "random.doc": bytes(range(7, 256)) * 8,
        "binary.html": bytes(range(256)) * 16,
        "binary.txt": bytes(range(256)) * 64,
        "office.txt": docx[:4000],
        "pdf.txt": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n",
        "empty.txt": b"",
        "undecodable.txt": "正文".encode() + bytes([0x81, 0x30, 0x81, 0x30]) * 200 + b"\xff\xfe\xfd" * 300,
        "notext.csv": "province,year,title\n四川省,2024,某报告\n".encode(),
        "badrow.csv": 'title,text\n好报告,"各位代表：正文，坚持稳进增效。"\n坏,"未闭合 "引号" 中间,x\n'.encode(),
        "rows.jsonl": (json.dumps({"title": "某县报告", "text": "各位代表：某县正文，坚持稳进增效。"},
                                  ensure_ascii=False) + "\n{broken\n[1,2]\n" + json.dumps({"title": "x"}) +
                       "\n" + json.dumps({"text": 12}) + "\n").encode(),
        "badid.md": "---\nreport_id: 不合格 的编号\n---\n某区政府工作报告\n各位代表：坚持稳进增效。\n".encode(),
        "badyear.md": "---\nyear: 12345\n---\n某区政府工作报告\n各位代表：坚持稳进增效。\n".encode(),
        "locked.txt": "某区政府工作报告\n各位代表：坚持稳进增效。\n".encode(),
        "catalog-csv/r.txt": "各位代表：某区正文，坚持稳进增效。\n".encode(),
        "catalog-csv/catalog.csv": "file,province\nr.txt,四川省\nr.txt,重庆市\n".encode(),
        "catalog-toml/r.txt": "各位代表：某区正文，坚持稳进增效。\n".encode(),
        "catalog-toml/catalog.toml": "[r.txt\nprovince = 1\n".encode(),
    }
    for name, data in files.items():
        (bad / name).parent.mkdir(parents=True, exist_ok=True)
        (bad / name).write_bytes(data)
    (bad / "locked.txt").chmod(0)
    with open(bad / "huge.txt", "wb") as fh:                    # sparse: over the limit, never read
        fh.truncate(300 * 1024 * 1024)
    os.mkfifo(bad / "pipe.txt")
    os.symlink("nowhere.txt", bad / "dangling.txt")
    os.symlink("loop-b.txt", bad / "loop-a.txt")
    os.symlink("loop-a.txt", bad / "loop-b.txt")
    return {
        "truncated.docx": ".docx", "xml-cut.docx": ".docx", "word97.docx": ".doc",
        "truncated.pdf": "PDF", "text.pdf": "PDF", "damaged.doc": "没有 Word 正文", "random.doc": ".doc",
        "binary.html": "二进制", "binary.txt": "二进制", "office.txt": "Office", "pdf.txt": "PDF",
        "empty.txt": "空文件", "undecodable.txt": "解码", "notext.csv": "正文列",
        "badrow.csv#2": "引号", "rows.jsonl#2": "JSON", "rows.jsonl#3": "JSON 对象", "rows.jsonl#4": "正文字段",
        "rows.jsonl#5": "数字", "badid.md": "report_id", "badyear.md": "年份", "locked.txt": "权限",
        "huge.txt": "MB", "pipe.txt": "管道", "dangling.txt": "符号链接", "loop-a.txt": "符号链接",
        "loop-b.txt": "符号链接", "catalog-csv/r.txt": "catalog.csv", "catalog-toml/r.txt": "catalog.toml",
    }


def counts(index: Path) -> dict:
    """What the indexed reports answer: each term's total, and every report's source."""
    out = {}
    for term in TERMS:
        got = gs("query", term, "--index", str(index), "--json")
        assert got.returncode == 0, got.stderr
        out[term] = json.loads(got.stdout)["total"]
    listed = gs("reports", "--index", str(index), "--json")
    out["sources"] = sorted(r["source"] for r in json.loads(listed.stdout))
    return out


def refusal_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("failed: ")]


def assert_said_to_a_person(line: str):
    assert CJK.search(line), f"not in Chinese: {line}"
    assert not PYTHON_WORDS.search(line), f"names Python: {line}"


def test_every_bad_input_is_one_chinese_line_naming_its_file(tmp_path):
    corpus = tmp_path / "corpus"
    good = corpus / "good"
    good.mkdir(parents=True)
    for p in [*GOOD_SEEDS, PROVINCE_CSV]:
        shutil.copy(p, good / p.name)
    index = tmp_path / "index"
    first = gs("index", str(corpus), "--index", str(index), "--quiet")
    assert first.returncode == 0 and first.stderr == "", first.stderr
    before = counts(index)
    assert before["sources"] == sorted([str(good / p.name) for p in GOOD_SEEDS] + [f"{good / PROVINCE_CSV.name}#1"])
    assert all(before[t] > 0 for t in TERMS)

    bad = corpus / "bad"
    bad.mkdir()
    expected = write_bad_inputs(bad, tmp_path)
    (corpus / "sheet.xls").write_bytes(b"x")
    named = [str(corpus / "sheet.xls"), str(corpus / "missing.txt")]
    run = gs("index", str(corpus), *named, "--index", str(index), prefix=without_dac_override())

    assert run.returncode == 1, run.stderr                      # README: 1 when any source failed
    assert "Traceback" not in run.stderr + run.stdout
    lines = run.stderr.splitlines()
    refusals = refusal_lines(run.stderr)
    assert all(line.startswith(("failed: ", "warning: ")) for line in lines), run.stderr
    by_source = {}
    for line in refusals:
        source = line[len("failed: "):].split(": ", 1)[0]
        assert source not in by_source, f"said twice: {line}"
        by_source[source] = line
    wanted = {str(bad / name): word for name, word in expected.items()}
    wanted.update({named[0]: ".xls", named[1]: "没有"})
    assert sorted(by_source) == sorted(wanted), run.stderr
    for source, word in wanted.items():
        line = by_source[source]
        assert_said_to_a_person(line)
        assert word in line.split(": ", 2)[-1], line
    for line in lines:
        assert_said_to_a_person(line)

    after = counts(index)
    good_sources = set(before["sources"])
    assert good_sources <= set(after["sources"])
    # only the good rows of the bad folder were added
    assert sorted(set(after["sources"]) - good_sources) == sorted(
        str(bad / s) for s in ("badrow.csv#1", "rows.jsonl#1"))
    assert {t: after[t] for t in TERMS} == {t: before[t] for t in TERMS}


def test_wrong_shards_and_an_unwritable_index_are_one_chinese_line(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    shutil.copy(GOOD_SEEDS[0], good)
    index = tmp_path / "index"
    assert gs("index", str(good), "--index", str(index), "--quiet").returncode == 0
    before = counts(index)

    cases = [
        (["--shards", "0"], 2, "--shards"),                     # out of range: a usage error
        (["--shards", "abc"], 2, "--shards"),
        (["--shards", "3"], 1, str(index)),                     # an unsharded index asked for shards
        (["--wait", "soon"], 2, "--wait"),
        (["--no-such-option"], 2, "--no-such-option"),
    ]
    for args, code, named in cases:
        out = gs("index", str(good), "--index", str(index), *args)
        assert out.returncode == code, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and out.stderr.startswith("govsearch: error: "), out.stderr
        assert named in out.stderr, out.stderr
        assert_said_to_a_person(out.stderr)

    shutil.copy(GOOD_SEEDS[1], good)                            # something to write
    tree = [index, *index.rglob("*")]
    modes = {p: p.stat().st_mode for p in tree}
    for p in tree:                                              # a read-only index folder
        p.chmod(modes[p] & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        out = gs("index", str(good), "--index", str(index), prefix=without_dac_override())
    finally:
        for p in tree:
            p.chmod(modes[p])
    assert out.returncode == 1 and out.stderr.count("\n") == 1, out.stderr
    assert str(index) in out.stderr and "权限" in out.stderr, out.stderr
    assert_said_to_a_person(out.stderr)
    assert counts(index) == before


@pytest.mark.parametrize("args, named", [
    (["query", "营商环境", "--limit", "0"], "limit"),
    (["query", "(营商环境"], "括号"),
    (["query", "营商环境", "--match", "fuzzy"], "--match"),
    (["serve", "--port", "70000"], "--port"),
    (["nosuchcommand"], "nosuchcommand"),
    (["query", "营商", "--json=1"], "--json 是开关"),
    (["query", "营商环境", "-发展"], "govsearch query \"营商环境 -发展\""),      # a NOT word taken for an option
    (["serve", "--port="], "没有给值"),
])
def test_command_line_mistakes_are_one_chinese_line(tmp_path, args, named):
    out = gs(*args, "--index", str(tmp_path / "none")) if args[0] != "nosuchcommand" else gs(*args)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and named in out.stderr, out.stderr
    assert_said_to_a_person(out.stderr)


def test_every_help_page_is_in_chinese():
    """`govsearch CMD --help` is read by a person too: click's headings and every option's
    description in Chinese (the option names and their value types stay as typed)."""
    from click.testing import CliRunner

    from cli.main import cli

    for command in [None, *sorted(cli.commands)]:
        out = CliRunner().invoke(cli, [command, "--help"] if command else ["--help"])
        assert out.exit_code == 0, out.output
        text = out.output
        assert text.startswith("用法：") and "选项：" in text and "Usage" not in text and "Options" not in text
        options = text.split("选项：", 1)[1].split("命令：", 1)[0]
        described = re.split(r"\n  (?=-)", options.strip("\n"))
        assert len(described) >= 2
        for entry in described:
            assert CJK.search(entry), f"{command}: {entry}"
            assert "default:" not in entry, entry


@pytest.mark.parametrize("kind, given, said", [
    (click.IntRange(1, 256), "0", "选项 --n 要是 1 到 256 之间的整数，给的是 0"),
    (click.IntRange(min=1), "0", "选项 --n 要是不小于 1 的整数，给的是 0"),
    (click.FloatRange(max=5), "9.5", "选项 --n 要是不大于 5 的数，给的是 9.5"),
    (click.IntRange(1, 10**6), "0", "选项 --n 要是 1 到 1000000 之间的整数，给的是 0"),
    (click.FloatRange(0.1, 600), "0", "选项 --n 要是 0.1 到 600 之间的数，给的是 0.0"),
])
def test_a_value_out_of_range_says_the_range_even_one_open_at_one_end(kind, given, said):
    from cli.usage import usage_message

    param = click.Option(["--n"], type=kind)
    with pytest.raises(click.BadParameter) as caught:
        kind.convert(given, param, None)
    caught.value.param = param
    assert usage_message(caught.value) == said


def test_govsearch_alone_shows_its_help_page_not_an_error_line():
    out = gs()
    assert out.returncode == 2
    assert out.stderr.startswith("用法：govsearch") and "命令：" in out.stderr and "\\n" not in out.stderr
    assert out.stderr.count("\n") > 10 and "error" not in out.stderr


def test_a_logged_traceback_keeps_its_lines_under_v():
    """What -v shows a maintainer of an unexpected failure: the traceback line by line (each
    line made safe for a terminal), not one line of escaped newlines."""
    import logging

    from cli.main import _PrintableFormatter

    try:
        {}["title"]
    except KeyError:
        record = logging.LogRecord("govsearch.cli", logging.ERROR, __file__, 1, "意外的内部错误 %s",
                                   ("a\x1b[2Jb",), sys.exc_info())
    text = _PrintableFormatter("govsearch: %(name)s: %(message)s").format(record)
    lines = text.splitlines()
    assert lines[0].endswith("govsearch: govsearch.cli: 意外的内部错误 a\\x1b[2Jb")
    assert lines[1] == "Traceback (most recent call last):" and lines[-1] == "KeyError: 'title'"
    assert "\x1b" not in text


def test_every_json_error_is_chinese_with_a_code(seeds_index):
    """Werkzeug's English 404 text (The requested URL was not found…) never reaches the JSON,
    and the indicators API's errors carry a code like every other."""
    from webui import create_app

    client = create_app(seeds_index).test_client()
    for url in ("/api/nosuch", "/api/trend/nosuch", "/api/indicators?year=abc", "/api/search?q=(营商"):
        resp = client.get(url)
        body = resp.get_json()
        assert resp.status_code in (400, 404), url
        assert CJK.search(body["error"]) and "requested URL" not in body["error"], (url, body)
        assert re.fullmatch(r"[a-z_]+", body["code"]), (url, body)


def test_the_version_line_is_chinese_too():
    out = gs("--version")
    assert out.returncode == 0 and out.stdout.startswith("govsearch 版本 ") and "version" not in out.stdout


@pytest.mark.parametrize("args, said", [
    (["query", "营商环境", "--limit", "0"], "选项 --limit 要在 1 到 10000 之间"),
    (["query", "营商环境", "--page", "abc"], "选项 --page 要是整数"),
    (["trend", "发展", "--by", "nosuch"], "选项 --by 只能是"),
    (["indicators", "--role", "x"], "选项 --role 只能是"),
])
def test_search_refusals_name_the_option_typed_on_the_command_line(seeds_index, args, said):
    """search/ names a request's parameter as the URL spells it (参数 limit); the command line
    says the option the person typed."""
    out = gs(*args, "--index", seeds_index)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert said in out.stderr and "参数" not in out.stderr, out.stderr


def test_without_v_a_logged_failure_prints_nothing_of_its_own():
    """The catch-all logs the traceback for -v; without -v nothing may print it (Python's
    last-resort handler would, above the one Chinese line)."""
    code = ("import sys, logging, cli.main\n"
            "try:\n    {}['x']\n"
            "except KeyError:\n    logging.getLogger('govsearch.cli').error('意外的内部错误', exc_info=True)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0 and out.stderr == "", out.stderr
