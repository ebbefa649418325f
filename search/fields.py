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
    spellings: tuple = ()  # (as people also type it, the value it means): 区县级 → 县区级
    place: bool = False    # its values are places: listed by name in the official GB/T 2260 order


FILTERS: tuple[FilterField, ...] = (
    FilterField("region", "region", "地区", facet=True, place=True,
                help="地区及其下辖的所有地区：重庆 指重庆市及其各区县。"),
    FilterField("province", "province", "省份", facet=True, place=True, help="四川或四川省。"),
    FilterField("city", "city", "城市", place=True, help="成都或成都市。"),
    FilterField("district", "district", "区县", place=True, help="渝北或渝北区。"),
    FilterField("level", "level", "层级", facet=True, help="国家、省级、地市级或县区级。",
                spellings=(("区县级", "县区级"), ("县级", "县区级"), ("区级", "县区级"), ("区县", "县区级"),
                           ("市级", "地市级"), ("地级", "地市级"), ("国家级", "国家"), ("全国", "国家"))),
    FilterField("year", "year", "年份", kind="year", facet=True,
                help="年份（2024）、范围（2020-2024、2020..2024），或 未知（没有找到年份）。"),
    FilterField("type", "type", "类型", facet=True, help="政府工作报告、计划报告、预算报告、决议、讲话或其他。"),
    FilterField("section", "section", "章节原文", facet=True, help="章节，按报告里写的标题。"),
    FilterField("section_label", "section_label", "章节", facet=True,
                help="章节，按“章节”分面的归类：回顾·工作回顾（去掉编号、年份和引号）。"),
    FilterField("part", "part", "部分", facet=True, help="回顾、部署或其他。"),
    FilterField("kind", "kind", "段落类型", kind="id",
                help="heading、paragraph、table_row 或 list_item（标题、段落、表格行、列表项）。"),
    FilterField("report_id", "report_id", "报告", kind="id", help="报告编号。", aliases=("report",)),
)

BY_NAME = {f.name: f for f in FILTERS}
# every name the query language accepts before a colon -> its filter
QUERY_NAMES = {**{f.name: f for f in FILTERS}, **{f.label: f for f in FILTERS},
               **{a: f for f in FILTERS for a in f.aliases}}
# index field -> {a value as people also type it: the value it means}
SPELLINGS = {f.field: dict(f.spellings) for f in FILTERS if f.spellings}
FILTER_PARAMS = tuple(f.name for f in FILTERS)
# the facet fields, in the order results list them
FACET_FIELDS = tuple(f.field for f in FILTERS if f.facet)
# 段落类型 values as pages show them; the Chinese ones work as filter values too
KIND_LABELS = {"heading": "标题", "paragraph": "段落", "table_row": "表格行", "list_item": "列表项"}
