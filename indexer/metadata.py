"""extract_metadata: who delivered which report, where and when.

Precedence, field by field: front matter in the file (or a collection row's own
columns), then the folder's catalog, then what the text itself says, then 未知.
A region is only ever taken from the text or the catalog: never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .analysis import normalize
from .model import REPORT_TYPES, UNKNOWN

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"(?:\d{1,4}|[〇零○一二三四五六七八九十]{1,4})"
_DATE = re.compile(r"(\d{4}|[〇零○Ｏ一二三四五六七八九]{4})\s*年\s*(" + _NUM + r")\s*月\s*(" + _NUM + r")\s*日")
# a website's menu item named after an office (市长信箱, 省长留言板, 区长之窗): no one's name
_SITE_ITEM = re.compile(r"(信箱|邮箱|热线|留言板?|之窗|专栏|专题|在线|访谈|讲话|简介)$")
_DATE_LINE = re.compile(r"[（(]?" + _DATE.pattern + r"[）)]?")
_ADOPTED = re.compile(r"(会议|大会|常委会|常务委员会).{0,12}通过|通过[）)]?$")
_MEETING = re.compile(r"(会议|大会|常委会|全会)上?[）)]?")
_SPEAKER_ROLE = ("省长", "市长", "区长", "县长", "州长", "旗长", "盟长", "主席", "局长", "主任", "书记",
                 "部长", "厅长", "总理", "副省长", "副市长", "副区长", "副县长")
_SPEAKER = re.compile(
    r"^(?P<role>[\u4e00-\u9fff·]{0,30}?(?:" + "|".join(_SPEAKER_ROLE) + r"))\s*"
    r"(?P<name>[\u4e00-\u9fff·](?:\s?[\u4e00-\u9fff·]){1,9})$")
_DISTRICT = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:新区|区|县|自治县|旗|自治旗|市))")
_NOT_DISTRICT = re.compile(r"^(全|本|我|该|各|城|市|地|辖|社|园|景|片|街|县城|城区|新区|小区|"
                           r"第|开发区|高新区|示范区|功能区|自贸区|保税区|试验区)")


def cn_number(s: str) -> int | None:
    """'2024' -> 2024, '二〇二六' -> 2026, '二十七' -> 27, '十' -> 10."""
    if s.isdigit():
        return int(s)
    if all(ch in _CN_DIGITS for ch in s):
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGITS.get(tens, 1) if tens else 1
        o = _CN_DIGITS.get(ones, 0) if ones else 0
        return t * 10 + o
    return None


def parse_date(text: str) -> str:
    """First full date in the text as YYYY-MM-DD, or ''."""
    for m in _DATE.finditer(text):
        y, mo, d = (cn_number(g) for g in m.groups())
        if y and mo and d and 1900 < y < 2200 and 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return ""


@lru_cache(maxsize=1)
def _regions_table() -> list[tuple[int, str, list[str]]]:
    """regions.txt as (GB/T 2260 code, province, [its prefecture-level divisions]), in file order."""
    rows = []
    path = Path(__file__).resolve().parent / "regions.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, province, *cities = line.split()
        rows.append((int(code), province, cities))
    return rows


@lru_cache(maxsize=1)
def gazetteer() -> tuple[dict[str, str], list[str]]:
    """city -> province, and the province names, from regions.txt."""
    city_to_province: dict[str, str] = {}
    provinces: list[str] = []
    for _code, province, cities in _regions_table():
        provinces.append(province)
        for city in cities:
            city_to_province[city] = province
    return city_to_province, provinces


NATIONAL_REGIONS = ("全国",)      # the region of the State Council's reports (see region_fields)


@lru_cache(maxsize=1)
def _official_order() -> tuple[tuple[str, int, dict], ...]:
    """(province, its code, city -> its place in the province's line), longest names first."""
    return tuple((province, code, {c: i for i, c in enumerate(cities)})
                 for code, province, cities in sorted(_regions_table(), key=lambda r: -len(r[1])))


def region_order_key(region: str) -> tuple:
    """Sort key putting regions in the official GB/T 2260 order: 北京, 天津, 河北 … 新疆, 台湾,
    香港, 澳门; inside a province its own report, then its cities in code order, then the
    rest by name.  全国 (the State Council's reports) comes first, unknown text last."""
    region = region or ""
    for province, code, cities in _official_order():
        if region.startswith(province):
            rest = region[len(province):]
            city = next((i for c, i in cities.items() if rest.startswith(c)), len(cities)) if rest else -1
            return (1, code, city, rest)
    return (0 if region in NATIONAL_REGIONS else 2, 0, 0, region)


@lru_cache(maxsize=4096)              # a filter resolves against every region the index holds
def region_parts(region: str) -> tuple[str, ...]:
    """A region's levels: its province and city as the GB/T 2260 table names them, then
    the rest (a district) whole: 广东省广州市天河区 → 广东省, 广州市, 天河区 (a split at
    the first 州, 区 or 市 would cut 广州 and 贵州).  [] for a region outside the table."""
    for province, _code, cities in _official_order():
        if region.startswith(province):
            rest = region[len(province):]
            city = next((c for c in sorted(cities, key=len, reverse=True) if rest.startswith(c)), "")
            district = rest[len(city):]
            return tuple(p for p in (province, city, district) if p)
    return ()


def find_region(text: str) -> dict:
    """Province, city and district named at the start of a title or subtitle line."""
    city_to_province, provinces = gazetteer()
    norm = normalize(text)
    found: dict = {}
    for prov in sorted(provinces, key=len, reverse=True):
        i = norm.find(prov)
        if i != -1 and (not found or i < found["_at"]):
            found = {"province": prov, "_at": i, "_end": i + len(prov)}
    for city, prov in city_to_province.items():
        if "city" not in found:
            _take_city(found, norm, city, prov)
    if not found:
        return {}
    district = _district_after(norm, found["_end"])
    if district:
        found["district"] = district
    found.pop("_at", None)
    found.pop("_end", None)
    return found


def _take_city(found: dict, norm: str, city: str, prov: str):
    """The city, when the text names it right after its own province (or with no province)."""
    i = norm.find(city)
    if i == -1 or "province" in found and (found["province"] != prov or i != found["_end"]):
        return
    found.update({"province": prov, "city": city, "_at": found.get("_at", i), "_end": i + len(city)})


def _district_after(norm: str, pos: int) -> str | None:
    """A district or county named right after the province or city (not 人民政府, 经济…)."""
    m = _DISTRICT.match(norm[pos:pos + 12])
    if not m or _NOT_DISTRICT.match(m.group(1)) or re.search(r"\d", m.group(1)):
        return None
    name = m.group(1)
    return None if re.search(r"(人民|政府|代表|会议|经济|工作|委员|发展)", name) else name


def region_fields(province: str, city: str, district: str) -> dict:
    """Fill region label and level from the hierarchy."""
    if province == "全国":
        return {"province": "全国", "city": "", "district": "", "region": "全国", "level": "国家"}
    if not province and not city and not district:
        return {"province": UNKNOWN, "city": "", "district": "", "region": UNKNOWN, "level": UNKNOWN}
    if district:
        level = "县区级"
    elif city:
        level = "地市级"
    else:
        level = "省级"
    region = "".join(x for x in (province, city, district) if x) or UNKNOWN
    return {"province": province or UNKNOWN, "city": city, "district": district,
            "region": region, "level": level}


def classify_type(title: str) -> str:
    t = normalize(title)
    if "决议" in t:
        return "决议"                        # 关于政府工作报告的决议: a resolution on a report
    if "政府工作报告" in t:
        return "政府工作报告"
    if "计划" in t and re.search(r"执行情况|草案|计划的报告|计划报告", t):
        return "计划报告"
    if "预算" in t or "决算" in t:
        return "预算报告"
    if "讲话" in t or "致辞" in t:
        return "讲话"
    return "其他"


# a Markdown heading's marks (# 2026年山东省政府工作报告): the title is the words after them
_MD_MARKS = re.compile(r"^#{1,6}\s+")


def _head(lines: list[str], n: int = 25) -> list[str]:
    out = []
    for line in lines:
        s = _MD_MARKS.sub("", line.strip())
        if s:
            out.append(s)
        if len(out) >= n:
            break
    return out


def find_title(head: list[str]) -> str:
    """The line that names the report: before its subtitle, or the first that says 报告/讲话."""
    for i, line in enumerate(head):
        if is_subtitle(line) and i > 0:
            cand = head[i - 1]
            if re.search(r"报告|報告|讲话|講話|草案", cand):
                return cand
    for line in head:
        if re.search(r"(报告|報告|讲话|講話|决议|決議)$", line) and len(line) <= 80 and not line.startswith("《"):
            if not re.search(r"印发|通知", normalize(line)):
                return line
    for line in head:
        if re.search(r"报告|報告|讲话|講話|决议|決議", line) and len(line) <= 80:
            return line
    return ""


def is_subtitle(line: str) -> bool:
    n = normalize(line)
    return bool(_DATE.search(n) and re.search(r"在.{0,40}(会议|大会)", n)) and len(n) < 100


def find_speaker(head: list[str]) -> str:
    for i, line in enumerate(head):
        n = normalize(line).strip()
        if n.startswith(("各位代表", "同志们")):
            break
        if is_subtitle(n):
            m = re.search(r"(会议|大会)上[）)]?\s*(.+)$", n)
            if m:                                 # …会议上 陕西省省长 赵刚
                sp = _match_speaker(line[m.start(2):].strip())
                if sp:
                    return sp
            continue
        sp = _match_speaker(line.strip())
        if sp:
            return sp
    # a name alone on its line just after the subtitle (湖南: 毛伟明)
    for i, line in enumerate(head):
        if is_subtitle(line):
            for nxt in head[i + 1:i + 4]:
                s = normalize(nxt).strip()
                if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", s) and not re.search(r"代表|同志|报告|政府", s):
                    return s
            break
    return ""


def is_title_block_line(line: str) -> bool:
    """A subtitle, a speaker's line or a date alone: lines a report's title block holds,
    which several reports of one place (its yearly reports, one report saved from
    several sites) share word for word without being boilerplate."""
    n = normalize(line).strip()
    return bool(is_subtitle(n) or _match_speaker(n) or _DATE_LINE.fullmatch(n))


def _match_speaker(line: str) -> str:
    m = _SPEAKER.match(normalize(line))
    if not m:
        return ""
    role = line[m.start("role"):m.end("role")].strip()
    name = re.sub(r"\s+", "", line[m.start("name"):m.end("name")])
    folded = normalize(name)
    if len(name) > 10 or re.search(r"(政府|代表|会议|报告)", folded) or _SITE_ITEM.search(folded):
        return ""
    return f"{role} {name}".strip()


# a year in Arabic or Chinese numerals: 2024, 二〇一三年, 一九五四年
_YEAR_NUMBER = re.compile(r"(?<![\d〇零○Ｏ一二三四五六七八九])((?:19|20)\d{2}(?!\d)|[一二][〇零○Ｏ一二三四五六七八九]{3}(?=年))")


def years_in(text: str, need_nian: bool = False) -> list[int]:
    """The years a text names (1900–2199); with ``need_nian`` only those followed by 年."""
    out = []
    for m in _YEAR_NUMBER.finditer(normalize(text)):
        if need_nian and not normalize(text)[m.end():m.end() + 1] == "年":
            continue
        year = cn_number(m.group(1))
        if year and 1900 < year < 2200:
            out.append(year)
    return out


def given_year(value) -> int | None:
    """A year as a number, from a column, front matter or the text; None if it is none."""
    if not isinstance(value, int):
        text = str(value or "").strip()
        if re.fullmatch(r"[+-]?\d+", text):
            value = int(text)               # as given: the writer's check refuses -5 or 20244
        else:
            years = years_in(text + "年" if re.fullmatch(r"[〇零○Ｏ一二三四五六七八九]{4}", text) else text)
            return years[0] if years else None
    return None if value == 0 else value    # never 0: a year that is not known is None


def find_year(title: str, date: str, head: list[str]) -> int | None:
    """The year a report was delivered: its date's, else the latest its title names, else
    the latest a line of its title block names; None when none says."""
    if date:
        # a date as the text, a catalog or a column gives it: 2024-03-11 as parsed, but a given
        # one may be 二〇二六年一月二十七日, 1月27日 or 未知: its year is the one it names, if any
        # (int() of its first four characters raised ValueError and the report was not indexed)
        if re.match(r"[0-9]{4}", date):
            return int(date[:4])
        years = years_in(date)
        if years:
            return years[0]
    years = years_in(title)
    if years:
        return max(years)      # …2023年…执行情况及2024年计划草案: delivered in 2024
    for line in head:
        n = normalize(line).strip()
        if n.startswith(("各位代表", "同志们", "代表们")) or re.match(r"^(第[一二三四五六七八九十]+部分|[一二三四五六七八九十]+、)", n):
            break                  # the body: 一、2025年工作回顾 names the year reviewed, not this one
        years = years_in(line, need_nian=True)
        if years:
            return max(years)
    return None


def _fall_back_to_date(out: dict, origin: dict, date: str):
    """A document's own date (a page's PubDate, a Word file's creation) where the text gives none;
    the year follows it only when neither the title nor the head names one.  A date of another
    year than the report's own is not its date: a Word file made in 2019 from a template, a page
    republished later."""
    if out["date"] or not re.match(r"^\d{4}-\d{2}-\d{2}$", date or ""):
        return
    if out["year"] is not None and out["year"] != int(date[:4]):
        return
    out["date"], origin["date"] = date, "document properties"
    if out["year"] is None:
        out["year"], origin["year"] = int(date[:4]), "document properties"


def extract_metadata(lines: list[str], given: dict) -> tuple[dict, dict]:
    """Report-level fields from the cleaned lines; ``given`` (front matter, catalog,
    collection columns) wins field by field.  Returns (fields, origin per field)."""
    head = _head(lines)
    fallback = given.get("_fallback") or {}
    picked = _Picked(given)
    title = picked.pick("title", lambda: find_title(head) or UNKNOWN)
    if title == UNKNOWN and fallback.get("title"):
        title = picked.out["title"] = fallback["title"]
        picked.origin["title"] = "document properties"
    subtitle = next((l for l in head if is_subtitle(l)), "")
    # a resolution says when it was adopted: （2024年3月11日第十四届全国人民代表大会第二次会议通过）
    dated = subtitle or next((l for l in head if _ADOPTED.search(normalize(l)) and _DATE.search(normalize(l))), "")
    date = picked.pick("date", lambda: parse_date(normalize(dated)) if dated else "")
    picked.out["year"] = given_year(picked.pick("year", lambda: find_year(title, date, head)))
    if picked.out["year"] is None and picked.origin.get("year") not in (None, "text"):
        _year_from_text_instead(picked, str(given.get("year")), lambda: find_year(title, date, head))
    _fall_back_to_date(picked.out, picked.origin, fallback.get("date", ""))
    kind = picked.pick("type", lambda: classify_type(title))
    if kind not in REPORT_TYPES:
        picked.out["type"] = classify_type(str(kind)) if kind else "其他"
    picked.pick("speaker", lambda: find_speaker(head))
    picked.out.update(_region_metadata(given, title, subtitle, head, picked.origin))
    return picked.out, picked.origin


# what a catalog or column writes for a year nobody knows: left unknown, as it says
_NO_YEAR = {"0", "-", "—", "–", "--", "?", "？", "未知", "不详", "无", "暂无", "unknown", "n/a", "na", "none", "null"}


def _year_from_text_instead(picked: "_Picked", given: str, from_text) -> None:
    """A given year that names no year (abc): the text's, and the value given said back in a
    warning; one that says the year is unknown (未知, -, 0) stays unknown."""
    if given.strip().lower() in _NO_YEAR:
        picked.origin.pop("year", None)
        return
    picked.out["_unusable_year"] = given[:40]
    picked.out["year"] = from_text()
    if picked.out["year"] is None:
        picked.origin.pop("year", None)
    else:
        picked.origin["year"] = "text"


class _Picked:
    """Fields as they are settled: a given value wins, else what the text says."""

    def __init__(self, given: dict):
        self.given = given
        self.out: dict = {}
        self.origin: dict[str, str] = {}

    def pick(self, name: str, from_text):
        if self.given.get(name) not in (None, ""):
            self.out[name] = self.given[name]
            self.origin[name] = self.given.get("_origin", {}).get(name, "given")
        else:
            self.out[name] = from_text()
            if self.out[name] not in (None, "", 0, UNKNOWN):
                self.origin[name] = "text"
        return self.out[name]


def _region_metadata(given: dict, title: str, subtitle: str, head: list[str], origin: dict) -> dict:
    """province, city, district, region and level: the given parts win; the text
    fills only what they leave open (and not against a given province)."""
    given_region = _given_region(given)
    text_region: dict = {}
    if "province" not in given_region or not ({"city", "district"} & given_region.keys()):
        text_region = _text_region(title, subtitle, head) or _page_region(given.get("_fallback") or {})
    region = _settle_region(given_region, text_region)
    for k in ("province", "city", "district"):
        if k in given_region:
            origin[k] = given.get("_origin", {}).get(k, "given")
        elif region.get(k):
            origin[k] = "text"
    fields = region_fields(region.get("province", ""), region.get("city", ""), region.get("district", ""))
    if given.get("level"):
        fields["level"] = given["level"]
    if given.get("region") and not given_region:
        fields["region"] = given["region"]
    return fields


def _page_region(fallback: dict) -> dict:
    """The region a web page's issuer (来源：北京市人民政府) or, where that names none
    (区政府办公室), the site it is on (重庆市渝北区人民政府) names."""
    return next((found for found in (find_region(fallback.get(k, "")) for k in ("issuer", "site")) if found), {})


def _settle_region(given_region: dict, text_region: dict) -> dict:
    """The given parts over what the text says; nothing of the text's when it names another province."""
    if text_region.get("province") and given_region.get("province") and \
            text_region["province"] != given_region["province"]:
        return dict(given_region)
    return {**text_region, **given_region}


def _given_region(given: dict) -> dict:
    found = {k: given.get(k) for k in ("province", "city", "district") if given.get(k)}
    if not found and given.get("region"):
        found = {k: v for k, v in find_region(given["region"]).items() if v}
        if not found and normalize(given["region"]) == "全国":
            found = {"province": "全国"}
    return found


def _text_region(title: str, subtitle: str, head: list[str]) -> dict:
    """The region the title, subtitle or speaker line names; 全国 for the State Council's."""
    for line in [title, subtitle] + [l for l in head if _match_speaker(l)]:
        found = find_region(line) if line else None
        if found:
            return found
    if re.search(r"国务院|全国人民代表大会", normalize(title + subtitle)):
        return {"province": "全国"}
    return {}
