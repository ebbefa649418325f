"""One whole report, read back from the index, for the report page and /api/reports."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from indexer.model import REPORT_FIELDS, REPORT_ID

from .highlight import highlight
from .query import DEFAULT_MATCH, Marks, QuerySyntaxError, parse_query
from .results import MAX_LIMIT, RequestError, SearchRequest, reader_source, stored_year, written_section



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
    found: bool = False          # the search that marks the report finds this unit


@dataclass
class ReportView:
    fields: dict                 # report-level fields (REPORT_FIELDS) + script, units
    units: list = field(default_factory=list)
    outline: list = field(default_factory=list)   # [{"para_no", "text", "depth"}] headings
    marks: Marks = field(default_factory=Marks)   # what the query marks (table cells use it too)
    problem: dict | None = None  # {"error", "code"} of a query that cannot run

    def as_json(self) -> dict:
        return {**self.fields, "outline": self.outline,
                "units": [{"para_no": u.para_no, "kind": u.kind, "text": u.text,
                           "heading_path": u.heading_path, "section": u.section, "part": u.part,
                           "cells": u.cells, "highlight": u.highlight} for u in self.units]}


def found_in_report(run, report_id: str, q: str, filters: dict, match: str) -> tuple[frozenset, dict | None]:
    """(the para_no of the report's units the search finds, the problem of a search that
    cannot run).  ``run(request)`` is the search of the index or of its shards, so the page
    marks what the search found, with its filters, limits and shards: a page reached from a
    hit of 营商环境 -优化 marks the paragraphs the search found, not every 营商环境 in it."""
    if not q:
        return frozenset(), None
    # in reading order: the set is wanted, not a ranking (which reads and weighs every text)
    req = SearchRequest(q=q, filters={**filters, "report_id": [report_id]}, match=match, limit=MAX_LIMIT, sort="year")
    try:
        return frozenset(h.para_no for h in run(req).hits), None
    except (QuerySyntaxError, RequestError) as e:        # RequestError: also a query too dear to run
        return frozenset(), {"error": str(e), "code": getattr(e, "code", "bad_request")}


def _marks(q: str, match: str) -> Marks:
    try:
        return parse_query(q, match).marks
    except QuerySyntaxError:
        return Marks()


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


def _unit(f: dict, terms: Marks, found: bool) -> Unit:
    text = f.get("text", "")
    return Unit(para_no=int(f.get("para_no") or 0), kind=f.get("kind", ""), text=text,
                heading_path=json.loads(f.get("heading_path") or "[]"),
                section=written_section(f), part=f.get("part", ""),
                cells=json.loads(f["cells"]) if f.get("cells") else None,
                highlight=highlight(text, terms if found else Marks(), max_chars=0).html(), found=found)


def get_report(engine, report_id: str, q: str = "", match: str = DEFAULT_MATCH,
               found: frozenset = frozenset(), problem: dict | None = None) -> ReportView | None:
    """The report's units in reading order, the paragraphs ``found`` (their para_no: what
    the search ``q`` finds here, found_in_report) marked with what ``q`` marks; None if unknown."""
    if not report_id or not REPORT_ID.match(report_id):
        return None
    snap = engine.snapshot()
    # each read takes the reader's lock alone: a long report never holds up a search
    docnums, _w, _df = snap.arrays.postings("report_id", report_id)
    stored = sorted((snap.units.fields(snap.searcher, int(d)) for d in docnums),
                    key=lambda f: int(f.get("para_no") or 0))
    if not stored:
        return None
    terms = _marks(q, match) if found else Marks()
    view = ReportView(fields=_report_fields(stored), marks=terms, problem=problem)
    for f in stored:
        unit = _unit(f, terms, int(f.get("para_no") or 0) in found)
        view.units.append(unit)
        if unit.kind == "heading" and unit.heading_path:
            view.outline.append({"para_no": unit.para_no, "text": unit.text, "depth": len(unit.heading_path)})
    return view
