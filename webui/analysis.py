"""/trends, /keywords, /compare and /export: the analyses of search/ as pages and downloads.

Each reads the parameters the CLI reads (filters by their names in
search/fields.py, or written in the query language in ``f``) and only arranges
what search/trends.py, keywords.py, compare.py and export.py return.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request, stream_with_context, url_for

from search.compare import CompareRequest
from search.export import FORMATS, MEDIA_TYPES, render
from search.fields import BY_NAME, FILTER_PARAMS
from search.keywords import MAX_TOP, KeywordRequest, filters_from_text
from search.query import QuerySyntaxError
from search.results import RequestError, SearchRequest, bool_param, int_param
from search.shard_analyses import compare_over, export_over, keywords_over, trend_over
from search.trends import BY_CHOICES, TABLE_COLUMNS as TREND_CSV, TrendRequest, table_rows

from .charts import grouped_bars, line_chart
from .views import index_or_shards

bp = Blueprint("analysis", __name__)

BAD_REQUEST = (QuerySyntaxError, RequestError)
MAX_LINES = 5                     # terms drawn in the chart (the table has them all)
MAX_BARS = 40                     # rows of the bar chart
METRICS = (("mentions", "提及次数"), ("per_10k_chars", "每万字提及"), ("per_report", "每份报告提及"),
           ("paragraphs", "段落数"), ("reports", "报告数"))
MAX_MIN_COUNT = 10**9             # min_count: how often a listed word occurs at least


def request_filters(args, skip: tuple = ()) -> dict:
    """Filter name -> values: the URL's filter parameters plus those written in ``f``."""
    filters = {n: [v for v in args.getlist(n) if v.strip()] for n in FILTER_PARAMS if n not in skip}
    for name, values in filters_from_text(args.get("f", ""), "筛选条件").items():
        if name not in skip:
            filters.setdefault(name, []).extend(values)
    return {n: vs for n, vs in filters.items() if vs}


def search_url(q: str, filters: dict, match: str = "exact", **more) -> str:
    params = {k: list(v) for k, v in filters.items()}
    for k, v in more.items():          # a bucket or cell replaces its filter: it lies within it
        params[k] = [str(v)] if k in FILTER_PARAMS else str(v)
    return url_for("pages.search_page", q=q, match=None if match == "exact" else match, **params)


EXPORT_PARAMS = ("q", "match", "sort") + FILTER_PARAMS     # what an export keeps of a search's URL


@bp.app_context_processor
def export_links():
    """导出 links for the search page: the same search (its query, filters, matching and
    order; nothing else the URL carries), every hit, in each format."""
    def export_url(fmt: str) -> str:
        pairs = [(k, v) for k, v in request.args.items(multi=True) if k in EXPORT_PARAMS and v]
        return url_for("analysis.export") + "?" + urlencode(pairs + [("format", fmt)])
    return {"export_url": export_url}


# --------------------------------------------------------------------------- trends

def _trend_request(args) -> TrendRequest:
    terms = [t for t in args.getlist("q") if t.strip()]
    return TrendRequest(terms, args.get("by") or "year", request_filters(args), args.get("match") or "exact")


@bp.get("/api/trends")
def api_trends():
    try:
        data = trend_over(index_or_shards(), _trend_request(request.args))
    except BAD_REQUEST as e:
        return jsonify({"error": str(e), "code": getattr(e, "code", "bad_request")}), 400
    if request.args.get("format") == "csv":
        return _csv_download(table_rows(data), "trend.csv")
    return jsonify(data)


def _csv_download(rows: list[dict], name: str) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(TREND_CSV)
    for r in rows:
        writer.writerow([r[k] for k in TREND_CSV])
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})


@bp.get("/trends")
def trends_page():
    args = request.args
    metric = args.get("metric") or "mentions"
    ctx = {"terms": args.getlist("q"), "by": args.get("by") or "year", "match": args.get("match") or "exact",
           "f": args.get("f", ""), "metric": metric if metric in dict(METRICS) else "mentions", "metrics": METRICS,
           "by_choices": _by_labels(), "data": None, "error": None}
    if not any(t.strip() for t in ctx["terms"]):
        return render_template("trends.html", **ctx)
    try:
        _check_metric(metric)
        req = _trend_request(args)
        data = trend_over(index_or_shards(), req)
    except BAD_REQUEST as e:
        return render_template("trends.html", **{**ctx, "error": str(e)}), 400
    links = {t["term"]: [search_url(t["term"], req.filters, req.match, **{req.by: s["value"]}) for s in t["series"]]
             for t in data["terms"]}
    ctx.update(data=data, links=links, chart=_trend_chart(data, metric, links), csv_url=_with_format("csv"),
               api_url=url_for("analysis.api_trends") + "?" + request.query_string.decode())
    return render_template("trends.html", **ctx)


def _check_metric(metric: str) -> None:
    """An unknown metric is refused, as an unknown by= is (it was drawn as 提及次数 without a word)."""
    if metric not in dict(METRICS):
        raise RequestError("bad_parameter", f"参数 metric 只能是 {' / '.join(dict(METRICS))}，"
                                            f"收到的是“{metric[:20]}”")


def _by_labels() -> list[tuple[str, str]]:
    return [(name, BY_NAME[name].label) for name in BY_CHOICES]


def _with_format(fmt: str) -> str:
    return url_for("analysis.api_trends") + "?" + request.query_string.decode() + f"&format={fmt}"


def _trend_chart(data: dict, metric: str, links: dict) -> dict:
    """A line chart over years, else bars by the dimension's values (the most-mentioning first)."""
    terms = data["terms"][:MAX_LINES]
    labels = [b["value"] for b in data["buckets"]]
    series = [{"name": t["term"], "values": [s[metric] for s in t["series"]], "links": links[t["term"]]}
              for t in terms]
    if data["by"] == "year":
        return {"kind": "line", **line_chart(labels, series)}
    order = sorted(range(len(labels)), key=lambda i: -series[0]["values"][i])[:MAX_BARS]
    picked = [{**s, "values": [s["values"][i] for i in order], "links": [s["links"][i] for i in order]}
              for s in series]
    return {"kind": "bars", "left_out": len(labels) - len(order), **grouped_bars([labels[i] for i in order], picked)}


# --------------------------------------------------------------------------- keywords

@bp.get("/api/keywords")
def api_keywords():
    args = request.args
    try:
        ref = filters_from_text(args.get("vs"), "vs") if args.get("vs") else None
        # top=abc once fell back to the default where top=0 was refused: both are refused
        req = KeywordRequest(request_filters(args), ref, int_param("top", args.get("top"), 50, 1, MAX_TOP),
                             bool_param("new", args.get("new")),
                             int_param("min_count", args.get("min_count"), 2, 1, MAX_MIN_COUNT))
        return jsonify(keywords_over(index_or_shards(), req))
    except BAD_REQUEST as e:
        return jsonify({"error": str(e), "code": getattr(e, "code", "bad_request")}), 400


@bp.get("/keywords")
def keywords_page():
    args = request.args
    sides = [args.get("a", "").strip(), args.get("b", "").strip()]
    ref = args.get("ref") if args.get("ref") in ("each", "rest", "new") else "each"
    top = max(1, min(200, _int(args.get("top"), 30)))
    columns, status = [], 200
    for mine, other in (sides, sides[::-1]):
        if not mine:
            continue
        column = {"text": mine, "data": None, "error": None}
        try:
            filters = filters_from_text(mine, "选择")
            vs = filters_from_text(other, "对照") if other and ref == "each" else None
            column["data"] = keywords_over(index_or_shards(), KeywordRequest(filters, vs, top, ref == "new"))
            column["links"] = {w["word"]: search_url(w["word"], filters)
                               for key in ("words", "under") for w in column["data"][key]}
        except BAD_REQUEST as e:
            column["error"], status = str(e), 400
        columns.append(column)
    return render_template("keywords.html", a=sides[0], b=sides[1], ref=ref, top=top, columns=columns), status


def _int(raw, default: int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- compare

@bp.get("/compare")
def compare_page():
    args = request.args
    regions = [r for r in args.getlist("region") if r.strip()]
    ctx = {"q": args.get("q", ""), "regions": regions, "match": args.get("match") or "exact",
           "f": args.get("f", ""), "grid": None, "error": None}
    if not ctx["q"].strip() and not regions:
        return render_template("compare.html", **ctx)
    try:
        filters = request_filters(args, skip=("region",))
        req = CompareRequest(ctx["q"], regions, filters, ctx["match"])
        grid = compare_over(index_or_shards(), req)
    except BAD_REQUEST as e:
        return render_template("compare.html", **{**ctx, "error": str(e)}), 400
    for row in grid["rows"]:
        for cell in row["cells"]:
            cell["url"] = search_url(req.q, {**filters, "region": [row["region"]]}, req.match, year=cell["year"])
            if not row["understood"]:          # no region of the index goes by that name: it has no 无报告 either
                cell["status"] = "unknown"
    unknown = [row["region"] for row in grid["rows"] if not row["understood"]]
    return render_template("compare.html", **{**ctx, "grid": grid, "unknown": unknown})


# --------------------------------------------------------------------------- export

@bp.get("/export")
def export():
    """Every hit of a search as a download, written while it is read."""
    fmt = request.args.get("format") or "csv"
    try:
        if fmt not in FORMATS:
            raise RequestError("bad_parameter", f"参数 format 只能是 {' / '.join(FORMATS)}，收到的是“{fmt[:20]}”")
        req = SearchRequest.from_params(request.args.getlist, request.args.get)
        total, rows = export_over(index_or_shards(), req)
    except BAD_REQUEST as e:
        return Response(f"导出失败：{e}\n", status=400, mimetype="text/plain")
    body = render(rows, fmt)
    head = "\ufeff" if fmt == "csv" else ""          # so spreadsheet programs read the CSV as UTF-8
    # the media type names its charset already: as a mimetype Flask would add a second one
    return Response(stream_with_context(_prefixed(head, body)), content_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f"attachment; filename=govsearch-export.{fmt}",
                             "X-Total-Hits": str(total)})


def _prefixed(head: str, body):
    if head:
        yield head
    yield from body
