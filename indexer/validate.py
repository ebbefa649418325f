"""What the writer accepts: a Report's values checked before any reaches Whoosh.

The writer's processes cannot report a bad value about one report: a value
Whoosh refuses (a year outside its 32-bit field, a string that is not valid
Unicode) kills the process writing it, and with it every document that
process held.  So each report is checked here, in the reading process, and a
bad one fails alone, with one line saying which value and where it came from.
"""

from __future__ import annotations

from .model import Report

# the years a report can be from: the same bounds the text's own dates are read with
YEAR_MIN, YEAR_MAX = 1900, 2199
# a label is filtered on: the query side takes filter values of at most 200 characters
LABEL_MAX = 200
TITLE_MAX = 1000
LABELS = ("province", "city", "district", "region", "level", "type", "date", "speaker")


def report_problem(report: Report) -> str | None:
    """Why this report cannot be written, in one line, or None when it can."""
    return _year_problem(report) or _label_problem(report) or _unicode_problem(report)


_ORIGINS = {"front matter": "文件开头的元数据", "catalog": "文件夹的编目文件",
            "collection": "这一行的列", "meta tags": "网页的 meta 标签",
            "document properties": "文档属性"}


def _origin(report: Report, name: str) -> str:
    """Where a value came from, when the file or its catalog gave it."""
    origin = _ORIGINS.get(report.metadata_origin.get(name, ""))
    return f"（来自{origin}）" if origin else ""


def _year_problem(report: Report) -> str | None:
    year = report.year
    if year is None or year == 0:                 # unknown
        return None
    if isinstance(year, bool) or not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX:
        shown = str(year)[:40]
        return (f"年份 {shown}{_origin(report, 'year')} 不是 {YEAR_MIN} 到 {YEAR_MAX} 之间的年份："
                f"请改正，或者删掉它，让程序从正文里读出年份")
    return None


def _label_problem(report: Report) -> str | None:
    """A label or title given by the file or its catalog that no filter could name.
    (What extraction took from the text is the reader's business, not the file's fault.)"""
    for name in LABELS:
        value = getattr(report, name)
        if not isinstance(value, str):
            return f"{name}“{str(value)[:40]}”{_origin(report, name)}不是文字"
    for name in (*LABELS, "title"):
        value, limit = getattr(report, name), TITLE_MAX if name == "title" else LABEL_MAX
        if len(value) > limit and _origin(report, name):
            return (f"{name} 有 {len(value)} 个字符{_origin(report, name)}，"
                    f"超过上限 {limit} 个字符")
    return None


def _unicode_problem(report: Report) -> str | None:
    """A lone surrogate (from a JSON \\ud800 escape, say) is not a character: no
    file, index or terminal can hold it."""
    for name in ("report_id", "source", "title", *LABELS, "text"):
        value = getattr(report, name)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return (f"{name} 的第 {e.start} 个字符 U+{ord(value[e.start]):04X} "
                    f"只是半个代理对，不是有效的 Unicode")
    return None
