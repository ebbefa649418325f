"""The 全部报告 page's table: its sort links, filter choices and the rows search/ selected.

Sorting and filtering are search/catalog.py's (select_reports); this module only
turns the request's parameters into that call and the table's links."""

from __future__ import annotations

from urllib.parse import urlencode

from indexer.model import UNKNOWN
from search.catalog import REPORT_FILTERS, REPORT_SORTS, select_reports

# the table's columns: (sort key, heading), and which way each sorts first
COLUMNS = (("region", "地区"), ("year", "年份"), ("type", "类型"), ("title", "报告"), ("units", "段落"))
DESCENDING_FIRST = {"year", "units"}
FILTER_LABELS = {"year": "年份", "type": "类型", "level": "层级"}
MAX_FILTER_TEXT = 200


def report_table(rows: list[dict], args, path: str) -> dict:
    """The rows to show and everything the page needs to sort and filter them."""
    sort = args.get("sort", "region")
    if sort.lstrip("-") not in REPORT_SORTS:
        sort = "region"
    text = (args.get("filter") or "")[:MAX_FILTER_TEXT]
    chosen = {name: args.get(name, "") for name in REPORT_FILTERS}
    shown = select_reports(rows, text, sort, **chosen)
    kept = [("filter", text)] + list(chosen.items())

    def link(key: str) -> str:
        if sort.lstrip("-") == key:
            value = key if sort.startswith("-") else "-" + key      # the same column again: reverse
        else:
            value = "-" + key if key in DESCENDING_FIRST else key
        return path + "?" + urlencode([(k, v) for k, v in kept + [("sort", value)] if v])

    columns = [{"key": k, "label": label, "url": link(k),
                "aria_sort": ("descending" if sort.startswith("-") else "ascending")
                if sort.lstrip("-") == k else None} for k, label in COLUMNS]
    choices = [{"name": name, "label": FILTER_LABELS[name], "chosen": chosen[name],
                "options": _options(rows, name)} for name in REPORT_FILTERS]
    return {"rows": shown, "total": len(rows), "columns": columns, "choices": choices, "text": text,
            "sort": sort, "filtered": bool(text or any(chosen.values())), "clear_url": path}


def _options(rows: list[dict], name: str) -> list[str]:
    values = {str(r[name]) if r[name] is not None else UNKNOWN for r in rows if r[name] not in ("",)}
    if name == "year":
        return sorted(values, key=lambda v: -int(v) if v.isdigit() else 0)
    return sorted(values)
