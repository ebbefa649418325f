"""A posting pool that groups postings by term, in compact arrays, as they arrive.

Whoosh's writer collects every posting as a (field, term, docnum, weight,
value) tuple, sorts all of them, and spills sorted runs to disk one marshal
call per posting.  Documents arrive in docnum order, so grouping by term keeps
each term's postings already sorted: only the distinct terms need sorting.
Each term keeps its document numbers and weights in typed arrays (8 bytes a
posting rather than ~150 for a tuple), so a 100k-paragraph batch fits in
memory, and a spilled run is one marshal call per term.

Drop-in for ``whoosh.writing.PostingPool`` (``add``, ``iter_postings``,
``fieldnames``, ``cleanup``); memory stays bounded by spilling runs to disk.

``flush_segment`` then writes the pool's postings a block at a time through
Whoosh's own block writer (W3PostingsWriter._write_block), instead of one
``add_posting`` call per posting: the bytes on disk are the same, without the
per-posting Python.
"""

from __future__ import annotations

import heapq
import marshal
import os
import tempfile
from array import array

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

# rough bytes held in memory per posting and per distinct term
_POSTING_BYTES = 12
_TERM_BYTES = 400
# spilled runs merged into one before more than this many are open at once
_MAX_RUNS = 32


class _Postings:
    """One term's postings: docnums, weights, and values (fixed-size ones packed)."""

    __slots__ = ("docs", "weights", "values", "size")

    def __init__(self):
        self.docs = array("l")
        self.weights = array("f")
        self.values = bytearray()      # while every value has the same size ...
        self.size = None               # ... that size; a list of values otherwise

    def add(self, docnum, weight, vbytes):
        self.docs.append(docnum)
        self.weights.append(weight)
        vbytes = vbytes or b""
        if self.size is None:
            self.size = len(vbytes)
        if isinstance(self.values, bytearray) and len(vbytes) == self.size:
            self.values += vbytes
        else:
            if isinstance(self.values, bytearray):
                n = self.size
                self.values = [bytes(self.values[i:i + n]) for i in range(0, len(self.values), n)] \
                    if n else [b""] * (len(self.docs) - 1)
            self.values.append(vbytes)

    def value_list(self) -> list:
        if isinstance(self.values, list):
            return self.values
        n = self.size or 0
        if not n:
            return [b""] * len(self.docs)
        v = bytes(self.values)
        return [v[i:i + n] for i in range(0, len(v), n)]

    def sort(self):
        if any(a > b for a, b in zip(self.docs, self.docs[1:])):
            order = sorted(range(len(self.docs)), key=self.docs.__getitem__)
            values = self.value_list()
            self.docs = array("l", (self.docs[i] for i in order))
            self.weights = array("f", (self.weights[i] for i in order))
            self.values = [values[i] for i in order]

    def dump(self) -> tuple:
        return self.docs.tobytes(), self.weights.tobytes(), self.value_list()

    @staticmethod
    def items(dumped: tuple):
        docs, weights = array("l"), array("f")
        docs.frombytes(dumped[0])
        weights.frombytes(dumped[1])
        return zip(docs, weights, dumped[2])


class TermGroupingPool:
    def __init__(self, tempstore=None, segment=None, limitmb: float = 256, **_):
        self.limit = int(limitmb * 1024 * 1024)
        self.fieldnames: set[str] = set()
        self._terms: dict[tuple[str, bytes], _Postings] = {}
        self._size = 0
        self._runs: list[str] = []
        self._in_order = True

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        key = (fieldname, tbytes)
        postings = self._terms.get(key)
        if postings is None:
            postings = self._terms[key] = _Postings()
            self.fieldnames.add(fieldname)
            self._size += _TERM_BYTES
        elif self._in_order and postings.docs[-1] > docnum:
            self._in_order = False               # a merge fed an older document: sort per term
        postings.add(docnum, weight, vbytes)
        self._size += _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def _ordered(self):
        """(key, dumped postings) in key order, from memory."""
        for key in sorted(self._terms):
            postings = self._terms[key]
            if not self._in_order:
                postings.sort()
            yield key, postings.dump()

    def _write_run(self, groups) -> str:
        fd, path = tempfile.mkstemp(prefix="govsearch-pool-", suffix=".run")
        with os.fdopen(fd, "wb") as fh:
            for group in groups:
                marshal.dump(group, fh)
        return path

    @staticmethod
    def _read_run(path: str):
        with open(path, "rb") as fh:
            while True:
                try:
                    yield marshal.load(fh)
                except EOFError:
                    return

    def _merged(self):
        runs = [self._read_run(p) for p in self._runs]
        # runs were spilled in docnum order, and heapq.merge keeps equal keys
        # in run order, so each term's postings come out ascending
        return heapq.merge(*runs, key=lambda kp: kp[0])

    def _spill(self) -> None:
        self._runs.append(self._write_run(self._ordered()))
        self._terms = {}
        self._size = 0
        if len(self._runs) >= _MAX_RUNS:
            # one run from all so far; it stays first, so docnum order holds
            merged = self._write_run(self._merged())
            for path in self._runs:
                os.remove(path)
            self._runs = [merged]

    def _groups(self):
        if self._runs:
            if self._terms:
                self._spill()
            return self._merged()
        return self._ordered()

    def iter_postings(self):
        """(field, term, docnum, weight, value) in field, term, docnum order."""
        for (fieldname, tbytes), dumped in self._groups():
            for docnum, weight, vbytes in _Postings.items(dumped):
                yield fieldname, tbytes, docnum, weight, vbytes

    def iter_terms(self):
        """(field, term, docnums, weights, values) per term, in field, term order;
        a term spilled in several runs comes out once, its postings joined."""
        last_key, docs, weights, values = None, None, None, None
        for key, (dbytes, wbytes, vals) in self._groups():
            if key != last_key:
                if last_key is not None:
                    yield last_key[0], last_key[1], docs, weights, values
                last_key, docs, weights, values = key, array("l"), array("f"), []
            docs.frombytes(dbytes)
            weights.frombytes(wbytes)
            values.extend(vals)
        if last_key is not None:
            yield last_key[0], last_key[1], docs, weights, values

    def cleanup(self) -> None:
        for path in self._runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self._runs = []
        self._terms = {}


# --------------------------------------------------------------------------- writing

_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.int64)
_BYTE_TO_LENGTH[0] = 0                       # no length byte: Whoosh reads None, skipped


def _track_position(structfile) -> None:
    """Make a StructFile's tell() count bytes instead of asking the OS each time
    (the postings writer asks twice per term; that was 8% of indexing)."""
    pos = [structfile.tell()]
    write = structfile.write

    def counting_write(data, *args, **kwargs):
        pos[0] += len(data)
        return write(data, *args, **kwargs)

    structfile.write = counting_write
    structfile.tell = lambda: pos[0]


def flush_segment(writer) -> None:
    """SegmentWriter._flush_segment for a TermGroupingPool: write every term's
    postings block by block through Whoosh's postings writer."""
    writer.perdocwriter.close()
    pdr = writer.per_document_reader() if writer.codec.length_stats else None
    fw = writer.fieldwriter
    _track_position(fw._postfile)
    schema = writer.schema
    current = None
    lengths = None
    for fieldname, btext, docs, weights, values in writer.pool.iter_terms():
        if fieldname != current:
            if current is not None:
                fw.finish_field()
            fieldobj = schema[fieldname]
            fw.start_field(fieldname, fieldobj)
            current = fieldname
            lengths = None
            if pdr is not None and fieldobj.scorable and pdr.has_column(_lenfield(fieldname)):
                col = pdr.column_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                raw = np.zeros(pdr.doc_count_all(), dtype=np.uint8)
                n = min(col._count, raw.size)
                raw[:n] = np.frombuffer(col._dbfile.get(col._basepos, n), dtype=np.uint8)
                lengths = _BYTE_TO_LENGTH[raw]
        fw.start_term(btext)
        _add_postings(fw._postwriter, docs, weights, values, lengths)
        fw.finish_term()
    if current is not None:
        fw.finish_field()
    fw.close()
    if pdr is not None:
        pdr.close()


def _add_postings(pw, docs, weights, values, lengths) -> None:
    """What add_posting() per posting would leave: full blocks written, the last
    block buffered for finish_postings(), block statistics set."""
    n = len(docs)
    limit = pw._blocklimit
    doc_arr = np.frombuffer(docs, dtype=np.int64) if lengths is not None else None
    for start in range(0, n, limit):
        end = min(start + limit, n)
        pw._ids = array("I", docs[start:end])
        block_w = weights[start:end]
        pw._weights = block_w
        pw._values = [v for v in values[start:end] if v]
        pw._maxweight = max(max(block_w), 0)
        if lengths is not None:
            ls = lengths[doc_arr[start:end]]
            ls = ls[ls > 0]
            pw._minlength = int(ls.min()) if ls.size else None
            pw._maxlength = int(ls.max()) if ls.size else 0
        else:
            pw._minlength, pw._maxlength = None, 0
        if end < n:
            pw._write_block()
