"""Every hit of a search, not one page: CSV, JSON lines or a Markdown citation list.

Rows come out in the search's order (relevance, year or -year), a chunk of
units at a time, so memory stays flat whatever the total: only the match's
document numbers and scores are held (two numbers a hit), never the rows.
"""

from __future__ import annotations

import csv
import io
import json

from indexer.analysis import apply_diff

from .arrays import StoredFields
from .engine import Engine, evaluate, ranked
from .results import SearchRequest, stored_year, written_section

FORMATS = ("csv", "jsonl", "md")
COLUMNS = ("region", "province", "year", "type", "title", "section", "para_no", "text", "url")
CHUNK = 500                      # units read per hold of the index lock
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8",
               "md": "text/markdown; charset=utf-8"}


def citation(f: dict, para_no: int, where: str = "") -> str:
    """《2026年辽宁省政府工作报告》（2026-01-27）第47段 https://…: title, date (else year), the
    paragraph's number, ``where`` it stands if given, and the report's source link, as a
    reader cites it.  The link comes last, after a space: an autolinker (GitHub's, markdown-it's)
    takes every character up to whitespace into a link, so text run on after it (（安徽省）) would
    break it."""
    when = f.get("date") or (f"{f['year']}年" if f.get("year") else "")
    return f"《{f['title']}》" + (f"（{when}）" if when else "") + f"第{para_no}段" + \
        (f"（{where}）" if where else "") + (f" {f['url']}" if f.get("url") else "")


def export_rows(engine: Engine, req: SearchRequest):
    """(total, iterator of row dicts with COLUMNS in the search's order).

    The query runs (and a bad one raises) before the iterator is handed out."""
    snap = engine.snapshot()
    parsed, found, _understood = evaluate(snap, req.q, req.filters, req.match)
    total = int(found.docs.size)
    order = [d for d, _score in ranked(snap, parsed, req, found, total)] if total else []

    def rows():
        for start in range(0, len(order), CHUNK):
            yield from rows_at(snap, order[start:start + CHUNK])

    return total, rows()


def rows_at(snap, docnums: list) -> list[dict]:
    """The rows of these units, in this order (one hold of the index lock)."""
    stored = StoredFields(snap.arrays.reader)
    with snap.searching() as s:
        return [_row(snap, s, stored, d) for d in docnums]


def _row(snap, s, stored, docnum: int) -> dict:
    """One hit's columns: the unit's own stored fields, its report's head fields
    (cached per report), the text put back to the report's own characters."""
    f = stored(docnum)
    head = snap.units.head(s, f.get("report_id", ""))
    return {"region": head.get("region", ""), "province": head.get("province", ""),
            "year": stored_year(head.get("year")), "type": head.get("type", ""),
            "title": head.get("title", ""), "section": written_section(f),
            "para_no": int(f.get("para_no") or 0), "text": apply_diff(snap.arrays.text(docnum), f.get("orig", "")),
            "url": head.get("url", ""), "date": head.get("date", "")}


def render(rows, fmt: str):
    """The rows as text chunks of one format (a header first for CSV)."""
    if fmt == "csv":
        return _csv(rows)
    if fmt == "jsonl":
        return (json.dumps({k: r[k] for k in COLUMNS}, ensure_ascii=False) + "\n" for r in rows)
    return (_markdown(r) for r in rows)


def _csv(rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(["" if r[k] is None else r[k] for k in COLUMNS])
        if buf.tell() > 1 << 16:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _markdown(r: dict) -> str:
    """One citation: the paragraph quoted, then where it stands."""
    text = " ".join(r["text"].split())
    where = " · ".join(str(x) for x in (r["region"], r["section"]) if x)
    return f"- {text}\n  —— {citation(r, r['para_no'], where)}\n"
