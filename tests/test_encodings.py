"""Encodings decided by how the text reads: Big5, UTF-16 and GB18030 copies of the real
reports become the same units as their UTF-8 originals; text that reads as nothing is refused."""

from __future__ import annotations

import csv
import io

import pytest
from opencc import OpenCC

from indexer.cleaning import remove_pinyin_debris
from indexer.encodings import decode_bytes
from indexer.writer import index_paths
from search.engine import Engine, search
from search.results import SearchRequest

from .conftest import PROVINCES, SEEDS

SEED_001 = (SEEDS / "001_ee0cd8f568fba525.txt").read_text(encoding="utf-8")
SEED_002 = (SEEDS / "002_afc496c3baaee718.txt").read_text(encoding="utf-8")


def big5_text(text: str) -> str:
    """The text as a Big5 page can hold it (characters outside Big5 become '?')."""
    return text.encode("cp950", errors="replace").decode("cp950")


def traditional_province(name: str) -> str:
    """A provincial report's CSV, converted to Traditional as a Taiwanese or Hong Kong mirror would."""
    path = next(PROVINCES.glob(f"*_{name}_*.csv"))
    return big5_text(OpenCC("s2t").convert(path.read_text(encoding="utf-8-sig")))


# seed 001 as a Big5 site would publish it: Traditional, without the converter's pinyin
SEED_001_BIG5 = big5_text(remove_pinyin_debris(SEED_001))

COPIES = {
    # folder: {file name: bytes}; each folder is indexed on its own and compared with "utf8"
    "utf8": {"001.txt": SEED_001.encode("utf-8"), "001b.txt": SEED_001_BIG5.encode("utf-8"),
             "002t.txt": big5_text(OpenCC("s2t").convert(SEED_002)).encode("utf-8"),
             "gd.csv": traditional_province("广东省").encode("utf-8")},
    "big5": {"001b.txt": SEED_001_BIG5.encode("cp950"),
             "002t.txt": big5_text(OpenCC("s2t").convert(SEED_002)).encode("cp950"),
             "gd.csv": traditional_province("广东省").encode("cp950")},
    "utf16": {"001.txt": "\ufeff".encode("utf-16-le") + SEED_001.encode("utf-16-le")},
    "utf16be-nobom": {"001.txt": SEED_001.encode("utf-16-be")},
    "utf16le-nobom": {"001.txt": SEED_001.encode("utf-16-le")},
}


def units_by_file(index_dir: str) -> dict[str, list[tuple]]:
    snap = Engine(index_dir).snapshot()
    out: dict[str, list[tuple]] = {}
    with snap.searching() as s:
        for f in snap.units.all(s):
            name = f["source"].split("/")[-1]
            out.setdefault(name, []).append((int(f["para_no"]), f["kind"], f["text"], f["heading_path"],
                                             f["section"], f["part"], f["title"], f["region"], f["year"]))
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("encodings")
    out = {}
    for folder, files in COPIES.items():
        d = root / folder
        d.mkdir()
        for name, data in files.items():
            (d / name).write_bytes(data)
        ix = str(root / f"ix-{folder}")
        run = index_paths(ix, [str(d)])
        assert not run.failed, run.failed
        out[folder] = (ix, run, units_by_file(ix))
    return out


@pytest.mark.parametrize("folder", ["big5", "utf16", "utf16be-nobom", "utf16le-nobom"])
def test_copies_in_other_encodings_give_the_same_units(indexed, folder):
    _, run, units = indexed[folder]
    _, _, originals = indexed["utf8"]
    assert units and set(units) <= set(originals)
    for name, got in units.items():
        assert got == originals[name], (folder, name)
    label = {"big5": "Big5", "utf16": None, "utf16be-nobom": "UTF-16BE", "utf16le-nobom": "UTF-16LE"}[folder]
    warnings = [w["warning"] for w in run.warnings]
    if label:
        assert all(label in w for w in warnings) and len(warnings) == len(units)


def test_big5_copies_are_searchable(indexed):
    ix, _, units = indexed["big5"]
    assert "攀枝花市東區" in units["001b.txt"][0][2]            # the title, not 闽胟狵カ狥跋
    engine = Engine(ix)
    for phrase, source in (("攀枝花市東區", "001b.txt"), ("渝北區", "002t.txt"), ("粵港澳大灣區", "gd.csv#1")):
        hits = search(engine, SearchRequest(q=f'"{phrase}"', limit=100)).hits
        assert hits and {h.source.split("/")[-1] for h in hits} == {source}, phrase
    # a Simplified query finds the Traditional text
    assert search(engine, SearchRequest(q='"粤港澳大湾区"')).total > 0


def test_reading_decides_not_byte_rules():
    """GB18030 accepts Big5's bytes: only the reading tells them apart, both ways."""
    text = SEED_001_BIG5
    assert decode_bytes(text.encode("cp950")) == (text, ["按 Big5 解码"])
    simplified = SEED_002.encode("gb18030", errors="replace")
    assert decode_bytes(simplified)[1] == ["按 GB18030 解码"]
    assert decode_bytes(simplified)[0] == simplified.decode("gb18030")


def test_hong_kong_characters_read_as_big5_hkscs():
    """A Hong Kong site's Big5-HKSCS file: its HKSCS characters are no valid Big5, and Big5
    would read a wrong character into their bytes (倮果 → �赤G).  One such character is enough:
    seed 001 with its one 倮 (its 羣, HKSCS too, written 群 as Big5 has it)."""
    text = OpenCC("s2t").convert(remove_pinyin_debris(SEED_001)).replace("羣", "群")
    text = text.encode("big5hkscs", errors="replace").decode("big5hkscs")
    assert text.count("倮") == 1
    assert decode_bytes(text.encode("big5hkscs")) == (text, ["按 Big5-HKSCS 解码"])


def test_a_cut_utf8_file_stays_utf8():
    """A UTF-8 download cut mid-character is UTF-8 with one bad sequence, not GB18030 mojibake."""
    data = SEED_002.encode("utf-8")
    cut = data.rindex("印发".encode()) + 4              # in the middle of 发
    text, warnings = decode_bytes(data[:cut])
    assert text.startswith(SEED_002[:200]) and warnings == ["有 1 处字节不是有效的 UTF-8，已换成 \ufffd"]


IMPLAUSIBLE = {
    "shift-jis.txt": ("これは日本語の報告書です。経済は緩やかに回復している。" * 40).encode("shift_jis"),
    "mojibake.txt": SEED_001_BIG5.encode("cp950").decode("gb18030", errors="replace").encode("utf-8"),
    "noise.txt": bytes((i * 7919 + 13) % 128 + 128 for i in range(20000)),
}


def test_text_implausible_in_every_encoding_is_refused(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name, data in IMPLAUSIBLE.items():
        (d / name).write_bytes(data)
    (d / "good.txt").write_bytes(SEED_002.encode("gb18030", errors="replace"))
    ix = str(tmp_path / "ix")
    run = index_paths(ix, [str(d)])
    errors = {f["source"].split("/")[-1]: f["error"] for f in run.failed}
    assert set(errors) == set(IMPLAUSIBLE)
    for error in errors.values():
        assert error.startswith("无法解码的文本") and "\n" not in error
    assert run.reports == 1
    sources = {h.source.split("/")[-1] for h in search(Engine(ix), SearchRequest(limit=1000)).hits}
    assert sources == {"good.txt"}


def test_big5_collection_columns_are_read():
    """A Big5 CSV: the header and every column come through, not only the text."""
    text, _ = decode_bytes(traditional_province("广东省").encode("cp950"))
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["province"] == "廣東省" and row["title"] == "2026年廣東省政府工作報告"
