"""The one request model and the one result model, and the JSON both skins print.

``SearchRequest.from_params`` reads CLI options and URL parameters alike (same
names, same defaults, same limits); ``to_json`` is the only place the JSON
answer is shaped, for `govsearch query --json` and `/api/search` both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LIMIT = 10000
DEFAULT_LIMIT = 10
MAX_PAGE = 10**6
SORTS = ("relevance", "year", "-year")
# URL/CLI parameter -> index field, for the filters
FILTER_PARAMS = ("district", "province", "city", "region", "level", "year", "type", "section",
                 "section_label", "part", "kind", "report_id")
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200


def stored_year(value) -> int | None:
    """A stored year as the number it is; None for a report whose year is unknown."""
    if value in (None, ""):
        return None
    return int(value)


class RequestError(ValueError):
    """A bad parameter: the message names it."""


def _int_param(name: str, raw, default: int, lo: int, hi: int) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise RequestError(f"parameter '{name}' must be a whole number, got {str(raw)[:20]!r}") from None
    if value < lo or value > hi:
        raise RequestError(f"parameter '{name}' must be between {lo} and {hi}, got {value}")
    return value


@dataclass
class SearchRequest:
    q: str = ""
    filters: dict = field(default_factory=dict)      # field -> [values]
    limit: int = DEFAULT_LIMIT
    page: int = 1
    sort: str = "relevance"
    by_report: bool = False

    @classmethod
    def from_params(cls, get_list, get_one) -> "SearchRequest":
        """Build from any source of parameters: get_list(name) -> [str], get_one(name) -> str|None."""
        q = get_one("q") or ""
        filters: dict[str, list[str]] = {}
        for name in FILTER_PARAMS:
            values = [v for v in get_list(name) if v is not None and str(v).strip() != ""]
            if len(values) > MAX_FILTER_VALUES:
                raise RequestError(f"parameter '{name}' given more than {MAX_FILTER_VALUES} times")
            for v in values:
                if len(v) > MAX_FILTER_CHARS:
                    raise RequestError(f"parameter '{name}' is longer than {MAX_FILTER_CHARS} characters")
            if values:
                filters[name] = list(dict.fromkeys(str(v).strip() for v in values))
        sort = (get_one("sort") or "relevance").strip()
        if sort not in SORTS:
            raise RequestError(f"parameter 'sort' must be one of {', '.join(SORTS)}, got {sort[:20]!r}")
        by_report = str(get_one("by_report") or "").lower() in ("1", "true", "yes", "on")
        return cls(q=q, filters=filters,
                   limit=_int_param("limit", get_one("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT),
                   page=_int_param("page", get_one("page"), 1, 1, MAX_PAGE),
                   sort=sort, by_report=by_report)


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


JSON_HIT_FIELDS = ("id", "report_id", "source", "url", "title", "province", "city", "district", "region",
                   "level", "year", "date", "type", "section", "section_label", "part", "heading_path", "kind",
                   "para_no", "text", "highlight", "score")


def hit_json(h: Hit) -> dict:
    d = {k: getattr(h, k) for k in JSON_HIT_FIELDS}
    d["score"] = round(float(h.score), 4)
    return d


def to_json(result: SearchResult) -> dict:
    """The JSON answer: `govsearch query --json` prints it, `/api/search` returns it."""
    out = {
        "query": result.query,
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
    return out
