"""Whoosh is govsearch's storage format; every use of its private names is here.

The index files are Whoosh's own (whoosh3, pinned in pyproject.toml; the index
records the version and another one asks for a rebuild, indexer/store.py).  The
engine reads and writes them below Whoosh's public API for speed:

* Reading (search/arrays.py): Whoosh's matchers hand out one posting per Python
  call, which costs more than everything else a search does once a word matches
  tens of thousands of paragraphs.  The same postings are stored as pickled,
  delta-coded blocks of up to 128 documents; decoding a whole block with C code
  (pickle, zlib, numpy) costs about what one Python call per posting does for
  two or three postings.  Columns (field lengths, the normalised text) are read
  the same way: one slice of the segment file each.
* Writing (indexer/writer.py): Whoosh's postings writer is pure Python and was
  most of the cost of indexing.  ``add_document`` hands one document's
  {term: count} for the word and gram fields to the pool in one call;
  ``flush_segment`` writes each term's postings 128 at a time through Whoosh's
  own block writer, with block statistics from numpy.  The files are byte for
  byte what Whoosh's writer produces (tests/test_whoosh_format.py).
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
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import writing as whoosh_writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.index import TOC, FileIndex
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import TermNotFound
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .pool import POOL_PREFIX, TermGroupingPool
from .store import CountedField, describe_os_error

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


def text_column(seg, fieldname: str, column) -> tuple[np.ndarray, np.ndarray | None, bytes] | None:
    """A CompressedTextColumn of one segment as (byte length per document, character
    length per document or None, the compressed text), or None when no document of
    the segment has the field."""
    if not seg._perdoc.has_column(fieldname):
        return None
    col = seg._perdoc.column_reader(fieldname, column)
    chars = None if col.chars is None else np.frombuffer(col.chars, dtype=np.uint32)
    return np.frombuffer(col.lengths, dtype=np.uint32), chars, col._dbfile.get(col._basepos, col._datalen)


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
    deltas, weights, _values = pickle.loads(data)
    ids = np.cumsum(np.array(deltas, dtype=np.int64))
    if weights is None:
        w = np.ones(count, dtype=np.float32)
    elif isinstance(weights, float):
        w = np.full(count, weights, dtype=np.float32)
    else:
        w = np.array(weights, dtype=np.float32)
    return ids, w


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

_WHOOSH_ADD_DOCUMENT = SegmentWriter.add_document


def add_document(writer, **fields) -> None:
    """SegmentWriter.add_document, with counted fields added in bulk."""
    schema = writer.schema
    counted = {}
    for name in list(fields):
        if not name.startswith("_") and isinstance(schema[name], CountedField):
            counted[name] = fields.pop(name)
    docnum = writer.docnum
    _WHOOSH_ADD_DOCUMENT(writer, **fields)
    # Whoosh writes a column from the stored value; a report's labels are stored
    # on its head unit only (`_stored_x=None` elsewhere), but every unit's facet
    # column needs them.  The per-doc writer still points at this document.
    for name, value in fields.items():
        if value is not None and name[:8] != "_stored_" and fields.get("_stored_" + name, value) is None:
            field = schema[name]
            if field.column_type:
                writer.perdocwriter.add_column_value(name, field.column_type, field.to_column_value(value))
    for name, value in counted.items():
        if value is None:
            continue
        field = schema[name]
        counts = field.counts(value)
        if not counts:
            continue
        writer.pool.add_counts(name, docnum, counts)
        if field.scorable:
            # the length Whoosh would have recorded in the loop above (the sum of
            # frequencies); the per-doc writer still points at this document
            writer.perdocwriter.add_field(name, field, None, sum(counts.values()))


_INT_LENGTH = BYTE_TO_LENGTH.astype(np.int64)
_INT_LENGTH[0] = 0                           # no length byte: Whoosh reads None, skipped


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
            raw = length_bytes(pdr, fieldname, pdr.doc_count_all()) if pdr is not None and fieldobj.scorable \
                else None
            if raw is not None:
                lengths = _INT_LENGTH[raw]
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


def hook_writer(writer, pool_mb: int, in_process: bool):
    """Our pool and segment flush on one writer (and add_document when its
    documents are added in this process rather than handed to children)."""
    if in_process:
        writer.add_document = types.MethodType(add_document, writer)
    # the writer's own segment (and any merge it does at commit) goes the same way
    writer.pool = TermGroupingPool(limitmb=pool_mb)
    writer._flush_segment = types.MethodType(flush_segment, writer)


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
        return "out of memory"
    return f"{type(e).__name__}: {e}"


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
        hint = " (out of memory, or killed by hand)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"


class ParallelWriter(MpWriter):
    """MpWriter (multisegment) whose children must all hand back their documents."""

    def __init__(self, ix, **kwargs):
        if not kwargs.get("multisegment"):
            raise ValueError("ParallelWriter writes one segment per process: pass multisegment=True")
        super().__init__(ix, **kwargs)
        self._answers: list = []

    def _new_task(self):
        task = _ChildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    # ---- handing out work

    def _enqueue(self):
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job):
        """Queue a job for the children; a queue that stays full because its
        readers died is a failure, not a hang."""
        while True:
            self._check_children()
            try:
                self.jobqueue.put(job, timeout=_POLL)
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
            raise WriterFailed(f"writer process {answer[2]} failed: {answer[1]}")
        self._answers.append(answer)
        return True

    def _check_children(self):
        for task in self.tasks:
            code = task.exitcode
            if code not in (None, 0):
                while self._receive(timeout=1.0):       # its last words, if it had time for them
                    pass
                raise WriterFailed(f"writer process {task.pid} {_exit_reason(code)}")

    def _results(self) -> list:
        """Every child's (run, fieldnames, segment), or WriterFailed."""
        while len(self._answers) < len(self.tasks):
            if self._receive(timeout=_POLL):
                continue
            self._check_children()
            if all(t.exitcode is not None for t in self.tasks) and not self._receive(timeout=2.0):
                raise WriterFailed(f"{len(self.tasks) - len(self._answers)} writer process(es) ended "
                                   f"without handing back their documents")
        for task in self.tasks:
            task.join()
        self._check_children()
        return self._answers

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)                            # finish up
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
        for q in (self.jobqueue, self.resultqueue):
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
