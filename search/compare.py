"""Compare: one query across chosen regions side by side, a grid of regions × years.

Each cell is the region's best-ranked matching paragraph of that year (ranked
as search ranks it: search/ranking.py over the cell's matches), with how many
paragraphs and reports of the cell match; a cell is ``no_report`` where the
region has no report that year (under the filters) and ``no_match`` where its
reports never say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.analysis import to_simplified
from indexer.model import UNKNOWN

from .engine import Engine, evaluate, make_hit, page_fields, reading_places, years_of
from .matching import Evaluator
from .ranking import top_k
from .query import parse_query
from .results import RequestError, hit_json

MAX_REGIONS = 12


@dataclass
class CompareRequest:
    q: str
    regions: list
    filters: dict = field(default_factory=dict)      # further filters (type, level …), not region
    match: str = "exact"

    def __post_init__(self):
        self.regions = list(dict.fromkeys(r.strip() for r in self.regions if r and r.strip()))
        if not self.q.strip():
            raise RequestError("no_terms", "请输入检索词（q）")
        if not self.regions:
            raise RequestError("no_regions", "请至少选一个地区（region）")
        if len(self.regions) > MAX_REGIONS:
            raise RequestError("too_many_values", f"地区最多 {MAX_REGIONS} 个")
        self.filters = {k: v for k, v in self.filters.items() if k != "region" and v}


def _year_value(y: int):
    return UNKNOWN if y == 0 else int(y)


def compare(engine: Engine, req: CompareRequest) -> dict:
    """{"q", "years": [...], "rows": [{"region", "understood", "cells": [...]}]}, hits as Hit objects."""
    snap = engine.snapshot()
    parsed = parse_query(req.q, req.match)
    rows = [region_from_parts(region, [region_part(snap, req, region)]) for region in req.regions]
    for row in rows:
        for cell in row["found"].values():
            key, _shard = cell.pop("best"), cell.pop("shard")
            (f, score), = page_fields(snap, snap.searcher, [(key[4], key[0])])
            cell["hit"] = make_hit(f, score, parsed.marks)
    return grid(req, rows)


def region_part(snap, req: CompareRequest, region: str, stats=None, values=None) -> dict:
    """One index's (or shard's) part of a region's row: the years it has reports for,
    and per year with a match its paragraphs, reports and best paragraph's key
    (score, year, report id, para_no, docnum), ranked as search ranks."""
    filters = {**req.filters, "region": [region]}
    _p, base, understood = evaluate(snap, "", filters, stats=stats, values=values)
    report_years = set(np.unique(years_of(snap, base.docs)).tolist())
    parsed, found, _u = evaluate(snap, req.q, filters, req.match, stats=stats, values=values)
    if parsed.empty:
        raise RequestError("no_terms", "请输入检索词（q）：只有筛选条件无法比较")
    years = years_of(snap, found.docs)
    reports = snap.facets.columns["report_id"]
    cells = {}
    for y in np.unique(years).tolist():       # no lock held: each stored read takes the reader's lock
        cell = years == y
        docs, scores, _tiers = top_k(snap.arrays, found.docs[cell], found.scores[cell], parsed.terms, 1,
                                     years[cell], reading_places(snap, found.docs[cell]))
        doc = int(docs[0])
        para = int(reading_places(snap, docs[:1])[0] & 0xFFFFFFFF)
        cells[y] = (int(cell.sum()), int(np.unique(reports.ords[found.docs[cell]]).size),
                    (float(scores[0]), y, reports.values[reports.ords[doc]], para, doc))
    return {"understood": [v for vs in understood.values() for v in vs] or _regions_named(snap, region, values),
            "report_years": report_years, "cells": cells}


def _regions_named(snap, region: str, values=None) -> list:
    """The index's regions a typed one stands for, read as search reads it: asked again where
    another filter matched nothing and the region was never looked up (none: no such region)."""
    return Evaluator(snap.arrays, values=values).resolve("region", to_simplified(region.strip()))


def region_from_parts(region: str, parts: list, shards: list | None = None) -> dict:
    """A region's row from the parts of one index or of every shard (``shards``: which
    shard each part is from); a cell's best is the best of the parts' bests."""
    report_years: set = set()
    found: dict = {}
    for shard, part in zip(shards or [0] * len(parts), parts):
        report_years |= part["report_years"]
        for y, (paragraphs, reports, best) in part["cells"].items():
            cell = found.setdefault(y, {"year": _year_value(y), "status": "hit", "paragraphs": 0, "reports": 0,
                                        "best": best, "shard": shard})
            cell["paragraphs"] += paragraphs
            cell["reports"] += reports
            if _rank(best) < _rank(cell["best"]):
                cell["best"], cell["shard"] = best, shard
    return {"region": region, "understood": parts[0]["understood"] if parts else [],
            "report_years": report_years, "found": found}


def _rank(key: tuple) -> tuple:
    score, year, rid, para, _doc = key
    return (-round(score, 9), -year, rid, para)


def grid(req: CompareRequest, rows: list) -> dict:
    """The grid from the regions' rows, each found cell holding its hit."""
    all_years = set().union(*(row["report_years"] for row in rows)) if rows else set()
    all_years |= {y for row in rows for y in row["found"]}
    years = sorted(all_years, key=lambda y: (y == 0, y))
    for row in rows:
        found = row.pop("found")
        row["cells"] = [found.get(y) or {"year": _year_value(y),
                        "status": "no_match" if y in row["report_years"] else "no_report"} for y in years]
        row["report_years"] = sorted(_year_value(y) for y in row["report_years"] if y) + \
            ([UNKNOWN] if 0 in row["report_years"] else [])
    return {"q": req.q, "match": req.match, "years": [_year_value(y) for y in years], "rows": rows}


def compare_json(result: dict) -> dict:
    """The grid as JSON: each hit as search's JSON hit."""
    rows = [{**row, "cells": [{**c, "hit": hit_json(c["hit"])} if "hit" in c else c for c in row["cells"]]}
            for row in result["rows"]]
    return {**result, "rows": rows}
