"""Whoosh index data as numpy arrays: postings, field lengths, texts, labels.

A block or a column at a time, through indexer/whoosh_format.py (the one module
that reads Whoosh's files below its public API, and says why); here they are
cached across generations and put together over segments.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from indexer.store import decompress_frame, text_frames
from indexer.whoosh_format import (BYTE_TO_LENGTH, deleted_docs, leaf_segments, segment_length_bytes,
                                   label_column, segment_postings, segment_stored_fields, term_postings,
                                   text_column, vector_column)



def live_docs(reader) -> np.ndarray:
    """Boolean array, document number -> not deleted."""
    live = np.ones(reader.doc_count_all(), dtype=bool)
    for seg, base in leaf_segments(reader):
        live[deleted_docs(seg) + base] = False
    return live


class ArrayLRU:
    """key -> a tuple whose first item is an array, the least recently used dropped
    once the arrays' lengths (plus one an entry) pass ``limit``.  Thread-safe."""

    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        """Keep value; the one kept already when another thread came first."""
        with self._lock:
            kept = self._items.get(key)
            if kept is not None:
                return kept
            self._kept(value)
            self._items[key] = value
            self._size += int(value[0].size) + 1
            while self._size > self.limit and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= int(old[0].size) + 1
            return value

    def _kept(self, value) -> None:
        """Called (under the lock) for each new entry."""


class PostingsCache(ArrayLRU):
    """(segment id, field, term) -> that segment's postings, kept across generations.

    A segment never changes once written (deletions live in the reader's
    live mask), so a term decoded once stays valid until its segment is
    merged away: after a commit only the new segment's postings are read.
    An entry is (documents, weights, base): the documents numbered from the
    segment's first document number ``base`` in the generation that read them,
    so that they can be a slice of the term's whole-index array (``postings``):
    one copy of each posting, not one per segment and one for the index.
    Bounded by the number of postings held (about 12 bytes each)."""

    def __init__(self, limit: int = 20_000_000):
        super().__init__(limit)                # snapshots of two generations may share it
        self.decoded = 0                       # segment postings decoded (put) so far

    def _kept(self, value) -> None:
        self.decoded += 1
        for array_ in value[:2]:
            array_.flags.writeable = False     # shared by every later generation

    def keep_segments(self, segment_ids: set) -> None:
        """Drop the entries of segments no longer in the index (merged away).  An
        entry may be a slice of a term's whole-index array, which keeps that whole
        array alive while counted as its slice: a merged-away segment's entry,
        never read again, would hold a second copy of every cached broad term
        until the count caught up.  Called when a generation opens; a snapshot
        of the generation before that still searches decodes them again."""
        with self._lock:
            for key in [k for k in self._items if k[0] not in segment_ids]:
                self._size -= int(self._items.pop(key)[0].size) + 1

    def share(self, key, value) -> None:
        """Replace an entry by the same postings as slices of a whole-index array
        (not a new decode): the segment's own copy can go."""
        with self._lock:
            if key in self._items:
                self._items[key] = value


_NO_POSTINGS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def postings(reader, fieldname: str, btext: bytes, cache: PostingsCache | None = None, io=nullcontext()):
    """(document numbers ascending, weights) of one term over every segment,
    deleted documents included (the caller masks them: Whoosh's idf counts them).

    ``io`` (a lock) is held while each segment's bytes are read, never while
    they are decoded: threads sharing the reader wait for reads only."""
    parts = [(seg, base, _segment_postings(seg, base, fieldname, btext, cache, io))
             for seg, base in leaf_segments(reader)]
    parts = [(seg, base, got) for seg, base, got in parts if got[0].size]
    if not parts:
        return _NO_POSTINGS
    if len(parts) == 1:
        return parts[0][2]
    docs = np.concatenate([got[0] for _seg, _base, got in parts])
    weights = np.concatenate([got[1] for _seg, _base, got in parts])
    if cache is not None:
        _share_slices(cache, parts, docs, weights, fieldname, btext)
    return docs, weights


def _segment_postings(seg, base: int, fieldname: str, btext: bytes, cache, io) -> tuple:
    """(documents numbered from ``base``, weights) of one segment's term, decoded
    once and kept in ``cache``."""
    key = (seg.segment().segment_id(), fieldname, btext)
    got = cache.get(key) if cache is not None else None
    if got is None:
        ids, weights = segment_postings(seg, fieldname, btext, io) or _NO_POSTINGS
        got = (ids + base if base else ids, weights, base)
        if cache is not None:
            got = cache.put(key, got)
    docs, weights, numbered = got
    return (docs if numbered == base else docs - numbered + base), weights


def _share_slices(cache: PostingsCache, parts: list, docs: np.ndarray, weights: np.ndarray,
                  fieldname: str, btext: bytes) -> None:
    """Make each segment's cached postings a slice of the whole-index arrays."""
    docs.flags.writeable = weights.flags.writeable = False
    at = 0
    for seg, base, (seg_docs, _w) in parts:
        end = at + seg_docs.size
        cache.share((seg.segment().segment_id(), fieldname, btext), (docs[at:end], weights[at:end], base))
        at = end


def field_lengths(reader, fieldname: str) -> np.ndarray:
    """Document number -> the field length Whoosh's BM25F uses (float64)."""
    out = np.zeros(reader.doc_count_all(), dtype=np.uint8)
    for seg, base in leaf_segments(reader):
        raw = segment_length_bytes(seg, fieldname)
        if raw is not None:             # None: no document of this segment has the field
            out[base:base + raw.size] = raw
    return BYTE_TO_LENGTH[out]


class SegmentVectors:
    """A VectorColumn field (indexer.store), one (documents, width) int8 array per
    segment, read once: no joined copy (128 MB at a million units), and ``cache``
    (segment id -> its array) carries a segment over to the next index generation,
    as SegmentTexts does its text: a commit costs the new segments only."""

    def __init__(self, reader, fieldname: str, width: int, cache: dict | None = None):
        cache = {} if cache is None else cache
        kept, bases, parts = {}, [], []
        for seg, base in leaf_segments(reader):
            key = seg.segment().segment_id()
            vectors = cache.get(key)
            if vectors is None:
                vectors = vector_column(seg, fieldname)
                if vectors is None or vectors.shape[1] != width:     # a segment without the column
                    vectors = np.zeros((seg.doc_count_all(), width), dtype=np.int8)
            kept[key] = vectors
            bases.append(base)
            parts.append(vectors)
        cache.clear()                          # keep this generation's segments only
        cache.update(kept)
        self.width = width
        self._bases = np.array(bases, dtype=np.int64)
        self._parts = parts

    def rows(self, docs: np.ndarray) -> np.ndarray:
        """The vectors of ``docs`` (document numbers), (len(docs), width)."""
        out = np.zeros((docs.size, self.width), dtype=np.int8)
        segment = np.searchsorted(self._bases, docs, side="right") - 1
        for s in np.unique(segment).tolist():
            mine = segment == s
            out[mine] = self._parts[s][docs[mine] - self._bases[s]]
        return out


class SegmentTexts:
    """A text column (indexer.store.CompressedTextColumn), decompressed frame by frame.

    ``parts`` holds (first document number, text bytes, starts) per frame (a
    few megabytes of whole documents);
    document d of a part is ``text[starts[d - base]:starts[d - base + 1]]``.
    Parts stay separate (no joined copy), and are decompressed in parallel
    threads (zstd releases the GIL) while the caller goes on: a
    snapshot loads its facet columns meanwhile, and ``parts`` waits.  A
    segment never changes once written, so ``cache`` (segment id -> its parts)
    carries its text over to the next index generation: a commit costs the new
    segments only."""

    def __init__(self, reader, fieldname: str, cache: dict | None = None):
        column = reader.schema[fieldname].column_type
        self._cache = {} if cache is None else cache
        pool = ThreadPoolExecutor(max_workers=4)
        self._segments = []                   # (segment key, base, [future or part, …], characters per doc)
        for seg, base in leaf_segments(reader):
            key = (seg.segment().segment_id(), fieldname)
            kept = self._cache.get(key)
            if kept is None:
                frames, chars = _frames(seg, fieldname, column)
                kept = ([pool.submit(_decompressed, base + first, frame, starts)
                         for first, frame, starts in frames], chars)
            self._segments.append((key, base, *kept))
        pool.shutdown(wait=False)                 # the submitted frames still decompress
        self._parts = None
        self._done = threading.Lock()
        self._byte_lengths = None
        self._char_lengths = None

    @property
    def parts(self) -> list:
        """(first document number, text bytes, starts) per frame, once decompressed."""
        if self._parts is None:
            with self._done:
                if self._parts is None:
                    self._finish()
        return self._parts

    def _finish(self):
        loaded = [(key, base, [p.result() if hasattr(p, "result") else p for p in parts], chars)
                  for key, base, parts, chars in self._segments]
        self._cache.clear()                   # keep this generation's segments only
        parts = []
        for key, base, segment_parts, chars in loaded:
            # a cached part was numbered in the generation that read it
            first = segment_parts[0][0] if segment_parts else base
            shifted = [(p_base - first + base, text, starts) for p_base, text, starts in segment_parts]
            self._cache[key] = (shifted, chars)
            parts.extend(shifted)
        self._bases = np.array([base for base, _t, _s in parts], dtype=np.int64)
        self._parts = parts

    @property
    def bases(self) -> np.ndarray:
        """Each part's first document number."""
        self.parts
        return self._bases

    @property
    def size(self) -> int:
        return sum(len(t) for _b, t, _s in self.parts)

    def byte_lengths(self) -> np.ndarray:
        """Document number -> its text's length in UTF-8 bytes (every segment, in order)."""
        if self._byte_lengths is None:
            parts = [np.diff(starts) for _base, _text, starts in self.parts]
            self._byte_lengths = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return self._byte_lengths

    def char_lengths(self) -> np.ndarray:
        """Document number -> its text's length in characters, as the writer counted them."""
        if self._char_lengths is None:
            per_segment = [chars.astype(np.int64) for _key, _base, _parts, chars in self._segments]
            self._char_lengths = np.concatenate(per_segment) if per_segment else np.zeros(0, dtype=np.int64)
        return self._char_lengths

    def part_of(self, doc: int):
        return self.parts[int(np.searchsorted(self.bases, doc, side="right")) - 1]

    def text(self, doc: int) -> bytes:
        base, text, starts = self.part_of(doc)
        return text[starts[doc - base]:starts[doc - base + 1]]


def _frames(seg, fieldname: str, column) -> tuple[list[tuple[int, bytes, np.ndarray]], np.ndarray]:
    """(first document within the segment, compressed frame, starts) per frame of a
    segment's text column (one empty part when no document has the field), and
    the characters of each of its documents."""
    n = seg.doc_count_all()
    lens, chars = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    stored = text_column(seg, fieldname, column)
    frames = []
    if stored is not None:
        got, got_chars, data = stored
        lens[:min(n, got.size)] = got[:n]
        chars[:min(n, got_chars.size)] = got_chars[:n]
        frames = text_frames(data)
    if not frames:
        return [(0, b"", np.zeros(n + 1, dtype=np.int64))], chars
    out = []
    for first, count, frame in frames:
        starts = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(lens[first:first + count], out=starts[1:])
        out.append((first, frame, starts))
    return out, chars


def _decompressed(base: int, frame: bytes, starts: np.ndarray) -> tuple[int, bytes, np.ndarray]:
    # a segment without a text column has one part of no bytes and no frame
    # (_frames): there is nothing to decompress, and zstd refuses an empty frame
    size = int(starts[-1])
    return base, decompress_frame(frame, size) if size else b"", starts


class StoredFields:
    """Stored fields read from each segment's stored column directly (four times
    faster than Whoosh's reader.stored_fields), for reading many units in a row
    (an export); call under the snapshot's lock."""

    def __init__(self, reader):
        self._segments = leaf_segments(reader)
        self._bases = np.array([base for _seg, base in self._segments], dtype=np.int64)

    def __call__(self, docnum: int) -> dict:
        seg, base = self._segments[int(np.searchsorted(self._bases, docnum, side="right")) - 1]
        return segment_stored_fields(seg, docnum - base)


def term_ordinals(reader, fieldname: str, missing) -> tuple[list, np.ndarray]:
    """A label field as (values, document -> ordinal); ordinal 0 is `missing` (no value).

    Read from each segment's label column (one array), or, in a segment
    written before label columns, from the field's postings (one list per
    distinct value); each term is looked up once where it is."""
    ords = np.zeros(reader.doc_count_all(), dtype=np.int32)
    values: list = [missing]
    index: dict = {}

    def ordinal(key, value) -> int:
        o = index.get(key)
        if o is None:
            o = index[key] = len(values)
            values.append(value)
        return o

    field = reader.schema[fieldname]
    for seg, base in leaf_segments(reader):
        column = label_column(seg, fieldname)
        if column is not None:
            seg_values, seg_ords = column
            # the column's "no value" (None) and an empty value both read as missing
            mapping = np.array([0 if v is None or v in (b"", "") else
                                ordinal(field.to_bytes(field.from_column_value(v)), field.from_column_value(v))
                                for v in seg_values], dtype=np.int32)
            ords[base:base + seg_ords.size] = mapping[seg_ords]
            continue
        for btext, ids in term_postings(seg, fieldname, list(field.sortable_terms(seg, fieldname))):
            ords[ids + base] = ordinal(btext, field.from_bytes(btext))
    return values, ords
