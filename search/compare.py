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

from indexer.model import UNKNOWN

from .engine import Engine, evaluate, make_hit, page_fields, reading_places, years_of
from .ranking import top_k
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
    rows, all_years = [], set()
    for region in req.regions:
        row, years = _region_row(snap, req, region)
        rows.append(row)
        all_years |= years
    years = sorted(all_years, key=lambda y: (y == 0, y))
    for row in rows:
        found = row.pop("found")
        row["cells"] = [found.get(y) or {"year": _year_value(y),
                        "status": "no_match" if y in row["report_years"] else "no_report"} for y in years]
        row["report_years"] = sorted(_year_value(y) for y in row["report_years"] if y) + \
            ([UNKNOWN] if 0 in row["report_years"] else [])
    return {"q": req.q, "match": req.match, "years": [_year_value(y) for y in years], "rows": rows}


def _region_row(snap, req: CompareRequest, region: str):
    filters = {**req.filters, "region": [region]}
    _p, base, understood = evaluate(snap, "", filters)
    report_years = set(np.unique(years_of(snap, base.docs)).tolist())
    parsed, found, _u = evaluate(snap, req.q, filters, req.match)
    if parsed.empty:
        raise RequestError("no_terms", "请输入检索词（q）：只有筛选条件无法比较")
    years = years_of(snap, found.docs)
    reports = snap.facets.columns["report_id"].ords[found.docs]
    best = {}
    for y in np.unique(years).tolist():       # no lock held: each stored read takes the reader's lock
        cell = years == y
        docs, _scores, _tiers = top_k(snap.arrays, found.docs[cell], found.scores[cell], parsed.terms, 1,
                                      years[cell], reading_places(snap, found.docs[cell]))
        (f, score), = page_fields(snap, snap.searcher, [(int(docs[0]), float(_scores[0]))])
        best[y] = {"year": _year_value(y), "status": "hit", "paragraphs": int(cell.sum()),
                   "reports": int(np.unique(reports[cell]).size), "fields": f, "score": score}
    for cell in best.values():
        cell["hit"] = make_hit(cell.pop("fields"), cell.pop("score"), parsed.marks)
    values = [v for vs in understood.values() for v in vs]
    return {"region": region, "understood": values, "report_years": report_years, "found": best}, report_years


def compare_json(result: dict) -> dict:
    """The grid as JSON: each hit as search's JSON hit."""
    rows = [{**row, "cells": [{**c, "hit": hit_json(c["hit"])} if "hit" in c else c for c in row["cells"]]}
            for row in result["rows"]]
    return {**result, "rows": rows}
