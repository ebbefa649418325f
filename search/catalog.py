"""What is in an index: one row per report, and counts for `govsearch stats`."""

from __future__ import annotations

import json
from collections import Counter

from whoosh.query import Term

from indexer.analysis import normalize
from indexer.metadata import region_order_key
from indexer.model import REPORT_FIELDS, UNKNOWN

from .filters import resolve
from .query import parse_year
from .results import reader_source, stored_year


def list_reports(*indexes) -> list[dict]:
    """Every report with its report-level fields and unit count, newest first
    (over several indexes: the shards of a sharded index)."""
    rows = []
    for ix in indexes:
        rows.extend(_reports_of(ix))
    rows.sort(key=lambda r: (-(r["year"] or 0), region_order_key(r["region"]), r["source"]))
    return rows


def _reports_of(ix) -> list[dict]:
    rows = []
    with ix.searcher() as s:
        for docnum in s.docs_for_query(Term("head", "1")):
            f = s.stored_fields(docnum)
            extra = json.loads(f.get("report") or "{}")
            row = {k: f.get(k, "") for k in REPORT_FIELDS}
            row["year"] = stored_year(f.get("year"))
            row["units"] = extra.get("unit_count", 0)
            row["dropped_lines"] = extra.get("dropped_lines", 0)
            row["script"] = extra.get("script", "简")
            row["indexed_at"] = extra.get("indexed_at", "")
            row["metadata_origin"] = extra.get("metadata_origin", {})
            rows.append(row)
    return rows


# the columns a report list sorts by, each with its key; ties stay in the official
# region order (GB/T 2260), newest first
REPORT_SORTS = {
    "region": lambda r: region_order_key(r["region"]),
    "year": lambda r: r["year"] or 0,
    "type": lambda r: r["type"],
    "title": lambda r: normalize(r["title"]),
    "units": lambda r: r["units"],
}
REPORT_FILTERS = ("year", "type", "level")


def select_reports(rows: list[dict], text: str = "", sort: str = "region", **chosen) -> list[dict]:
    """The rows whose region, title or file holds ``text`` (any script, any width) and whose
    year, type and level are the chosen ones, sorted by a REPORT_SORTS column (``-`` before it:
    descending)."""
    words = list(dict.fromkeys(normalize(text).split()))       # 四川 预算: every word, each anywhere
    if words:
        rows = _holding(rows, words)
    for name in REPORT_FILTERS:
        if chosen.get(name):
            keep = _chosen(name, chosen[name], rows)
            rows = [r for r in rows if keep(r)]
    key = REPORT_SORTS.get(sort.lstrip("-"), REPORT_SORTS["region"])
    rows = sorted(rows, key=lambda r: (region_order_key(r["region"]), -(r["year"] or 0), r["source"]))
    return sorted(rows, key=key, reverse=sort.startswith("-"))     # stable: ties keep that order


def _holding(rows: list[dict], words: list[str]) -> list[dict]:
    """The rows whose region, title, type, year or file holds every word, or whose region is
    inside the area a word names as people say it (成都金牛, 攀枝花东区: as search reads a region)."""
    regions = {r["region"] for r in rows if r.get("region")}
    areas = [set(resolve("region", w, regions)) for w in words]
    # the file as readers know it, never the server's path (a filter would probe its folders)
    texts = [" ".join(normalize(str(v or "")) for v in (r.get("region"), r.get("title"), r.get("type"),
                                                         r.get("year"), reader_source(r))) for r in rows]
    return [r for r, text in zip(rows, texts)
            if all(w in text or r.get("region") in area for w, area in zip(words, areas))]


def _chosen(name: str, typed: str, rows: list[dict]):
    """Whether a row has the value chosen for a filter, typed as search takes it (计划 →
    计划报告, 区县级 → 县区级, a year or a range of years; a bad year is refused, as search
    refuses it: QuerySyntaxError)."""
    def value(r):
        return r[name] if r[name] is not None else UNKNOWN

    if name == "year" and typed != UNKNOWN:
        lo, hi = parse_year(typed)
        return lambda r: value(r) != UNKNOWN and (lo is None or value(r) >= lo) and (hi is None or value(r) <= hi)
    meant = {typed, *resolve(name, typed, {str(value(r)) for r in rows})}
    return lambda r: str(value(r)) in meant


def index_stats(*indexes) -> dict:
    reports = list_reports(*indexes)
    paragraphs = 0
    for ix in indexes:
        with ix.searcher() as s:
            paragraphs += s.doc_count()
    out = {"reports": len(reports), "paragraphs": paragraphs}
    for field in ("region", "year", "type", "level"):
        c = Counter(UNKNOWN if r[field] is None else r[field] for r in reports)
        out[field] = [{"value": v, "count": n} for v, n in sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    return out
