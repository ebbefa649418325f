"""A deterministic scale corpus from real paragraphs.

The units of the seeds and the 31 provincial reports are dealt, in a fixed
order, into synthetic reports of synthetic districts over the years
2015–2026, until the wanted number of paragraphs is reached.  Each synthetic
report is a row of a JSONL collection file (1,000 rows a file), with its own
region and year, so facets and filters have realistic spreads.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from indexer.metadata import gazetteer
from indexer.reports import build_report
from indexer.sources import find_files, load_catalog, read_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PROVINCES = ROOT / "tests" / "corpora" / "provinces-2026"
YEARS = list(range(2015, 2027))
TYPES = ["政府工作报告", "计划报告", "预算报告"]


@dataclass
class Corpus:
    folder: Path
    paragraphs: int
    chars: int
    reports: int
    texts: list          # the paragraph texts, for the baselines
    meta: list           # (region, year, type, province) per paragraph


def real_units() -> list[list[str]]:
    """The unit texts of every real report, report by report."""
    out = []
    files, _ = find_files([str(SEEDS), str(PROVINCES)])
    for f in files:
        for _, doc in read_file(f, load_catalog(f.path.parent)):
            report = build_report(doc, f.key)
            out.append([u.text for u in report.paragraphs])
    return out


def build_corpus(n_paragraphs: int, folder: Path, seed: int = 2026) -> Corpus:
    rnd = random.Random(seed)
    sources = real_units()
    provinces = gazetteer()[1][:31]
    folder.mkdir(parents=True, exist_ok=True)
    texts, meta = [], []
    rows, file_no, reports, chars = [], 0, 0, 0
    i = 0
    while len(texts) < n_paragraphs:
        units = sources[i % len(sources)]
        i += 1
        take = units[: n_paragraphs - len(texts)]
        province = provinces[rnd.randrange(len(provinces))]
        district = f"样本{rnd.randrange(1, 40):02d}区"
        year = YEARS[rnd.randrange(len(YEARS))]
        rtype = TYPES[rnd.randrange(len(TYPES))]
        title = f"{year}年{province}{district}{rtype}"
        # the first unit becomes the title line; the rest keep their text
        body = "\n".join([title, "各位代表："] + take[1:])
        rows.append({"title": title, "year": year, "province": province, "district": district,
                     "type": rtype, "text": body})
        for t in [title, "各位代表："] + take[1:]:
            texts.append(t)
            meta.append((province + district, year, rtype, province))
            chars += len(t)
        reports += 1
        if len(rows) == 1000:
            _write(folder, file_no, rows)
            rows, file_no = [], file_no + 1
    if rows:
        _write(folder, file_no, rows)
    return Corpus(folder, len(texts), chars, reports, texts, meta)


def _write(folder: Path, n: int, rows: list[dict]):
    with open(folder / f"part-{n:04d}.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
