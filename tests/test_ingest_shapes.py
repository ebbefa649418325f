"""No report shape of the real kind makes ingest crash.

Many shapes are derived from the real seed and provincial reports (prefixes of their
first lines, the title removed, doubled or split, only the tables, white space and
line endings changed, Traditional script, …), each put in a folder of its own, and
indexed in one `govsearch index` run (``index_paths``: the real reading, cleaning,
segmenting and writing).  Each shape must be either indexed — every unit's text is
in the normalised source, and a quoted phrase finds exactly the units a substring
scan finds — or refused with a one-line reason of our own (no Python exception
name, no traceback).  A run holding the shapes leaves an index of the seeds whole.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import lxml.html
import pytest

from indexer.analysis import normalize
from indexer.writer import index_paths
from search.engine import Engine, search
from search.results import SearchRequest

from . import published
from .conftest import SEEDS
from .shapes import province_rows

PREFIX_LINES = 40           # every prefix of a report's first lines
HEAD_LINES = 80             # the transforms run on each report's head (the title block, headings, a table) …
WHOLE = ("title-split", "crlf", "only-tables", "one-long-line", "traditional")   # … these on each seed's whole text
PYTHON_ERRORS = re.compile(r"\b\w*(Error|Exception)\b|Traceback|Warning:")
PINYIN = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）]")    # 關(guān)于: converters' debris
INVISIBLE = re.compile(r"[\s|\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff\u00ad]+")
ODD_DATES = ["二〇二六年一月二十七日", "2026年1月27日", "1月27日", "未知", "—", "Jan 27, 2026", "26/1/27", "2026"]
PHRASES = ["高质量发展", "营商环境", "人民群众", "2025年"]


def squash(text: str) -> str:
    """The normalised text without white space, invisible characters or cell bars: what a
    unit's text must be a substring of (cleaning joins lines and collapses spaces)."""
    return INVISIBLE.sub("", normalize(PINYIN.sub("", text)))


def pieces_in(unit: str, source: str) -> list[str] | None:
    """``unit`` as the fewest pieces of ``source``, greedily (cleaning joins a line
    broken mid-sentence to the next kept line, across the chrome lines it drops), or
    None where a character of it is in no piece."""
    out, i = [], 0
    while i < len(unit):
        lo, hi = i, len(unit)            # the longest unit[i:j] in source: substrings are monotone
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if unit[i:mid] in source else (lo, mid - 1)
        if lo == i:
            return None
        out.append(unit[i:lo])
        i = lo
    return out


def in_source(unit: str, source: str) -> bool:
    """Whole, or a few long pieces (a join across dropped lines, a table row's cells)."""
    if unit in source:
        return True
    got = pieces_in(unit, source)
    return got is not None and len(got) <= 3 + len(unit) // 40


# ---------------------------------------------------------------- the shapes

def _title_at(lines: list[str]) -> int:
    """The report's title line: the first line naming a report, else the first non-blank."""
    for i, line in enumerate(lines[:15]):
        if re.search(r"报告|讲话|决议", line) and len(line.strip()) < 60:
            return i
    return next((i for i, line in enumerate(lines) if line.strip()), 0)


def _heading(line: str) -> bool:
    return bool(re.match(r"\s*([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|第[一二三四五六七八九十]+部分)", line))


def _split_title(lines, t):
    s = lines[t]
    cut = max(1, len(s) // 2)
    return lines[:t] + [s[:cut], s[cut:]] + lines[t + 1:]


def _only_tables(lines):
    keep = [line for line in lines if line.startswith("\t") or not line.strip() or re.match(r"\s*(专栏|附件|附表|表)\s*\d", line)]
    return keep or lines[:1]


def _no_year_or_region(line: str) -> str:
    line = re.sub(r"(19|20)\d\d年?|[〇零○一二三四五六七八九]{4}年", "", line)
    return re.sub(r"[\u4e00-\u9fff]{1,8}?(省|市|区|县|自治区)", "", line, count=2)


def transforms(traditional) -> dict:
    """name -> (lines, title index) -> text."""
    def joined(f):
        return lambda lines, t: "\n".join(f(lines, t))
    return {
        "title-removed": joined(lambda ls, t: ls[:t] + ls[t + 1:]),
        "title-doubled": joined(lambda ls, t: ls[:t + 1] + ls[t:]),
        "title-split": joined(_split_title),
        "title-only": joined(lambda ls, t: ls[t:t + 1]),
        "title-no-year-or-region": joined(lambda ls, t: ls[:t] + [_no_year_or_region(ls[t])] + ls[t + 1:]),
        "only-tables": joined(lambda ls, t: _only_tables(ls)),
        "blank-lines-doubled": joined(lambda ls, t: [x for line in ls for x in (line, "")]),
        "blank-lines-removed": joined(lambda ls, t: [line for line in ls if line.strip()]),
        "headings-only": joined(lambda ls, t: [line for i, line in enumerate(ls) if i == t or _heading(line)]),
        "bodies-only": joined(lambda ls, t: [line for i, line in enumerate(ls) if i != t and not _heading(line)]),
        "headings-without-bodies-at-end": joined(lambda ls, t: ls + ["四、", "（一）", "1."]),
        "crlf": lambda ls, t: "\r\n".join(ls),
        "cr-only": lambda ls, t: "\r".join(ls),
        "bom": lambda ls, t: "\ufeff" + "\n".join(ls),
        "full-width-spaces": joined(lambda ls, t: ["\u3000\u3000" + line.replace(" ", "\u3000") for line in ls]),
        "one-long-line": lambda ls, t: "".join(line.strip() for line in ls),
        "one-long-line-spaced": lambda ls, t: " ".join(line.strip() for line in ls),
        "traditional": lambda ls, t: traditional("\n".join(ls)),
        "punctuation-only-lines": joined(lambda ls, t: ls[:t + 1] + ["。", "……", "——", "（）", "、"] + ls[t + 1:]),
        "lines-reversed": joined(lambda ls, t: ls[::-1]),
    }


def report_texts() -> dict[str, str]:
    texts = {p.stem[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    for row in province_rows():
        texts[row["province"]] = row["full_text"]
    return texts


def shapes() -> dict[str, tuple[str, str]]:
    """shape name -> (file name, text) for .txt shapes."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert
    out = {}
    texts = report_texts()
    for name, text in texts.items():
        lines = text.replace("\r\n", "\n").split("\n")
        step = 1 if name[0].isdigit() else 7       # seeds: every prefix; provinces: every 7th
        for n in range(1, min(PREFIX_LINES, len(lines)) + 1, step):
            out[f"{name}-prefix{n}"] = ("report.txt", "\n".join(lines[:n]))
        head = lines[:HEAD_LINES]
        for tname, f in transforms(traditional).items():
            out[f"{name}-{tname}"] = ("report.txt", f(head, _title_at(head)))
            if name[0].isdigit() and tname in WHOLE and len(lines) > HEAD_LINES:
                out[f"{name}-whole-{tname}"] = ("report.txt", f(lines, _title_at(lines)))
    return out


def markdown_with_html() -> str:
    """Seed 002 as a page converted to Markdown leaves it: headings as #, most paragraphs as
    Markdown, some kept as <p> or <div> blocks, a table as HTML (Markdown has no merged cells)."""
    out = []
    for i, line in enumerate((SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8").split("\n")):
        s = line.strip()
        if not s:
            continue
        if i == 0:
            out.append("# " + s)
        elif re.match(r"[一二三四五六七八九十]+、", s):
            out.append("## " + s)
        elif i % 3 == 1:
            out.append(f"<p style=\"text-indent:2em\">{s}</p>")
        elif i % 3 == 2:
            out.append(f"<div><span>{s}</span><!-- 段落 --></div>")
        else:
            out.append(s)
    out.append("<table><tr><td>指标</td><td>目标</td></tr><tr><td>地区生产总值增速</td><td>6%左右</td></tr></table>")
    return "\n\n".join(out) + "\n"


def collection_shapes() -> dict[str, tuple[str, bytes]]:
    """CSV and JSONL rows with empty or odd values, and a Markdown report."""
    rows = province_rows()[:2]
    head = "\n".join(rows[0]["full_text"].split("\n")[:30])

    def csv_of(records, fields=None):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fields or list(records[0]), extrasaction="ignore")
        w.writeheader()
        w.writerows(records)
        return buf.getvalue().encode("utf-8")

    base = dict(rows[0], full_text=head)
    return {
        "csv-empty-text": ("rows.csv", csv_of([dict(base, full_text=""), rows[1]])),
        "csv-blank-text": ("rows.csv", csv_of([dict(base, full_text=" \n\u3000\n"), rows[1]])),
        "csv-only-text": ("rows.csv", csv_of([{"full_text": head}])),
        "csv-empty-values": ("rows.csv", csv_of([dict(base, title="", year="", province="", publish_date="")])),
        "csv-odd-values": ("rows.csv", csv_of([dict(base, title="\u3000", year="二〇二六", province="？",
                                                    publish_date="2026-13-45")])),
        "csv-header-only": ("rows.csv", csv_of([], fields=list(rows[0]))),
        "csv-blank-rows": ("rows.csv", csv_of([dict.fromkeys(rows[0], "")] * 3)),
        "csv-text-one-char": ("rows.csv", csv_of([dict(base, full_text="。")])),
        "jsonl-empty-and-null": ("rows.jsonl", (
            '{"full_text": ""}\n{"full_text": null, "title": "x"}\n{"content": "各位代表：", "year": null}\n'
            '{"text": "2026年政府工作报告", "year": "", "province": null}\n').encode("utf-8")),
        "md-html-blocks": ("report.md", markdown_with_html().encode("utf-8")),
        "md-headings-only": ("report.md", "# 2026年政府工作报告\n\n## 一、回顾\n\n## 二、安排\n\n###\n".encode("utf-8")),
        "md-front-matter-only": ("report.md", "---\ntitle: 报告\nyear: 2026\n---\n".encode("utf-8")),
        "md-empty-front-matter": ("report.md", ("---\n---\n" + head).encode("utf-8")),
        "txt-front-matter-odd": ("report.txt", ("---\nyear: 二〇二六\ntitle:\nprovince: []\n---\n" + head).encode("utf-8")),
        # dates as archives write them: in Chinese numerals, without a year, unknown
        **{f"csv-date-{i}": ("rows.csv", csv_of([dict(base, year="", publish_date=date)]))
           for i, date in enumerate(ODD_DATES)},
        **{f"txt-front-matter-date-{i}": ("report.txt", f"---\ndate: {date}\n---\n{head}".encode("utf-8"))
           for i, date in enumerate(ODD_DATES)},
    }


def encoded_shapes() -> dict[str, tuple[bytes, str]]:
    """Short and whole heads of the seeds in the encodings archives hold: name -> (bytes, text)."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert
    out = {}
    for p in sorted(SEEDS.glob("*.txt")):
        lines = p.read_text(encoding="utf-8").split("\n")
        for n in (1, 3, 8, HEAD_LINES):
            text = "\n".join(lines[:n])
            for enc in ("gb18030", "utf-16", "utf-16-le", "cp950"):
                shown = traditional(text) if enc == "cp950" else text
                data = shown.encode(enc, errors="replace")      # Big5 lacks a few: "?" as an archive has
                out[f"{p.stem[:3]}-{enc}-prefix{n}"] = (data, data.decode(enc))
    return out


def published_shapes() -> dict[str, tuple[str, bytes | None, str]]:
    """A few shapes as a web page and a Word file: (file name, bytes or None for docx, text)."""
    seed = (SEEDS / "001_ee0cd8f568fba525.txt").read_text(encoding="utf-8").split("\n")
    out = {}
    for n in (1, 2, 3, 5, 12):
        text = "\n".join(seed[:n])
        out[f"html-prefix{n}"] = ("report.html", None, text)
        out[f"docx-prefix{n}"] = ("report.docx", None, text)
    whole = (SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8")
    out["html-commented"] = ("report.html", None, whole)
    out["html-commented-prefix5"] = ("report.html", None, "\n".join(seed[:5]))
    return out


def commented(page: bytes) -> bytes:
    """A page as a government CMS (TRS WCM and the like) writes it: comments marking the
    article and holding markup taken out, inside its paragraphs too."""
    text = page.decode("gbk")
    text = text.replace("<p", "<!--<p>旧稿删除</p>--><p", 1).replace("</p>", "<!-- 正文段落结束 --></p>")
    text = text.replace("<body>", "<body><!--<$[信息内容]>begin-->").replace("</body>", "<!--<$[信息内容]>end--></body>")
    return text.encode("gbk")


def write_shapes(root: Path) -> dict[str, str]:
    """Every shape in a folder of its own under root; folder -> the source text."""
    sources = {}
    for name, (fname, text) in shapes().items():
        (root / name).mkdir()
        (root / name / fname).write_bytes(text.encode("utf-8"))
        sources[name] = text
    for name, (fname, data) in collection_shapes().items():
        (root / name).mkdir()
        (root / name / fname).write_bytes(data)
        sources[name] = data.decode("utf-8")
    for name, (data, text) in encoded_shapes().items():
        (root / name).mkdir()
        (root / name / "report.txt").write_bytes(data)
        sources[name] = text
    for i, date in enumerate(ODD_DATES):            # a folder's catalog giving the date
        name = f"catalog-date-{i}"
        (root / name).mkdir()
        text = (SEEDS / "000_0934b745515b24c3.txt").read_text(encoding="utf-8")
        (root / name / "report.txt").write_text(text, encoding="utf-8")
        with open(root / name / "catalog.csv", "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["file", "province", "date"], ["report.txt", "四川省", date]])
        sources[name] = text
    for name, (fname, _, text) in published_shapes().items():
        (root / name).mkdir()
        path = root / name / fname
        if fname.endswith(".docx"):
            published.docx_from_text(text, path)
        else:
            first = text.split("\n", 1)[0].strip() or "报告"
            page = published.govcn_page(text, published.PageMeta(title=first))
            if name.startswith("html-commented"):
                page = commented(page)
            path.write_bytes(page)
            # on a page of a few lines the article is the whole page: its chrome is its text
            text += "\n" + lxml.html.fromstring(published.govcn_page(text, published.PageMeta(title=first))
                                                 .decode("gbk")).text_content()
        sources[name] = text
    return sources


# ---------------------------------------------------------------- the sweep

@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    sources = write_shapes(root)
    ix = str(tmp_path_factory.mktemp("shapes-index"))
    seeds = index_paths(ix, [str(SEEDS)])
    run = index_paths(ix, [str(SEEDS), str(root)])
    return root, sources, ix, run, seeds


def _shape(source_or_file: str) -> str | None:
    """The shape a unit's file or a failure's source is of (its folder); None for the seeds."""
    parts = source_or_file.split("#")[0].split("/")
    return parts[-2] if len(parts) > 1 and parts[-2] not in ("seeds", SEEDS.name) else None


def test_the_sweep_is_large(swept):
    _, sources, _, _, _ = swept
    assert len(sources) >= 500


def test_refusals_are_one_line_reasons_of_our_own(swept):
    _, _, _, run, _ = swept
    bad = [f for f in run.failed if PYTHON_ERRORS.search(f["error"]) or "\n" in f["error"]]
    assert not bad, bad[:10]
    # a shape nothing can be read from says so in Chinese, beside the file it names
    unsaid = [f for f in run.failed if not re.search(r"[\u4e00-\u9fff]", f["error"])
              or not Path(f["source"].split("#")[0]).name in ("report.txt", "report.md", "report.html",
                                                              "report.docx", "rows.csv", "rows.jsonl")]
    assert run.failed and not unsaid, unsaid[:10]
    warned = [w for w in run.warnings if PYTHON_ERRORS.search(w["warning"]) or "\n" in w["warning"]]
    assert not warned, warned[:10]


_READ: dict[str, tuple] = {}


def _units(ix):
    """The index's engine and every unit with its stored fields (read once a module)."""
    if ix not in _READ:
        engine = Engine(ix)
        snap = engine.snapshot()
        with snap.searching() as s:
            _READ[ix] = engine, snap.units.all(s)
    return _READ[ix]


def repaired_texts() -> dict[str, str]:
    """Each report's own units as read whole: what cleaning makes of its debris (seed 001's
    mojibake, 發(fā)展?jié)撃艿玫叫箩尫拧 -> 發展潛能得到新釋放) is in every shape of it."""
    from indexer.reports import build_report
    from indexer.sources import FoundFile, path_key, read_file

    out = {}
    for p in sorted(SEEDS.glob("*.txt")):
        [(_, doc)] = read_file(FoundFile(p, path_key(p), str(p)))
        out[p.stem[:3]] = "\x00".join(u.text for u in build_report(doc, path_key(p)).paragraphs)
    return out


def test_every_unit_is_in_its_source(swept):
    root, sources, ix, _, _ = swept
    _, units = _units(ix)
    repaired = repaired_texts()
    squashed = {name: squash(text + "\x00" + repaired.get(name[:3], "")) for name, text in sources.items()}
    outside = []
    for u in units:
        shape = _shape(u["file"])
        text = squash(u["text"])
        if shape and text and not in_source(text, squashed[shape]):
            outside.append((shape, u["text"][:80]))
    assert units and not outside, outside[:10]


def test_every_shape_is_indexed_or_refused(swept):
    root, sources, ix, run, _ = swept
    _, units = _units(ix)
    indexed = {_shape(u["file"]) for u in units}
    refused = {_shape(f["source"]) for f in run.failed}
    twins = {_shape(d["source"]) for d in run.duplicates}      # the same text as another shape
    assert set(sources) == (indexed | refused | twins) - {None}, sorted(set(sources) - indexed - refused - twins)


@pytest.mark.parametrize("phrase", PHRASES)
def test_quoted_counts_equal_a_substring_scan(swept, phrase):
    _, _, ix, _, _ = swept
    engine, units = _units(ix)
    want = sum(1 for u in units if phrase in normalize(u["text"]))
    assert search(engine, SearchRequest(q=f'"{phrase}"', limit=1)).total == want > 0


def test_a_run_with_every_shape_keeps_the_seeds_indexed(swept):
    _, _, ix, run, seeds = swept
    _, units = _units(ix)
    kept = [u for u in units if _shape(u["file"]) is None]
    assert run.unchanged == seeds.reports == len(list(SEEDS.glob("*.txt")))
    assert (len({u["report_id"] for u in kept}), len(kept)) == (seeds.reports, seeds.paragraphs)


def test_a_given_date_not_in_digits_gives_the_year_it_names(swept):
    """A date from a column, catalog or front matter in Chinese numerals gives its year; one
    naming none (1月27日, 未知) leaves the year to the title (it made the report fail)."""
    _, _, ix, _, _ = swept
    _, units = _units(ix)
    years = {_shape(u["file"]): u.get("year") for u in units if u.get("head") == "1" or u["para_no"] == 0}
    title_year = {"csv": 2026, "txt": 2026, "catalog": 2024}      # the province's title; seed 000's
    for kind in ("csv", "txt-front-matter", "catalog"):
        for i, date in enumerate(ODD_DATES):
            want = 2026 if "2026" in date or "二〇二六" in date else title_year[kind.split("-")[0]]
            assert years[f"{kind}-date-{i}"] in (want, str(want)), (kind, date)


def test_markdown_keeps_the_text_of_its_html_blocks(swept):
    """A block a converted page keeps as HTML is read (its text was dropped), tags and comments not."""
    _, sources, ix, _, _ = swept
    _, units = _units(ix)
    got = "\x00".join(squash(u["text"]) for u in units if _shape(u["file"]) == "md-html-blocks")
    blocks = re.findall(r"<(?:p|span|td)[^>]*>([^<]+)<", sources["md-html-blocks"])
    # a page number (― 1 ―) is dropped from Markdown as from any text
    blocks = [b for b in blocks if not re.fullmatch(r"[―—\-\s]*\d+[―—\-\s]*", b)]
    assert len(blocks) > 20
    missing = [b for b in blocks if squash(b) not in got]
    assert not missing, missing[:5]
    raw = "".join(u["text"] for u in units if _shape(u["file"]) == "md-html-blocks")
    assert not re.search(r"</?(p|div|span|table|td|tr)\b|<!--|-->", raw)
