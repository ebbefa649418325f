"""/indicators (one indicator as a table and two charts) and /api/indicators.

Reads the same parameters as `govsearch indicators` (search/indicators.py);
this module only arranges what that returns into a page.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, url_for

from indexer.indicators import TableError
from search.facets import in_official_order
from search.indicators import (MEASURE_LABELS, REPORT_FILTERS, ROLE_LABELS, IndicatorRequest,
                               IndicatorRequestError, best_region, facts_of, indicator_options, known_names,
                               pivot, resolve_name, select, series, stale_warning, target_years,
                               targets_by_region, value_text)

from .charts import bar_chart, series_chart
from .views import indexes

bp = Blueprint("indicators", __name__)

LEVELS = ("省级", "地市级", "县区级", "国家")


def _facts():
    return facts_of([(ix, generation) for ix, generation, _n in indexes()])


@bp.get("/api/indicators")
def api_indicators():
    try:
        req = IndicatorRequest.from_params(request.args.getlist)
    except IndicatorRequestError as e:
        return jsonify({"error": str(e), "code": getattr(e, "code", "bad_parameter")}), 400
    except TableError as e:
        return jsonify({"error": str(e), "code": "indicator_table"}), 500
    return jsonify(select(_facts(), req))


def _link(fact: dict) -> str:
    return url_for("pages.report_page", report_id=fact["report_id"], _anchor=f"p-{fact['para_no']}")


def _cell(facts: list[dict]) -> list[dict]:
    """A table cell: each distinct value once, linked to every paragraph stating it."""
    out: dict = {}
    for f in facts:
        entry = out.setdefault(value_text(f), {"text": value_text(f), "links": [], "quote": f["quote"]})
        entry["links"].append({"href": _link(f), "para_no": f["para_no"]})
    return list(out.values())


class PageState:
    """The page's parameters: which indicator and measure, filters, sort, chart year and region."""

    def __init__(self, args, options, name: str):
        self.args = args
        keys = {(o["key"], o["measure"]) for o in options}
        self.name = name or (options[0]["key"] if options else "GDP")
        measures = [o["measure"] for o in options if o["key"] == self.name]
        self.measure = args.get("measure") if (self.name, args.get("measure")) in keys else \
            (measures[0] if measures else "growth")
        self.sort = args.get("sort") or "region"
        self.descending = args.get("dir") == "desc"

    def url(self, **changes) -> str:
        params = {k: v for k, v in self.args.items(multi=False)}
        params.update({"name": self.name, "measure": self.measure})
        params.update(changes)
        return url_for("indicators.page", **{k: v for k, v in params.items() if v not in (None, "")})

    def sort_url(self, column_id: str) -> str:
        descending = not self.descending if self.sort == column_id else column_id != "region"
        return self.url(sort=column_id, dir="desc" if descending else "asc")


@bp.get("/indicators")
def page():
    params = {k: request.args.getlist(k) for k in REPORT_FILTERS}
    try:
        req = IndicatorRequest.from_params(lambda k: params.get(k, []))
        name = _indicator_key(request.args.get("name", ""))
    except IndicatorRequestError as e:
        return render_template("indicators.html", error=str(e), options=[], state=None), 400
    except TableError as e:
        return render_template("indicators.html", error=f"指标表无法读取：{e}", options=[], state=None), 500
    facts = select(_facts(), req)
    options = indicator_options(facts)
    state = PageState(request.args, options, name)
    shown = [f for f in facts if f["canonical"] == state.name and f["measure"] == state.measure]
    columns, rows = pivot(shown, state.sort, state.descending)
    return render_template(
        "indicators.html", error=None, state=state, options=options, columns=columns, rows=rows,
        cell=_cell, link=_link, role_labels=ROLE_LABELS, measure_labels=MEASURE_LABELS,
        label=next((o["label"] for o in options if o["key"] == state.name), state.name), count=len(shown),
        reports=len({f["report_id"] for f in shown}), levels=LEVELS, level=request.args.get("level", ""),
        stale=stale_warning(current_app.config["INDEX_DIR"]),
        api_url=url_for("indicators.api_indicators", name=state.name, measure=state.measure,
                        **{k: v for k, v in params.items() if v}),
        **_bars(shown, request.args.get("bar_year")), **_series(shown, request.args.get("focus")))


def _bars(shown: list[dict], wanted) -> dict:
    """The targets of one year (the latest unless another is asked for) by region."""
    years = target_years(shown)
    year = _int(wanted, years[-1] if years else 0)
    return {"years": years, "year": year, "bars": bar_chart(targets_by_region(shown, year)) if year else None}


def _series(shown: list[dict], wanted) -> dict:
    """Target against result over the years for one region (the best covered unless asked)."""
    regions = in_official_order(list({f["region"] for f in shown}), key=str)     # the facets' order by name
    region = wanted if wanted in regions else best_region(shown)
    rows = series(shown, region)
    return {"regions": regions, "region": region, "region_rows": rows,
            "series": series_chart(rows) if rows else None}


def _indicator_key(name: str) -> str:
    """The canonical key for a name, label or alias ('' for none given)."""
    if not name.strip():
        return ""
    ind = resolve_name(name[:100])
    if ind is None:
        raise IndicatorRequestError(f"没有名为“{name[:40]}”的指标；可选：{known_names()}")
    return ind.key


def _int(raw, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default
