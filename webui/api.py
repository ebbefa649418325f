"""The JSON API: the same parameters as the CLI, the same JSON as `govsearch query --json`."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from search.query import DEFAULT_MATCH, MATCH_MODES, MAX_QUERY_CHARS, QuerySyntaxError
from search.results import RequestError, to_json

from .views import report_view, run_search, search_filters, search_request

bp = Blueprint("api", __name__, url_prefix="/api")


def _bad(e: Exception):
    """400 with the message people read and a stable code for programs."""
    return jsonify({"error": str(e), "code": getattr(e, "code", "bad_request")}), 400


@bp.get("/search")
def api_search():
    try:
        return jsonify(to_json(run_search(search_request(request.args))))
    except (QuerySyntaxError, RequestError) as e:
        return _bad(e)


@bp.get("/facets")
def api_facets():
    try:
        return jsonify(to_json(run_search(search_request(request.args)))["facets"])
    except (QuerySyntaxError, RequestError) as e:
        return _bad(e)


@bp.get("/reports/<report_id>")
def api_report(report_id: str):
    match = request.args.get("match") if request.args.get("match") in MATCH_MODES else DEFAULT_MATCH
    # find= (the page's 在本报告中查找) marks its own words, else q's, as the page does
    find = request.args.get("find", "").strip()
    words = (find or request.args.get("q", ""))[:MAX_QUERY_CHARS]
    view = report_view(report_id, words, match, {} if find else search_filters(request.args))
    if view is None:
        abort(404, description=f"没有编号为“{report_id[:80]}”的报告")
    if view.problem:
        return jsonify(view.problem), 400
    return jsonify(view.as_json())
