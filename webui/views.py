"""HTML pages: the search page, the report page, the report list, error pages."""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote_to_bytes

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from indexer.store import IndexError_
from search.catalog import list_reports
from search.engine import relaxations, search
from search.export import citation
from search.highlight import highlight
from search.query import DEFAULT_MATCH, MATCH_MODES, MAX_QUERY_CHARS, Marks, QuerySyntaxError
from search.reports import found_in_report, get_report
from search.results import FILTER_ERRORS, RequestError, SearchRequest

from search.fields import FILTER_PARAMS, KIND_LABELS

from .report_list import report_table
from .state import MATCH_LABELS, SORT_LABELS, State, facet_views, page_sizes, pagination

bp = Blueprint("pages", __name__)

ALLOWED_METHODS = ("GET", "HEAD")


def engine():
    return current_app.extensions["govsearch_engine"]


def index_or_shards():
    """The Engine of one index, or the shards of a sharded one (search/shard_analyses.py)."""
    return current_app.extensions.get("govsearch_shards") or engine()


def report_view(report_id: str, q: str, match: str, filters: dict | None = None):
    """A whole report from the index, or from the shard its id routes to, with the
    paragraphs the search (q and filters, run as any search runs) finds in it marked."""
    found, problem = found_in_report(run_search, report_id, q, filters or {}, match)
    shards = current_app.extensions.get("govsearch_shards")
    if shards is None:
        return get_report(engine(), report_id, q=q, match=match, found=found, problem=problem)
    from indexer.layout import shard_of

    i = shard_of(report_id, shards.size)
    got = shards.call("report", {i: (report_id, q, match, found, problem)})[i]
    if isinstance(got, Exception):
        raise IndexError_(f"这份报告所在的分片（第 {i} 个）暂时没有响应，请稍后再试。")
    return got


def indexes() -> list[tuple]:
    """(Whoosh index, generation, paragraphs) of the index, or of every shard."""
    stores = current_app.extensions.get("govsearch_shard_stores")
    if not stores:
        snap = engine().snapshot()
        return [(snap.ix, snap.generation, snap.doc_count)]
    out = []
    for store in stores:
        ix = store.open()
        out.append((ix, store.generation(), ix.doc_count()))
    return out


def run_search(req: SearchRequest):
    """search() over the index, or over its shards (search/shards.py)."""
    shards = current_app.extensions.get("govsearch_shards")
    if shards is None:
        return search(engine(), req)
    from search.shards import sharded_search

    return sharded_search(shards, req)


def run_relaxations(req: SearchRequest):
    shards = current_app.extensions.get("govsearch_shards")
    if shards is None:
        return relaxations(engine(), req)
    from search.shards import sharded_relaxations

    return sharded_relaxations(shards, req)


def every_report() -> tuple[list, int]:
    """(every report's row, paragraphs) over the index or all its shards."""
    found = indexes()
    return list_reports(*(ix for ix, _g, _n in found)), sum(n for _ix, _g, n in found)


def search_request(args) -> SearchRequest:
    """The request's parameters, read exactly as the CLI reads its options."""
    return SearchRequest.from_params(args.getlist, args.get)


def search_filters(args) -> dict:
    """The filters of the search a report page was opened from (its URL carries them);
    none where they cannot be read (the page's find words still run)."""
    try:
        return search_request(args).filters
    except (QuerySyntaxError, RequestError):
        return {}


@bp.before_app_request
def only_get_and_head():
    # Flask also answers OPTIONS on its own; this tool only reads.
    if request.method not in ALLOWED_METHODS and request.url_rule is not None:
        raise MethodNotAllowed(valid_methods=list(ALLOWED_METHODS))


# every URL parameter together (the search page takes at most 100 filter values and
# a few single ones): counted in the raw query string, before it is parsed
MAX_PARAMETERS = 256


@bp.before_app_request
def bounded_query_string():
    qs = request.query_string
    count = qs.count(b"&") + 1 if qs else 0
    if count > MAX_PARAMETERS:
        return _refuse_url(RequestError("too_many_parameters",
                                        f"网址的参数太多：最多 {MAX_PARAMETERS} 个，收到 {count} 个"))
    return None


@bp.before_app_request
def utf8_parameters():
    """q=%E5%8F (a character cut short) was searched as the text %E5%8F: Werkzeug keeps
    bytes that are not UTF-8 as their escapes.  A parameter with a readable name and
    such a value is refused; one whose name is unreadable too is junk, and ignored."""
    name = _undecodable_parameter(request.query_string)
    if name is not None:
        return _refuse_url(RequestError("bad_encoding", f"参数 {name[:40]} 的值不是有效的 UTF-8 文字"
                                                        f"（网址里的百分号编码不完整或有误）"))
    return None


# the parameters the pages and the API read (besides the filters): a value of another one
# that is not UTF-8 (a tracking tag some site appends in GBK, from=%C8%FD) is nobody's concern
READ_PARAMETERS = frozenset(FILTER_PARAMS) | {
    "q", "vs", "find", "f", "filter", "ref", "a", "b", "name", "focus", "match", "sort", "page", "limit",
    "format", "by", "metric", "measure", "top", "min_count", "new", "by_report", "script", "dir", "bar_year"}


def _undecodable_parameter(qs: bytes) -> str | None:
    for pair in qs.split(b"&"):
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if name not in READ_PARAMETERS:
            continue
        try:
            unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            return name
    return None


def _refuse_url(e: RequestError):
    """400 for a URL refused before it is read: JSON under /api/, else the error page."""
    if _wants_json():
        return jsonify({"error": str(e), "code": e.code}), 400
    return render_template("error.html", code=400, title=MESSAGES[400], message=str(e)), 400


# --------------------------------------------------------------------------- search page

def _page_context(state: State, chips: bool = True) -> dict:
    return {"state": state, "q": state.q, "error": None, "result": None, "facets": [],
            "chips": state.chips() if chips else [], "pages": None, "sorts": [], "matches": []}


def _refused(state: State, e: Exception):
    """The page for a request that cannot run: its one line, and a search box that
    no longer carries filters it refused (the next search would be refused again)."""
    if getattr(e, "code", "") in FILTER_ERRORS:
        state = state.unfiltered()
    ctx = _page_context(state, chips=False)
    ctx["error"] = str(e)
    return render_template("search.html", landing=False, **ctx), 400


@bp.get("/")
def search_page():
    state = State.from_args(request.args, url_for("pages.search_page"))
    try:
        # every limit is checked before any chip or link is built
        req = search_request(request.args)
    except RequestError as e:
        return _refused(state, e)
    ctx = _page_context(state)
    if state.is_blank and not request.args.get("page"):
        reports, paragraphs = every_report()
        return render_template("search.html", landing=True, reports=reports,
                               paragraphs=paragraphs, **ctx)
    try:
        result = run_search(req)
    except (QuerySyntaxError, RequestError) as e:
        return _refused(state, e)
    ctx.update(
        result=result,
        chips=state.chips(result.filters),
        matches=[{"value": v, "label": label, "current": req.match == v,
                  "url": state.set("match", None if v == "exact" else v)} for v, label in MATCH_LABELS],
        facets=facet_views(state, result.facets, result.filters),
        pages=pagination(state, result),
        sorts=[{"value": v, "label": label, "current": req.sort == v,
                "url": state.set("sort", None if v == "relevance" else v)} for v, label in SORT_LABELS],
        group_url=state.set("by_report", None if req.by_report else "1"),
        suggestions=state.suggestions(run_relaxations(req)) if result.total == 0 else [],
        first=(result.page - 1) * result.limit + 1,
        hits_by_id={h.id: h for h in result.hits},
        sizes=page_sizes(state, req.limit),
        data_links=data_links(state),
    )
    return render_template("search.html", landing=False, **ctx)


def data_links(state: State) -> list[dict]:
    """The same results as JSON, with exactly the search's parameters (the exports of
    every hit are the 导出全部 links beside the total)."""
    return [{"label": "JSON", "url": url_for("api.api_search") + state.api_query(),
             "title": "同一检索结果的 JSON（/api/search）"}]


# --------------------------------------------------------------------------- report pages

@bp.get("/reports")
def reports_page():
    try:
        table = report_table(every_report()[0], request.args, url_for("pages.reports_page"))
    except QuerySyntaxError as e:                   # year=abc: said, as search says it
        abort(400, description=str(e))
    return render_template("reports.html", table=table, reports=table["rows"])


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified_display(text: str) -> str:
    """Phrase-level Traditional→Simplified for display (ASCII, so HTML tags and entities, untouched)."""
    return _t2s().convert(text) if text else text


@bp.get("/reports/<report_id>")
def report_page(report_id: str):
    q = request.args.get("q", "")[:MAX_QUERY_CHARS]
    # 本报告内查找: its own words, else the search that led here; matched as search matches
    find = request.args.get("find", "")[:MAX_QUERY_CHARS].strip() or q
    match = request.args.get("match") if request.args.get("match") in MATCH_MODES else DEFAULT_MATCH
    view = report_view(report_id, find, match, search_filters(request.args) if find == q else {})
    if view is None:
        abort(404, description="没有这份报告：报告编号不存在或格式不对。")
    f = dict(view.fields)
    traditional = f.get("script") == "繁"
    simplified = traditional and request.args.get("script") in ("简", "simplified", "s")
    conv = to_simplified_display if simplified else (lambda s: s)
    for k in ("title", "speaker", "region"):
        f[k] = conv(f.get(k) or "")
    blocks, matches, marks = _report_blocks(view, f, conv)
    outline = [{**o, "text": conv(o["text"])} for o in view.outline]
    # the search this page was opened from, whole (filters, page, size, order …): 返回 leads back to it
    back = State.from_args(request.args, url_for("pages.search_page"))
    switch = _script_switch(f["report_id"], back, simplified) if traditional else None
    return render_template("report.html", r=f, blocks=blocks, outline=outline, q=q, matches=matches,
                           find=find, marks=marks, problem=view.problem,
                           match_param=None if match == DEFAULT_MATCH else match,
                           switch=switch, kind_labels=KIND_LABELS, back=back, search_url=back.url())


def _script_switch(report_id: str, back: State, simplified: bool) -> dict:
    """繁/简 links for a Traditional report, keeping the search it was opened from and the find words."""
    here, find = url_for("pages.report_page", report_id=report_id), request.args.get("find")
    return {"simplified": simplified, "to_traditional": back.link(here, find=find),
            "to_simplified": back.link(here, find=find, script="简")}


def _report_blocks(view, f: dict, conv) -> tuple[list[dict], list[int], int]:
    """The report as blocks to render (paragraphs, headings, tables), the paragraphs
    with a match, and how many marks the page shows (what 本报告内查找 steps through)."""
    blocks: list[dict] = []
    matches: list[int] = []
    marks = 0
    for u in view.units:
        if u.kind == "table_row" and u.cells and u.cells.get("cells") is not None:
            shown = _add_table_row(blocks, u, view.marks if u.found else Marks(), conv)
        else:
            block = _unit_block(u, f, conv)
            shown = block["html"].count("<mark>")
            blocks.append(block)
        if shown:
            matches.append(u.para_no)
            marks += shown
    for b in blocks:
        if b["type"] == "table":
            _table_rows(b)
    return blocks, matches, marks


def _add_table_row(blocks: list[dict], u, marks, conv) -> int:
    """The row joins the table just before it, or starts one; returns its marks."""
    cells = [Markup(conv(highlight(str(c), marks, max_chars=0).html())) for c in u.cells["cells"]]
    row = {"para_no": u.para_no, "header": bool(u.cells.get("header")), "cells": cells}
    if blocks and blocks[-1]["type"] == "table":
        blocks[-1]["rows"].append(row)
    else:
        blocks.append({"type": "table", "rows": [row], "caption": conv(u.heading_path[-1]) if u.heading_path else ""})
    return sum(c.count("<mark>") for c in cells)


def _unit_block(u, f: dict, conv) -> dict:
    block = {"type": u.kind, "unit": u, "html": Markup(conv(u.highlight or str(escape(u.text)))),
             "cite": citation(f, u.para_no)}
    if u.kind == "heading":
        depth = len(u.heading_path)
        block["level"] = min(depth + 1, 6) if depth else 0
    return block


def _table_rows(b: dict) -> None:
    rows = b["rows"]
    n = 0
    while n < len(rows) and rows[n]["header"]:
        n += 1
    width = max(len(r["cells"]) for r in rows)
    for r in rows[n:]:
        # a short row lost its leading (row-spanning) cells: keep columns aligned
        r["pad"] = width - len(r["cells"])
    for r in rows[:n]:
        r["pad"] = 0
    b["head"], b["body"] = rows[:n], rows[n:]


# --------------------------------------------------------------------------- errors

MESSAGES = {400: "请求有误", 404: "页面不存在", 405: "不支持此请求方法", 500: "服务器内部错误",
            503: "检索服务暂不可用"}
# the JSON's stable code for programs beside the Chinese "error" people read
CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 500: "internal_error",
         503: "unavailable"}


_CJK = re.compile(r"[\u3400-\u9fff]")


def _said(code: int) -> str:
    return MESSAGES.get(code) or f"请求无法完成（HTTP {code}）"


def _code(code: int) -> str:
    return CODES.get(code) or f"http_{code}"


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app):
    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        code = e.code or 500
        # our own descriptions are Chinese (没有这篇报告); Werkzeug's English defaults are not shown
        desc = e.description if code in (400, 404) and isinstance(e.description, str) \
            and _CJK.search(e.description) else None
        if _wants_json():
            resp = app.json.response({"error": desc or _said(code), "code": _code(code)})
        else:
            resp = app.make_response((render_template(
                "error.html", code=code, title=_said(code),
                message=desc if code == 400 or (code == 404 and desc and desc.startswith("没有")) else None), code))
        resp.status_code = code
        if code == 405:
            resp.headers["Allow"] = ", ".join(ALLOWED_METHODS)
        return resp

    @app.errorhandler(IndexError_)
    def index_missing(e: IndexError_):
        if _wants_json():
            return app.json.response({"error": str(e), "code": "unavailable"}), 503
        return render_template("no_index.html", reason=str(e),
                               index_dir=current_app.config["INDEX_DIR"]), 503

    @app.errorhandler(Exception)
    def server_error(e: Exception):
        if isinstance(e, HTTPException):
            return http_error(e)
        app.logger.exception("unhandled error on %s", request.path)
        if _wants_json():
            return app.json.response({"error": MESSAGES[500], "code": "internal_error"}), 500
        return render_template("error.html", code=500, title=MESSAGES[500], message=None), 500
