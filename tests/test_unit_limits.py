"""The 3,000-character unit limit holds for every unit kind, and highlighting is linear."""

from __future__ import annotations

import collections
import csv
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.cleaning import clean_lines
from indexer.reports import build_report
from indexer.sources import FoundFile, read_file
from indexer.structure import MAX_UNIT_CHARS, split_units
from search.highlight import _best_window, highlight, match_spans

from .conftest import PROVINCES


def province_prose(limit: int) -> str:
    """Real sentences from the provincial reports, one after another, ``limit`` characters."""
    out, n = [], 0
    for path in sorted(PROVINCES.glob("*.csv")):
        (row,) = csv.DictReader(path.open(encoding="utf-8-sig"))
        for line in row["full_text"].splitlines():
            if len(line) > 80 and line.endswith("。"):
                out.append(line)
                n += len(line)
                if n >= limit:
                    return "".join(out)[:limit]
    raise AssertionError("not enough prose")


PROSE = province_prose(40_000)


def cjk(text: str) -> collections.Counter:
    return collections.Counter(ch for ch in text if "\u4e00" <= ch <= "\u9fff")


@pytest.mark.parametrize("mark,kind", [("——", "list_item"), ("1.", "list_item"), ("（1）", "list_item"),
                                       ("- ", "list_item"), ("", "paragraph")])
def test_a_40k_character_line_becomes_units_under_the_limit(mark, kind):
    line = mark + "坚持稳中求进。" + PROSE
    lines = clean_lines("2026年某省政府工作报告\n各位代表：\n一、2025年工作回顾\n" + line + "\n二、2026年重点工作\n")
    units = split_units(lines)
    body = [u for u in units if u.kind != "heading" and u.heading_path == ["一、2025年工作回顾"]]
    assert {u.kind for u in body} == {kind}
    assert max(len(u.text) for u in units) <= MAX_UNIT_CHARS and len(body) >= 40_000 // MAX_UNIT_CHARS
    assert cjk("".join(u.text for u in body)) == cjk(line)
    # cut after a sentence end, never mid-sentence, where the text has one
    assert all(u.text.endswith("。") for u in body[:-1])


def test_a_long_table_row_is_cut_between_cells():
    cells = [PROSE[i:i + 700] for i in range(0, 7000, 700)]
    lines = ["专栏1：2026年重点项目", ""] + ["\t" + c for c in cells] + ["", ""]
    rows = [u for u in split_units(lines) if u.kind == "table_row"]
    assert len(rows) >= 3 and max(len(u.text) for u in rows) <= MAX_UNIT_CHARS
    assert [c for u in rows for c in u.cells["cells"]] == cells
    assert [u.cells["header"] for u in rows] == [True] + [False] * (len(rows) - 1)


def test_a_whole_markdown_file_behind_a_heading_mark_is_text(tmp_path):
    (tmp_path / "r.md").write_text("# " + PROSE + "\n", encoding="utf-8")
    (source, doc), = read_file(FoundFile(tmp_path / "r.md", "r.md", "r.md"))
    units = build_report(doc, "r.md").paragraphs
    assert max(len(u.text) for u in units) <= MAX_UNIT_CHARS
    assert all(len(p) <= 200 for u in units for p in u.heading_path)


def brute_best_window(spans, n, width):
    """The old quadratic search, kept as the oracle."""
    best, best_key = 0, (-1, -1)
    for s, _, _ in spans:
        start = max(0, min(s - width // 5, n - width))
        inside = [sp for sp in spans if sp[0] >= start and sp[1] <= start + width]
        key = (len({sp[2] for sp in inside}), len(inside))
        if key > best_key:
            best, best_key = start, key
    return best


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 8), st.integers(0, 3)), max_size=60),
       st.integers(1, 200), st.integers(0, 100))
def test_best_window_equals_the_quadratic_search(gaps, width, tail):
    spans, pos = [], 0
    for gap, length, term in gaps:
        pos += gap
        spans.append((pos, pos + length, term))
        pos += length
    assert _best_window(spans, pos + tail, width) == brute_best_window(spans, pos + tail, width)


def test_highlighting_a_40k_character_unit_is_fast():
    """Every comma, full stop, 的, 年 and 发展 in 40,000 characters: thousands of spans (the quadratic
    window search took seconds here)."""
    terms = [",", "的", "。", "年", "发展"]           # as the query parser gives them: normalised
    spans = match_spans(PROSE, terms)
    assert len(spans) > 2500
    took = []
    for _ in range(3):
        t0 = time.perf_counter()
        hl = highlight(PROSE, terms)
        took.append(time.perf_counter() - t0)
    assert len(hl.text) <= 180 and hl.spans
    assert min(took) < 0.05, took
