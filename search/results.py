"""The one request model and the one result model, and the JSON both skins print.

``SearchRequest.from_params`` reads CLI options and URL parameters alike (same
names, same defaults, same limits); ``to_json`` is the only place the JSON
answer is shaped, for `govsearch query --json` and `/api/search` both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from indexer.analysis import to_simplified
from indexer.structure import strip_numbering

from .fields import FILTER_PARAMS
from .query import DEFAULT_MATCH, MATCH_MODES, plain_year

MAX_LIMIT = 10000
DEFAULT_LIMIT = 10
MAX_PAGE = 10**6
SORTS = ("relevance", "year", "-year")
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200
# every filter parameter together: a page carries the whole state in each of its
# links (a chip's, a facet value's), so its size grows with the state times the links
MAX_FILTER_VALUES_TOTAL = 100
MAX_FILTER_CHARS_TOTAL = 2000
FILTER_ERRORS = ("too_many_values", "value_too_long", "filters_too_long")   # codes of refused filters


def stored_year(value) -> int | None:
    """A stored year as the number it is; None for a report whose year is unknown."""
    if value in (None, ""):
        return None
    return int(value)


class RequestError(ValueError):
    """A bad parameter: the message (Chinese) names it; ``code`` is stable (JSON)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def int_param(name: str, raw, default: int, lo: int, hi: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise RequestError("bad_parameter", f"参数 {name} 要是整数，收到的是“{str(raw)[:20]}”") from None
    if value < lo or value > hi:
        raise RequestError("bad_parameter", f"参数 {name} 要在 {lo} 到 {hi} 之间，收到的是 {value}")
    return value


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def bool_param(name: str, raw, default: bool = False) -> bool:
    """A yes/no parameter; any other value is refused (by_report=abc once meant no)."""
    value = str(raw or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS + FALSE_WORDS:
        return value in TRUE_WORDS
    raise RequestError("bad_parameter", f"参数 {name} 只能是 1 / 0、true / false、yes / no 或 on / off，"
                                        f"收到的是“{str(raw)[:20]}”")


def _choice_param(name: str, raw, choices: tuple, default: str) -> str:
    value = (raw or default).strip()
    if value not in choices:
        raise RequestError("bad_parameter", f"参数 {name} 只能是 {' / '.join(choices)}，"
                                            f"收到的是“{value[:20]}”")
    return value


def filter_params(get_list) -> dict[str, list[str]]:
    """name -> its distinct values, each limit checked before any value is used
    (a request with thousands of values is refused in time linear in its size)."""
    filters: dict[str, list[str]] = {}
    count = chars = 0
    for name in FILTER_PARAMS:
        values = [v for v in get_list(name) if v is not None and str(v).strip() != ""]
        if len(values) > MAX_FILTER_VALUES:
            raise RequestError("too_many_values", f"参数 {name} 最多给 {MAX_FILTER_VALUES} 个值，收到 {len(values)} 个")
        if any(len(v) > MAX_FILTER_CHARS for v in values):
            raise RequestError("value_too_long", f"参数 {name} 的值超过 {MAX_FILTER_CHARS} 个字符")
        count += len(values)
        chars += sum(len(v) for v in values)
        if count > MAX_FILTER_VALUES_TOTAL:
            raise RequestError("too_many_values", f"筛选参数合计最多给 {MAX_FILTER_VALUES_TOTAL} 个值")
        if chars > MAX_FILTER_CHARS_TOTAL:
            raise RequestError("filters_too_long", f"筛选参数的值合计超过 {MAX_FILTER_CHARS_TOTAL} 个字符")
        if values:
            read = (plain_year(str(v).strip()) if name == "year" else str(v).strip() for v in values)
            filters[name] = list(dict.fromkeys(read))
    return filters


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict = field(default_factory=dict)      # field -> [values]
    limit: int = DEFAULT_LIMIT
    page: int = 1
    sort: str = "relevance"
    by_report: bool = False
    match: str = DEFAULT_MATCH                        # "exact" or "words" (search/query.py)

    @classmethod
    def from_params(cls, get_list, get_one) -> "SearchRequest":
        """Build from any source of parameters: get_list(name) -> [str], get_one(name) -> str|None."""
        q = get_one("q") or ""
        filters = filter_params(get_list)
        by_report = bool_param("by_report", get_one("by_report"))
        return cls(q=q, filters=filters,
                   limit=int_param("limit", get_one("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT),
                   page=int_param("page", get_one("page"), 1, 1, MAX_PAGE),
                   sort=_choice_param("sort", get_one("sort"), SORTS, "relevance"),
                   by_report=by_report,
                   match=_choice_param("match", get_one("match"), MATCH_MODES, DEFAULT_MATCH))


@dataclass
class Hit:
    id: str
    report_id: str
    source: str
    title: str
    province: str
    city: str
    district: str
    region: str
    level: str
    year: int | None
    date: str
    type: str
    section: str
    part: str
    heading_path: list
    kind: str
    para_no: int
    text: str
    highlight: str                      # HTML: escaped text with <mark> around matches
    score: float
    highlight_ansi: str = ""            # the same marks for a terminal (not in JSON)
    url: str = ""                       # the report's source link
    section_label: str = ""             # the section normalised, as its facet groups it
    section_written: str = ""           # the section as the report writes it (section: its filter's value)
    context: str = ""                   # a heading's section opening, HTML with marks ("" otherwise)
    script: str = "简"                  # 繁: the report is in Traditional characters (pages say lang="zh-Hant")


@dataclass
class FacetValue:
    value: object
    count: int
    selected: bool = False


@dataclass
class ReportGroup:
    report_id: str
    title: str
    region: str
    year: int | None
    type: str
    total: int                          # matching paragraphs in this report
    hits: list                          # its best hits, best first


@dataclass
class Relaxation:
    """The same search with one filter value or one term left out, or with terms typed with
    Chinese punctuation between them searched apart, and what it finds."""
    kind: str                           # "filter", "term" or "split"
    name: str                           # the filter's name, or "q"
    value: str                          # the filter value or term left out
    query: str                          # the query text without it (kind "term")
    total: int


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    limit: int
    took_ms: float
    hits: list
    facets: dict                        # field -> [FacetValue]
    request: SearchRequest | None = None
    groups: list | None = None          # with by_report
    total_reports: int = 0
    match: str = DEFAULT_MATCH
    filters: dict = field(default_factory=dict)   # field -> the values its filters were taken to mean
    shards: dict | None = None          # a sharded index: {"total", "ok", "failed": [{"shard", "error"}]}


JSON_HIT_FIELDS = ("id", "report_id", "source", "url", "title", "province", "city", "district", "region",
                   "level", "year", "date", "type", "section", "section_written", "section_label", "part",
                   "heading_path", "kind",
                   "para_no", "text", "highlight", "context", "score")


def hit_json(h: Hit) -> dict:
    d = {k: getattr(h, k) for k in JSON_HIT_FIELDS}
    d["score"] = round(float(h.score), 4)
    return d


def to_json(result: SearchResult) -> dict:
    """The JSON answer: `govsearch query --json` prints it, `/api/search` returns it."""
    out = {
        "query": result.query,
        "match": result.match,
        "filters": result.filters,
        "total": result.total,
        "page": result.page,
        "limit": result.limit,
        "took_ms": round(result.took_ms, 2),
        "hits": [hit_json(h) for h in result.hits],
        "facets": {f: [{"value": v.value, "count": v.count} for v in values]
                   for f, values in result.facets.items()},
    }
    if result.groups is not None:
        out["groups"] = [{"report_id": g.report_id, "title": g.title, "region": g.region,
                          "year": g.year, "type": g.type, "total": g.total,
                          "hits": [h.id for h in g.hits]} for g in result.groups]
        out["total_reports"] = result.total_reports
    if result.shards is not None:
        out["shards"] = result.shards
    return out


def written_section(f: dict) -> str:
    """A unit's section as its report writes it (2024年經濟社會發展的主要任務和措施): the index
    keeps the section in Simplified for its filter and facet, and a citation quotes the report."""
    section = f.get("section", "")
    path = json.loads(f.get("heading_path") or "[]")
    written = strip_numbering(path[0]) if path else ""
    return written if written and to_simplified(written) == section else section


def reader_source(f: dict) -> str:
    """A report's file as its readers know it (provinces-2026/2026_上海市….csv#1): an index
    made from an absolute folder keeps the server's path as its source, which a hit
    shows to whoever searches."""
    return f.get("file") or f.get("source", "").rsplit("/", 1)[-1]
