"""Lines a collection repeats in many of its reports are dropped and counted, never indexed.

Fixtures: the 31 provincial reports as a wiki or CMS scraper leaves them (tests/shapes.py:
a site header, a licence notice, a footer, a stray "false"), and the seeds with a footer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from indexer.writer import index_paths
from search.engine import Engine, search
from search.results import SearchRequest

from .conftest import ROOT, SEEDS
from .shapes import FOOTER, LICENCE, SHARED_BODY, WIKI_HEAD, write_laden_provinces


def reports_json(index_dir: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "cli", "reports", "--json", "--index", index_dir],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def units_by_province(engine) -> dict[str, list[str]]:
    snap = engine.snapshot()
    out: dict[str, list[tuple[int, str]]] = {}
    with snap.searching() as s:
        for f in snap.units.all(s):
            if f["level"] == "省级":
                out.setdefault(f["province"], []).append((int(f["para_no"]), f["text"]))
    return {k: [t for _, t in sorted(v)] for k, v in out.items()}


@pytest.fixture(scope="module")
def laden_index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("laden") / "wiki-export"
    added = write_laden_provinces(folder)
    ix = str(tmp_path_factory.mktemp("laden-index"))
    run = index_paths(ix, [str(folder)])
    assert not run.failed and run.reports == 31
    return ix, folder, added


def test_dropped_lines_are_counted_per_report(laden_index):
    ix, _, added = laden_index
    rows = reports_json(ix)
    assert {r["province"]: r["dropped_lines"] for r in rows} == added
    assert all({"type", "year", "url", "dropped_lines"} <= set(r) for r in rows)


@pytest.mark.parametrize("phrase", WIKI_HEAD + [LICENCE[0][-12:], "Public domain"] + FOOTER)
def test_no_boilerplate_stays_searchable(laden_index, phrase):
    ix, _, _ = laden_index
    assert search(Engine(ix), SearchRequest(q=f'"{phrase}"')).total == 0


def test_stray_values_are_gone_and_report_text_stays(laden_index, corpus_engine):
    """The laden reports read exactly as the clean ones, plus the one sentence they share."""
    ix, _, _ = laden_index
    engine = Engine(ix)
    assert search(engine, SearchRequest(q="false")).total == 0
    shared = search(engine, SearchRequest(q=f'"{SHARED_BODY}"', limit=100))
    assert len({h.province for h in shared.hits}) == 31      # recurring body text is report text
    laden = units_by_province(engine)
    clean = units_by_province(corpus_engine)
    assert set(laden) == set(clean)
    for province, texts in laden.items():
        texts.remove(SHARED_BODY)                               # the one the fixture added
        assert texts == clean[province], province


def test_rerun_is_unchanged(laden_index, tmp_path):
    ix, folder, _ = laden_index
    run = index_paths(ix, [str(folder)])
    assert (run.added, run.updated, run.unchanged) == (0, 0, 31)


def test_boilerplate_follows_the_collection_as_it_changes(tmp_path):
    """A footer on four of five seeds is boilerplate; with two of them gone it is on two of
    three reports, no longer boilerplate, and the unchanged files are read again."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    laden = []
    for i, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        text = path.read_text(encoding="utf-8")
        if i:
            text = text.rstrip("\n") + "\n" + "\n".join(FOOTER) + "\n"
            laden.append(path.name)
        (folder / path.name).write_text(text, encoding="utf-8")
    ix = str(tmp_path / "ix")
    index_paths(ix, [str(folder)])
    dropped = {r["source"].split("/")[-1]: r["dropped_lines"] for r in reports_json(ix)}
    assert dropped == {name: (3 if name in laden else 0) for name in dropped}
    assert search(Engine(ix), SearchRequest(q=f'"{FOOTER[1]}"')).total == 0

    for name in laden[:2]:
        (folder / name).unlink()
    run = index_paths(ix, [str(folder)])
    assert (run.removed, run.updated, run.unchanged) == (2, 2, 1)
    dropped = {r["source"].split("/")[-1]: r["dropped_lines"] for r in reports_json(ix)}
    assert set(dropped.values()) == {0}
    hits = search(Engine(ix), SearchRequest(q=f'"{FOOTER[1]}"', limit=10)).hits
    assert {h.source.split("/")[-1] for h in hits} == set(laden[2:])


def test_a_collection_of_two_has_no_boilerplate(tmp_path):
    folder = tmp_path / "two"
    shutil.copytree(SEEDS, folder, ignore=shutil.ignore_patterns("00[234]_*", "catalog.csv"))
    for path in folder.glob("*.txt"):
        path.write_text(path.read_text(encoding="utf-8") + "\n" + "\n".join(FOOTER) + "\n", encoding="utf-8")
    index_paths(str(tmp_path / "ix"), [str(folder)])
    assert [r["dropped_lines"] for r in reports_json(str(tmp_path / "ix"))] == [0, 0]


def test_a_places_yearly_reports_keep_the_title_block_lines_they_share(tmp_path):
    """A district's reports of three years share its 区长's line (and copies of one report
    its subtitle): title-block lines, not boilerplate, which took the speaker from every
    report; the footer the site adds to all three still goes."""
    from .shapes import province_rows

    folder = tmp_path / "yubei"
    folder.mkdir()
    speaker = "重庆市渝北区人民政府区长 廖红军"
    for year, row in zip((2022, 2023, 2024), [province_rows()[i] for i in (3, 4, 6)]):
        body = row["full_text"][row["full_text"].index("各位代表"):].removesuffix("\n相关报道：")
        head = ["首页", "区长信箱", "省长留言板", "重庆市渝北区人民政府工作报告",
                f"——{year}年1月15日在重庆市渝北区人民代表大会上", speaker, f"（{year}年1月15日）"]
        (folder / f"渝北区{year}.txt").write_text("\n".join(head) + "\n" + body + "\n" + "\n".join(FOOTER) + "\n",
                                                 encoding="utf-8")
    ix = str(tmp_path / "ix")
    assert index_paths(ix, [str(folder)]).reports == 3
    rows = reports_json(ix)
    assert [r["speaker"] for r in rows] == [speaker] * 3
    assert sorted(r["date"] for r in rows) == ["2022-01-15", "2023-01-15", "2024-01-15"]
    assert all(r["dropped_lines"] >= len(FOOTER) + 2 for r in rows), [r["dropped_lines"] for r in rows]
    assert search(Engine(ix), SearchRequest(q='"廖红军"')).total == 3
    assert search(Engine(ix), SearchRequest(q=f'"{FOOTER[1]}"')).total == 0
    assert search(Engine(ix), SearchRequest(q='区长信箱')).total == 0


@pytest.mark.parametrize("line, kept", [
    ("——2026年1月27日在陕西省第十四届人民代表大会第五次会议上", True),
    ("2026年1月27日在陕西省第十四届人民代表大会第五次会议上陕西省省长 赵刚", True),
    ("（2026年1月27日）", True), ("2026年1月27日", True), ("天津市市长 张工", True),
    ("市长信箱", False), ("书记信箱", False), ("省长留言板", False), ("区长之窗", False), ("市长热线", False),
    ("发布时间：2026-01-27", False), ("首页", False)])
def test_title_block_lines_are_told_from_a_sites_menu(line, kept):
    """Which head lines can never be boilerplate: a subtitle, a speaker, a date alone; a
    menu item named after an office (市长信箱) is no speaker and goes with the site."""
    from indexer.metadata import is_title_block_line

    assert is_title_block_line(line) == kept
