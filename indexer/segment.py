"""How govsearch's writer processes add documents and write segments.

Two replacements for per-posting Python in Whoosh's SegmentWriter, installed
by indexer/writer.py on its writers (and in its forked writer processes):

* ``add_document``: the word and gram fields (CountedField) hand one
  document's {term: count} to the pool in one call; every other field takes
  Whoosh's own path.
* ``flush_segment``: each term's postings go to Whoosh's own block writer
  (W3PostingsWriter._write_block) 128 at a time, with block statistics from
  numpy, instead of one ``add_posting`` call per posting.

The files are Whoosh's format, byte for byte what its own writer produces
(tests/test_arrays.py writes the seeds both ways and compares).
"""

from __future__ import annotations

from array import array

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from .store import CountedField

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
