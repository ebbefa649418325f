"""Whoosh index data as numpy arrays: postings, field lengths, texts, labels.

A block or a column at a time, through indexer/whoosh_format.py (the one module
that reads Whoosh's files below its public API, and says why); here they are
cached across generations and put together over segments.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from indexer.whoosh_format import (BYTE_TO_LENGTH, deleted_docs, leaf_segments, segment_length_bytes,
                                   segment_postings, term_postings, text_column)



def live_docs(reader) -> np.ndarray:
    """Boolean array, document number -> not deleted."""
    live = np.ones(reader.doc_count_all(), dtype=bool)
    for seg, base in leaf_segments(reader):
        live[deleted_docs(seg) + base] = False
    return live


class PostingsCache:
    """(segment id, field, term) -> that segment's postings, kept across generations.

    A segment never changes once written (deletions live in the reader's
    live mask), so a term decoded once stays valid until its segment is
    merged away: after a commit only the new segment's postings are read.
    Bounded by the number of postings held (about 12 bytes each)."""

    def __init__(self, limit: int = 20_000_000):
        self.limit = limit
        self._items: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()          # snapshots of two generations may share it
        self.decoded = 0                       # segment postings decoded (put) so far

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            if key in self._items:
                return
            self.decoded += 1
            for array_ in value:
                array_.flags.writeable = False     # shared by every later generation
            self._items[key] = value
            self._size += int(value[0].size) + 1
            while self._size > self.limit and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._size -= int(old[0].size) + 1


_NO_POSTINGS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def postings(reader, fieldname: str, btext: bytes, cache: PostingsCache | None = None):
    """(document numbers ascending, weights) of one term over every segment,
    deleted documents included (the caller masks them: Whoosh's idf counts them)."""
    doc_parts, weight_parts = [], []
    for seg, base in leaf_segments(reader):
        key = (seg.segment().segment_id(), fieldname, btext)
        got = cache.get(key) if cache is not None else None
        if got is None:
            got = segment_postings(seg, fieldname, btext) or _NO_POSTINGS
            if cache is not None:
                cache.put(key, got)
        if got[0].size:
            doc_parts.append(got[0] + base if base else got[0])
            weight_parts.append(got[1])
    if not doc_parts:
        return _NO_POSTINGS
    docs = np.concatenate(doc_parts) if len(doc_parts) > 1 else doc_parts[0]
    weights = np.concatenate(weight_parts) if len(weight_parts) > 1 else weight_parts[0]
    return docs, weights


def field_lengths(reader, fieldname: str) -> np.ndarray:
    """Document number -> the field length Whoosh's BM25F uses (float64)."""
    out = np.zeros(reader.doc_count_all(), dtype=np.uint8)
    for seg, base in leaf_segments(reader):
        raw = segment_length_bytes(seg, fieldname)
        if raw is not None:             # None: no document of this segment has the field
            out[base:base + raw.size] = raw
    return BYTE_TO_LENGTH[out]


class SegmentTexts:
    """A text column (indexer.store.CompressedTextColumn), decompressed per segment.

    ``parts`` holds (first document number, text bytes, starts) per segment;
    document d of a segment is ``text[starts[d - base]:starts[d - base + 1]]``.
    Segments stay separate (no joined copy), and are decompressed in parallel
    threads (zlib releases the GIL).  A segment never changes once written, so
    ``cache`` (segment id -> (text, starts)) carries its text over to the next
    index generation: a commit costs the new segments only."""

    def __init__(self, reader, fieldname: str, cache: dict | None = None):
        column = reader.schema[fieldname].column_type
        cache = {} if cache is None else cache
        jobs = []
        for seg, base in leaf_segments(reader):
            key = (seg.segment().segment_id(), fieldname)
            if key in cache:
                jobs.append((base, None, cache[key]))
                continue
            n = seg.doc_count_all()
            lens = np.zeros(n, dtype=np.int64)
            raw = b""
            stored = text_column(seg, fieldname, column)
            if stored is not None:
                got, raw = stored[0][:n], stored[1]
                lens[:got.size] = got
            starts = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=starts[1:])
            jobs.append((base, raw, starts))

        def load(job):
            base, raw, starts = job
            if raw is None:                      # cached: starts is (text, starts)
                return starts
            return zlib.decompress(raw, bufsize=max(1, int(starts[-1]))) if raw else b"", starts

        with ThreadPoolExecutor(max_workers=max(1, min(4, len(jobs)))) as pool:
            loaded = list(pool.map(load, jobs))
        self.parts = [(base, text, starts) for (base, _raw, _s), (text, starts) in zip(jobs, loaded)]
        cache.clear()
        for (seg, _base), (_b, text, starts) in zip(leaf_segments(reader), self.parts):
            cache[(seg.segment().segment_id(), fieldname)] = (text, starts)
        self.bases = np.array([base for base, _t, _s in self.parts], dtype=np.int64)
        self.size = sum(len(t) for _b, t, _s in self.parts)
        self._byte_lengths = None

    def byte_lengths(self) -> np.ndarray:
        """Document number -> its text's length in UTF-8 bytes (every segment, in order)."""
        if self._byte_lengths is None:
            parts = [np.diff(starts) for _base, _text, starts in self.parts]
            self._byte_lengths = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return self._byte_lengths

    def part_of(self, doc: int):
        return self.parts[int(np.searchsorted(self.bases, doc, side="right")) - 1]

    def text(self, doc: int) -> bytes:
        base, text, starts = self.part_of(doc)
        return text[starts[doc - base]:starts[doc - base + 1]]


def term_ordinals(reader, fieldname: str, missing) -> tuple[list, np.ndarray]:
    """A label field as (values, document -> ordinal); ordinal 0 is `missing` (no value).

    Read from the field's postings (one list per distinct value), not from
    its column one document at a time; segment by segment, so each term is
    looked up once where it is."""
    ords = np.zeros(reader.doc_count_all(), dtype=np.int32)
    values: list = [missing]
    index: dict[bytes, int] = {}
    field = reader.schema[fieldname]
    for seg, base in leaf_segments(reader):
        for btext, ids in term_postings(seg, fieldname, list(field.sortable_terms(seg, fieldname))):
            o = index.get(btext)
            if o is None:
                o = index[btext] = len(values)
                values.append(field.from_bytes(btext))
            ords[ids + base] = o
    return values, ords
