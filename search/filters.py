"""Filter values as people type them, resolved against the values the index holds.

``province:四川`` means 四川省, ``district:渝北`` 渝北区, ``type:计划`` 计划报告:
a value the index holds is taken as it is; otherwise the values that are the
typed one plus an administrative suffix, or else that start with it.

Regions are names of nested areas (四川省成都市金牛区).  A region typed as
people say it (重庆, 成都, 綦江) means that area and every region under it;
a region's full name as the facet lists it (重庆市) means that region alone,
so that a facet click and its count agree.
"""

from __future__ import annotations

import re

from indexer.metadata import region_parts

from .fields import SPELLINGS

# longest first, so 自治区 wins over 区
ADMIN_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "新区", "林区", "省", "市", "区",
                  "县", "州", "盟", "旗")
_COMPONENT = re.compile("(.+?(?:" + "|".join(ADMIN_SUFFIXES) + "))")
PREFIX_MATCHES = 20                 # a prefix standing for more values than this is too vague
# The peoples an autonomous area is named for (宁夏回族自治区, 阿坝藏族羌族自治州): people call it by
# its place name alone (宁夏, 阿坝).  A name of two characters or more may stand without 族 in
# the official name (新疆维吾尔自治区, 伊犁哈萨克自治州); a one-character one never does (回 in 宁夏回族).
PEOPLES = ("蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 "
           "纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 "
           "鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
_AUTONOMOUS = ("自治区", "自治州", "自治县", "自治旗")
_PEOPLE_ENDINGS = sorted([p + "族" for p in PEOPLES] + [p for p in PEOPLES if len(p) >= 2], key=len, reverse=True)


def resolve(field: str, typed: str, values) -> list[str]:
    """The index values a typed filter value stands for (maybe none), in sorted order
    (the same whatever segments or shards the values come from)."""
    values = sorted(v for v in values if isinstance(v, str) and v)
    typed = SPELLINGS.get(field, {}).get(typed, typed)
    if typed in values:
        return [typed]
    if field == "region":
        return _region_area(typed, values)
    suffixed = [v for v in values if v.startswith(typed) and v[len(typed):] in ADMIN_SUFFIXES]
    if suffixed:
        return suffixed
    prefixed = [v for v in values if v.startswith(typed)]
    return prefixed if len(prefixed) <= PREFIX_MATCHES else []


def value_by_label(typed: str, labels: dict[str, str]) -> str:
    """A value of a field whose values have labels (段落类型: table_row 表格行), typed as the
    value, its label, or the start of exactly one label or value (表格 → table_row);
    otherwise as typed, which then matches nothing."""
    if typed in labels:
        return typed
    named = [v for v, label in labels.items() if label == typed]
    started = [v for v, label in labels.items() if label.startswith(typed) or v.startswith(typed)]
    return (named or started)[0] if named or len(started) == 1 else typed


def _region_area(typed: str, values: list[str]) -> list[str]:
    """Every region inside the area a name stands for, typed as people say it: one
    level (重庆 → 重庆市, 重庆市綦江区, …) or several, with or without their suffixes
    (四川省成都市, 四川成都, 成都金牛 → 四川省成都市金牛区)."""
    areas: dict[str, int] = {}                  # area -> the level its name starts at
    for v in values:
        components = region_parts(v) or _COMPONENT.findall(v)
        for first in range(len(components)):
            end = _spelt_from(typed, components, first)
            if end is not None:
                areas.setdefault("".join(components[:end]), first)
                break
    # the highest level a name is found at is the one meant: 海南 is 海南省, not also 青海省's
    # 海南藏族自治州 (a name people give both is the province's)
    top = min(areas.values(), default=0)
    return [v for v in values if any(v.startswith(a) for a, level in areas.items() if level == top)]


def _spelt_from(typed: str, components: list[str], i: int) -> int | None:
    """How many components (counted from the first) a typed name spells when it starts
    at component i, each written whole or without its suffix; None if it does not."""
    if not typed:
        return i
    if i == len(components):
        return None
    for form in dict.fromkeys((components[i], _strip_suffix(components[i]), _place_name(components[i]))):
        if typed.startswith(form):
            end = _spelt_from(typed[len(form):], components, i + 1)
            if end is not None:
                return end
    return None


def _place_name(name: str) -> str:
    """An autonomous area's name as people say it: without its suffix and its peoples
    (宁夏回族自治区 → 宁夏, 阿坝藏族羌族自治州 → 阿坝), at least two characters left (内蒙古
    keeps its 蒙古)."""
    if not name.endswith(_AUTONOMOUS):
        return name
    base = _strip_suffix(name)
    while True:
        ending = next((e for e in _PEOPLE_ENDINGS if base.endswith(e) and len(base) - len(e) >= 2), None)
        if ending is None:
            return base
        base = base[:-len(ending)]


def _strip_suffix(name: str) -> str:
    for s in ADMIN_SUFFIXES:
        if name.endswith(s) and len(name) > len(s):
            return name[:-len(s)]
    return name
