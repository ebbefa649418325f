"""`govsearch reports` as a table: every column starts at the same terminal column,
measured in display width (a Chinese character takes two), not in characters."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_reports_table_is_aligned_by_display_width(corpus_index):
    def run(*args):
        out = subprocess.run([sys.executable, "-m", "cli", "reports", *args, "--index", corpus_index],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    rows = json.loads(run("--json"))
    lines = run().splitlines()
    assert len(lines) == 2 * len(rows)
    starts = set()
    for row, line in zip(rows, lines[::2]):
        assert line.endswith(row["title"])
        before = line[: -len(row["title"])]
        starts.add(columns(before))
        # the region column, too, ends where the next begins whatever its length in characters
        starts.add(columns(before[: before.index(row["region"])]) + 1000)
    assert len(starts) == 2, starts
    assert {len(r["region"]) for r in rows} != {1}           # regions of several lengths were lined up
    # the second line of each report sits under the first column's end
    assert all(line.startswith(" " * 18) and not line.startswith(" " * 19) for line in lines[1::2])
