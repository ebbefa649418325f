"""Indicator facts read back from the index: filter, sort, pivot.

The indexer stores each report's facts (indexer/indicators.py) on its head unit;
this joins them with the report's fields (region, province, …) and answers
`govsearch indicators`, /api/indicators and the /indicators page alike.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from whoosh.query import Term

from indexer.analysis import normalize, to_simplified
from indexer.indicators import ROLES, MEASURES, Indicator, load_table, table_fingerprint
from indexer.store import IndexStore

from .facets import in_official_order
from .filters import resolve
from .query import QuerySyntaxError, parse_year
from .results import MAX_FILTER_CHARS, MAX_FILTER_VALUES

# the JSON fields of one fact, in this order (the list, then the extras)
JSON_FIELDS = ("indicator", "canonical", "low", "high", "unit", "qualifier", "role", "kind", "region",
               "province", "year", "report_id", "para_no", "quote",
               "label", "measure", "period", "masked", "stretch", "city", "district", "level",
               "report_year", "type", "title")
# report-level filters: the same names as `govsearch query` and /api/search
REPORT_FILTERS = ("region", "province", "city", "district", "level", "type", "report_id")
ROLE_LABELS = {"target": "目标", "result": "结果", "plan": "规划"}
MEASURE_LABELS = {"growth": "增速", "level": "数值"}
MAX_NAME_CHARS = 100


class IndicatorRequestError(ValueError):
    """A bad parameter: the message names it."""


# --------------------------------------------------------------------------- names

def resolve_name(name: str, table=None) -> Indicator | None:
    """The indicator a user means: its canonical name, label or any alias, any script or case."""
    table = table if table is not None else load_table()
    norm = normalize(name.strip())
    for ind in table:
        if norm in (normalize(ind.key), normalize(ind.label)):
            return ind
    for ind in table:
        if any(p.fullmatch(norm) for p in ind.patterns):
            return ind
    return None


def known_names(table=None) -> str:
    return "、".join(ind.key for ind in (table if table is not None else load_table()))


# --------------------------------------------------------------------------- the request

def _param_values(get_list, name: str) -> list[str]:
    values = [str(v).strip() for v in get_list(name) if v is not None and str(v).strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise IndicatorRequestError(f"参数 {name} 最多给 {MAX_FILTER_VALUES} 个值")
    for v in values:
        if len(v) > MAX_FILTER_CHARS:
            raise IndicatorRequestError(f"参数 {name} 的值超过 {MAX_FILTER_CHARS} 个字符")
    return list(dict.fromkeys(values))


def _choices(get_list, name: str, allowed) -> list[str]:
    values = _param_values(get_list, name)
    for v in values:
        if v not in allowed:
            raise IndicatorRequestError(f"参数 {name} 只能是 {' / '.join(allowed)}，收到的是“{v[:20]}”")
    return values


@dataclass
class IndicatorRequest:
    names: list = field(default_factory=list)        # [Indicator]; empty: every indicator
    roles: list = field(default_factory=list)
    measures: list = field(default_factory=list)
    kinds: list = field(default_factory=list)
    years: list = field(default_factory=list)        # [(lo, hi)] of the fact's year
    report_years: list = field(default_factory=list)
    filters: dict = field(default_factory=dict)      # report field -> [values]

    @classmethod
    def from_params(cls, get_list) -> "IndicatorRequest":
        """From CLI options or URL parameters alike: get_list(name) -> [str]."""
        names = []
        for raw in _param_values(get_list, "name"):
            ind = resolve_name(raw[:MAX_NAME_CHARS])
            if ind is None:
                raise IndicatorRequestError(f"参数 name：没有名为“{raw[:40]}”的指标（可选：{known_names()}；"
                                            f"别名见 indexer/indicators.csv）")
            names.append(ind)
        req = cls(names=list(dict.fromkeys(names)), roles=_choices(get_list, "role", ROLES),
                  measures=_choices(get_list, "measure", MEASURES),
                  kinds=_choices(get_list, "kind", ("预期性", "约束性")))
        req.years = [_year_range("year", v) for v in _param_values(get_list, "year")]
        req.report_years = [_year_range("report_year", v) for v in _param_values(get_list, "report_year")]
        for name in REPORT_FILTERS:
            values = _param_values(get_list, name)
            if values:
                req.filters[name] = values if name == "report_id" else [to_simplified(v) for v in values]
        return req

    def matches(self, fact: dict) -> bool:
        checks = (
            not self.names or fact["canonical"] in {i.key for i in self.names},
            not self.roles or fact["role"] in self.roles,
            not self.measures or fact["measure"] in self.measures,
            not self.kinds or fact["kind"] in self.kinds,
            _in_years(fact["year"], self.years),
            _in_years(fact["report_year"], self.report_years),
        )
        return all(checks)


# the latest year a target names (远景目标: 到2050年)
TARGET_YEARS_UNTIL = 2100


def _year_range(name: str, value: str) -> tuple:
    """A year or range of the ``year`` (the value's: a target may be 2035's or 2050's) or the
    ``report_year`` parameter; the parser's own words say what is wrong with it."""
    try:
        return parse_year(value, last=TARGET_YEARS_UNTIL if name == "year" else None)
    except QuerySyntaxError as e:
        raise IndicatorRequestError(f"参数 {name}：{e}".replace("年份（year）", "")) from None


def _in_years(year: int, ranges: list) -> bool:
    if not ranges:
        return True
    return any((lo is None or year >= lo) and (hi is None or year <= hi) for lo, hi in ranges)


# --------------------------------------------------------------------------- reading

_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


MAX_CACHED = 64


def facts_of(indexes) -> list[dict]:
    """Every fact of several (index, generation) (the shards of a sharded index), in one order."""
    if len(indexes) == 1:
        return all_facts(*indexes[0])
    facts = [f for ix, generation in indexes for f in all_facts(ix, generation)]
    facts.sort(key=sort_key)
    return facts


def all_facts(ix, generation=None) -> list[dict]:
    """Every fact in the index, joined with its report's fields (cached per index generation)."""
    key = (id(ix), generation)
    if generation is not None:
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
    table = {ind.key: ind for ind in load_table()}
    facts = []
    with ix.searcher() as s:
        for docnum in s.docs_for_query(Term("head", "1")):
            stored = s.stored_fields(docnum)
            for f in json.loads(stored.get("indicators") or "[]"):
                facts.append(_joined(f, stored, table))
    facts.sort(key=sort_key)
    if generation is not None:
        with _CACHE_LOCK:
            if len(_CACHE) >= MAX_CACHED:        # a sharded index keeps one entry per shard
                _CACHE.clear()
            _CACHE[key] = facts
    return facts


def _joined(fact: dict, report: dict, table: dict) -> dict:
    out = dict(fact)
    ind = table.get(fact["canonical"])
    out["label"] = ind.label if ind else fact["canonical"]
    for name in ("region", "province", "city", "district", "level", "type", "title", "report_id"):
        out[name] = report.get(name, "")
    out["report_year"] = int(report.get("year") or 0)
    return {k: out.get(k) for k in JSON_FIELDS}


def sort_key(fact: dict):
    return (fact["canonical"], fact["measure"], fact["region"], fact["year"], ROLES.index(fact["role"]),
            fact["report_id"], fact["para_no"])


def select(facts: list[dict], req: IndicatorRequest) -> list[dict]:
    """The facts the request asks for; report filters read as in search (四川 → 四川省, 重庆 →
    重庆市 and every region under it)."""
    allowed = {name: _resolved(name, typed, facts) for name, typed in req.filters.items()}
    return [f for f in facts if req.matches(f) and all(f[k] in v for k, v in allowed.items())]


def _resolved(name: str, typed: list[str], facts: list[dict]) -> set:
    if name == "report_id":
        return set(typed)
    values = sorted({f[name] for f in facts if f[name]})
    return {v for t in typed for v in resolve(name, t, values)}


def stale_warning(index_dir) -> str | None:
    """Why the index's facts may not follow the current table, or None."""
    from indexer.layout import shard_dirs

    dirs = shard_dirs(index_dir)
    meta = IndexStore(dirs[0] if dirs else index_dir).read_meta()
    if meta.get("indicator_table") == table_fingerprint():
        return None
    return (f"索引 {index_dir} 是用另一版指标表或指标提取程序建的：要按现在的 indexer/indicators.csv "
            f"查看指标，请重建，`govsearch index --rebuild --index {index_dir} 路径...`")


# --------------------------------------------------------------------------- values for people

_PRE_WORDS = ("不低于", "不高于", "不超过", "不少于", "超过", "超", "突破", "跨越", "迈上", "≥", "≤", ">", "<", "近", "约")


def value_text(fact: dict) -> str:
    """5%左右, 4.5–5%, X%, −3.8%, 力争7.2%以上: how a value reads in a table cell."""
    if fact.get("masked") or fact["low"] is None:
        number = "X"
    else:
        low, high = fact["low"], fact["high"]
        number = _num(low) if low == high else f"{_num(low)}–{_num(high)}"
    qualifier = fact.get("qualifier") or ""
    stretch = qualifier.startswith("力争")
    qualifier = qualifier[2:] if stretch else qualifier
    pre = next((w for w in _PRE_WORDS if qualifier.startswith(w)), "")
    return f"{'力争' if stretch else ''}{pre}{number}{fact['unit']}{qualifier[len(pre):]}"


def _num(x: float) -> str:
    text = f"{x:g}"
    return text.replace("-", "−") if text.startswith("-") else text


def midpoint(fact: dict) -> float | None:
    if fact.get("masked") or fact["low"] is None:
        return None
    return (fact["low"] + fact["high"]) / 2


# --------------------------------------------------------------------------- views of one indicator

# units of one kind, in their smallest: 1 亿斤 = 5 万吨 = 5 × 10^7 公斤
UNIT_SCALE = {
    "元": ("元", 1), "万元": ("元", 1e4), "亿元": ("元", 1e8), "万亿元": ("元", 1e12),
    "美元": ("美元", 1), "万美元": ("美元", 1e4), "亿美元": ("美元", 1e8),
    "人": ("人", 1), "万人": ("人", 1e4), "万人次": ("人次", 1e4),
    "公斤": ("公斤", 1), "万公斤": ("公斤", 1e4), "亿公斤": ("公斤", 1e8), "斤": ("公斤", 0.5),
    "万斤": ("公斤", 5e3), "亿斤": ("公斤", 5e7), "吨": ("公斤", 1e3), "万吨": ("公斤", 1e7), "亿吨": ("公斤", 1e11),
}


def in_unit(value: float | None, unit: str, target_unit: str) -> float | None:
    """``value`` ``unit`` expressed in ``target_unit`` (None when they measure different things)."""
    if value is None:
        return None
    if unit == target_unit:
        return value
    a, b = UNIT_SCALE.get(unit), UNIT_SCALE.get(target_unit)
    if not a or not b or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


def indicator_options(facts: list[dict]) -> list[dict]:
    """Every (indicator, measure) with facts, table order: what the page offers to show."""
    order = {ind.key: n for n, ind in enumerate(load_table())}
    counts: dict = {}
    for f in facts:
        key = (f["canonical"], f["measure"])
        counts.setdefault(key, [f["label"], 0])[1] += 1
    return [{"key": k, "measure": m, "label": label, "count": n}
            for (k, m), (label, n) in sorted(counts.items(), key=lambda kv: (order.get(kv[0][0], 99),
                                                                            MEASURES.index(kv[0][1])))]


@dataclass
class Column:
    year: int
    role: str
    period: str

    @property
    def id(self) -> str:
        return f"{self.year}-{self.role}" + (f"-{self.period}" if self.period else "")

    @property
    def label(self) -> str:
        return f"{self.year} {ROLE_LABELS[self.role]}" + (f"（{self.period}）" if self.period else "")


@dataclass
class Row:
    region: str
    level: str
    cells: dict                   # column id -> [fact]

    def sort_value(self, column_id: str) -> float | None:
        facts = [f for f in self.cells.get(column_id, []) if not f["stretch"]]
        return comparable(facts[0]) if facts else None


def pivot(facts: list[dict], sort: str = "region", descending: bool = False) -> tuple[list, list]:
    """One indicator's facts as regions × (year, role) columns, sorted by region or a column."""
    columns: dict = {}
    rows: dict = {}
    for f in facts:
        col = Column(f["year"], f["role"], f["period"] or "")
        columns.setdefault(col.id, col)
        row = rows.setdefault(f["region"], Row(f["region"], f["level"], {}))
        row.cells.setdefault(col.id, []).append(f)
    cols = sorted(columns.values(), key=lambda c: (c.year, bool(c.period), ROLES.index(c.role)))
    out = in_official_order(list(rows.values()), key=lambda r: r.region)     # as the facets list regions by name
    if descending and sort == "region":
        out.reverse()
    if sort != "region" and sort in columns:
        known = [r for r in out if r.sort_value(sort) is not None]
        unknown = [r for r in out if r.sort_value(sort) is None]
        out = sorted(known, key=lambda r: r.sort_value(sort), reverse=descending) + unknown
    return cols, out


def comparable(fact: dict) -> float | None:
    """The midpoint in its kind's smallest unit, so 1300万吨 and 615亿斤 compare right."""
    mid = midpoint(fact)
    if mid is None:
        return None
    return mid * UNIT_SCALE[fact["unit"]][1] if fact["unit"] in UNIT_SCALE else mid


def targets_by_region(facts: list[dict], year: int) -> list[dict]:
    """The year's target per region (the first stated, not a 力争 one), highest first; masked last."""
    seen: dict = {}
    for f in facts:
        if f["role"] == "target" and f["year"] == year and not f["period"] and not f["stretch"]:
            seen.setdefault(f["region"], f)
    known = sorted((f for f in seen.values() if comparable(f) is not None), key=lambda f: -comparable(f))
    return known + [f for f in seen.values() if comparable(f) is None]


def target_years(facts: list[dict]) -> list[int]:
    return sorted({f["year"] for f in facts if f["role"] == "target" and not f["period"]})


def series(facts: list[dict], region: str) -> list[dict]:
    """Year by year for one region: {"year", "target": [fact], "result": [fact]} (annual figures)."""
    years: dict = {}
    for f in facts:
        if f["region"] == region and not f["period"] and f["role"] in ("target", "result"):
            years.setdefault(f["year"], {"year": f["year"], "target": [], "result": []})[f["role"]].append(f)
    return [years[y] for y in sorted(years)]


def best_region(facts: list[dict]) -> str:
    """The region with the most years holding both a target and a result (then the most years)."""
    def score(region):
        rows = series(facts, region)
        return (sum(1 for r in rows if r["target"] and r["result"]), len(rows))

    regions = sorted({f["region"] for f in facts})
    return max(regions, key=score) if regions else ""
