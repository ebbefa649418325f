"""The one table of filter fields: every place that names a filter reads it.

A filter has one name everywhere: the query language (``province:四川``), the
CLI option (``--province``), the URL parameter (``province=``), the JSON
``filters``; its Chinese label works in the query language too (``省份:四川``)
and is what pages show.  The query parser, ``SearchRequest``, the CLI's
options, the page's URL state and the facets are all built from ``FILTERS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FilterField:
    name: str              # query field, CLI option, URL parameter and JSON key
    field: str             # the index field it filters on (indexer/store.py's schema)
    label: str             # Chinese label: pages show it, the query language accepts it
    kind: str = "label"    # "label": a value as people type it; "year": a year or range; "id": exact
    facet: bool = False    # counted over every match and shown as a facet
    help: str = ""         # the CLI option's help
    aliases: tuple = ()    # further names the query language accepts


FILTERS: tuple[FilterField, ...] = (
    FilterField("region", "region", "地区", facet=True,
                help="A region and every region under it: 重庆 means 重庆市 and its districts."),
    FilterField("province", "province", "省份", facet=True, help="四川 or 四川省."),
    FilterField("city", "city", "城市", help="成都 or 成都市."),
    FilterField("district", "district", "区县", help="渝北 or 渝北区."),
    FilterField("level", "level", "层级", facet=True, help="国家, 省级, 地市级 or 县区级."),
    FilterField("year", "year", "年份", kind="year", facet=True,
                help="A year (2024), a range (2020-2024, 2020..2024) or 未知 (no year found)."),
    FilterField("type", "type", "类型", facet=True, help="政府工作报告, 计划报告, 预算报告, 决议, 讲话 or 其他."),
    FilterField("section", "section", "章节原文", facet=True, help="A section as the report titles it."),
    FilterField("section_label", "section_label", "章节", facet=True,
                help="A section as the 章节 facet groups it: 回顾·工作回顾 (numbering, years, quotes dropped)."),
    FilterField("part", "part", "部分", facet=True, help="回顾, 部署 or 其他."),
    FilterField("kind", "kind", "段落类型", kind="id",
                help="heading, paragraph, table_row or list_item (标题, 段落, 表格行, 列表项)."),
    FilterField("report_id", "report_id", "报告", kind="id", help="A report id.", aliases=("report",)),
)

BY_NAME = {f.name: f for f in FILTERS}
# every name the query language accepts before a colon -> its filter
QUERY_NAMES = {**{f.name: f for f in FILTERS}, **{f.label: f for f in FILTERS},
               **{a: f for f in FILTERS for a in f.aliases}}
FILTER_PARAMS = tuple(f.name for f in FILTERS)
# the facet fields, in the order results list them
FACET_FIELDS = tuple(f.field for f in FILTERS if f.facet)
# 段落类型 values as pages show them; the Chinese ones work as filter values too
KIND_LABELS = {"heading": "标题", "paragraph": "段落", "table_row": "表格行", "list_item": "列表项"}
