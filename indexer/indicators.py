"""extract_indicators: the targets and results a report states, as facts.

A fact is one number for one indicator: 地区生产总值增长5%左右 is the GDP, growth of
5% (qualifier 左右), a target for the report's year.  Indicators are those named in
``indicators.csv`` (canonical name, label, aliases), an editable table.

Prose is read sentence by sentence (。；), clause by clause (，：): an indicator
mention owns the values that follow it in its clause, as long as only verbs and
modifiers (增长, 达到, 控制在, 同比 …) stand between — 高于全国0.3个百分点, 居全国第2位
or 其中税收收入… break the chain.  A clause that starts with a verb (，增长5.5%) goes on
with the previous clause's indicator; 分别 pairs a list of indicators with a list of
values.  Word-exported tables are read by their header row: the 指标 column names the
indicator, 计划/目标 columns are targets, 完成/实际 columns results, 属性/备注 the kind.

The role comes from the nearest cue before the value — in its clause, its
sentence, its paragraph, the lead line of a list, then its headings: 预期目标/今年
for targets, 过去一年/完成情况/the year reviewed for results, “十五五”时期/到2030年 for
five-year plans (role ``plan``), “十四五”时期/这五年 for five-year results (role
``result``, period 十四五).  The year is the one the text names there, else the
report's year for targets and the year before for results.

Everything works on the normalised text (Simplified, half-width), one character
for one character, so Traditional reports read the same and quotes keep the
report's own characters.  Masked numbers (X) are facts with an unknown value,
never 0.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .analysis import normalize
from .messages import os_error_text

TABLE_PATH = Path(__file__).resolve().parent / "indicators.csv"
# bump when extraction changes what a report yields: indexes built before are flagged stale
EXTRACTOR_VERSION = "6"

ROLES = ("target", "result", "plan")
MEASURES = ("growth", "level")


@dataclass(frozen=True)
class Indicator:
    key: str                      # canonical name: GDP, CPI, 城镇新增就业 …
    label: str                    # Chinese name shown
    rate: bool                    # a ratio in percent: its % is a level, 个百分点 its change
    patterns: tuple               # compiled aliases, over normalised text
    literals: tuple = ()          # a piece of plain text each alias must contain ("" if none)


def required_literal(pattern: str) -> str:
    """The longest plain text every match of ``pattern`` contains (生产总值 for
    (地区)?生产总值): a substring test finds text that may name an indicator far faster
    than the expressions themselves.  "" when the pattern has none."""
    try:
        from re import _constants as C, _parser      # CPython's own parser (3.11+)

        items = list(_parser.parse(pattern))
    except (ImportError, re.error):
        return ""
    best, run = "", ""
    for op, arg in items:
        if op is C.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


@dataclass
class Fact:
    para_no: int
    indicator: str                # as written in the report
    canonical: str
    measure: str                  # growth | level
    low: float | None             # None when the report masks the number (X)
    high: float | None
    unit: str
    qualifier: str                # 左右 以上 以内 … (力争 for a stretch value)
    role: str                     # target | result | plan
    kind: str                     # 预期性 | 约束性 | ""
    year: int                     # the year the value is for (a plan's last year)
    period: str                   # 十四五, 十五五 … for five-year figures, else ""
    quote: str                    # the sentence or table row stating it
    masked: bool = False
    stretch: bool = False         # 力争… beside a 确保… value

    def as_json(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- the table

class TableError(ValueError):
    """The indicator table cannot be read: one line naming the file and the row."""


def _parse_table(text: str, source: str) -> tuple[Indicator, ...]:
    rows = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    out: list[Indicator] = []
    for n, row in enumerate(csv.DictReader(rows), 2):
        ind = _indicator_row(row, n, source)
        if ind.key in {o.key for o in out}:
            raise TableError(f"指标表 {source} 第 {n} 行：{ind.key} 出现了两次")
        out.append(ind)
    return tuple(out)


def _indicator_row(row: dict, n: int, source: str) -> Indicator:
    try:
        key, rate, aliases = row["canonical"].strip(), row["rate"].strip().lower(), row["aliases"].split()
        patterns = tuple(re.compile(normalize(a)) for a in aliases)
    except (KeyError, AttributeError) as e:
        raise TableError(f"指标表 {source} 第 {n} 行缺少一列（{e}）；表头应为 canonical,label,rate,aliases") \
            from None
    except re.error as e:
        raise TableError(f"指标表 {source} 第 {n} 行（{row.get('canonical')}）：别名不是有效的正则表达式（{e}）") \
            from None
    if not key or not patterns or rate not in ("yes", "no"):
        raise TableError(f"指标表 {source} 第 {n} 行：要有规范名（canonical）、rate（yes 或 no）和至少一个别名")
    return Indicator(key=key, label=(row.get("label") or key).strip(), rate=rate == "yes", patterns=patterns,
                     literals=tuple(required_literal(p.pattern) for p in patterns))


def _table_read_problem(e: Exception) -> str:
    return "不是 UTF-8 编码，请另存为 UTF-8" if isinstance(e, UnicodeDecodeError) else os_error_text(e)


@functools.lru_cache(maxsize=4)
def load_table(path: str = str(TABLE_PATH)) -> tuple[Indicator, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise TableError(f"指标表 {path} 读不出来：{_table_read_problem(e)}") from None
    return _parse_table(text, path)


def table_fingerprint(path: str = str(TABLE_PATH)) -> str:
    """Changes with the table or the extractor: an index records the one it was built with."""
    data = EXTRACTOR_VERSION.encode() + b"\0" + Path(path).read_bytes()
    return hashlib.sha1(data).hexdigest()[:12]


# --------------------------------------------------------------------------- mentions

_CJK = re.compile(r"[\u3400-\u9fff]")
# words that may stand right before an indicator's name: 全市生产总值, 实现地区生产总值 …;
# 全疆 is 新疆's 全区, and 包括/以及 start the items of a list (包括地区生产总值年均增长5%左右、…)
_LEAD_WORDS = ("全自治区", "全市", "全省", "全区", "全疆", "全县", "全州", "全盟", "我市", "我省", "我区", "我县",
               "全年", "预计实现", "实现", "完成", "预计", "确保", "力争", "争取", "其中", "包括", "以及",
               "今年", "去年", "初步统计", "核心指标", "主要指标", "指标", "推动", "保持", "提出", "时期", "累计", "年")
# what may not follow a name: it is then part of another quantity (…占地区生产总值比重)
_BAD_AFTER = re.compile(r"比重|比例|占比|之比|比(?!上年|去年)|的|二氧化碳|能耗|安全|核算|总产值")


@dataclass
class Mention:
    start: int
    end: int
    indicator: Indicator


def _starts_phrase(norm: str, start: int) -> bool:
    """The name starts a noun phrase: nothing but lead words between it and punctuation."""
    i = start
    while i > 0:
        for word in _LEAD_WORDS:
            if norm.startswith(word, i - len(word)):
                i -= len(word)
                break
        else:
            return not _CJK.match(norm[i - 1])
    return True


_LITERALS: dict = {}


def _literals_in(norm: str, table) -> set:
    """Which of the table's required literals ``norm`` holds ("" always): plain substring tests."""
    key = id(table)
    if key not in _LITERALS:
        _LITERALS[key] = (table, sorted({lit for ind in table for lit in ind.literals if lit}))
    return {""} | {lit for lit in _LITERALS[key][1] if lit in norm}


def find_mentions(norm: str, table, check_context: bool = True) -> list[Mention]:
    """Indicator names in ``norm``, longest first where they overlap, left to right."""
    out = _longest_first(_raw_mentions(norm, table))
    if check_context:
        out = [m for m in out if _starts_phrase(norm, m.start) and not _BAD_AFTER.match(norm, m.end)]
    return out


def _raw_mentions(norm: str, table) -> list[Mention]:
    present = _literals_in(norm, table)
    found = []
    for ind in table:
        for pat, literal in zip(ind.patterns, ind.literals or ("",) * len(ind.patterns)):
            if literal in present:               # most text names no indicator: no expression runs
                found.extend(Mention(m.start(), m.end(), ind) for m in pat.finditer(norm) if m.end() > m.start())
    return found


def _longest_first(found: list[Mention]) -> list[Mention]:
    out: list[Mention] = []
    for m in sorted(found, key=lambda m: -(m.end - m.start)):
        if not any(m.start < o.end and o.start < m.end for o in out):
            out.append(m)
    return sorted(out, key=lambda m: m.start)


# --------------------------------------------------------------------------- values

_NUM = r"(?:\d+(?:\.\d+)?|x)"
_UNIT = (r"个百分点|%|万亿元|亿元|万元|元|亿美元|万美元|美元|万人次|万人|人|亿斤|万斤|亿公斤|万公斤|公斤|"
         r"亿吨|万吨|吨|微克/立方米|天|岁")
_PRE = r"不低于|不高于|不超过|不少于|超过|超|突破|跨越|迈上|低于|高于|≥|≤|>|<|近|约"
_POST = r"及以上|以上|以内|以下|左右|上下"
VALUE = re.compile(
    rf"(?<![\d.a-z])(?P<pre>{_PRE})?(?P<low>-?{_NUM})(?P<u1>{_UNIT})?"
    rf"(?:(?:-|—|–|~|至|到)(?P<high>{_NUM})(?P<u2>{_UNIT})?)?(?P<post>{_POST})?")


@dataclass
class Value:
    start: int
    end: int
    low: float | None
    high: float | None
    unit: str
    pre: str
    post: str
    masked: bool


def _number(text: str | None) -> float | None:
    if text is None or text == "x":
        return None
    return float(text)


def find_values(norm: str) -> list[Value]:
    """Numbers with a unit in prose: 5%左右, 4.5%—5%, 1955万吨以上, X亿元 (masked)."""
    return [v for v in (_prose_value(norm, m) for m in VALUE.finditer(norm)) if v is not None]


def _prose_value(norm: str, m: re.Match) -> Value | None:
    unit = m.group("u2") or m.group("u1") or ""
    if not unit or norm.startswith("的", m.end()) or m.group("low").startswith("-"):
        return None                              # a count, 89.4%的公园, or a dash: prose says 下降
    low, high = m.group("low"), m.group("high") or m.group("low")
    return Value(m.start(), m.end(), _number(low), _number(high), unit, m.group("pre") or "",
                 m.group("post") or "", "x" in (low, high))


# a change said with a degree adverb: CPI微降0.1%, 略涨, 小幅下降 (降 涨 增 升 stand alone only so)
_SLIGHT = r"[微略稍][降涨增升]"
_DEGREE = r"小幅|大幅"
# what may stand between an indicator and its value, or between two of its values
_GAP_WORD = re.compile(
    r"同比|比上年|较上年|比去年|按可比价格计算|可比价|初步统计|预计|确保|力争|争取|努力|实现|完成|达到|达|为|是|在|"
    r"到|至|按|设定|突破|超过|跨越|迈上|保持|稳定|控制|继续|持续|分别|同口径|平均|年均|总量|总额|总值|规模|"
    rf"增长|增速|增幅|涨幅|上涨|下降|降低|减少|回落|提高|提升|增加|增至|降至|幅度|{_SLIGHT}|{_DEGREE}|"
    r"全年|年初|预期|目标|计划|进一步|人数|首次|超出|高于|低于|快于|慢于|好于|实际|名义|值|[、和与及()\s“”\"]")
_GROWTH_VERB = re.compile(rf"(增长|增速|增幅|涨幅|上涨|下降|降低|减少|回落|提高|提升|增加|{_SLIGHT})(?![到至])$")
_DECLINE = re.compile(r"下降|降低|减少|回落|[微略稍]降")
# (GDP), (同比,下同): a name or a remark in parentheses, no number in it
_PAREN_NAME = re.compile(r"\([^()\d]{0,12}\)")
_COMPARE = re.compile(r"超过|超出|高于|低于|快于|慢于|好于")
# a remark on the name's rank or record between two of its values (达到5.53万亿元、稳居全国前十强、
# 增长4.8%): it says nothing of the value after it, so the name goes on past it
_ASIDE_WORDS = r"(?:稳|位|跃|仍|继续)?居|位列|名列|排名|(?:再|屡)?创"
_ASIDE = re.compile(rf"(?<=、)(?:{_ASIDE_WORDS})[^、,;。:]*、")
_ASIDE_CLAUSE = re.compile(rf"(?:{_ASIDE_WORDS})[^、,;。:]*[,:]?")


def _past_asides(gap: str) -> str:
    return _ASIDE.sub("", gap)


def gap_ok(gap: str) -> bool:
    gap = _PAREN_NAME.sub("", gap)
    pos = 0
    while pos < len(gap):
        m = _GAP_WORD.match(gap, pos)
        if not m:
            return False
        pos = m.end()
    return True


def _last_verb(gap: str) -> str:
    verbs = re.findall(r"(?:增长|增加|提高|提升|下降|降低|减少)[到至]|增长|增速|增幅|涨幅|上涨|下降|降低|减少|回落|"
                       rf"提高|提升|增加|增至|降至|降到|{_SLIGHT}|达到|达|为|控制|保持|稳定", gap)
    return verbs[-1] if verbs else ""


def measure_of(ind: Indicator, unit: str, verb: str, name_says_growth: bool = False) -> str | None:
    """growth or level for a value of ``ind`` in ``unit``; None when it is not a fact we record."""
    if unit == "个百分点":
        return "growth" if ind.rate else None
    if unit == "%":
        if ind.rate:
            return "growth" if name_says_growth else "level"
        return "growth"
    if _GROWTH_VERB.search(verb or ""):
        return None                        # 增加4374.4亿元: an absolute change
    return "level"


# --------------------------------------------------------------------------- roles and years

# a named five-year plan as a period (“十五五”时期, 十四五以来, “十五五”发展目标): the report's
# own plan or a later one plans, an earlier one is looked back on.  Its opening or close
# (“十五五”开局之年, “十四五”圆满收官), a reference to the plan (衔接“十五五”规划) or a base of
# comparison (比“十三五”末) is no cue.
_FYP = r"(?<![比较与从由])(?<![比较与从由][“\"])十[一二三四五六七八九]五[”\"]?(?:时期|期间|以来|末|发展目标|主要目标|目标)"
_PLAN_CUE = r"今后五年|未来五年|到20[3-9]\d年|规划纲要|纲要"
_RESULT5_CUE = r"过去的?五年|这五年|五年来|五年间"
# done, not to be done: 较好完成全年主要目标任务, 超过年初预期目标, 主要目标任务如期完成。
# (如期实现碳达峰目标 and 全面完成…目标 also speak of plans, so they are no cue).  Chinese
# marks no tense: 碳达峰战略目标如期实现 in a 十五五 plan is to come, so such wording says
# "done" only for its own sentence; the sentences after it take their time from time cues.
_DONE = r"(?:顺利|较好|圆满|超额)(?:完成|实现)了?|完成了|实现了|超过|超出|高于|好于|低于"
_DONE_CUE = (rf"(?:{_DONE})[^,;。:]{{0,8}}目标|"
             r"目标(?:任务)?[^,;。:]{0,4}(?:完成|实现)(?:了|情况|(?=[,;。:]|$))")
_RESULT_CUE = r"过去一年|一年来|去年|上年|刚刚过去|完成情况|执行情况|工作情况|发展情况|实际完成|初步统计|回顾|总结"
_TARGET_CUE = r"预期目标|预期指标|目标是|目标为|今年|明年|计划目标|计划草案|预计目标|(?<!努)力争|确保|工作安排"
_CUES = re.compile(rf"(?P<fyp>{_FYP})|(?P<plan>{_PLAN_CUE})|(?P<result5>{_RESULT5_CUE})|(?P<done>{_DONE_CUE})|"
                   rf"(?P<result>{_RESULT_CUE})|(?P<target>{_TARGET_CUE})|(?<![\d从由较比与])(?P<year>20\d\d)年(?!的)")
_YEAR = re.compile(r"(?<![\d从由较比与])(20\d\d)年(?!的|前|以来|度?远景)")
_NAMED_PLAN = re.compile(r"十([一二三四五六七八九])五")
_CN_DIGIT = "一二三四五六七八九"


def plan_end_year(number: int) -> int:
    """The last year of the Nth five-year plan (6th: 1981–1985 onward, every five years)."""
    return 1985 + 5 * (number - 6)


def _plan_containing(year: int) -> int:
    return (year - 1981) // 5 + 6


def _cue_role(m: re.Match, report_year: int) -> str | None:
    role = m.lastgroup
    if role == "fyp":
        number = _CN_DIGIT.index(_NAMED_PLAN.search(m.group()).group(1)) + 11
        if not report_year or number >= _plan_containing(report_year):
            return "plan"
        # the plan just ended is looked back on; an older one is only a base of comparison
        return "result5" if number == _plan_containing(report_year - 1) else None
    if role == "done":
        return "result"
    if role == "year":
        # the year reviewed says result; the report's own year is a weak cue (a speech at a
        # year's end reviews and plans under one year) and only counts when nothing else does
        year = int(m.group("year"))
        return "result" if year == report_year - 1 else "weak_target" if year == report_year else None
    return role


def _overlapping(pattern: re.Pattern, text: str):
    """Every match, overlapping ones too: 预期目标完成 holds 预期目标 and 目标完成."""
    m = pattern.search(text)
    while m:
        yield m
        m = pattern.search(text, m.start() + 1)


_LIGHT_CUE = re.compile(r"力争|确保")


def _is_light(m: re.Match) -> bool:
    """A cue of wording, not of time (力争, 确保, 超过年初预期目标, 目标如期实现): it speaks
    for its own sentence only."""
    return m.lastgroup == "done" or bool(_LIGHT_CUE.fullmatch(m.group()))


def _cue_in(text: str, report_year: int, weak: bool = False, light: bool = True) -> tuple[str, str] | None:
    """The nearest (last-ending, then longest) role cue in ``text``: (role, cue text).

    ``light``: count the wording cues, which say target or result only in the value's own
    sentence (确保粮食安全 in a review is no target).  Uncounted, a 超过年初预期目标 still
    hides the 预期目标 inside it."""
    best, hidden_to = None, -1
    for m in _overlapping(_CUES, text):
        role = _cue_role(m, report_year)
        if m.lastgroup == "done" and not light:
            hidden_to = max(hidden_to, m.end())
            continue
        if role is None or (role == "weak_target") != weak or m.end() <= hidden_to or \
                not light and _is_light(m):
            continue
        key = (m.end(), m.end() - m.start())
        if best is None or key >= best[0]:
            best = (key, role, m.group())
    if best is None:
        return None
    return ("target" if best[1] == "weak_target" else best[1]), best[2]


@dataclass
class Context:
    """What decides a value's role and year: texts before it, nearest first."""

    scopes: list                  # [str]: clause, sentence, paragraph, lead line, headings
    part: str
    report_year: int
    own_scopes: int = 3           # scopes before the headings


def resolve_role(ctx: Context, five_year: bool = False) -> tuple[str, int, str] | None:
    """(role, year, period) for a value, or None when nothing says which it is.

    ``five_year``: the value is a yearly average (年均), so a five-year figure."""
    found, at = None, 0
    for weak in (False, True):
        for at, text in enumerate(ctx.scopes):
            found = _cue_in(text, ctx.report_year, weak, light=at < 2)
            if found:
                break
        if found:
            break
    role, cue = found or ({"回顾": "result", "部署": "target"}.get(ctx.part), "")
    if role is None:
        return None
    if role == "result5" and at >= ctx.own_scopes and not five_year:
        # a heading over both years (2025年工作回顾和“十四五”时期发展成就) says
        # five years only for a yearly average
        role = "result"
    if five_year:
        role = {"target": "plan", "result": "result5"}.get(role, role)
    return _with_year(ctx, role, cue)


def _with_year(ctx: Context, role: str, cue: str) -> tuple[str, int, str] | None:
    if role in ("plan", "result5"):
        return _five_year(ctx.report_year, role, cue)
    ry = ctx.report_year
    lo, hi = (ry - 2, ry + 1) if role == "target" else (ry - 2, ry)
    for text in ctx.scopes:
        years = [int(y) for y in _YEAR.findall(text) if lo <= int(y) <= hi]
        if years:
            return (role, max(years), "")
    return (role, ry if role == "target" else ry - 1, "") if ry else None


def _five_year(ry: int, role: str, cue: str) -> tuple[str, int, str] | None:
    """A plan's or a looked-back period's last year and name: 十五五 → 2030 (or 到20xx年)."""
    named = _NAMED_PLAN.search(cue)
    if named:
        number = _CN_DIGIT.index(named.group(1)) + 11
    else:
        number = _plan_containing(ry if role == "plan" else ry - 1) if ry else 0
    to_year = re.search(r"到(20\d\d)年", cue)
    year = int(to_year.group(1)) if to_year else plan_end_year(number) if number else 0
    if not year:
        return None
    return ("plan" if role == "plan" else "result", year, f"十{_CN_DIGIT[number - 11]}五" if 11 <= number <= 19 else "")


# --------------------------------------------------------------------------- prose

_SENTENCE_END = re.compile(r"[。!?;]")
_CLAUSE_END = re.compile(r"[,:]")
_ITEM_SPLIT = re.compile(r"[、和与及]")
_COUNTRYSIDE = re.compile(r"城乡((?:常住)?居民(?:人均可支配)?收入)")
QUOTE_CHARS = 200


def _spans(text: str, start: int, end: int, splitter) -> list[tuple[int, int]]:
    """[start, end) cut after each splitter match, parentheses kept whole."""
    if "(" not in text[start:end]:
        cuts = [m.end() for m in splitter.finditer(text, start, end)]
        return [(a, b) for a, b in zip([start] + cuts, cuts + [end]) if a < b]
    out, depth, begin = [], 0, start
    for i in range(start, end):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and splitter.match(ch):
            out.append((begin, i + 1))
            begin = i + 1
    if begin < end:
        out.append((begin, end))
    return out


@dataclass
class Subject:
    """The indicators the values of a clause belong to: one, or a 分别 list."""

    names: list                   # [(Indicator, as written)]


class ProseReader:
    """Facts from one prose unit (paragraph or list item), sentence by sentence, clause by clause."""

    def __init__(self, unit, norm: str, table, ctx_for, report_year: int):
        self.unit = unit
        self.norm = norm
        self.table = table
        self.ctx_for = ctx_for            # (sentence start, clause start, value start) -> Context
        self.report_year = report_year
        self.facts: list[Fact] = []
        self.mentions = find_mentions(norm, table)
        self.sentence = (0, 0)            # where reading is: the sentence, and the clause's start
        self.c_start = 0

    def read(self) -> list[Fact]:
        if not self.mentions and "分别" not in self.norm:
            return []                             # values need a name to belong to
        for self.sentence in _spans(self.norm, 0, len(self.norm), _SENTENCE_END):
            subject = None
            for self.c_start, c_end in _spans(self.norm, *self.sentence, _CLAUSE_END):
                subject = self._clause(c_end, subject)
        return self.facts

    def _clause(self, c_end: int, subject):
        """One clause: a 分别 list, its own mentions, or the previous clause's subject going on."""
        text = self.norm[self.c_start:c_end]
        split = text.find("分别")
        if split > 0:
            names, tail = _strip_modifiers(text[:split])
            items = self._items(names)
            if items:
                self._paired(Subject(items), tail, self.c_start + split, c_end)
                return Subject(items)
        mentions = [m for m in self.mentions if self.c_start <= m.start and m.end <= c_end]
        if not mentions:
            # a clause that gives its subject no value ends the chain (新增公园127座), but for
            # a remark on its rank or record (，稳居全国前十强，增长4.8%)
            if subject is not None and (self._values_for(subject, self.c_start, c_end)
                                        or _ASIDE_CLAUSE.fullmatch(text)):
                return subject
            return None
        for m, after in zip(mentions, mentions[1:] + [None]):
            subject = Subject([(m.indicator, self.unit.text[m.start:m.end])])
            self._values_for(subject, m.end, after.start if after else c_end)
        return subject

    def _items(self, text: str) -> list:
        """The indicators listed before 分别: 城镇、农村居民人均可支配收入 → two."""
        parts = [p for p in _ITEM_SPLIT.split(_COUNTRYSIDE.sub(r"城镇\1、农村\1", text)) if p]
        if len(parts) < 2:
            return []
        last = parts[-1]
        # 粮食、蔬菜总产量: a part borrows the last one's ending
        return [self._resolve(part) or next(filter(None, (self._resolve(part + last[k:])
                                                          for k in range(1, len(last)))), None)
                for part in parts]

    def _resolve(self, item: str):
        ms = [m for m in find_mentions(item, self.table) if m.end == len(item)]
        return (ms[-1].indicator, item[ms[-1].start:]) if ms else None

    def _paired(self, subject, tail: str, split_at: int, c_end: int) -> int:
        """分别增长4.5%、5.5%左右: the n-th value is the n-th listed indicator's."""
        values = find_values(self.norm[split_at:c_end])
        if not _one_list(self.norm, split_at, values, len(subject.names)):
            return 0
        gap = tail + self.norm[split_at:split_at + values[0].start]
        return sum(self._emit(name, v, split_at, gap) for name, v in zip(subject.names, values) if name)

    def _values_for(self, subject, begin: int, end: int) -> int:
        """The values after a mention (or from the clause start) up to ``end``; how many were facts."""
        values = find_values(self.norm[begin:end])
        if len(subject.names) > 1:
            return self._paired(subject, "", begin, end)
        # 达14.2万亿元、年均增长5.7%: the name's values share one period
        five_year = bool(values) and "年均" in self.norm[begin:begin + values[-1].end]
        pos, taken, comparing = begin, 0, False
        for v in values:
            gap, at, pos = self.norm[pos:begin + v.start], begin + v.start, begin + v.end
            verdict, comparing = self._gate(gap, at, comparing)
            if verdict == "stop":
                break
            if verdict == "take":
                stretch = taken > 0 and bool(re.search(r"力争|争取", gap))
                taken += self._emit(subject.names[0], v, begin, self.norm[begin:at], stretch, gap, five_year)
        return taken

    def _gate(self, gap: str, at: int, comparing: bool) -> tuple[str, bool]:
        """take, skip or stop at a value, given what stands before it (and whether a comparison
        already began: 超过年初预期目标(6.5%)0.2个百分点 — the value in parentheses is the
        target, the one after it the difference)."""
        if re.search(r"[从由]$", gap) and gap_ok(gap[:-1]):
            return "skip", comparing               # 从5.6万元增至7.8万元: the base value
        if _inside_parentheses(self.norm, self.c_start, at) and \
                not _directly_after_target(self.norm[self.c_start:at]):
            return "skip", comparing               # 增长1.7%（同口径增长2.5%以上）: a remark
        comparing = comparing or bool(_COMPARE.search(gap))
        if comparing and not gap.endswith("(") or not gap_ok(_past_asides(gap)):
            return "stop", comparing
        return "take", comparing

    def _emit(self, name, v: Value, begin: int, gap: str, stretch: bool = False, local_gap: str | None = None,
              five_year: bool = False) -> bool:
        """One fact: ``gap`` runs from the indicator's name to the value, ``local_gap`` from
        the value before (达14.2万亿元、年均增长5.7%: 年均 is the name's, 增长 the value's)."""
        ind, written = name
        measured = _measured(ind, v, gap if local_gap is None else local_gap)
        role = measured and self._role(begin + v.start, five_year or "年均" in gap, measured[0])
        if not role:
            return False
        s_start, s_end = self.sentence
        self.facts.append(Fact(
            para_no=self.unit.para_no, indicator=written, canonical=ind.key, measure=measured[0],
            low=measured[1], high=measured[2], unit=v.unit, qualifier=("力争" if stretch else "") + v.pre + v.post,
            role=role[0], kind="", year=role[1], period=role[2], masked=v.masked, stretch=stretch,
            quote=_quote(self.unit.text, s_start, s_end, self.c_start, begin + v.end)))
        return True

    def _role(self, at: int, five_year: bool, measure: str) -> tuple | None:
        role = resolve_role(self.ctx_for(self.sentence[0], self.c_start, at), five_year)
        if role is None or role[2] and measure == "growth" and not five_year:
            return None                            # growth over five years, not a yearly average
        if role[0] == "result" and _directly_after_target(self.norm[self.c_start:at]):
            return ("target", role[1], "")
        return role


def _measured(ind: Indicator, v: Value, gap: str) -> tuple | None:
    """(measure, low, high) of a value: a decline (下降3.8%) is a negative growth."""
    verb = _last_verb(gap)
    measure = measure_of(ind, v.unit, verb)
    if measure is None or measure == "growth" and "累计" in gap:
        return None                                # 累计下降27.4%: a change over several years
    low, high = _signed(v.low, v.high, measure == "growth" and bool(_DECLINE.search(verb)))
    return measure, low, high


def _signed(low: float | None, high: float | None, negative: bool) -> tuple:
    if negative:
        low, high = (None if high is None else -high), (None if low is None else -low)
    return low, high


_AFTER_TARGET = re.compile(r"目标\(?(?:为|是|控制在|控制|在)?\(?$")


def _directly_after_target(prefix: str) -> bool:
    """超过年初预期目标(6.5%), 完成年初目标控制在4.0%以内: the value is the target itself."""
    return bool(_AFTER_TARGET.search(prefix))


def _inside_parentheses(norm: str, start: int, at: int) -> bool:
    return norm.count("(", start, at) > norm.count(")", start, at)


_MODIFIERS = re.compile(r"(?:年均|同比|预计|初步统计|全年|累计|平均|实际|名义)+$")


def _strip_modifiers(text: str) -> tuple[str, str]:
    """城乡居民人均可支配收入年均 → (城乡居民人均可支配收入, 年均)."""
    m = _MODIFIERS.search(text)
    return (text[:m.start()], m.group()) if m else (text, "")


def _one_list(norm: str, begin: int, values: list, n: int) -> bool:
    """``values`` are one list of ``n`` (4.5%、5.5%左右 or 4%左右和6%左右) after an allowed gap."""
    if len(values) != n or not values or not gap_ok(norm[begin:begin + values[0].start]):
        return False
    return all(re.fullmatch(r"[、和与及\s]*", norm[begin + a.end:begin + b.start])
               for a, b in zip(values, values[1:]))


def _quote(text: str, s_start: int, s_end: int, c_start: int, v_end: int) -> str:
    sentence = text[s_start:s_end].strip()
    if len(sentence) <= QUOTE_CHARS:
        return sentence
    begin = max(s_start, c_start - 40)
    end = min(s_end, max(v_end, c_start) + 40)
    return ("…" if begin > s_start else "") + text[begin:end].strip() + ("…" if end < s_end else "")


# --------------------------------------------------------------------------- tables

_HEADER_WORD = re.compile(r"指标|名称|目标|计划|完成|实际|预计|备注|属性|单位|序号|类别")
_CELL = re.compile(rf"(?P<verb>提高|提升|增长|下降|降低|减少)?{VALUE.pattern}\*?")
_NAME_UNIT = re.compile(r"\(([^()]{1,8})\)")
_NAME_GROWTH = re.compile(r"增速|增长|增幅|涨幅|下降|降低|减少|提高")
_STAR_NOTE = re.compile(r"\*.{0,8}约束性")


@dataclass
class Column:
    what: str                     # name | unit | kind | target | result | other
    year: int = 0


# what a header cell says its column holds, in the order they are tried
_COLUMN_WORDS = (("kind", r"属性|性质|备注|类型"), ("unit", r"^(计量)?单位$"), ("name", r"指标|名称|项目"),
                 ("result", r"^(?!.*(目标|计划)).*(完成|实际|执行|实绩)"), ("target", r"目标|计划|预期|预计"))


def _column(cell: str) -> Column:
    years = [int(y) for y in re.findall(r"(20\d\d)年", cell)]
    what = next((what for what, words in _COLUMN_WORDS if re.search(words, cell)), "other")
    return Column(what, years[-1] if years else 0)


def _columns(header: list[str], report_year: int, caption_years: list[int]) -> list[Column]:
    """Header cells to columns; a 完成情况 column is for its 计划 column's year, or the year reviewed."""
    cols = [_column(cell) for cell in header]
    target_years = [c.year for c in cols if c.what == "target" and c.year]
    default = {"result": target_years[0] if target_years else _first(caption_years, lambda y: y < report_year,
                                                                       report_year - 1),
               "target": _first(caption_years, lambda y: y >= report_year - 1, report_year)}
    for c in cols:
        c.year = c.year or default.get(c.what, 0)
    return cols


def _first(items, test, default):
    return next((x for x in items if test(x)), default)


def _is_header(cells: list[str]) -> bool:
    return not any(_CELL.fullmatch(c) for c in cells if c) and any(_HEADER_WORD.search(c) for c in cells)


@dataclass
class RowName:
    """What a row's 指标 cell says: the indicator, its unit (%) and whether it is a rate of change."""

    indicator: Indicator
    cell: str
    unit: str
    growth: bool
    decline: bool
    kind: str


class TableReader:
    """Facts from one Word-exported table: a run of table_row units under one caption."""

    def __init__(self, rows, table, report_year: int, headings: list[str], note: str):
        self.rows = rows                  # [(unit, normalised cells)]
        self.table = table
        self.report_year = report_year
        self.headings = headings
        self.star_kind = "约束性" if _STAR_NOTE.search(note) else ""
        self.other_kind = "预期性" if re.search(r"(其他|其余)为?预期性", note) else ""

    def read(self) -> list[Fact]:
        header_at = next((i for i, (_u, cells) in enumerate(self.rows) if _is_header(cells)), None)
        if header_at is None:
            return []
        years = [int(y) for h in self.headings for y in re.findall(r"(20\d\d)年", h)]
        cols = _columns(self.rows[header_at][1], self.report_year, years)
        facts = []
        for unit, cells in self.rows[header_at + 1:]:
            if not _is_header(cells):
                facts.extend(self._row(unit, self._aligned(cells, len(cols)), cols))
        return facts

    @staticmethod
    def _aligned(cells: list[str], width: int) -> list[str]:
        """A short row lost its leading (row-spanning) cells: align it on the right."""
        cells = list(cells)
        if len(cells) < width:
            return [""] * (width - len(cells)) + cells
        return cells[len(cells) - width:]

    def _row(self, unit, cells, cols) -> list[Fact]:
        name = self._name(cells, cols)
        if name is None:
            return []
        facts = (self._cell(unit, cell, col, name) for cell, col in zip(cells, cols)
                 if col.what in ("target", "result"))
        return [f for f in facts if f]

    def _name(self, cells, cols) -> RowName | None:
        by_column = {col.what: cell for cell, col in zip(cells, cols) if col.what in ("name", "unit", "kind")}
        cell = by_column.get("name") or next((c for c in cells if c and not _CELL.fullmatch(c)), "")
        mentions = find_mentions(cell, self.table)
        if not mentions:
            return None
        units = _NAME_UNIT.findall(cell)
        kind = by_column.get("kind", "") if by_column.get("kind", "").endswith("性") else \
            self.star_kind if "*" in cell else self.other_kind
        return RowName(mentions[0].indicator, cell, units[-1] if units else by_column.get("unit", ""),
                       bool(_NAME_GROWTH.search(cell)), bool(_DECLINE.search(cell)), kind)

    def _cell(self, unit, cell: str, col: Column, name: RowName) -> Fact | None:
        m = _CELL.fullmatch(cell)
        v_unit = m and (m.group("u2") or m.group("u1") or name.unit)
        measure = m and measure_of(name.indicator, v_unit, "", name_says_growth=name.growth)
        if not measure:
            return None
        decline = measure == "growth" and (name.decline or bool(_DECLINE.search(m.group("verb") or "")))
        low, high = _signed(_number(m.group("low")), _number(m.group("high") or m.group("low")), decline)
        return Fact(para_no=unit.para_no, indicator=re.sub(r"[*#]", "", unit_text_cell(unit, name.cell)),
                    canonical=name.indicator.key, measure=measure, low=low, high=high, unit=v_unit,
                    qualifier=(m.group("pre") or "") + (m.group("post") or ""), role=col.what, kind=name.kind,
                    year=col.year, period="", quote=unit.text, masked="x" in (m.group("low"), m.group("high")))


def unit_text_cell(unit, norm_cell: str) -> str:
    """The cell as the report writes it (cells are compared normalised)."""
    for cell in (unit.cells or {}).get("cells") or []:
        if normalize(cell) == norm_cell:
            return cell
    return norm_cell


# --------------------------------------------------------------------------- a report

def _lead(units, norms, i, report_year: int) -> str:
    """The line a list hangs from: the paragraph before a run of ——items, or a line ending
    with a colon (2024年经济社会发展主要预期目标为:) before paragraphs."""
    path = units[i].heading_path
    in_list = units[i].kind == "list_item"
    for j in range(i - 1, max(-1, i - 13), -1):
        if units[j].heading_path != path or units[j].kind == "heading":
            break
        if in_list and units[j].kind != "list_item":
            return _topic(norms[j], report_year) or norms[j]
        if norms[j].rstrip().endswith(":"):
            return norms[j]
    return ""


def extract_indicators(report, table=None) -> list[Fact]:
    """Every fact the report states about a canonical indicator, in reading order."""
    table = table if table is not None else load_table()
    units = report.paragraphs
    norms = [normalize(u.text) for u in units]
    ry = int(report.year or 0)
    frames = _frames(units, norms, ry)
    facts: list[Fact] = []
    i = 0
    while i < len(units):
        u = units[i]
        headings = [normalize(h) for h in reversed(u.heading_path)]
        if u.kind == "table_row":
            j = _table_end(units, i)
            facts.extend(_table_facts(units, norms, i, j, table, ry, headings))
            i = j
            continue
        if u.kind in ("paragraph", "list_item"):
            ctx_for = _context_maker(u, norms[i], headings, [_lead(units, norms, i, ry), frames[i]], ry)
            facts.extend(ProseReader(u, norms[i], table, ctx_for, ry).read())
        i += 1
    return _unique(facts)


def _table_end(units, i: int) -> int:
    """Past the last row of the table starting at ``i`` (rows under one heading path)."""
    j = i
    while j < len(units) and units[j].kind == "table_row" and units[j].heading_path == units[i].heading_path:
        j += 1
    return j


def _table_facts(units, norms, i: int, j: int, table, ry: int, headings: list[str]) -> list[Fact]:
    rows = [(units[k], [normalize(c) for c in (units[k].cells or {}).get("cells") or []]) for k in range(i, j)]
    note = norms[j] if j < len(units) and norms[j].startswith("注") else ""   # 注：加*为约束性指标
    return TableReader(rows, table, ry, headings, note).read()


def _frames(units, norms, report_year: int) -> list[str]:
    """For each unit, the time its section last set: a review opens with 过去的五年…, goes
    on topic by topic, then turns to 刚刚过去的2025年…; each topic paragraph speaks of the
    period last named.  The frame is the opening words that named it; a new top-level
    section starts without one."""
    out, frame, section = [], "", None
    for u, norm in zip(units, norms):
        top = u.heading_path[0] if u.heading_path else ""
        if top != section:
            frame, section = "", top
        out.append(frame)
        if u.kind in ("paragraph", "list_item"):
            frame = _topic(norm, report_year) or frame
    return out


# 2025年是“十四五”收官之年: says what a year is, not which year the next sentences speak of
_CHARACTERISATION = re.compile(r"^(?:各位代表!?)?(?:刚刚过去的)?20\d\d年是")


def _topic(norm: str, report_year: int, sentences: int = 3) -> str:
    """The opening words of a paragraph up to its first time cue (五年来, 刚刚过去的2025年,
    提出这些预期目标 …), looking at its first few sentences; "" when they name no time."""
    ends = [m.end() for _, m in zip(range(sentences), _SENTENCE_END.finditer(norm))]
    for s_start, s_end in list(zip([0] + ends, ends + [len(norm)]))[:sentences]:
        sentence = norm[s_start:s_end]
        if _CHARACTERISATION.match(sentence):
            continue
        ends = [m.end() for m in _overlapping(_CUES, sentence)
                if _cue_role(m, report_year) and not _is_light(m)]
        if ends:
            return norm[s_start:s_start + min(ends)]
    return ""


def _context_maker(unit, norm: str, headings: list[str], context: list[str], report_year: int):
    """Scopes nearest first: clause, sentence, paragraph, lead line and frame, headings."""
    def ctx_for(s_start: int, c_start: int, v_start: int) -> Context:
        scopes = [norm[c_start:v_start], norm[s_start:c_start], norm[:s_start]] + [c for c in context if c]
        return Context(scopes=scopes + headings, part=unit.part, report_year=report_year, own_scopes=len(scopes))
    return ctx_for


def _unique(facts: list[Fact]) -> list[Fact]:
    seen, out = set(), []
    for f in facts:
        key = (f.para_no, f.canonical, f.measure, f.role, f.year, f.period, f.low, f.high, f.unit, f.stretch,
               f.masked and f.quote)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
