"""The search page's state, which always lives in the URL, and links that change it.

Datasette-style: every facet value carries its count, whether it is selected
and the URL that toggles it; every selected filter becomes a chip with the URL
that removes it.  Nothing here searches: it only reads the request's
parameters and the SearchResult that search/ returned.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

from indexer.analysis import to_simplified
from search.facets import in_official_order, province_of
from search.fields import BY_NAME, FILTER_PARAMS, FILTERS, KIND_LABELS
from search.filters import resolve
from search.query import plain_year, says_nothing
from search.results import DEFAULT_LIMIT, MAX_PAGE

# parameters the search page keeps in its links, in the order they appear
STATE_PARAMS = ("q",) + FILTER_PARAMS + ("match", "sort", "by_report", "limit", "page", "more", "facet_sort")

VIEW_PARAMS = ("more", "facet_sort")      # how the page shows results, not which results
PAGE_SIZES = (10, 20, 50, 100)

LABELS = {"q": "检索词", **{f.name: f.label for f in FILTERS}}
SORT_LABELS = (("relevance", "按相关度"), ("-year", "年份从新到旧"), ("year", "年份从旧到新"))
MATCH_LABELS = (("exact", "精确匹配"), ("words", "分词匹配"))
# the sidebar's facets, in order (region is grouped by province)
SIDEBAR_FACETS = ("region", "year", "type", "level", "section_label", "part")
FACET_SHOWN = 8                 # values shown before "show all"
REGION_GROUPS_SHOWN = 12        # provinces of the 地区 facet shown before 其余
# facets with many values: the first ones, and a 更多 link (?more=field) to all of them
FACET_MORE_LINK = {"section_label": 20}


class State:
    """The known parameters of one request, as ordered (name, value) pairs."""

    def __init__(self, pairs: list[tuple[str, str]], path: str = "/"):
        self.pairs = pairs
        self.path = path
        self.meant: dict[tuple[str, str], frozenset] = {}     # (field, typed value) -> what it stands for

    @classmethod
    def from_args(cls, args, path: str = "/") -> "State":
        pairs = []
        for name in STATE_PARAMS:
            for v in args.getlist(name):
                if v is not None and v.strip() != "":
                    pairs.append((name, v))
                    if name not in FILTER_PARAMS:
                        break          # single-valued: the first one counts, like get_one
        return cls(pairs, path)

    # ---- reading

    def get(self, name: str, default: str = "") -> str:
        for k, v in self.pairs:
            if k == name:
                return v
        return default

    def has(self, name: str, value: str | None = None) -> bool:
        return any(k == name and (value is None or v == value) for k, v in self.pairs)

    @property
    def q(self) -> str:
        return self.get("q")

    @property
    def filters(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.pairs if k in FILTER_PARAMS]

    def unfiltered(self) -> "State":
        """This state with no filter (the search box of a page whose filters were refused)."""
        return State([(k, v) for k, v in self.pairs if k not in FILTER_PARAMS], self.path)

    @property
    def is_blank(self) -> bool:
        """No query and no filter: the landing page (a query that says nothing, such as
        () or a zero-width space, is no query)."""
        return not self.filters and says_nothing(self.q)

    # ---- changing (each returns a URL; the page always goes back to 1 unless set)

    def url(self, pairs=None) -> str:
        pairs = self.pairs if pairs is None else pairs
        qs = urlencode([(k, v) for k, v in pairs if v not in (None, "")])
        return self.path + ("?" + qs if qs else "")

    def _without(self, name: str, value: str | None = None, keep_page: bool = False):
        return [(k, v) for k, v in self.pairs
                if not (k == name and (value is None or v == value)) and (keep_page or k != "page")]

    def toggle(self, name: str, value) -> str:
        value = str(value)
        if self.has(name, value):
            return self.url(self._without(name, value))
        return self.url(self._sorted(self._without("page") + [(name, value)]))

    def remove(self, name: str, value: str | None = None) -> str:
        return self.url(self._without(name, value))

    def remove_each(self, name: str, values: list[str]) -> str:
        """Without each of these values of a filter (the values typed that chose one facet value)."""
        return self.url([(k, v) for k, v in self._without("page") if not (k == name and v in values)])

    def set(self, name: str, value: str | None, keep_page: bool = False) -> str:
        pairs = self._without(name, keep_page=keep_page)
        if value not in (None, ""):
            pairs.append((name, str(value)))
        return self.url(self._sorted(pairs))

    def page_url(self, page: int) -> str:
        return self.set("page", None if page <= 1 else str(page), keep_page=True)

    def with_q(self, q: str) -> str:
        return self.set("q", q)

    def without_filters(self) -> str:
        """The same search with every filter removed (清除全部筛选)."""
        return self.url([(k, v) for k, v in self.pairs if k not in FILTER_PARAMS and k != "page"])

    def link(self, path: str, anchor: str = "", **extra) -> str:
        """A page opened from these results (a hit's report) with their whole state, and
        ``extra`` parameters of its own, so that its 返回 link leads back to exactly them."""
        pairs = self.pairs + [(k, str(v)) for k, v in extra.items() if v not in (None, "")]
        return State(pairs, path).url() + (f"#{anchor}" if anchor else "")

    def api_query(self) -> str:
        """The search's own parameters as a query string, for /api/search and exports
        (the page's view settings, 更多 and the facet order, left out)."""
        qs = urlencode([(k, v) for k, v in self.pairs if k not in VIEW_PARAMS])
        return "?" + qs if qs else ""

    @staticmethod
    def _sorted(pairs):
        order = {n: i for i, n in enumerate(STATE_PARAMS)}
        return sorted(pairs, key=lambda kv: order.get(kv[0], len(order)))

    # ---- view models

    def chips(self, understood: dict | None = None) -> list[dict]:
        """One removable chip per filter, saying which values it was taken to mean."""
        understood = understood or {}
        removal = self._removal_urls()
        chips = []
        for k, v in self.filters:
            meant = _meant_by(v, understood.get(k))
            shown = display_value(k, v)
            if k != "year" and meant is not None and [str(x) for x in meant] != [v]:
                shown += " → " + ("、".join(display_value(k, x) for x in meant[:5]) +
                                  (f" 等 {len(meant)} 个" if len(meant) > 5 else "") if meant else "（无此值）")
            chips.append({"name": k, "label": LABELS.get(k, k), "value": shown, "url": removal[(k, v)]})
        return chips

    def _removal_urls(self) -> dict:
        """(name, value) -> the URL without it (and on page 1), for every filter.

        Each pair is encoded once, and each URL is one join of the others: the
        work is the size of the URLs written, not that times the pairs."""
        encoded = [((k, v), urlencode([(k, v)])) for k, v in self.pairs if k != "page" and v not in (None, "")]
        urls = {}
        for pair in dict.fromkeys(self.filters):
            qs = "&".join(e for p, e in encoded if p != pair)
            urls[pair] = self.path + ("?" + qs if qs else "")
        return urls

    def suggestions(self, relaxed: list) -> list[dict]:
        """For an empty result: the relaxations search/ found non-empty, with their totals."""
        out = []
        for r in relaxed:
            if r.kind == "filter":
                label = f"去掉筛选“{LABELS.get(r.name, r.name)}：{display_value(r.name, r.value)}”"
                url = self.remove(r.name, r.value)
            elif r.kind == "split":
                label = f"分开检索“{r.query}”（每段都含这几个词）"
                url = self.with_q(r.query)
            else:
                label = f"去掉检索词“{r.value}”"
                url = self.with_q(r.query)
            out.append({"label": label, "url": url, "total": r.total})
        return out


def _meant_by(typed: str, meant: list | None) -> list | None:
    """What one typed value was taken to mean, out of what its whole filter meant: itself
    when the index holds it, else the values naming it (四川 → 四川省 beside 重庆市)."""
    if meant is None:
        return None
    values = [str(x) for x in meant]
    if typed in values:
        return [typed]
    own = [x for x in values if to_simplified(typed.strip()) in x]
    return own or values


def display_value(name: str, value) -> str:
    if name == "kind":
        return KIND_LABELS.get(str(value), str(value))
    return str(value)


def _facet_value(state: State, field: str, fv, understood: dict | None = None) -> dict:
    value = str(fv.value)
    typed = _typed_for(state, field, value, (understood or {}).get(field))
    return {"field": field, "value": value, "label": display_value(field, fv.value) or "（未标注）", "count": fv.count,
            "selected": bool(fv.selected or typed),
            # a value chosen inside the query text (year:2024) can't be toggled from here
            "url": state.remove_each(field, typed) if typed else
            (state.toggle(field, value) if not fv.selected else None)}


def _typed_for(state: State, field: str, value: str, meant: list | None) -> list[str]:
    """The URL's values of a filter that chose this facet value: itself, or as people type it
    (province=四川 chose 四川省, region=重庆 every 重庆 region), read as search read them."""
    typed = [v for k, v in state.filters if k == field]
    exact = [t for t in typed if t == value or field == "year" and plain_year(t) == value]   # 2024年 ticks 2024
    if not meant or BY_NAME[field].kind != "label":
        return exact
    # province=四川&province=四川省: unticking 四川省 takes both out, or it stays ticked
    return exact + [t for t in typed if t != value and value in _meant(state, field, t, meant)]


def _meant(state: State, field: str, typed: str, meant: list) -> frozenset:
    """The values one typed filter value stands for, read once a page (every facet value asks:
    read for each, 三 regions typed cost a second on a large index)."""
    key = (field, typed)
    if key not in state.meant:
        state.meant[key] = frozenset(resolve(field, to_simplified(typed.strip()), [str(m) for m in meant]))
    return state.meant[key]


def facet_views(state: State, facets: dict, understood: dict | None = None) -> list[dict]:
    """The sidebar: one block per facet, each value with count, toggle URL and selected state
    (``understood``: what each filter was taken to mean, the result's ``filters``)."""
    blocks = []
    for field in SIDEBAR_FACETS:
        values = facets.get(field) or []
        if field == "region":
            groups = _region_groups(state, values, facets.get("province") or [], understood)
            if groups:
                shown, more = _fold_groups(groups)
                blocks.append({"field": field, "label": LABELS[field], "groups": shown, "more_groups": more,
                               "values": [], "more": [], "orders": _facet_orders(state)})
            continue
        items = [_facet_value(state, field, fv, understood) for fv in values]
        if not items:
            continue
        blocks.append(_facet_block(state, field, items))
    return blocks


def _fold_groups(groups: list[dict]) -> tuple[list[dict], list[dict]]:
    """The first provinces of the 地区 facet, and the rest behind 其余; a province with a
    chosen value always stays in sight."""
    def chosen(g):
        return any(v.get("selected") for v in [g["province"] or {}] + g["regions"])

    shown = groups[:REGION_GROUPS_SHOWN] + [g for g in groups[REGION_GROUPS_SHOWN:] if chosen(g)]
    return shown, [g for g in groups[REGION_GROUPS_SHOWN:] if not chosen(g)]


def _facet_orders(state: State) -> list[dict]:
    """The 地区 facet's two orders: by count, or by name in the official GB/T 2260 order."""
    by_name = state.get("facet_sort") == "name"
    return [{"label": "按数量", "current": not by_name, "url": state.set("facet_sort", None, keep_page=True)},
            {"label": "按名称", "current": by_name, "url": state.set("facet_sort", "name", keep_page=True)}]


def _facet_block(state: State, field: str, items: list[dict]) -> dict:
    """The first values of a facet and the rest: behind <details>, or, for a facet of many
    values, behind a 更多 link that lists them all (and a 收起 link back)."""
    limit = FACET_MORE_LINK.get(field, FACET_SHOWN)
    expanded = field in FACET_MORE_LINK and state.has("more", field)
    if expanded:
        limit = len(items)
    # selected values always stay in the visible part
    shown = [v for v in items[:limit]] + [v for v in items[limit:] if v["selected"]]
    more = [v for v in items[limit:] if not v["selected"]]
    block = {"field": field, "label": LABELS[field], "values": shown, "more": more, "groups": None,
             "more_url": None, "less_url": None}
    if field in FACET_MORE_LINK and more:
        block["more_url"] = state.set("more", field, keep_page=True)
    elif expanded and len(items) > FACET_MORE_LINK[field]:
        block["less_url"] = state.remove("more")
    return block


def _region_groups(state: State, regions: list, provinces: list, understood: dict | None) -> list[dict]:
    """Region values under the province they lie in, every counted province shown (its
    other values stay choosable once one is chosen); by count, or by the official order
    when the page asks for names (?facet_sort=name)."""
    heads = {str(p.value): p for p in provinces if p.value}
    by_province = _by_province(regions, heads)
    names = list(heads) + [n for n in by_province if n and n not in heads]
    name_order = state.get("facet_sort") == "name"
    if name_order:
        names = in_official_order(names, key=str)
    groups = [_province_group(state, name, heads.get(name), by_province.pop(name, []), name_order, understood)
              for name in names]
    rest = [_facet_value(state, "region", fv, understood) for vals in by_province.values() for fv in vals]
    if rest:
        groups.append({"province": None, "regions": rest})
    return groups


def _by_province(regions: list, heads: dict) -> dict[str, list]:
    """province name -> the region values that lie in it (by name prefix, else the gazetteer)."""
    longest_first = sorted(heads, key=len, reverse=True)
    by_province: dict[str, list] = {}
    for fv in regions:
        owner = next((p for p in longest_first if str(fv.value).startswith(p)), None) or province_of(fv.value)
        by_province.setdefault(owner, []).append(fv)
    return by_province


def _province_group(state: State, name: str, head_value, values: list, name_order: bool,
                    understood: dict | None) -> dict:
    children = [_region_value(state, fv, name, understood)
                for fv in (in_official_order(values) if name_order else values)]
    if head_value is None:
        return {"province": {"label": name, "url": None, "heading_only": True}, "regions": children}
    if len(children) == 1 and children[0]["value"] == name and not children[0]["selected"]:
        children = []          # a province with only its own report: the header says it all
    return {"province": _facet_value(state, "province", head_value, understood), "regions": children}


def _region_value(state: State, fv, province: str, understood: dict | None) -> dict:
    item = _facet_value(state, "region", fv, understood)
    if item["value"] == province:
        item["label"] = "本级"
    return item


def page_sizes(state: State, limit: int) -> list[dict]:
    """每页 10 / 20 / 50 / 100 条: links back to page 1 with that size."""
    return [{"n": n, "current": n == limit, "url": state.set("limit", None if n == DEFAULT_LIMIT else str(n))}
            for n in PAGE_SIZES]


def pagination(state: State, result) -> dict | None:
    """Prev/next and a bounded window of page numbers around the current page."""
    items = result.total_reports if result.groups is not None else result.total
    last = min(max(1, math.ceil(items / result.limit)), MAX_PAGE)
    page = result.page
    if last <= 1 and page <= 1:
        return None
    window = sorted({1, last, *range(max(1, page - 2), min(last, page + 2) + 1)})
    numbers, prev = [], 0
    for n in window:
        if n - prev > 1:
            numbers.append(None)        # a gap: …
        numbers.append({"n": n, "url": state.page_url(n), "current": n == page})
        prev = n
    return {"page": page, "last": last, "numbers": numbers,
            "prev": state.page_url(page - 1) if 1 < page <= last + 1 else None,
            "next": state.page_url(page + 1) if page < last else None,
            "past_end": page > last, "first_url": state.page_url(1), "last_url": state.page_url(last)}
