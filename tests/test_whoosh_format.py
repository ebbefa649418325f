"""indexer/whoosh_format.py, held to Whoosh's own reader and writer.

It is the one module that reads and writes Whoosh's files below the public API
(postings blocks, columns, the writer's postings and its processes); search/arrays.py
builds numpy arrays from it and search/matching.py scores with Whoosh's BM25F
formula.  These tests compare each with Whoosh's public reader, matchers, scorer and
per-posting writer on real indexes, including one with deleted documents and
several segments: when whoosh3 changes version, they say what broke.
"""

from __future__ import annotations

import random
import shutil

import numpy as np
import pytest
from whoosh import query as Q
from whoosh import scoring

from indexer.analysis import normalize
from indexer.pool import TermGroupingPool
from indexer.writer import index_paths
from indexer.whoosh_format import POSTINGS_BLOCK, leaf_segments
from search import arrays
from search.engine import Engine
from search.matching import Evaluator

from .conftest import SEEDS


@pytest.fixture(scope="module")
def reindexed(tmp_path_factory) -> str:
    """Seeds indexed, then one rewritten and one removed: deletions across segments."""
    src = tmp_path_factory.mktemp("src")
    for f in SEEDS.iterdir():
        shutil.copy(f, src / f.name)
    ix = tmp_path_factory.mktemp("ix")
    index_paths(str(ix), [str(src)])
    first, second = sorted(src.glob("*.txt"))[:2]
    first.write_text(first.read_text(encoding="utf-8") + "\n\n补充说明：营商环境再优化。\n", encoding="utf-8")
    second.unlink()
    run = index_paths(str(ix), [str(src)])
    assert run.updated == 1 and run.removed == 1
    return str(ix)


def _sample_terms(reader, field, n, seed=7):
    terms = list(reader.lexicon(field))
    random.Random(seed).shuffle(terms)
    common = sorted(terms, key=lambda t: -reader.doc_frequency(field, t))[:5]
    return common + terms[:n]


def matcher_postings(reader, field: str, btext: bytes) -> list[tuple[int, float]]:
    """(document, weight) of a term, one at a time from Whoosh's own matcher."""
    m = reader.postings(field, btext)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight()))
        m.next()
    return out


@pytest.mark.parametrize("index_name", ["reindexed", "corpus_index"])
def test_block_postings_equal_whoosh_matchers(index_name, request):
    snap = Engine(request.getfixturevalue(index_name)).snapshot()
    with snap.searching() as s:
        reader = s.reader()
        assert len(leaf_segments(reader)) >= 2
        if index_name == "reindexed":
            assert not snap.arrays.live.all()
        for field in ("text", "heading", "grams", "region", "year"):
            for btext in _sample_terms(reader, field, 40):
                want = matcher_postings(reader, field, btext)         # live documents only
                want_docs, want_w = [d for d, _w in want], [w for _d, w in want]
                docs, weights = arrays.postings(reader, field, btext)
                keep = snap.arrays.live[docs]
                docs, weights = docs[keep], weights[keep]
                assert docs.tolist() == want_docs, (field, btext)
                assert np.allclose(weights, want_w), (field, btext)
                if field in ("text", "grams"):
                    text = btext.decode("utf-8")
                    cached_docs, _w, df = snap.arrays.postings(field, text)
                    assert cached_docs.tolist() == want_docs
                    assert df == reader.doc_frequency(field, btext)


def test_field_lengths_and_text_column_equal_whoosh(reindexed):
    snap = Engine(reindexed).snapshot()
    with snap.searching() as s:
        reader = s.reader()
        lengths = arrays.field_lengths(reader, "text")
        for doc in snap.arrays.all_docs.tolist():
            assert lengths[doc] == (reader.doc_field_length(doc, "text") or 0)   # Whoosh: None for 0
            unit = snap.units.fields(s, doc)
            assert snap.arrays.text(doc) == normalize(unit["text"])


@pytest.mark.parametrize("words", [["发展"], ["营商环境"], ["改革", "创新"], ["乡村振兴", "产业", "数字"]])
def test_bm25_scores_equal_whoosh(corpus_index, words):
    snap = Engine(corpus_index).snapshot()
    q = Q.Or([Q.Term("text", w) for w in words])
    with snap.searching() as s:
        match = Evaluator(snap.arrays).run(q)
        ws = s.reader()
        from whoosh.searching import Searcher
        with Searcher(ws, weighting=scoring.BM25F(B=0.6, K1=1.2)) as whoosh_searcher:
            want = {h.docnum: h.score for h in whoosh_searcher.search(q, limit=None)}
    got = dict(zip(match.docs.tolist(), match.scores.tolist()))
    assert got.keys() == want.keys()
    for doc, score in want.items():
        assert got[doc] == pytest.approx(score, rel=1e-5)


def test_pool_spills_and_merges_in_term_then_doc_order():
    """Postings fed in document order come out as Whoosh's sort would put them,
    through many spilled runs as well as from memory."""
    from indexer.analysis import gram_counts, word_counts

    paragraphs = [p for f in sorted(SEEDS.glob("*.txt"))
                  for p in f.read_text(encoding="utf-8").split("\n") if p.strip()][:400]
    items, docs = [], []
    for docnum, text in enumerate(paragraphs):
        norm = normalize(text)
        counted = {"grams": gram_counts(norm), "text": word_counts(norm)}
        docs.append((docnum, counted))
        for field, counts in counted.items():
            for term, n in counts.items():
                items.append((field, term.encode(), docnum, float(n), b""))
        items.append(("id", f"u{docnum}".encode(), docnum, 1.0, b""))
    for limitmb in (0.005, 256):               # 0.005: a run spilled every ~300 postings
        pool = TermGroupingPool(limitmb=limitmb)
        for docnum, counted in docs:            # counted fields in bulk, others one by one
            for field, counts in counted.items():
                pool.add_counts(field, docnum, counts)
            pool.add(("id", f"u{docnum}".encode(), docnum, 1.0, b""))
        assert list(pool.iter_postings()) == sorted(items)
        pool.cleanup()


def test_every_unit_text_comes_back_exactly(seeds_engine):
    """Text is stored once, normalised, plus a diff: every unit of every seed
    (Traditional 001 included) reads back as the paragraph the indexer cut."""
    from indexer.reports import build_report
    from indexer.sources import find_files, load_catalog, read_file

    want = {}
    files, _ = find_files([str(SEEDS)])
    for f in files:
        for _source, doc in read_file(f, load_catalog(f.path.parent)):
            report = build_report(doc, f.key)
            for p in report.paragraphs:
                want[f"{report.report_id}:{p.para_no}"] = p.text
    snap = seeds_engine.snapshot()
    with snap.searching() as s:
        got = {u["id"]: u["text"] for u in snap.units.all(s)}
    assert got == want
    assert any("攀枝花市東區" in t for t in got.values())      # Traditional kept as written


@pytest.mark.parametrize("limit, seeds", [(POSTINGS_BLOCK, 5), (16, 1)])
def test_block_writer_writes_what_whoosh_writes(tmp_path, limit, seeds):
    """The same documents through Whoosh's own add_document, pool and per-posting
    writer, and through ours, with the same codec (postings a block): every term's
    statistics and postings, and every field length, come out identical.  Our block
    size (POSTINGS_BLOCK), and a small one: a term of many blocks."""
    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3Codec

    from indexer.whoosh_format import hook_writer
    from indexer.reports import build_report
    from indexer.sources import find_files, load_catalog, read_file
    from indexer.store import make_schema
    from indexer.writer import unit_documents

    files, _ = find_files([str(SEEDS)])
    files = sorted(files, key=lambda f: f.key)[:seeds]
    docs = [d for f in files for _s, doc in read_file(f, load_catalog(f.path.parent))
            for d in unit_documents(build_report(doc, f.key), "2026-01-01T00:00:00")]
    readers = {}
    for mode in ("whoosh", "ours", "spilled"):
        (tmp_path / mode).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / mode), make_schema())
        w = ix.writer(compound=False, codec=W3Codec(blocklimit=limit))    # separate files, compared below
        if mode != "whoosh":       # in memory, and a small pool: spilled runs merged
            hook_writer(w, pool_mb=0.2 if mode == "spilled" else 512, in_process=True)
        for d in docs:
            w.add_document(**d)
        w.commit()
        readers[mode] = ix.reader()
    a, b = readers["whoosh"], readers["spilled"]
    terms = list(a.all_terms())
    assert terms == list(b.all_terms()) and len(terms) > 2000
    if limit < POSTINGS_BLOCK:                # some terms of several blocks
        assert max(a.doc_frequency(f, t) for f, t in terms) > 2 * limit
    for field, btext in terms:
        ta, tb = a.term_info(field, btext), b.term_info(field, btext)
        assert (ta.weight(), ta.doc_frequency(), ta.min_length(), ta.max_length(), ta.max_weight(),
                ta.min_id(), ta.max_id()) == \
               (tb.weight(), tb.doc_frequency(), tb.min_length(), tb.max_length(), tb.max_weight(),
                tb.min_id(), tb.max_id()), (field, btext)
        want = list(a.postings(field, btext).items_as("weight"))
        assert list(b.postings(field, btext).items_as("weight")) == want, (field, btext)
        # and what search reads of Whoosh's own blocks (many a term with the small limit)
        docs, weights = arrays.postings(a, field, btext)
        assert list(zip(docs.tolist(), weights.tolist())) == matcher_postings(a, field, btext), (field, btext)
    for field in ("text", "heading"):
        assert a.field_length(field) == b.field_length(field)
        assert [a.doc_field_length(d, field) for d in range(a.doc_count_all())] == \
               [b.doc_field_length(d, field) for d in range(b.doc_count_all())]
    # and the files themselves, byte for byte: postings, terms table, stored fields, lengths, text
    for ext in ("pst", "trm", "_stored.col", "_text_len.col", "norm.col"):
        (want,), (got,), (spilled,) = ((tmp_path / mode).glob(f"MAIN_*.{ext}") for mode in ("whoosh", "ours", "spilled"))
        assert want.read_bytes() == got.read_bytes() == spilled.read_bytes(), ext


def test_next_generation_reuses_unchanged_segment_texts(tmp_path):
    """After a commit, the segments that were already there keep their
    decompressed text and decoded postings; only the new segment is read."""
    src = tmp_path / "src"
    src.mkdir()
    first, second = sorted(SEEDS.glob("*.txt"))[:2]
    shutil.copy(first, src / first.name)
    ix = str(tmp_path / "ix")
    index_paths(ix, [str(src)])
    engine = Engine(ix)
    old = engine.snapshot()
    old_texts = {id(text) for _b, text, _s in old.arrays.texts.parts}
    with old.searching():
        before = old.arrays.postings("text", "发展")[0]
    shutil.copy(second, src / second.name)
    index_paths(ix, [str(src)])
    new = engine.snapshot()
    assert new is not old
    new_texts = [text for _b, text, _s in new.arrays.texts.parts]
    assert len(new_texts) == 2 and id(new_texts[0]) in old_texts and id(new_texts[1]) not in old_texts
    decoded = engine.postings_cache.decoded
    with new.searching():
        after = new.arrays.postings("text", "发展")[0]
    assert after[:before.size].tolist() == before.tolist() and after.size > before.size
    assert engine.postings_cache.decoded == decoded + 1      # the new segment's; the old one's was kept
    with new.searching() as s:
        units = new.units.all(s)
    assert {u["source"] for u in units} == {str(src / first.name), str(src / second.name)}
    for u in units:
        assert new.arrays.text(_docnum(new, u["id"])) == normalize(u["text"])


def _docnum(snap, unit_id: str) -> int:
    docs, _w, _df = snap.arrays.postings("id", unit_id)
    return int(docs[0])


def test_reader_pieces_equal_whoosh_public_reader(reindexed):
    """The generation, deletions, label postings and word expansions read below the
    public API agree with what Whoosh's public reader says."""
    from whoosh import index as whoosh_index

    from indexer.store import IndexStore
    from indexer.whoosh_format import deleted_docs, open_reader, term_postings, word_expansions

    ix = whoosh_index.open_dir(str(IndexStore(reindexed).current_dir()))
    generation, reader = open_reader(ix)
    public = ix.reader()
    assert generation == ix.latest_generation()
    assert reader.doc_count_all() == public.doc_count_all() and reader.doc_count() == public.doc_count()
    dead = set()
    for seg, base in leaf_segments(reader):
        dead.update((deleted_docs(seg) + base).tolist())
    assert dead and dead == {d for d in range(public.doc_count_all()) if public.is_deleted(d)}
    for seg, base in leaf_segments(reader):
        btexts = list(seg.lexicon("region"))
        for btext, ids in term_postings(seg, "region", btexts):
            live = [d for d in (ids + base).tolist() if d not in dead]     # Whoosh's matchers skip them
            assert live == [d for d in _matcher_ids(public.postings("region", btext))
                            if base <= d < base + seg.doc_count_all()]
    for prefix in ("营商", "发展", "乡村"):
        got = list(word_expansions(Q.Prefix("text", prefix), reader))
        assert got == list(public.expand_prefix("text", prefix)) and got


def _matcher_ids(m) -> list[int]:
    """A matcher's document numbers, one call at a time (MultiMatcher.all_ids skips sub-matchers)."""
    out = []
    while m.is_active():
        out.append(m.id())
        m.next()
    return out


def test_text_frames_hold_whole_documents_and_read_back_exactly(monkeypatch):
    """The text column's frames: whole documents, about TEXT_FRAME_BYTES each, the
    concatenation of every value after decompression."""
    from indexer import store

    rng = random.Random(5)
    values = [("发展经济" * rng.randint(0, 40)).encode() for _ in range(300)]
    monkeypatch.setattr(store, "TEXT_FRAME_BYTES", 1000)
    frames = store.text_frames(store.compress_frames(values))
    assert len(frames) > 10
    assert [first for first, _n, _f in frames] == \
        [sum(n for _f0, n, _x in frames[:k]) for k in range(len(frames))]
    assert sum(n for _first, n, _f in frames) == len(values)
    for first, n, frame in frames:
        size = sum(len(v) for v in values[first:first + n])
        assert store.decompress_frame(frame, size) == b"".join(values[first:first + n])
        assert size - len(values[first + n - 1]) < 1000            # cut at the first document past the size


def test_an_index_of_many_small_frames_answers_as_the_usual_one(tmp_path, monkeypatch, corpus_index):
    """Searching reads the text frame by frame: with frames of 64 kB (dozens per
    segment) every count, hit and highlight is the one-frame index's."""
    from indexer import store
    from search.engine import search
    from search.results import SearchRequest, to_json

    from .conftest import PROVINCES

    monkeypatch.setattr(store, "TEXT_FRAME_BYTES", 64 << 10)
    small = str(tmp_path / "ix")
    index_paths(small, [str(SEEDS), str(PROVINCES)])
    framed = Engine(small).snapshot()
    assert len(framed.arrays.texts.parts) > 20
    for q in ("营商环境", '"高质量发展"', "绿色 低碳", "发展 -经济", "规上工业"):
        a, b = (to_json(search(e, SearchRequest(q=q, limit=50))) for e in (Engine(corpus_index), Engine(small)))
        assert (a["total"], a["facets"]) == (b["total"], b["facets"]), q
        assert [(h["text"], h["highlight"]) for h in a["hits"]] == [(h["text"], h["highlight"]) for h in b["hits"]], q


@pytest.mark.parametrize("index_name", ["corpus_index", "reindexed"])
def test_label_columns_give_each_unit_the_value_its_postings_give(index_name, request):
    """Facet ordinals come from the label columns written with each unit: each
    unit's value equals the one Whoosh's public postings give it (head-only
    labels too: they are stored on a report's first unit but every unit's
    column holds them), across segments and deletions."""
    from search.facets import FACETS

    snap = Engine(request.getfixturevalue(index_name)).snapshot()
    with snap.searching() as s:
        reader = s.reader()
        for fieldname in list(FACETS) + ["report_id", "para_no"]:
            field = reader.schema[fieldname]
            want = {}
            for btext in field.sortable_terms(reader, fieldname):
                for doc in reader.postings(fieldname, btext).all_ids():
                    want[doc] = field.from_bytes(btext)
            col = snap.facets.columns[fieldname]
            got = {doc: col.values[col.ords[doc]] for doc in snap.arrays.all_docs.tolist() if col.ords[doc]}
            assert got == {d: v for d, v in want.items() if snap.arrays.live[d]}, fieldname
            assert all(leaf for leaf in _label_columns(reader, fieldname)), fieldname


def _label_columns(reader, fieldname):
    from indexer.whoosh_format import label_column

    return [label_column(seg, fieldname) is not None for seg, _base in leaf_segments(reader)]


@pytest.mark.parametrize("index_name", ["corpus_index", "reindexed"])
@pytest.mark.parametrize("fieldname", ["text", "region", "grams"])
def test_term_weights_read_in_blocks_equal_whoosh_iter_field(index_name, fieldname, request, monkeypatch):
    """The keyword vocabulary's reading of a field's terms and weights, against
    Whoosh's iter_field; reads of 4 kB force items across the reads' ends."""
    from indexer import whoosh_format

    monkeypatch.setattr(whoosh_format, "_TERMS_READ", 4096)
    snap = Engine(request.getfixturevalue(index_name)).snapshot()
    with snap.searching() as s:
        for seg, _base in leaf_segments(s.reader()):
            want = [(btext, info.weight()) for btext, info in seg.iter_field(fieldname)]
            assert list(whoosh_format.field_term_weights(seg, fieldname)) == want
            assert want


@pytest.mark.parametrize("first", [3, 300, 70_000, 2_000_000_000])
def test_blocks_decode_as_pickle_reads_them(first):
    """A block's ids and weights as Whoosh's reader gets them (pickle.loads, the
    gaps summed), for blocks numpy reads in place (every gap below 256: the
    dense layout) and blocks pickle reads (a wider gap, three postings or fewer)."""
    import pickle
    import zlib

    from indexer.whoosh_format import _decode_block, _dense_block

    rnd = np.random.default_rng(first)
    for count in (1, 2, 3, 4, 5, 128, 4096):
        for widest in (1, 255, 256, 65_536):
            gaps = rnd.integers(1, widest + 1, size=count)
            gaps[0] = first
            for weights in (None, 2.0, tuple(rnd.integers(1, 9, size=count).astype(float).tolist())):
                data = pickle.dumps((tuple(gaps.tolist()), weights, None), 2)      # as Whoosh writes it
                deltas, want_w, _ = pickle.loads(data)
                want_w = [1.0] * count if want_w is None else [want_w] * count if isinstance(want_w, float) \
                    else list(want_w)
                dense = count > 3 and int(gaps[1:].max(initial=0)) < 256
                assert (_dense_block(data, count) is not None) == dense, (count, widest, weights)
                for raw, compressed in ((data, False), (zlib.compress(data, 3), True)):
                    ids, w = _decode_block(raw, compressed, count)
                    assert ids.tolist() == np.cumsum(deltas).tolist()
                    assert w.dtype == np.float32 and w.tolist() == want_w


def test_a_term_of_several_segments_is_held_once(corpus_index):
    """Each segment's cached postings of a term are slices of the whole-index arrays
    search uses (one copy of each posting), equal to that segment's own decode."""
    from indexer.whoosh_format import segment_postings

    engine = Engine(corpus_index)
    snap = engine.snapshot()
    docs, weights, _df = snap.arrays.postings("grams", "发展")
    segments = leaf_segments(snap.arrays.reader)
    assert len(segments) >= 2
    for seg, base in segments:
        kept_docs, kept_weights, numbered = engine.postings_cache.get((seg.segment().segment_id(), "grams",
                                                                      "发展".encode()))
        assert np.shares_memory(kept_docs, docs) and np.shares_memory(kept_weights, weights)
        own_docs, own_weights = segment_postings(seg, "grams", "发展".encode())
        assert numbered == base and kept_docs.tolist() == (own_docs + base).tolist()
        assert kept_weights.tolist() == own_weights.tolist()


def test_a_merge_leaves_no_cached_postings_of_the_segments_it_removed(tmp_path):
    """A segment's cached postings may be a slice of a term's whole-index array,
    which keeps that array alive: once the segment is merged away its entry is
    never read again, so the next generation drops it (else each merge would pin
    another copy of every cached broad term, counted as a few postings)."""
    from indexer.store import IndexStore

    src, ix = tmp_path / "src", str(tmp_path / "ix")
    src.mkdir()
    for f in sorted(SEEDS.iterdir())[:3]:            # three runs: three segments
        shutil.copy(f, src)
        index_paths(ix, [str(src)])
    engine = Engine(ix)
    before = engine.snapshot().arrays.postings("grams", "发展")[0].tolist()
    assert len(leaf_segments(engine.snapshot().arrays.reader)) >= 2

    store = IndexStore(ix)                             # merge every segment into one
    store.open(data_dir=store.current_dir()).writer().commit(optimize=True)
    snap = engine.snapshot()
    live = {seg.segment().segment_id() for seg, _base in leaf_segments(snap.arrays.reader)}
    assert len(live) == 1
    assert snap.arrays.postings("grams", "发展")[0].tolist() == before
    assert {key[0] for key in engine.postings_cache._items} <= live


# ---------------------------------------------------------------- segments without documents
# Nothing indexed is lost: no commit lists a segment without a live document (a merge
# that took only deleted documents wrote one, and then the index no longer opened:
# its text column has no frame), and an index that already holds one still opens.

QUOTED_TERMS = ('"发展"', '"经济"', '"营商环境"', '"同志们"', '"产业功能区"')   # exactly the string, no synonyms


def _tiny_report(k: int) -> str:
    """A short report in the seeds' shape: seed 000's title line and the k-th four of its lines."""
    lines = [line for line in next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8").splitlines()
             if line.strip()]
    return "\n".join([lines[0], *lines[1 + 4 * k:5 + 4 * k]]) + "\n"


def _folders(tmp_path):
    """base/ holding seed 001 and an empty inbox/ for tiny reports."""
    base, inbox = tmp_path / "base", tmp_path / "inbox"
    base.mkdir()
    inbox.mkdir()
    shutil.copy(next(SEEDS.glob("001_*.txt")), base)
    return base, inbox


def _index(ix: str, *folders):
    run = index_paths(ix, [str(f) for f in folders])
    assert not run.failed, run.failed
    return run


def _add_tiny(ix: str, inbox, k: int):
    (inbox / f"tiny{k}.txt").write_text(_tiny_report(k), encoding="utf-8")
    assert _index(ix, inbox).added == 1


def _listed_segments(ix: str) -> list[tuple[str, int, int]]:
    """(segment id, documents, live documents) of each segment the index lists, from
    Whoosh's own reader."""
    from whoosh.reading import SegmentReader

    from indexer.store import IndexStore

    store = IndexStore(ix)
    with store.open(data_dir=store.current_dir()).reader() as reader:
        return [(r.segment().segment_id(), r.doc_count_all(), r.doc_count()) for r, _base in reader.leaf_readers()
                if isinstance(r, SegmentReader)]


def _segment_docs(ix: str) -> list[tuple[int, int]]:
    return [(docs, live) for _id, docs, live in _listed_segments(ix)]


def _unlisted_segment_files(ix: str) -> list[str]:
    """Files of the data folder that belong to no listed segment (Whoosh names a
    segment's files MAIN_<segment id>.<part>)."""
    from indexer.store import IndexStore

    listed = {seg_id for seg_id, _docs, _live in _listed_segments(ix)}
    return [f.name for f in IndexStore(ix).current_dir().glob("MAIN_*.*") if f.name.split(".")[0] not in listed]


def _merge_only_deleted(writer, segments):
    """A Whoosh merge policy that merges exactly the segments whose documents are all deleted."""
    from whoosh.reading import SegmentReader

    for seg in segments:
        if not seg.doc_count():
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
    return [seg for seg in segments if seg.doc_count()]


def _paragraphs(folders) -> list[str]:
    """The normalised paragraphs of the reports now in ``folders``, read from the files."""
    from indexer.reports import build_report
    from indexer.sources import find_files, load_catalog, read_file

    files, _ = find_files([str(f) for f in folders])
    return [normalize(p.text) for f in files for _source, doc in read_file(f, load_catalog(f.path.parent))
            for p in build_report(doc, f.key).paragraphs]


def _assert_answers_as_its_reports(ix: str, folders):
    """The index opens and each total is the number of the reports' paragraphs that
    hold the string (a substring scan of the files' paragraphs)."""
    from search.engine import search
    from search.results import SearchRequest, to_json

    paragraphs = _paragraphs(folders)
    engine = Engine(ix)
    assert engine.snapshot().doc_count == len(paragraphs)
    for q in QUOTED_TERMS:
        want = sum(q.strip('"') in p for p in paragraphs)
        assert to_json(search(engine, SearchRequest(q=q, limit=1)))["total"] == want, q


def _small_merges(ix, base, inbox):
    """Five runs of a tiny report each, then one run removing them all: Whoosh's
    MERGE_SMALL merges the five small segments, every document deleted."""
    for k in range(5):
        _add_tiny(ix, inbox, k)
    assert len(_segment_docs(ix)) == 6              # base's segment and one a tiny report
    for k in range(5):
        (inbox / f"tiny{k}.txt").unlink()
    assert _index(ix, inbox).removed == 5


def _merge_of_deleted(ix, base, inbox):
    """govsearch's writer deletes a tiny report and commits with a merge policy
    taking only the segment whose documents are all deleted (the reviewer's case)."""
    from indexer.store import IndexStore
    from indexer.writer import _writer

    _add_tiny(ix, inbox, 0)
    (inbox / "tiny0.txt").unlink()
    store = IndexStore(ix)
    writer = _writer(store.open(check_version=False, data_dir=store.current_dir()), 0)
    assert writer.delete_by_term("source", str(inbox / "tiny0.txt")) == 5
    writer.commit(mergetype=_merge_only_deleted)


def _optimize_after_removing_everything(ix, base, inbox):
    """Two tiny reports in two runs, a run removing every report, then an optimize."""
    from indexer.store import IndexStore
    from indexer.writer import _writer

    for k in range(2):
        _add_tiny(ix, inbox, k)
    for f in [*base.iterdir(), *inbox.iterdir()]:
        f.unlink()
    assert _index(ix, base, inbox).removed == 3
    store = IndexStore(ix)
    _writer(store.open(check_version=False, data_dir=store.current_dir()), 0).commit(optimize=True)


def _only_report_removed(ix, base, inbox):
    """A run whose only report is removed by the next run."""
    _add_tiny(ix, inbox, 0)
    (inbox / "tiny0.txt").unlink()
    assert _index(ix, inbox).removed == 1


@pytest.mark.parametrize("processes", ["1", "2"])
@pytest.mark.parametrize("path", [_small_merges, _merge_of_deleted, _optimize_after_removing_everything,
                                  _only_report_removed], ids=lambda f: f.__name__.strip("_"))
def test_no_commit_lists_a_segment_without_documents(tmp_path, monkeypatch, path, processes):
    """Every way of leaving a segment with nothing live, with the in-process writer
    and with writer processes: the commit lists no such segment, the index answers
    with the totals of the reports left, and a later run adds reports normally."""
    from indexer.writer import PROCESSES_ENV

    monkeypatch.setenv(PROCESSES_ENV, processes)
    base, inbox = _folders(tmp_path)
    ix = str(tmp_path / "ix")
    _index(ix, base)
    path(ix, base, inbox)
    assert all(live for _docs, live in _segment_docs(ix)), _segment_docs(ix)
    assert _unlisted_segment_files(ix) == []          # a dropped segment's files went in the same commit
    _assert_answers_as_its_reports(ix, [base, inbox])
    _add_tiny(ix, inbox, 6)
    shutil.copy(next(SEEDS.glob("002_*.txt")), inbox)
    assert _index(ix, inbox).added == 1
    _assert_answers_as_its_reports(ix, [base, inbox])


def test_emptying_the_indexed_folder_with_the_cli_leaves_an_index_that_answers(tmp_path):
    """`govsearch index` on a folder whose every report is gone: the index holds no
    segment, answers 0 for every search, and the next run adds reports."""
    import subprocess
    import sys

    from .conftest import ROOT

    inbox, ix = tmp_path / "inbox", str(tmp_path / "ix")
    inbox.mkdir()

    def cli(*args) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cli", *args, "--index", ix], capture_output=True,
                              text=True, timeout=120, cwd=ROOT)

    for k in range(2):
        (inbox / f"tiny{k}.txt").write_text(_tiny_report(k), encoding="utf-8")
    assert cli("index", str(inbox)).returncode == 0
    for k in range(2):
        (inbox / f"tiny{k}.txt").unlink()
    assert cli("index", str(inbox)).returncode == 0
    assert _segment_docs(ix) == []
    query = cli("query", '"同志们"', "--json")
    assert query.returncode == 0 and '"total": 0' in query.stdout, query.stderr
    _assert_answers_as_its_reports(ix, [inbox])
    shutil.copy(next(SEEDS.glob("002_*.txt")), inbox)
    assert cli("index", str(inbox)).returncode == 0
    _assert_answers_as_its_reports(ix, [inbox])


def test_an_index_holding_a_segment_without_documents_opens(tmp_path):
    """Earlier versions listed a segment of no documents after a merge that took only
    deleted ones (Whoosh's own writer still does): such an index opens and answers,
    and the next run adds reports and leaves that segment out."""
    from indexer.store import IndexStore

    base, inbox = _folders(tmp_path)
    ix = str(tmp_path / "ix")
    _index(ix, base)
    _add_tiny(ix, inbox, 0)
    (inbox / "tiny0.txt").unlink()
    store = IndexStore(ix)
    writer = store.open(data_dir=store.current_dir()).writer(compound=False)     # Whoosh's own writer
    assert writer.delete_by_term("source", str(inbox / "tiny0.txt")) == 5
    writer.commit(mergetype=_merge_only_deleted)
    assert (0, 0) in _segment_docs(ix)
    _assert_answers_as_its_reports(ix, [base, inbox])
    _add_tiny(ix, inbox, 1)
    assert all(docs for docs, _live in _segment_docs(ix))
    _assert_answers_as_its_reports(ix, [base, inbox])


def test_a_segment_whose_documents_have_no_text_reads_as_empty_texts(tmp_path):
    """A segment none of whose documents has the text column (written by Whoosh's own
    writer) opens with an empty text for each, the other segments' texts intact."""
    from indexer.store import IndexStore

    base, _inbox = _folders(tmp_path)
    ix = str(tmp_path / "ix")
    _index(ix, base)
    store = IndexStore(ix)
    writer = store.open(data_dir=store.current_dir()).writer(compound=False)
    writer.add_document(id="bare:0", report_id="bare")
    writer.commit(merge=False)
    reader = store.open(data_dir=store.current_dir()).reader()
    try:
        texts = arrays.SegmentTexts(reader, "norm")
        paragraphs = _paragraphs([base])
        assert [texts.text(d).decode() for d in range(len(paragraphs))] == paragraphs
        assert texts.text(len(paragraphs)) == b""
    finally:
        reader.close()
