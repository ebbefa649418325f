"""One whole report, read back from the index, for the report page and /api/reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from indexer.model import REPORT_FIELDS, REPORT_ID

from .highlight import highlight
from .query import DEFAULT_MATCH, Marks, QuerySyntaxError, parse_query
from .results import reader_source, stored_year, written_section



@dataclass
class Unit:
    para_no: int
    kind: str
    text: str
    heading_path: list
    section: str
    part: str
    cells: dict | None = None
    highlight: str = ""          # HTML, with <mark> when a query was given


@dataclass
class ReportView:
    fields: dict                 # report-level fields (REPORT_FIELDS) + script, units
    units: list = field(default_factory=list)
    outline: list = field(default_factory=list)   # [{"para_no", "text", "depth"}] headings
    marks: Marks = field(default_factory=Marks)   # what the query marks (table cells use it too)

    def as_json(self) -> dict:
        return {**self.fields, "outline": self.outline,
                "units": [{"para_no": u.para_no, "kind": u.kind, "text": u.text,
                           "heading_path": u.heading_path, "section": u.section, "part": u.part,
                           "cells": u.cells, "highlight": u.highlight} for u in self.units]}


def _report_fields(stored: list[dict]) -> dict:
    """The report's own fields, from its head unit (stored units in reading order)."""
    head = stored[0]
    extra = json.loads(head.get("report") or "{}")
    fields = {k: head.get(k, "") for k in REPORT_FIELDS}
    fields["source"] = reader_source(head)
    fields["year"] = stored_year(head.get("year"))
    fields["script"] = extra.get("script", "简")
    fields["units"] = len(stored)
    fields["indexed_at"] = extra.get("indexed_at", "")
    return fields


def _unit(f: dict, terms: Marks) -> Unit:
    text = f.get("text", "")
    return Unit(para_no=int(f.get("para_no") or 0), kind=f.get("kind", ""), text=text,
                heading_path=json.loads(f.get("heading_path") or "[]"),
                section=written_section(f), part=f.get("part", ""),
                cells=json.loads(f["cells"]) if f.get("cells") else None,
                highlight=highlight(text, terms, max_chars=0).html())


def get_report(engine, report_id: str, q: str = "", match: str = DEFAULT_MATCH) -> ReportView | None:
    """The report's units in reading order, matches of ``q`` marked; None if unknown."""
    if not report_id or not REPORT_ID.match(report_id):
        return None
    terms = Marks()
    if q:
        try:
            terms = parse_query(q, match).marks
        except QuerySyntaxError:
            pass
    snap = engine.snapshot()
    # each read takes the reader's lock alone: a long report never holds up a search
    docnums, _w, _df = snap.arrays.postings("report_id", report_id)
    stored = [snap.units.fields(snap.searcher, int(d)) for d in docnums]
    if not stored:
        return None
    stored.sort(key=lambda f: int(f.get("para_no") or 0))
    view = ReportView(fields=_report_fields(stored), marks=terms)
    for f in stored:
        unit = _unit(f, terms)
        view.units.append(unit)
        if unit.kind == "heading" and unit.heading_path:
            view.outline.append({"para_no": unit.para_no, "text": unit.text, "depth": len(unit.heading_path)})
    return view
