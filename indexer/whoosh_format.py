"""Whoosh is govsearch's storage format; every use of its private names is here.

The index files are Whoosh's own (whoosh3, pinned in pyproject.toml; the index
records the version and another one asks for a rebuild, indexer/store.py).  The
engine reads and writes them below Whoosh's public API for speed:

* Reading (search/arrays.py): Whoosh's matchers hand out one posting per Python
  call, which costs more than everything else a search does once a word matches
  tens of thousands of paragraphs.  The same postings are stored as pickled,
  delta-coded blocks (of up to POSTINGS_BLOCK documents, as govsearch writes
  them); a whole block is decoded with C code (zlib, numpy in place where the
  block is dense, else pickle).  Columns (field lengths, the normalised text)
  are read the same way: one slice of the segment file each.
* Writing (indexer/writer.py): Whoosh's postings writer is pure Python and was
  most of the cost of indexing.  ``add_document`` hands each indexed field of
  a document to the pool as one {term: count}; ``flush_segment`` writes the
  postings in Whoosh's block format with every block's and term's statistics
  from numpy for thousands of terms at once (``_BlockWriter``), and the terms
  table without asking the file for its position.  The files are byte for
  byte what Whoosh's writer produces with the same codec (tests/test_whoosh_format.py
  compares them).
* ``ParallelWriter``: Whoosh's multi-process writer, made to fail loudly.

When whoosh3 changes version, this module and tests/test_whoosh_format.py
(which hold every function here to Whoosh's own reader and writer) are what to
check.  Everything else in govsearch uses Whoosh's public API only.
"""

from __future__ import annotations

import glob
import io
import os
import pickle
import queue
import shutil
import signal
import struct
import sys
import tempfile
import types
import zlib
from array import array
from collections.abc import Iterator
from contextlib import nullcontext
from functools import partial
from hashlib import md5
from pathlib import Path
from typing import NamedTuple

import numpy as np
from whoosh import index as whoosh_index
from whoosh import writing as whoosh_writing
from whoosh.codec.whoosh3 import COMPRESSION_MIN_SIZE, LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3Codec, _lenfield
from whoosh.index import TOC, FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.filedb.filetables import md5_hash
from whoosh.reading import TermNotFound
from whoosh.util import random_name
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .analysis import GramKeys
from .pool import POOL_PREFIX, TermGroupingPool
from .messages import describe_os_error, library_detail
from .store import CountedField

_INT = struct.Struct("!i")
# field-length byte -> the length Whoosh's scorers see (lossy, as Whoosh stores it)
BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


# ================================================================ reading

def open_reader(ix):
    """(generation, reader) of the index's latest generation, read once.

    FileIndex.reader() reads the table of contents again for every reader; the
    engine reads it once, so that its generation and its reader agree."""
    toc = TOC.read(ix.storage, ix.indexname, schema=ix.schema)
    return toc.generation, FileIndex._reader(ix.storage, toc.schema, list(toc.segments), toc.generation)


def leaf_segments(reader) -> list[tuple[object, int]]:
    """(segment reader, first document number) for each segment of a reader.

    An empty index has one EmptyReader, with no files to read."""
    return [(seg, base) for seg, base in reader.leaf_readers() if hasattr(seg, "_terms")]


def deleted_docs(seg) -> np.ndarray:
    """A segment's deleted document numbers (within the segment)."""
    if not seg.has_deletions():
        return np.zeros(0, dtype=np.int64)
    return np.fromiter(seg._perdoc.deleted_docs(), dtype=np.int64)


def term_postings(seg, fieldname: str, btexts) -> Iterator[tuple[bytes, np.ndarray]]:
    """(term, document numbers) for each of a segment's terms, looked up in one terms table."""
    terms = seg._terms
    for btext in btexts:
        ids, _w = _postings_of(terms, terms.term_info(fieldname, btext), fieldname, btext)
        yield btext, ids


def length_bytes(perdoc, fieldname: str, doc_count: int) -> np.ndarray | None:
    """Document number -> the field's length byte (0: none), from a per-document
    reader (a segment's, or a writer's own); None when no document has the field."""
    if not perdoc.has_column(_lenfield(fieldname)):
        return None
    col = perdoc.column_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    out = np.zeros(doc_count, dtype=np.uint8)
    n = min(col._count, doc_count)
    if n:
        out[:n] = np.frombuffer(col._dbfile.get(col._basepos, n), dtype=np.uint8)
    return out


def segment_length_bytes(seg, fieldname: str) -> np.ndarray | None:
    return length_bytes(seg._perdoc, fieldname, seg.doc_count_all())


def text_column(seg, fieldname: str, column) -> tuple[np.ndarray, np.ndarray, bytes] | None:
    """A CompressedTextColumn of one segment as (byte length per document, character
    length per document, the compressed text), or None when no document of the
    segment has the field."""
    if not seg._perdoc.has_column(fieldname):
        return None
    col = seg._perdoc.column_reader(fieldname, column)
    return np.frombuffer(col.lengths, dtype=np.uint32), np.frombuffer(col.chars, dtype=np.uint32), col.data


def label_column(seg, fieldname: str) -> tuple[list, np.ndarray] | None:
    """A segment's OrdinalColumn (indexer.store) as (its values, uint32 ordinal per
    document), or None when the segment has no such column (an older index)."""
    column = seg.schema[fieldname].column_type
    if column is None or not seg._perdoc.has_column(fieldname):
        return None
    col = seg._perdoc.column_reader(fieldname, column)
    if not hasattr(col, "ordinals"):
        return None
    return col.values, np.frombuffer(col.ordinals, dtype=np.uint32)


def vector_column(seg, fieldname: str) -> np.ndarray | None:
    """A segment's VectorColumn (indexer.store) as a (documents, width) int8 array, or
    None when the segment has no such column."""
    column = seg.schema[fieldname].column_type if fieldname in seg.schema else None
    if column is None or not seg._perdoc.has_column(fieldname):
        return None
    col = seg._perdoc.column_reader(fieldname, column)
    if not hasattr(col, "width"):
        return None
    return np.frombuffer(col.data, dtype=np.int8).reshape(-1, col.width)


def segment_stored_fields(seg, docnum: int) -> dict:
    """A document's stored fields from its segment's stored column (docnum within the
    segment).  Whoosh's ``reader.stored_fields`` passes every name through the schema,
    which costs about four times the read; govsearch's schema never drops a stored field."""
    return seg._perdoc.stored_fields(docnum) or {}


_ITEM_LENGTHS = struct.Struct("!ii")     # whoosh.filedb.filetables: key and value lengths before an item
_TERM_WEIGHT = struct.Struct("!f")       # W3TermInfo: a flags byte, then the term's total weight
_TERMS_READ = 1 << 20                    # bytes of the terms file read at a time


def field_term_weights(seg, fieldname: str) -> Iterator[tuple[bytes, float]]:
    """(term, total weight) of every term of a field in one segment.

    A field's terms lie together, in order, in the terms file: they are read a
    megabyte at a time and only each value's weight is unpacked, where
    ``iter_field`` reads three pieces of file and decodes a whole TermInfo per
    term (ten times slower over a vocabulary of tens of thousands)."""
    terms = seg._terms
    tindex = terms._tindex
    prefix = terms._keycoder(fieldname, b"")
    pos = tindex.closest_key_pos(prefix)
    end = tindex.endofdata
    buf, off = b"", 0
    while pos is not None and pos < end:
        if off + _ITEM_LENGTHS.size > len(buf):
            buf, off = tindex.dbfile.get(pos, min(_TERMS_READ, end - pos)), 0
        keylen, datalen = _ITEM_LENGTHS.unpack_from(buf, off)
        size = _ITEM_LENGTHS.size + keylen + datalen
        if off + size > len(buf):        # an item across the read's end: read from its start
            buf, off = tindex.dbfile.get(pos, max(size, min(_TERMS_READ, end - pos))), 0
        key = buf[off + _ITEM_LENGTHS.size:off + _ITEM_LENGTHS.size + keylen]
        if not key.startswith(prefix):
            return
        (weight,) = _TERM_WEIGHT.unpack_from(buf, off + _ITEM_LENGTHS.size + keylen + 1)
        yield key[len(prefix):], weight
        off += size
        pos += size


def word_expansions(query, reader):
    """The indexed words a Prefix or Wildcard query stands for (bytes), lazily."""
    return query._btexts(reader)


def _decode_block(data: bytes, compressed: bool, count: int):
    if compressed:
        data = zlib.decompress(data)
    dense = _dense_block(data, count)
    if dense is not None:
        return dense
    deltas, weights, _values = pickle.loads(data)
    ids = np.cumsum(np.array(deltas, dtype=np.int64))
    if weights is None:
        w = np.ones(count, dtype=np.float32)
    elif isinstance(weights, float):
        w = np.full(count, weights, dtype=np.float32)
    else:
        w = np.array(weights, dtype=np.float32)
    return ids, w


# A block's data is pickle protocol 2 of (ids, weights, None): ids a tuple of ints
# (the first a document number, then gaps), weights None (all 1), one float (all
# equal) or a tuple of floats.  Pickling makes a Python object per number, about
# 60 ns a posting, most of a broad term's decoding.  In a dense term's block every
# gap is below 256 and pickle writes it as K and one byte, and a float always as G and
# eight bytes: fixed strides numpy reads in place.  _dense_block parses exactly
# that layout, checking each opcode where the layout puts it (a stream pickle would
# read another way fails a check), and leaves any other block to pickle.
_MARK, _TUPLE, _BINPUT, _NONE = b"(tqN"
_PROTOCOL_2_MARK = b"\x80\x02("
_INT_OPS = {ord("K"): (1, False), ord("M"): (2, False), ord("J"): (4, True)}  # payload bytes, signed
_K, _G = ord("K"), ord("G")
_FLOAT = struct.Struct(">d")


def _dense_block(data: bytes, count: int):
    """(ids, weights) of a block in the dense layout, or None."""
    if count < 4 or len(data) < 8 or data[:3] != _PROTOCOL_2_MARK or data[3] not in _INT_OPS:
        return None                     # three items or fewer: pickle's TUPLEn, no MARK
    width, signed = _INT_OPS[data[3]]
    first = int.from_bytes(data[4:4 + width], "little", signed=signed)
    at = 4 + width                      # the gaps: K and one byte each
    end = at + 2 * (count - 1)
    raw = np.frombuffer(data, dtype=np.uint8)
    if end + 3 > len(data) or data[end] != _TUPLE or data[end + 1] != _BINPUT \
            or not (raw[at:end:2] == _K).all():
        return None
    gaps = np.empty(count, dtype=np.int64)
    gaps[0] = first
    gaps[1:] = raw[at + 1:end:2]
    weights = _dense_weights(data, raw, end + 3, count)
    return None if weights is None else (np.cumsum(gaps), weights)


def _dense_weights(data: bytes, raw: np.ndarray, at: int, count: int) -> np.ndarray | None:
    """The weights starting at ``at``: None (all 1), G (all one float) or a tuple of G."""
    op = data[at]
    if op == _NONE:
        return np.ones(count, dtype=np.float32)
    if op == _G and at + 9 <= len(data):
        return np.full(count, _FLOAT.unpack_from(data, at + 1)[0], dtype=np.float32)
    end = at + 1 + 9 * count
    if op != _MARK or end >= len(data) or data[end] != _TUPLE or not (raw[at + 1:end:9] == _G).all():
        return None
    return np.ndarray((count,), dtype=">f8", buffer=data, offset=at + 2, strides=(9,)).astype(np.float32)


def segment_postings(seg, fieldname: str, btext: bytes, lock=nullcontext()):
    """(ids, weights) of one segment's term, or None when the segment lacks it.

    ``lock`` (shared by the threads reading one reader: its files seek) is
    held while the term is looked up and its bytes read, not while they are
    decoded."""
    with lock:
        try:
            info = seg._terms.term_info(fieldname, btext)
        except TermNotFound:
            return None
        raw = None if info.is_inlined() else _raw_postings(seg._terms, info)
    return _decode_postings(info, raw, fieldname, btext)


def _postings_of(terms, info, fieldname: str, btext: bytes):
    """(ids, weights) of one segment's term, from its term info."""
    return _decode_postings(info, None if info.is_inlined() else _raw_postings(terms, info), fieldname, btext)


def _raw_postings(terms, info) -> bytes:
    offset, length = info.extent()
    if isinstance(length, tuple):       # whoosh3 leaves the unpacked tuple here
        length = length[0]
    return terms._postfile.get(offset, length)


def _decode_postings(info, raw: bytes | None, fieldname: str, btext: bytes):
    if raw is None:
        ids, weights, _ = info.inlined_postings()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError(f"bad postings header for {fieldname}:{btext!r}")
    buf = io.BytesIO(raw)
    pos, end = 4, len(raw)
    ids_parts, weight_parts = [], []
    while pos < end:
        blocklen = _INT.unpack_from(raw, pos)[0]
        last = blocklen < 0
        blocklen = abs(blocklen)
        buf.seek(pos + 4)
        count, _maxid, _maxw, comp, _mn, _mx = pickle.load(buf)
        datastart = buf.tell()
        nxt = pos + 4 + blocklen
        ids, w = _decode_block(raw[datastart:nxt], bool(comp), count)
        ids_parts.append(ids)
        weight_parts.append(w)
        pos = nxt
        if last:
            break
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


# ================================================================ writing: one process

# Postings a block holds.  Whoosh's codec writes 128 and its reader reads blocks of
# any size.  Here a block costs a few Python and numpy calls whatever its size
# (_dense_block), as much as decoding a couple of hundred postings one by one, so
# larger blocks decode a broad term several times faster (490k postings at 1M
# paragraphs: 74 ms in blocks of 128, 11 ms in blocks of 4096) and compress to a
# third.  An index written with other block sizes reads the same.
POSTINGS_BLOCK = 4096


def postings_codec() -> W3Codec:
    """Whoosh's codec with govsearch's block size: what every writer is made with."""
    return W3Codec(blocklimit=POSTINGS_BLOCK)


def add_document(writer, **fields) -> None:
    """SegmentWriter.add_document for govsearch's schema, every indexed field's
    terms handed to the pool as one {term: count} per field.

    Whoosh's own adds one (field, term, document, weight, value) tuple per
    posting through a tokenizer per field; here the word and gram fields are
    counted by the analyzer (CountedField), and a label field (ID, NUMERIC),
    whose values repeat on every unit of a report, hands the pool its value: the
    pool works out each distinct value's terms once, at the flush.  The stored fields, lengths and columns go to the per-document writer
    as Whoosh's do, so the files are the same (tests/test_whoosh_format.py)."""
    writer._check_state()
    pool, perdoc = writer.pool, writer.perdocwriter
    plan = _field_plan(writer)
    docnum = writer.docnum
    names = sorted(name for name in fields if not name.startswith("_"))
    if not plan.keys() >= set(names):
        writer._check_fields(writer.schema, names)         # raises UnknownFieldError
    perdoc.start_doc(docnum)
    for name in names:
        value = fields[name]
        if value is None:
            continue
        field, counted, label_terms, stored_too, scorable, column = plan[name]
        length = 0
        if counted:
            length = _add_counts(pool, name, docnum, field.counts(value), scorable)
        elif label_terms is not None:
            pool.add_label(name, docnum, value, label_terms)
        stored = fields.get("_stored_" + name, value)
        perdoc.add_field(name, field, stored if stored_too else None, length)
        if column is not None:
            # Whoosh writes a column from the stored value; a report's labels are stored
            # on its head unit only (`_stored_x=None` elsewhere), but every unit's
            # facet column needs them
            column_value = stored if stored is not None else value
            _column_writer(perdoc, name, column).add(docnum, field.to_column_value(column_value))
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


class _FieldPlan(NamedTuple):
    """What add_document does with a field, looked up once per writer."""
    field: object
    counted: bool               # a CountedField: the analyzer counts its terms
    label_terms: object         # else, when indexed: value -> {term bytes: weight}
    stored: bool
    scorable: bool
    column: object              # its column type, or None


def _field_plan(writer) -> dict[str, _FieldPlan]:
    plan = getattr(writer, "_govsearch_plan", None)
    if plan is None:
        plan = writer._govsearch_plan = {
            name: _FieldPlan(field, isinstance(field, CountedField),
                             partial(_label_terms, field, name) if field.indexed else None,
                             bool(field.stored), bool(field.scorable), field.column_type or None)
            for name, field in writer.schema.items()}
        scored_labels = [name for name, f in plan.items() if f.label_terms is not None and f.scorable
                         and not f.counted]
        if scored_labels:      # the pool keeps a label's terms, not the field lengths scoring needs
            raise ValueError(f"fields {scored_labels}: scorable fields must be counted (CountedField)")
    return plan


def _column_writer(perdoc, name: str, column):
    """The per-document writer's column writer for a field (made on first use, as
    W3PerDocWriter.add_column_value makes it)."""
    writers = perdoc._colwriters
    if name not in writers:
        perdoc._create_column(name, column)
    return writers[name]


def _add_counts(pool, name: str, docnum: int, counts, scorable: bool) -> int:
    """One field's counted terms (a dict, or GramKeys) to the pool; returns the
    field's length (its number of terms) when it is scorable, else 0."""
    if isinstance(counts, GramKeys):
        if not counts.keys.size:
            return 0
        pool.add_keys(name, docnum, counts.keys, counts.counts, counts.terms_of)
        return int(counts.counts.sum()) if scorable else 0
    if not counts:
        return 0
    pool.add_counts(name, docnum, counts)
    return int(sum(counts.values())) if scorable else 0


def _label_terms(field, name: str, value) -> dict:
    """{term bytes: weight} of a label field's value, as Whoosh's field.index gives
    them (a NUMERIC value is several terms); the pool asks once per distinct value."""
    terms: dict = {}
    for tbytes, _freq, weight, vbytes in field.index(value):
        if vbytes:
            raise ValueError(f"{name}: a posting with a value; the pool keeps counts only")
        terms[tbytes] = terms.get(tbytes, 0) + weight
    return terms


def check_schema(schema) -> None:
    """add_document writes no term vectors and no separate spelling words: a
    schema that asks for them must be written by Whoosh's own add_document."""
    for name in schema.names():
        field = schema[name]
        if field.vector or field.separate_spelling():
            raise ValueError(f"field {name}: term vectors or spelling are not written by this writer")


def flush_segment(writer) -> None:
    """SegmentWriter._flush_segment for a TermGroupingPool: every term's postings
    written as Whoosh's block writer writes them, a group of terms at a time."""
    writer.perdocwriter.close()
    pdr = writer.per_document_reader() if writer.codec.length_stats else None
    fw = writer.fieldwriter
    blocks = _BlockWriter(fw._postfile, writer.codec._blocklimit, writer.codec._compression)
    schema = writer.schema
    current = None
    lengths = None                  # document -> the field's length byte, for scorable fields
    fw._tindex._write_hashes = types.MethodType(_write_hashes, fw._tindex)
    for fieldname, group in writer.pool.iter_groups():
        if fieldname != current:
            if current is not None:
                fw.finish_field()
            fieldobj = schema[fieldname]
            fw.start_field(fieldname, fieldobj)
            current = fieldname
            lengths = length_bytes(pdr, fieldname, pdr.doc_count_all()) if pdr is not None and fieldobj.scorable \
                else None
        _add_terms(fw._tindex, pack_ushort(fw._fieldid), blocks.write_terms(group, lengths))
    if current is not None:
        fw.finish_field()
    fw.close()
    if pdr is not None:
        pdr.close()


class _BlockWriter:
    """Writes terms' postings to a segment's postings file byte for byte as
    Whoosh's W3PostingsWriter does (blocks of up to ``limit`` postings: delta-coded
    ids, weights, block statistics, pickled and compressed) and gives each term's
    W3TermInfo bytes.  Whoosh spends several Python calls per posting and a dozen
    per term on this; here the statistics of a whole group of terms come from
    numpy, which leaves a pickle call per block.  Every value is empty (Existence
    formats), as TermGroupingPool.iter_groups guarantees."""

    def __init__(self, postfile, limit: int, compression: int):
        self._postfile = postfile
        self._pos = postfile.tell()
        self._limit = limit
        self._compression = compression

    def write_terms(self, group, length_bytes) -> list[tuple[bytes, bytes]]:
        """Write each term of a TermGroup; return (term bytes, its term info bytes)
        for each.  ``length_bytes``: document -> the field's length byte (0: none), or None."""
        bounds = group.bounds
        starts, ends = _block_bounds(bounds, self._limit)
        blocks = _block_stats(starts, ends, group.docs, group.weights, length_bytes)
        first_block = np.searchsorted(starts, bounds)          # each term's first block, then the end
        chunks = self._blocks(_deltas(group.docs, starts).tolist(), group.weights.tolist(), blocks, first_block)
        # a term's bytes are its blocks' (the first with the header before it)
        sizes = np.add.reduceat(np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks)), first_block[:-1])
        offsets = self._pos + np.cumsum(sizes) - sizes
        infos = _term_infos(bounds, first_block, group, blocks, offsets, sizes)
        self._postfile.write(b"".join(chunks))        # one write a group, not one a term
        self._pos = int(offsets[-1] + sizes[-1])
        return list(zip(group.terms, infos))

    def _blocks(self, ids: list, ws: list, blocks, first_block: np.ndarray) -> list[bytes]:
        """W3PostingsWriter._write_block for every block of the group (its slice of
        ``ids`` and ``ws``): its length, negative for a term's last block, its info
        and data; a term's first block has the postings header before it.  One loop
        for all the group's blocks: most terms have one, and a call or two per term
        cost as much as the pickling."""
        heads = np.zeros(len(blocks.start), dtype=bool)
        heads[first_block[:-1]] = True
        lasts = np.zeros(len(blocks.start), dtype=bool)
        lasts[first_block[1:] - 1] = True
        compression, dumps, compress = self._compression, pickle.dumps, zlib.compress
        out = []
        for s, e, last_id, max_w, same, min_l, max_l, head, last in zip(
                blocks.start, blocks.end, blocks.last_id, blocks.max_weight, blocks.same_weight,
                blocks.min_length, blocks.max_length, heads.tolist(), lasts.tolist()):
            if same:
                mini_w = None if ws[s] == 1.0 else ws[s]
            else:
                mini_w = tuple(ws[s:e])
            data = dumps((tuple(ids[s:e]), mini_w, None), 2)
            comp = compression if len(data) >= COMPRESSION_MIN_SIZE else 0
            if comp:
                data = compress(data, comp)
            info = dumps((e - s, last_id, max_w, comp, min_l, max_l), 2)
            size = len(info) + len(data)
            out.append((WHOOSH3_HEADER_MAGIC if head else b"") + pack_int(-size if last else size) + info + data)
        return out


def _deltas(docs: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each document number less the one before it in its block (the first as it is)."""
    out = np.empty_like(docs)
    out[1:] = docs[1:] - docs[:-1]
    out[starts] = docs[starts]
    return out


def _add_terms(tindex, field_key: bytes, terms) -> None:
    """OrderedHashWriter.add for each (term, term info) of one field: the same
    entries, hashes and index, with the file position counted here rather than
    asked of the file twice per term, and the entries written at once."""
    dbfile = tindex.dbfile
    pos = dbfile.tell()
    hashfn, buckets = tindex.hashfn, tindex.buckets
    whoosh_md5 = hashfn is md5_hash                  # the terms table's: inlined below
    last = tindex.lastkey
    pack = _KEY_VALUE_LENGTHS.pack
    positions, entries = [], []
    for btext, value in terms:
        key = field_key + btext
        if key <= last:
            raise ValueError(f"Keys must increase: {last!r}..{key!r}")
        positions.append(pos)
        # md5_hash: the hex digest's number, its low 32 bits (the digest's last 4 bytes); not for
        # security, as Whoosh says too, so that a FIPS-restricted OpenSSL allows it
        h = int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big") if whoosh_md5 else hashfn(key)
        buckets[h & 255].append((h, pos))
        entry = pack(len(key), len(value)) + key + value
        entries.append(entry)
        pos += len(entry)
        last = key
    dbfile.write(b"".join(entries))
    _extend_growable(tindex.index, positions)
    tindex.lastkey = last


def _extend_growable(index, numbers: list) -> None:
    """GrowableArray.extend, which appends one number at a time; the array ends up
    with the type Whoosh's appends would give it (the type of the largest number)."""
    if not numbers:
        return
    if isinstance(index.array, array):
        try:
            index.array.extend(array(index.array.typecode, numbers))
            return
        except OverflowError:
            index._retype(max(numbers))
    index.array.extend(numbers)


_POINTER = struct.Struct("!Iq")                  # whoosh.filedb.filetables._pointer
_NULL_POINTER = _POINTER.pack(0, 0)


def _write_hashes(self) -> None:
    """HashWriter._write_hashes, writing each bucket's table at once (Whoosh writes
    one slot at a time): the same tables, slots placed by the same probing."""
    dbfile = self.dbfile
    pack = _POINTER.pack
    for entries in self.buckets:
        pos = dbfile.tell()
        numslots = 2 * len(entries)
        self.directory.append((pos, numslots))
        table = [None] * numslots
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while table[slot] is not None:
                slot = (slot + 1) % numslots
            table[slot] = (hashval, position)
        dbfile.write(b"".join([pack(*e) if e is not None else _NULL_POINTER for e in table]))


_KEY_VALUE_LENGTHS = struct.Struct("!ii")        # whoosh.filedb.filetables._lengths


def _block_bounds(bounds: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) of every block: each term's postings cut every ``limit``."""
    counts = np.diff(bounds)
    per_term = -(-counts // limit)
    first = np.concatenate(([0], np.cumsum(per_term)))
    term_of = np.repeat(np.arange(counts.size), per_term)
    starts = bounds[:-1][term_of] + (np.arange(first[-1]) - first[:-1][term_of]) * limit
    ends = np.minimum(starts + limit, bounds[1:][term_of])
    return starts, ends


class _BlockStats(NamedTuple):
    """What W3PostingsWriter records of each block, as lists (Python numbers)."""
    start: list
    end: list
    last_id: list
    max_weight: list           # floats, as the block's weights are
    same_weight: list
    min_length: list           # length bytes; 0 where no posting has a length
    max_length: list
    np_max_weight: np.ndarray
    np_min_length: np.ndarray
    np_max_length: np.ndarray


def _block_stats(starts, ends, docs, weights, length_bytes) -> _BlockStats:
    max_w = np.maximum.reduceat(weights, starts)
    same = max_w == np.minimum.reduceat(weights, starts)
    if length_bytes is None:
        min_l = max_l = np.zeros(starts.size, dtype=np.int64)
    else:
        ls = length_bytes[docs].astype(np.int64)
        min_l = np.minimum.reduceat(np.where(ls > 0, ls, 256), starts)
        min_l[min_l == 256] = 0
        max_l = np.maximum.reduceat(ls, starts)
    return _BlockStats(starts.tolist(), ends.tolist(), docs[ends - 1].tolist(),
                       np.maximum(max_w, 0).tolist(), same.tolist(), min_l.tolist(), max_l.tolist(),
                       max_w, min_l, max_l)


# W3TermInfo as the terms table holds it: flags, total weight, document frequency,
# min and max length bytes, max weight, first and last document, then the postings'
# offset and length (struct "!BfIBBfIIqi", packed: 35 bytes)
_TERM_INFO = np.dtype([("flags", "u1"), ("weight", ">f4"), ("doc_frequency", ">u4"), ("min_length", "u1"),
                       ("max_length", "u1"), ("max_weight", ">f4"), ("min_id", ">u4"), ("max_id", ">u4"),
                       ("offset", ">i8"), ("length", ">i4")])


def _term_infos(bounds, first_block, group, blocks: _BlockStats, offsets, sizes) -> list[bytes]:
    """Each term's W3TermInfo bytes, packed for all the group's terms at once."""
    heads = first_block[:-1]
    info = np.zeros(len(group.terms), dtype=_TERM_INFO)
    info["weight"] = np.add.reduceat(group.weights.astype(np.float64), bounds[:-1])   # whole counts: exact
    info["doc_frequency"] = np.diff(bounds)
    info["min_length"] = np.minimum.reduceat(blocks.np_min_length, heads)
    info["max_length"] = np.maximum.reduceat(blocks.np_max_length, heads)
    info["max_weight"] = np.maximum(np.maximum.reduceat(blocks.np_max_weight, heads), 0)
    info["min_id"] = group.docs[bounds[:-1]]
    info["max_id"] = group.docs[bounds[1:] - 1]
    info["offset"] = offsets
    info["length"] = sizes
    packed, n = info.tobytes(), _TERM_INFO.itemsize
    return [packed[i:i + n] for i in range(0, len(packed), n)]


def hook_writer(writer, pool_mb: int, in_process: bool):
    """Our pool and segment flush on one writer (and add_document when its
    documents are added in this process rather than handed to children)."""
    check_schema(writer.schema)
    if in_process:
        writer.add_document = types.MethodType(add_document, writer)
    # the writer's own segment (and any merge it does at commit) goes the same way
    writer.pool = TermGroupingPool(limitmb=pool_mb)
    writer._flush_segment = types.MethodType(flush_segment, writer)
    writer._commit_toc = types.MethodType(commit_toc, writer)


def commit_toc(writer, segments) -> None:
    """SegmentWriter._commit_toc listing only the segments that hold a live document.

    A merge of segments whose documents are all deleted (MERGE_SMALL after a run
    removed the small reports of earlier runs, OPTIMIZE after everything was
    removed) gives a new segment of no documents, which earlier versions listed
    and their readers could not open; a run that removes a segment's last report
    leaves it listed with nothing to search.  Left out here, their files go with
    every other unlisted file (whoosh.index.clean_files)."""
    SegmentWriter._commit_toc(writer, [seg for seg in segments if seg.doc_count()])


def _hook_this_process():
    """In a forked writer child only: every SegmentWriter takes our pool and
    writes it block by block."""
    whoosh_writing.PostingPool = TermGroupingPool
    whoosh_writing.SegmentWriter.add_document = add_document
    whoosh_writing.SegmentWriter._flush_segment = flush_segment


def remove_uncommitted(data_dir: Path):
    """Segment and temporary files a failed commit left in a live data folder
    (only a process holding the write lock may call this)."""
    try:
        ix = whoosh_index.open_dir(str(data_dir))
        whoosh_index.clean_files(ix.storage, ix.indexname, ix.latest_generation(), ix._segments())
    except Exception:  # noqa: BLE001 - best effort: the commit already failed
        pass
    for tmp in data_dir.glob("*.tmp"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


# ================================================================ writing: processes
# Whoosh's MpWriter hands batches of documents to child processes and, at
# commit, adds whatever segments the children hand back.  A child that died
# (killed, out of memory, disk full, a value it could not write) hands back
# nothing, the commit goes ahead without its documents and the run reports
# success: those documents are silently lost.  Here every child must answer,
# with its segment or with one line saying why it failed, and a child that
# dies or fails makes the commit fail before the new generation is written,
# so the previous one stays.  Its children never outlive the parent either.

# how often the parent looks at its children while it waits on a queue (seconds)
_POLL = 0.5


class WriterFailed(Exception):
    """A writer process died or failed: the message says which and why, in one line."""


def describe_failure(e: BaseException) -> str:
    """An exception as the one line a person needs: what ran out, or what broke."""
    if isinstance(e, OSError):
        return describe_os_error(e)
    if isinstance(e, MemoryError):
        return "内存不足"
    return "写入出错" + library_detail(e)


def _die_with_parent(parent: int):
    """In a writer child: be killed when the parent dies (Linux), so a SIGKILLed
    run leaves no orphan holding the index's locks."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                      # the parent died before prctl took
        os._exit(1)


class _ChildTask(SubWriterTask):
    def __init__(self, *args):
        super().__init__(*args)
        self._parent = os.getpid()

    def run(self):
        _die_with_parent(self._parent)
        _hook_this_process()
        try:
            super().run()
        except BaseException as e:  # noqa: BLE001 - one line to the parent, no traceback on the terminal
            self.resultqueue.put(("failed", describe_failure(e), os.getpid()))
            sys.exit(1)


def _exit_reason(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name
        hint = "（内存不足，或被人手动结束？）" if -code == signal.SIGKILL else ""
        return f"被信号 {name} 结束了{hint}"
    return f"意外退出（退出码 {code}）"


class ParallelWriter(MpWriter):
    """MpWriter (multisegment) whose children must all hand back their documents."""

    # a job of at least this many batches is handed out even in the middle of a group
    MAX_BATCHES_A_JOB = 4

    def __init__(self, ix, starts_group=None, **kwargs):
        if not kwargs.get("multisegment"):
            raise ValueError("ParallelWriter writes one segment per process: pass multisegment=True")
        super().__init__(ix, **kwargs)
        self._answers: list = []
        self._starts_group = starts_group

    # ---- handing out work

    def add_document(self, **fields):
        """MpWriter.add_document, a job ending where a group of documents starts
        (``starts_group(fields)``: a report's first unit) once it holds ``batchsize``
        documents: a report's units go to one writer process, so the terms only that
        report uses are written in one segment, not in each.  (10k bench units: the
        word and gram terms the processes write, 150,694 -> 135,067; 96,120 distinct.)"""
        if not self._grouping and len(self.docbuffer) >= self.batchsize and (
                self._starts_group is None or self._starts_group(fields)
                or len(self.docbuffer) >= self.MAX_BATCHES_A_JOB * self.batchsize):
            self._enqueue()
        self.docbuffer.append((0, fields))
        self._added_sub = True

    def _new_task(self):
        # each child its own job queue: the parent hands each job to the child given the
        # fewest bytes of documents so far.  Children that take jobs off one queue as they
        # come free (Whoosh's way) split them unevenly when they are quicker than the
        # parent makes documents (10k bench units: 4,536 and 5,225), and the child with
        # more then writes its segment alone while a core waits
        jobs = self._mpctx.Queue(4)
        task = _ChildTask(self.storage, self.indexname, jobs, self.resultqueue, self.subargs, self.multisegment)
        task.jobs, task.given = jobs, 0
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, pickle.HIGHEST_PROTOCOL)      # the child reads any protocol
            size = f.tell()
        task = self._new_task() if len(self.tasks) < self.procs else min(self.tasks, key=lambda t: t.given)
        task.given += size
        self._put(task.jobs, (filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, jobs, job):
        """Queue a job for a child; a queue that stays full because its reader
        died is a failure, not a hang."""
        while True:
            self._check_children()
            try:
                jobs.put(job, timeout=_POLL)
                return
            except queue.Full:
                pass

    # ---- hearing back

    def _receive(self, timeout: float) -> bool:
        """Take one answer off the result queue (False when none came in time);
        a child's failure raises WriterFailed with its own words."""
        try:
            answer = self.resultqueue.get(timeout=timeout)
        except queue.Empty:
            return False
        if answer[0] == "failed":
            raise WriterFailed(f"写索引的子进程 {answer[2]} 出错：{answer[1]}")
        self._answers.append(answer)
        return True

    def _check_children(self):
        for task in self.tasks:
            code = task.exitcode
            if code not in (None, 0):
                while self._receive(timeout=1.0):       # its last words, if it had time for them
                    pass
                raise WriterFailed(f"写索引的子进程 {task.pid} {_exit_reason(code)}")

    def _results(self) -> list:
        """Every child's (run, fieldnames, segment), or WriterFailed."""
        while len(self._answers) < len(self.tasks):
            if self._receive(timeout=_POLL):
                continue
            self._check_children()
            if all(t.exitcode is not None for t in self.tasks) and not self._receive(timeout=2.0):
                raise WriterFailed(f"有 {len(self.tasks) - len(self._answers)} 个写索引的子进程"
                                   f"没有交回写好的内容就结束了")
        for task in self.tasks:
            task.join()
        self._check_children()
        return self._answers

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for task in self.tasks:
            self._put(task.jobs, None)                 # finish up
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        finalsegments += [segment for _run, _fields, segment in self._results()]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    # ---- giving up

    def cancel(self):
        """Stop the children for good (Whoosh's cancel only flags its own copy of
        them) and leave nothing of theirs behind but what the caller cleans."""
        for task in self.tasks:
            if task.is_alive():
                task.kill()
        for task in self.tasks:
            task.join(timeout=10)
            _remove_pool_runs(task.pid)
        for q in [self.jobqueue, self.resultqueue] + [task.jobs for task in self.tasks]:
            q.cancel_join_thread()             # never wait at exit to feed a dead reader
            q.close()
        try:
            SegmentWriter.cancel(self)
        except Exception:  # noqa: BLE001 - already failing: the first error is the one to report
            self._cleanup_on_error()


def _remove_pool_runs(pid: int | None):
    """A killed child's spilled posting runs (indexer/pool.py names them by process)."""
    if pid is None:
        return
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{POOL_PREFIX}{pid}-*")):
        try:
            os.remove(path)
        except OSError:
            pass
