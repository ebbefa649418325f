"""A report exported from Word to PDF by LibreOffice reads like its .txt.

The .docx is made from a real seed report (published.docx_from_text: heading styles, Word's
own numbering with its tab after the number, a table of figures) and given what an office's
file has besides: text in a CJK font with quotes and digits in a Latin one (LibreOffice draws
such a run after the rest of its line), the title repeated as a running header, footnotes
(real sentences of another report) on every few paragraphs.  LibreOffice exports it to PDF.
The oracle is the seed read from its .txt, and the footnotes' own texts.
"""

from __future__ import annotations

import re
import shutil

import pytest

from . import published
from .conftest import SEEDS
from .shapes import province_rows
from .test_formats import identical_share, read_units

SHORT_TITLED = "广东省"                 # its title (政府工作报告) fits on a line, as a header and as a title
SEED = "003_b58f78ac1f665e0d"           # 綦江's plan report: quotes, numbered items, a table of decimals
NOTES_FROM = "002_afc496c3baaee718"     # the report whose sentences serve as footnotes
COLUMN_BLOCKS = 40                      # the seed's first blocks that are no table: three two-column pages
EVERY = 3                               # a footnote on every third paragraph: most pages carry one
FIGURE = r"[\d.:%≥≤]+"                  # a cell holding a figure only
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def note_texts(n: int) -> list[str]:
    """``n`` sentences of another report, of a footnote's length."""
    text = (SEEDS / f"{NOTES_FROM}.txt").read_text(encoding="utf-8")
    sentences = [s.strip() + "。" for s in re.split("。", text) if 20 <= len(s.strip()) <= 60 and not re.search(r"[\t\n]", s)]
    assert len(sentences) >= n
    return sentences[:n]


def dress_as_an_office_does(path, running_header: str, every: int = 0, flush: bool = False) -> dict[str, str]:
    """The .docx in a CJK font with a Latin one for Latin text, paragraphs indented two
    characters (首行缩进), a running header, and a footnote after the first clause of every
    ``every``-th body paragraph (if any): {paragraph: note}."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document(path)
    normal = d.styles["Normal"]
    normal.paragraph_format.first_line_indent = Pt(2 * 11)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr, font in (("w:ascii", "DejaVu Sans"), ("w:hAnsi", "DejaVu Sans"), ("w:eastAsia", "WenQuanYi Micro Hei")):
        fonts.set(qn(attr), font)
    d.sections[0].header.paragraphs[0].text = running_header
    if not every:
        d.save(path)
        return {}
    body = [p for p in d.paragraphs if p.style.name == "Normal" and "，" in p.text]
    referring = body[::every]
    notes = note_texts(len(referring))
    _footnotes_part(d, notes, flush)
    for number, (p, note) in enumerate(zip(referring, notes), start=1):
        _refer(p, number)
    d.save(path)
    return {p.text: note for p, note in zip(referring, notes)}


def _footnotes_part(d, notes: list[str], flush: bool = False):
    """The footnotes, each after its number: raised and a space before the text, or (``flush``)
    in the note's own type and flush against it (1数据来源：…), as LibreOffice sets them."""
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    xml = [f'<w:footnotes xmlns:w="{W}">',
           '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>',
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
           '</w:footnote>']
    # a flush note is in footnote type, 9 pt (小五), as Word's and LibreOffice's footnote styles set it
    small = '<w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr>'
    mark, space, text = (small, "", small) if flush else ('<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>', " ", "")
    for number, note in enumerate(notes, start=1):
        xml.append(f'<w:footnote w:id="{number}"><w:p><w:r>{mark}'
                   f'<w:footnoteRef/></w:r><w:r>{text}<w:t xml:space="preserve">{space}{note}</w:t></w:r></w:p></w:footnote>')
    xml.append("</w:footnotes>")
    part = Part(PackURI("/word/footnotes.xml"),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                "".join(xml).encode(), d.part.package)
    d.part.relate_to(part, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes")


def _refer(p, number: int):
    """Footnote ``number``'s superscript reference after the paragraph's first clause."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    text = p.text
    cut = text.index("，") + 1
    for run in list(p.runs):
        run._r.getparent().remove(run._r)
    p.add_run(text[:cut])
    ref = p.add_run()._r
    props = OxmlElement("w:rPr")
    align = OxmlElement("w:vertAlign")
    align.set(qn("w:val"), "superscript")
    props.append(align)
    ref.append(props)
    mark = OxmlElement("w:footnoteReference")
    mark.set(qn("w:id"), str(number))
    ref.append(mark)
    p.add_run(text[cut:])


@pytest.fixture(scope="module")
def oracle():
    return read_units(SEEDS / f"{SEED}.txt")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, oracle):
    """(the PDF's report and units, {referring paragraph: its footnote})."""
    if not shutil.which("soffice"):
        pytest.fail("LibreOffice (soffice) not found: install libreoffice-writer-nogui")
    d = tmp_path_factory.mktemp("libreoffice")
    text = (SEEDS / f"{SEED}.txt").read_text(encoding="utf-8")
    path = published.docx_from_text(text, d / f"{SEED}.docx")
    notes = dress_as_an_office_does(path, oracle[0].title, EVERY)
    report, units = read_units(published.pdf_from_docx(path, d))
    return report, units, notes


def test_quotes_in_a_latin_font_stay_where_they_are_drawn(exported, oracle):
    _, units, _ = exported
    quoted = [t for _, t in oracle[1] if "“" in t]
    texts = {t for _, t in units}
    assert len(quoted) > 20
    assert [t for t in quoted if t not in texts] == []


def test_table_cells_read_as_typed(exported, oracle, spaced_tables):
    """Every figure of the table as typed (6.5, not 65. or 6 and 5 on two lines), and every
    row whole, also a row LibreOffice breaks over a page (社会消费品零售总 | 7.5 on one page,
    额增速（%） on the next), in both layouts."""
    _, units, _ = exported
    figures = [c for k, t in oracle[1] if k == "table_row" for c in t.split(" | ") if re.fullmatch(FIGURE, c)]
    got = [c for k, t in units if k == "table_row" for c in t.split(" | ") if re.fullmatch(FIGURE, c)]
    assert "6.5" in figures and len(figures) > 20
    assert got == figures
    rows = [t for k, t in oracle[1] if k == "table_row"]
    for layout in (units, spaced_tables):
        assert [t for k, t in layout if k == "table_row"] == rows


def test_a_number_and_its_tab_are_no_table_row(exported, oracle, figure_items):
    """Word's number, its tab and the item's text read as the .txt has them — also where the
    text starts with a figure (2. 2024年…, as 004's annex list writes it; not 2.2024年, which
    reads as a decimal) — and the item's wrapped lines go on in it."""
    (_, want), (_, got), (_, docx) = figure_items
    for units, expected in ((exported[1], oracle[1]), (got, want), (docx, want)):
        numbered = [t for _, t in expected if re.match(r"\d+\.(?!\d)", t)]
        texts = [t for _, t in units]
        assert len(numbered) >= 5
        assert [t for t in numbered if t not in texts] == []
        assert [t for t in texts if re.match(r"\d+\.\s*\|", t)] == []


@pytest.fixture(scope="module")
def figure_items(tmp_path_factory):
    """(the .txt's units, the PDF's, the .docx's) of a list whose items start with a figure:
    the seeds' sentences that do (2023年是…, 27个就业帮扶车间…), numbered ``N. `` as a seed
    writes it."""
    d = tmp_path_factory.mktemp("figures")
    sentences = [s.strip() + "。" for seed in sorted(SEEDS.glob("*.txt"))
                 for s in re.split("[。\n]", seed.read_text(encoding="utf-8"))
                 if re.match(r"\d+(?![\d.])", s.strip()) and 40 <= len(s.strip()) <= 120 and "\t" not in s]
    assert len(sentences) >= 6
    title = (SEEDS / f"{SEED}.txt").read_text(encoding="utf-8").split("\n")[0]
    text = "\n".join([title] + [f"{n}. {s}" for n, s in enumerate(sentences[:12], start=1)]) + "\n"
    (d / "report.txt").write_text(text, encoding="utf-8")
    path = published.docx_from_text(text, d / "report.docx")
    dress_as_an_office_does(path, title)
    return read_units(d / "report.txt"), read_units(published.pdf_from_docx(path, d)), read_units(path)


@pytest.fixture(scope="module")
def flush_notes(tmp_path_factory, oracle):
    """Like ``exported``, with each footnote's number flush against its text in the note's type."""
    d = tmp_path_factory.mktemp("flush-notes")
    path = published.docx_from_text((SEEDS / f"{SEED}.txt").read_text(encoding="utf-8"), d / f"{SEED}.docx")
    notes = dress_as_an_office_does(path, oracle[0].title, EVERY, flush=True)
    report, units = read_units(published.pdf_from_docx(path, d))
    return report, units, notes


@pytest.mark.parametrize("setting", ["exported", "flush_notes"])
def test_a_footnote_follows_the_paragraph_it_interrupts(setting, request):
    """The paragraph that refers to a footnote is whole (not cut where its page ends, without
    the reference's digits), and the footnote is a paragraph of its own after it — also where
    its number stands flush against its text (1数据来源：…)."""
    _, units, notes = request.getfixturevalue(setting)
    texts = [t for _, t in units]
    assert [p for p in notes if p not in texts] == []
    for paragraph, note in notes.items():
        assert note in texts, note
        assert texts.index(note) > texts.index(paragraph)
        assert [t for t in texts if note in t and t != note] == []


@pytest.fixture(scope="module")
def headed(tmp_path_factory):
    """(the .txt's report and units, the PDF's) of a report whose running header is its title."""
    d = tmp_path_factory.mktemp("headed")
    text = next(r["full_text"] for r in province_rows() if r["province"] == SHORT_TITLED)
    (d / "report.txt").write_text(text, encoding="utf-8")
    path = published.docx_from_text(text, d / "report.docx")
    title = next(b.text for b in published.blocks(text) if b.kind == "title")
    dress_as_an_office_does(path, title)
    return read_units(d / "report.txt"), read_units(published.pdf_from_docx(path, d))


def test_a_running_header_repeating_the_title_leaves_the_title(headed):
    (want, want_units), (got, got_units) = headed
    assert got.title == want.title
    assert got_units[0] == want_units[0]


@pytest.fixture(scope="module")
def two_columns(tmp_path_factory):
    """(the .txt's units, the PDF's) of the seed's first paragraphs, headings and numbered items
    (no table) set in two columns, as a bulletin or a yearbook sets a report."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = tmp_path_factory.mktemp("columns")
    seed = (SEEDS / f"{SEED}.txt").read_text(encoding="utf-8")
    kept = [b for b in published.blocks(seed) if b.kind not in ("table", "caption")][:COLUMN_BLOCKS]
    text = "\n".join(f"{b.number}.{b.text}" if b.kind == "numbered" else b.text for b in kept) + "\n"
    (d / "report.txt").write_text(text, encoding="utf-8")
    path = published.docx_from_text(text, d / "report.docx")
    dress_as_an_office_does(path, kept[0].text)
    doc = Document(path)
    section = doc.sections[0]._sectPr
    cols = section.find(qn("w:cols"))
    if cols is None:
        cols = OxmlElement("w:cols")
        section.append(cols)
    cols.set(qn("w:num"), "2")
    cols.set(qn("w:space"), "425")         # 0.75 cm between the columns
    doc.save(path)
    return read_units(d / "report.txt")[1], read_units(published.pdf_from_docx(path, d))[1]


def test_two_columns_are_read_one_after_the_other(two_columns):
    """Lines side by side in the two columns are no row of a table: each column is read
    whole, so the text runs as typed — every paragraph, heading and item, in order — and
    the body's paragraphs and its headings come out whole, also a heading that wraps in its
    narrow column: a line is full at its column's right edge, not the page's."""
    want, got = two_columns
    assert [t for k, t in got if k == "table_row"] == []
    text, at, out_of_order = "".join(t for _, t in got), 0, []
    for _, t in want:
        found = text.find(t, at)
        if found < 0:
            out_of_order.append(t)
        else:
            at = found + len(t)
    assert out_of_order == []
    start = [i for i, (k, _) in enumerate(want) if k == "heading"][1]      # past the wrapped title
    body = [u for prev, u in zip(want[start:], want[start + 1:]) if u[0] == prev[0] == "paragraph"]
    assert len(body) > 20
    assert [u for u in body if u not in got] == []
    headings = [u for u in want[start:] if u[0] == "heading"]
    assert len(headings) >= 4
    assert [u for u in headings if u not in got] == []


# 渝北's report: long paragraphs, many of them filling their last line; 两江's: paragraphs that go
# on with 一是…二是… after a full stop at a line's end
SPACED = ("002_afc496c3baaee718", "004_75b1283dda5df6ce")


@pytest.fixture(scope="module", params=SPACED)
def spaced(request, tmp_path_factory):
    return _spaced(tmp_path_factory, request.param)


def _spaced(tmp_path_factory, seed: str):
    """(the .txt's units, the PDF's) of a report set as Word's own template sets it: no
    first-line indent, a space after each paragraph, ragged right."""
    import docx
    from docx.shared import Pt

    d = tmp_path_factory.mktemp("spaced")
    want = read_units(SEEDS / f"{seed}.txt")[1]
    path = published.docx_from_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"), d / "report.docx")
    dress_as_an_office_does(path, want[0][1])
    doc = docx.Document(path)
    layout = doc.styles["Normal"].paragraph_format
    layout.first_line_indent, layout.space_after = None, Pt(8)
    doc.save(path)
    return want, read_units(published.pdf_from_docx(path, d))[1]


@pytest.fixture(scope="module")
def spaced_tables(tmp_path_factory):
    """The units of the table seed's PDF in the spaced layout: its rows break over other pages."""
    return _spaced(tmp_path_factory, SEED)[1]


def test_space_after_a_paragraph_ends_it(spaced):
    """Where paragraphs are set apart by space rather than an indent, a paragraph whose
    last line runs (nearly) to the margin still ends there: the gap under it is wider than
    the line pitch; and a line at the pitch goes on its paragraph, also one that starts
    like a list item (。| 三是…).  Only a paragraph ending at a page's foot is left to the wording."""
    want, got = spaced
    assert identical_share(want, got) >= 0.95
    texts = {t for _, t in got}
    going_on = [t for _, t in want if re.search("。[一二三四五六七八九十]是", t)]
    assert [t for t in going_on if t not in texts] == []


def test_a_two_em_dash_keeps_both_its_dashes():
    """LibreOffice sets —— in Noto CJK as one run, and PDFium gives both dashes the box of
    the pair (95–119 pt at 12 pt, as read from a report exported so): both stay, while a
    character drawn twice on itself (a faked bold) is read once."""
    from indexer.formats.pdf import Char, _line, _without_doubles

    def char(text, left, right, order):
        return Char(text, left, right, 485.73, 496.76, 12.0, False, order)

    dashes = [char("—", 95.0, 119.0, 0), char("—", 95.0, 119.0, 1), char("过", 119.0, 131.0, 2)]
    assert _line(_without_doubles(dashes)).text == "——过"
    bold = [char("政", 95.0, 107.0, 0), char("政", 95.3, 107.3, 1), char("府", 107.0, 119.0, 2)]
    assert _line(_without_doubles(bold)).text == "政府"


@pytest.fixture(scope="module")
def as_word_sets_chinese(tmp_path_factory):
    """(the .txt's units, the PDF's) of 渝北's report as Word sets a Chinese document by
    default: justified, with its automatic space between Chinese and Latin text (中西文自动间距,
    autoSpaceDE / autoSpaceDN), which LibreOffice honours when it exports the PDF."""
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = tmp_path_factory.mktemp("autospace")
    seed = SPACED[0]
    want = read_units(SEEDS / f"{seed}.txt")[1]
    path = published.docx_from_text((SEEDS / f"{seed}.txt").read_text(encoding="utf-8"), d / "report.docx")
    dress_as_an_office_does(path, want[0][1], EVERY)
    doc = docx.Document(path)
    layout = doc.styles["Normal"].element.get_or_add_pPr()
    for tag, value in (("w:autoSpaceDE", "1"), ("w:autoSpaceDN", "1"), ("w:jc", "both")):
        setting = OxmlElement(tag)
        setting.set(qn("w:val"), value)
        layout.append(setting)
    doc.save(path)
    return want, read_units(published.pdf_from_docx(path, d))[1]


def test_the_automatic_space_beside_latin_text_is_no_space(as_word_sets_chinese):
    """增长7%, not 增长 7%: the quarter em Word puts between Chinese text and a figure is no
    character of the text, or a search for 增长7% would miss the paragraph.  The footnotes'
    own lines that start with a figure (19万户。) go on their footnote."""
    want, got = as_word_sets_chinese
    spaced = re.compile(r"[\u4e00-\u9fff] [0-9A-Za-z]|[0-9A-Za-z%] [\u4e00-\u9fff]")
    typed = {t for _, t in want if spaced.search(t)}          # 办公室 2024年2月3日印发: a space typed there
    assert len(typed) <= 1
    assert [t for _, t in got if spaced.search(t) and t not in typed] == []
    assert identical_share(want, got) >= 0.95


def test_footnotes_marked_with_circled_numbers_are_read():
    """① and ② are digits to Python but no numbers to int(): two such footnotes made the
    whole PDF fail.  Lines as PDFium gives them: ① set apart from its note by a space."""
    from indexer.formats.pdf import Char, _line, _next_mark, _NoteMarks, _Margins

    def line(text, bottom):
        chars = [Char(ch, 90 + 9 * i, 99 + 9 * i, bottom, bottom + 9, 9.0, False, i) for i, ch in enumerate(text)]
        made = _line(chars)
        made.footnote = True
        return made

    notes = _NoteMarks(_Margins(90, 500, False))
    assert [notes.start(line(t, y)) for t, y in (("① 数据来源：区统计局快报数。", 100), ("② 按可比价格计算。", 88))] \
        == ["①", "②"]
    assert _next_mark("①", "②") and not _next_mark("①", "③")


def test_a_row_broken_by_a_page_goes_on_but_two_rows_of_figures_stay_two():
    """The next page's first row goes on the row above where it holds the rest of its words
    (社会消费品零售总 | 7.5 | 预期性, then 额增速（%）); a row of its own whose last cell is
    empty (税收收入 | 98.1 under 一般公共预算收入 | 120.5 | 增长5%) is no such rest: its figure
    would be glued to the one above (120.598.1)."""
    from indexer.formats.pdf import _goes_on_row

    assert _goes_on_row(["社会消费品零售总", "7.5", "预期性"], ["额增速（%）", "", ""])
    assert _goes_on_row(["#二氧化硫排放总量减少", "完成上级下达", "完成", "约束性"], ["（%）*", "目标", "", ""])
    assert not _goes_on_row(["一般公共预算收入", "120.5", "增长5%"], ["税收收入", "98.1", ""])
    assert not _goes_on_row(["城镇新增就业（万人）", "60", "完成"], ["城镇调查失业率（%）", "5.5", ""])
