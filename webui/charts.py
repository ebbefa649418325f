"""Geometry for the /indicators charts, drawn as server-side SVG (no script, no CDN).

Each function turns facts (search/indicators.py) into plain numbers and labels;
templates/indicators.html draws them.  Every mark keeps its fact, so the page
links it to the paragraph that states it.
"""

from __future__ import annotations

import math
from collections import Counter

from search.indicators import in_unit, value_text

BAR_ROW = 24
LABEL_W = 150
VALUE_W = 110


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values from at or below ``lo`` to at or above ``hi``: steps of 1, 2 or 5 × 10^k."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    ticks = [math.floor(lo / step) * step]
    while ticks[-1] < hi - step * 1e-9:
        ticks.append(ticks[-1] + step)
    return [round(t, 10) for t in ticks]


def common_unit(facts: list[dict]) -> str:
    counts = Counter(f["unit"] for f in facts)
    return counts.most_common(1)[0][0] if counts else ""


class Scale:
    """Values to pixels along one axis."""

    def __init__(self, values: list[float], start: float, length: float):
        self.ticks = nice_ticks(min([0.0] + values), max([0.0] + values))
        self.lo, self.hi = self.ticks[0], self.ticks[-1]
        self.start, self.length = start, length

    def __call__(self, v: float) -> float:
        return round(self.start + (v - self.lo) / (self.hi - self.lo) * self.length, 1)


def _converted(facts: list[dict], unit: str):
    """(fact, low, high) in ``unit``; facts in another kind of unit are left out."""
    out = []
    for f in facts:
        low, high = in_unit(f["low"], f["unit"], unit), in_unit(f["high"], f["unit"], unit)
        if f["masked"] or (low is not None and high is not None):
            out.append((f, low, high))
    return out


def bar_chart(facts: list[dict], width: int = 760) -> dict:
    """Horizontal bars, one per region: the value, and a lighter stretch for a range's top."""
    unit = common_unit(facts)
    rows = _converted(facts, unit)
    values = [v for _f, low, high in rows for v in (low, high) if v is not None]
    x = Scale(values, LABEL_W, width - LABEL_W - VALUE_W)
    bars = []
    for i, (f, low, high) in enumerate(rows):
        y = 28 + i * BAR_ROW
        bar = {"fact": f, "y": y, "label": f["region"], "text": value_text(f), "masked": f["masked"]}
        if not f["masked"]:
            bar.update(x=min(x(0), x(low)), w=max(1.0, abs(x(low) - x(0))),
                       range_x=x(low), range_w=round(x(high) - x(low), 1), end=max(x(0), x(high)))
        else:
            bar.update(end=x(0))
        bars.append(bar)
    height = 28 + len(rows) * BAR_ROW + 24
    return {"width": width, "height": height, "bars": bars, "unit": unit, "zero": x(0),
            "ticks": [{"x": x(t), "label": f"{t:g}"} for t in x.ticks], "axis_y": height - 20,
            "left_out": len(facts) - len(rows)}


def series_chart(rows: list[dict], width: int = 760, height: int = 300) -> dict:
    """Target (a band from low to high) against result (a dot) for each year of one region."""
    facts = [f for r in rows for f in r["target"] + r["result"]]
    unit = common_unit(facts)
    values = [v for _f, low, high in _converted([f for f in facts if not f["masked"]], unit) for v in (low, high)]
    top, bottom, left = 20, height - 40, 60
    y = Scale(values, bottom, top - bottom)          # upwards
    slot = (width - left - 20) / max(1, len(rows))
    marks = [_year_marks(r, round(left + slot * (i + 0.5), 1), y, unit) for i, r in enumerate(rows)]
    return {"width": width, "height": height, "unit": unit, "marks": marks, "left": left, "bottom": bottom,
            "ticks": [{"y": y(t), "label": f"{t:g}"} for t in y.ticks], "zero": y(0)}


def _year_marks(row: dict, cx: float, y: Scale, unit: str) -> dict:
    """One year's marks: its target (not a 力争 one) as a band, its result as a dot."""
    targets = _converted([f for f in row["target"] if not f["stretch"] and not f["masked"]][:1], unit)
    results = _converted([f for f in row["result"] if not f["masked"]][:1], unit)
    return {"year": row["year"], "x": cx,
            "targets": [{"fact": f, "x": cx - 18, "y": min(y(low), y(high)), "w": 36,
                         "h": max(3.0, abs(y(high) - y(low))), "text": value_text(f)} for f, low, high in targets],
            "results": [{"fact": f, "cx": cx, "cy": y(low), "text": value_text(f)} for f, low, _h in results]}


# --------------------------------------------------------------------------- /trends

PALETTE = ("#c23531", "#2f4554", "#61a0a8", "#d48265", "#749f83")


def line_chart(labels: list, series: list[dict], width: int = 760, height: int = 320) -> dict:
    """One line per series over the labels (years): ``series`` is [{"name", "values", "links"}],
    each point keeps its value and the link it opens."""
    top, bottom, left, right = 20, height - 44, 64, 20
    y = Scale([v for s in series for v in s["values"]], bottom, top - bottom)      # upwards
    xs = _year_positions(labels, left, width - right)
    lines = []
    for k, s in enumerate(series):
        dots = [{"cx": x, "cy": y(v), "value": v, "label": labels[i], "href": s["links"][i]}
                for i, (x, v) in enumerate(zip(xs, s["values"]))]
        # the line joins the years only: 未知 is a point apart, not the year after the last
        lines.append({"name": s["name"], "color": PALETTE[k % len(PALETTE)], "dots": dots,
                      "points": " ".join(f"{d['cx']},{d['cy']}" for d in dots if _is_year(d["label"]))})
    return {"width": width, "height": height, "left": left, "right": width - right, "bottom": bottom,
            "ticks": [{"y": y(t), "label": f"{t:g}"} for t in y.ticks], "lines": lines,
            "xlabels": _spaced_labels(xs, labels)}


LABEL_GAP = 34          # px between two year labels' places (an 11 px label is about 25 px wide)


def _spaced_labels(xs: list[float], labels: list) -> list[dict]:
    """The x-axis labels that do not run into the one before (years are placed by value,
    so 2020 … 2026 after 1990 sit close together); 未知 is always shown."""
    shown: list[dict] = []
    for x, lab in zip(xs, labels):
        if not shown or x - shown[-1]["x"] >= LABEL_GAP:
            shown.append({"x": x, "label": str(lab)})
        elif not _is_year(lab):
            shown[-1] = {"x": x, "label": str(lab)}
    return shown


def _is_year(label) -> bool:
    return isinstance(label, int) or str(label).isdigit()


def _year_positions(labels: list, start: float, end: float) -> list[float]:
    """x of each label: a year as far from the next as the years are apart (2018 and 2024 six
    steps, not one), anything else (未知) after them, a step apart."""
    years = [int(lab) for lab in labels if _is_year(lab)]
    others = len(labels) - len(years)
    slot = (end - start) / (len(labels) + 1) if others else 0.0     # room on the right for 未知
    span = end - start - slot * others
    first, last = (min(years), max(years)) if years else (0, 0)
    out, extra = [], 0
    for lab in labels:
        if _is_year(lab):
            x = start + (span * (int(lab) - first) / (last - first) if last > first else span / 2)
        else:
            extra += 1
            x = end - slot * (others - extra)
        out.append(round(x, 1))
    return out


def grouped_bars(labels: list, series: list[dict], width: int = 760) -> dict:
    """Horizontal bars, one row per label (region), one bar per series in it."""
    bar, gap = 12, 8
    row = bar * max(1, len(series)) + gap
    x = Scale([v for s in series for v in s["values"]], LABEL_W, width - LABEL_W - VALUE_W)
    rows = []
    for i, label in enumerate(labels):
        y0 = 28 + i * row
        bars = [{"x": x(0), "y": y0 + k * bar, "h": bar - 2, "w": max(0.0, round(x(s["values"][i]) - x(0), 1)),
                 "value": s["values"][i], "name": s["name"], "color": PALETTE[k % len(PALETTE)],
                 "href": s["links"][i], "end": x(s["values"][i])} for k, s in enumerate(series)]
        rows.append({"label": str(label), "y": y0 + (row - gap) / 2, "bars": bars})
    height = 28 + len(labels) * row + 24
    return {"width": width, "height": height, "rows": rows, "zero": x(0), "axis_y": height - 20,
            "ticks": [{"x": x(t), "label": f"{t:g}"} for t in x.ticks]}
