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

``add_counts`` takes a whole field of one document at once (indexer/whoosh_format.py
uses it for the word and gram fields), so those postings never become tuples.
"""

from __future__ import annotations

import heapq
import marshal
import os
import tempfile
from array import array
from typing import NamedTuple

import numpy as np

# rough bytes held in memory per posting and per distinct term
_POSTING_BYTES = 16
_TERM_BYTES = 200
# and per label value added (a few postings once its terms are known)
_LABEL_BYTES = 64
# spilled runs merged into one before more than this many are open at once
_MAX_RUNS = 32
# a spilled run's file name starts with this and the process id: a writer
# process that was killed can have its runs removed (indexer/whoosh_format.py)
POOL_PREFIX = "govsearch-pool-"
# postings handed to the block writer at a time (numpy arrays, and their Python
# lists while blocks are pickled: bounded so a big field is not all lists at once)
GROUP_POSTINGS = 1 << 20


class TermGroup(NamedTuple):
    """Consecutive terms of one field with their postings, for the block writer:
    term i's postings are docs[bounds[i]:bounds[i + 1]] (ascending) and their weights."""
    terms: list                # term bytes, ascending
    bounds: np.ndarray         # int64, len(terms) + 1
    docs: np.ndarray           # int64
    weights: np.ndarray        # float32


def _as_bytes(term) -> bytes:
    """A term as the index stores it: counted text terms are str, label terms bytes."""
    return term.encode("utf-8") if isinstance(term, str) else term


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
        """(docnums bytes, weights bytes, values list, or None when every value is empty)."""
        if not self.size and isinstance(self.values, bytearray):
            return self.docs.tobytes(), self.weights.tobytes(), None
        return self.docs.tobytes(), self.weights.tobytes(), self.value_list()

    @staticmethod
    def items(dumped: tuple):
        docs, weights = array("l"), array("f")
        docs.frombytes(dumped[0])
        weights.frombytes(dumped[1])
        values = dumped[2] if dumped[2] is not None else [b""] * len(docs)
        return zip(docs, weights, values)


class _Bulk:
    """A field whose postings arrive a document at a time and are grouped by term
    once, at the flush (numpy sorts them): subclasses say how they hold them."""

    def sorted_postings(self) -> tuple[list, np.ndarray, np.ndarray, np.ndarray] | None:
        """(terms as bytes, ascending; bounds; docnums; weights), term i's postings
        being docs[bounds[i]:bounds[i + 1]], ascending; None when empty."""
        raise NotImplementedError

    def grouped(self):
        """(term bytes, docnums, weights) in term order; docnums ascend within a term."""
        postings = self.sorted_postings()
        if postings is None:
            return
        terms, bounds, docs, weights = postings
        for i, term in enumerate(terms):
            yield term, docs[bounds[i]:bounds[i + 1]], weights[bounds[i]:bounds[i + 1]]

    def groups(self, size: int = GROUP_POSTINGS):
        """The postings in term order as TermGroups of about ``size`` postings."""
        postings = self.sorted_postings()
        if postings is not None:
            yield from _split(*postings, size)

    def to_postings(self) -> dict:
        """The same postings as a term -> _Postings dict (for a field that also
        receives single postings, which only a merge can cause)."""
        out = {}
        for term, docs, weights in self.grouped():
            p = out[term] = _Postings()                # keyed as single postings come
            p.docs.extend(docs.tolist())
            p.weights.extend(weights.tolist())
        return out


def _ranks(term_ids: dict) -> tuple[list, np.ndarray]:
    """(the terms in order, term id -> its rank in that order) for {term: id}."""
    by_rank = sorted(term_ids)
    rank = np.empty(len(by_rank), dtype=np.int64)
    rank[np.fromiter((term_ids[t] for t in by_rank), dtype=np.int64, count=len(by_rank))] = np.arange(len(by_rank))
    return by_rank, rank


class _Counted(_Bulk):
    """One counted field's postings as three parallel arrays, in arrival order
    (its terms all str, or all bytes).

    A posting costs a dictionary lookup and three C-level appends (done a
    document at a time with ``extend``); grouping by term waits for the flush,
    where numpy sorts the arrays once."""

    def __init__(self):
        self.vocab: dict[str, int] = {}
        self.tids = array("I")
        self.docs = array("l")
        self.weights = array("f")
        self._last = (None, None)       # the counts added last and their term ids

    def add(self, docnum: int, counts: dict) -> int:
        """Adds one document; returns how many terms were new."""
        vocab = self.vocab
        before = len(vocab)
        if counts is self._last[0]:     # the same counts again (a heading's units): the same ids
            tids = self._last[1]
        else:
            tids = array("I", self._term_ids(counts))
            self._last = (counts, tids)
        self.tids.extend(tids)
        self.docs.extend(array("l", (docnum,)) * len(tids))
        self.weights.extend(counts.values())
        return len(vocab) - before

    def _term_ids(self, counts: dict) -> list:
        vocab = self.vocab
        tids = list(map(vocab.get, counts))
        if None in tids:
            for i, t in enumerate(counts):
                if tids[i] is None:
                    tids[i] = vocab.setdefault(t, len(vocab))
        return tids

    def sorted_postings(self):
        if not self.vocab:
            return None
        by_rank, rank = _ranks(self.vocab)
        keys = rank[np.frombuffer(self.tids, dtype=np.uint32)]
        order = np.argsort(keys, kind="stable")       # stable: arrival (docnum) order kept
        docs = np.frombuffer(self.docs, dtype=np.int64)[order]
        weights = np.frombuffer(self.weights, dtype=np.float32)[order]
        bounds = np.concatenate(([0], np.cumsum(np.bincount(keys, minlength=len(by_rank)))))
        return [_as_bytes(t) for t in by_rank], bounds, docs, weights


class _Keyed(_Bulk):
    """One field's postings with int64 term keys whose order is the terms' byte
    order (analysis.gram_keys), a document's arrays at a time.

    No term becomes a string before the flush, and no posting costs a
    dictionary lookup: at the flush numpy sorts the keys, and the distinct keys
    are turned into their terms at once (``terms_of``)."""

    def __init__(self, terms_of):
        self.terms_of = terms_of
        self.keys: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.docnums = array("l")                     # per document added: its number ...
        self.sizes = array("l")                       # ... and how many keys it has

    def add(self, docnum: int, keys: np.ndarray, weights: np.ndarray):
        self.keys.append(keys)
        self.weights.append(weights)
        self.docnums.append(docnum)
        self.sizes.append(keys.size)

    def sorted_postings(self):
        if not self.keys:
            return None
        keys = np.concatenate(self.keys)
        order = np.argsort(keys, kind="stable")       # stable: arrival (docnum) order kept
        keys = keys[order]
        docs = np.repeat(np.frombuffer(self.docnums, dtype=np.int64),
                         np.frombuffer(self.sizes, dtype=np.int64))[order]
        weights = np.concatenate(self.weights).astype(np.float32, copy=False)[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        bounds = np.append(starts, keys.size)
        return self.terms_of(keys[starts]), bounds, docs, weights


class _Labelled(_Bulk):
    """A label field's postings as (document, value) pairs, in arrival order.

    A label (region, year, section ...) has a few terms per value and repeats on
    every unit of a report: a document costs two appends here, and each distinct
    value's terms (``terms_of(value)``: {term bytes: weight}) are worked out once,
    at the flush, where every document holding the value gets them."""

    def __init__(self, terms_of):
        self.terms_of = terms_of
        self.docs = array("l")
        self.values: list = []

    def add(self, docnum: int, value):
        self.docs.append(docnum)
        self.values.append(value)

    def sorted_postings(self):
        if not self.values:
            return None
        ordinals: dict = {}
        of_doc = np.fromiter((ordinals.setdefault(v, len(ordinals)) for v in self.values), dtype=np.int64,
                             count=len(self.values))
        term_ids: dict[bytes, int] = {}
        tids, weights, per_value = array("l"), array("f"), array("l")    # the values' terms, value after value
        for value in ordinals:                      # in ordinal order
            terms = self.terms_of(value)
            per_value.append(len(terms))
            tids.extend(term_ids.setdefault(t, len(term_ids)) for t in terms)
            weights.extend(terms.values())
        counts = np.frombuffer(per_value, dtype=np.int64)
        first = np.cumsum(counts) - counts
        n = counts[of_doc]                          # terms of each document
        # each document's value's terms: first[value] + 0, 1, ... n - 1
        at = np.repeat(first[of_doc] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        by_rank, rank = _ranks(term_ids)
        keys = rank[np.frombuffer(tids, dtype=np.int64)[at]]
        order = np.argsort(keys, kind="stable")     # stable: document order kept
        docs = np.repeat(np.frombuffer(self.docs, dtype=np.int64), n)[order]
        bounds = np.concatenate(([0], np.cumsum(np.bincount(keys, minlength=len(by_rank)))))
        return by_rank, bounds, docs, np.frombuffer(weights, dtype=np.float32)[at][order]


class TermGroupingPool:
    def __init__(self, tempstore=None, segment=None, limitmb: float = 256, **_):
        self.limit = int(limitmb * 1024 * 1024)
        self.fieldnames: set[str] = set()
        # field -> term -> postings (add), or field -> _Counted (add_counts),
        # _Keyed (add_keys) or _Labelled (add_label); counted terms are str,
        # whose order is UTF-8 byte order, as Whoosh wants
        self._fields: dict[str, dict | _Bulk] = {}
        self._size = 0
        self._runs: list[str] = []
        self._in_order = True

    def _terms_of(self, fieldname: str) -> dict:
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        elif isinstance(terms, _Bulk):
            terms = self._fields[fieldname] = terms.to_postings()
        return terms

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._terms_of(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            postings = terms[tbytes] = _Postings()
            self._size += _TERM_BYTES
        elif self._in_order and postings.docs[-1] > docnum:
            self._in_order = False               # a merge fed an older document: sort per term
        postings.add(docnum, weight, vbytes)
        self._size += _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def add_counts(self, fieldname: str, docnum: int, counts: dict) -> None:
        """One document's terms of one field, as {term: count}: the count is the
        weight, values are empty.  Documents must come in docnum order."""
        counted = self._fields.get(fieldname)
        if counted is None:
            counted = self._fields[fieldname] = _Counted()
            self.fieldnames.add(fieldname)
        elif not isinstance(counted, _Counted):       # the field already takes single postings
            for term, n in counts.items():
                self.add((fieldname, _as_bytes(term), docnum, float(n), b""))
            return
        new = counted.add(docnum, counts)
        self._size += new * _TERM_BYTES + len(counts) * _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def add_label(self, fieldname: str, docnum: int, value, terms_of) -> None:
        """One document's value of a label field, whose terms are ``terms_of(value)``
        ({term bytes: weight}; the same for the same value).  Documents must come in
        docnum order."""
        labelled = self._fields.get(fieldname)
        if labelled is None:
            labelled = self._fields[fieldname] = _Labelled(terms_of)
            self.fieldnames.add(fieldname)
        elif not isinstance(labelled, _Labelled):     # the field already takes single postings
            for term, weight in terms_of(value).items():
                self.add((fieldname, term, docnum, float(weight), b""))
            return
        labelled.add(docnum, value)
        self._size += _LABEL_BYTES
        if self._size > self.limit:
            self._spill()

    def add_keys(self, fieldname: str, docnum: int, keys: np.ndarray, weights: np.ndarray, terms_of) -> None:
        """One document's terms of one field as distinct int64 keys ordered as their
        terms (``terms_of(keys)``: their terms as bytes) and their weights; values are
        empty.  Documents must come in docnum order."""
        keyed = self._fields.get(fieldname)
        if keyed is None:
            keyed = self._fields[fieldname] = _Keyed(terms_of)
            self.fieldnames.add(fieldname)
        elif not isinstance(keyed, _Keyed):           # the field already takes single postings
            for term, weight in zip(terms_of(keys), weights.tolist()):
                self.add((fieldname, term, docnum, float(weight), b""))
            return
        keyed.add(docnum, keys, weights)
        self._size += keys.size * _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def _ordered(self):
        """((field, term bytes), dumped postings) in that order, from memory."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            if isinstance(terms, _Bulk):
                for term, docs, weights in terms.grouped():
                    yield (fieldname, term), (docs.tobytes(), weights.tobytes(), None)
                continue
            for term in sorted(terms):
                postings = terms[term]
                if not self._in_order:
                    postings.sort()
                btext = _as_bytes(term)
                yield (fieldname, btext), postings.dump()

    def _write_run(self, groups) -> str:
        fd, path = tempfile.mkstemp(prefix=f"{POOL_PREFIX}{os.getpid()}-", suffix=".run")
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
        self._fields = {}
        self._size = 0
        if len(self._runs) >= _MAX_RUNS:
            # one run from all so far; it stays first, so docnum order holds
            merged = self._write_run(self._merged())
            for path in self._runs:
                os.remove(path)
            self._runs = [merged]

    def _groups(self):
        if self._runs:
            if self._fields:
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
            n = len(docs)
            docs.frombytes(dbytes)
            weights.frombytes(wbytes)
            values.extend(vals if vals is not None else [b""] * (len(docs) - n))
        if last_key is not None:
            yield last_key[0], last_key[1], docs, weights, values

    def iter_groups(self, size: int = GROUP_POSTINGS):
        """(field, TermGroup) in field, then term order; a term spilled in several
        runs comes out once, its postings joined.  Every value must be empty (the
        schema's indexed fields are all Existence: the weight is the count)."""
        if self._runs:
            yield from _batched(self.iter_terms(), size)
            return
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            if isinstance(terms, _Bulk):
                yield from ((fieldname, group) for group in terms.groups(size))
                continue
            if not self._in_order:
                for postings in terms.values():
                    postings.sort()
            items = ((fieldname, _as_bytes(term), *terms[term].dump())
                     for term in sorted(terms))
            yield from _batched(items, size)

    def cleanup(self) -> None:
        for path in self._runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self._runs = []
        self._fields = {}


def _split(terms: list, bounds: np.ndarray, docs: np.ndarray, weights: np.ndarray, size: int):
    """TermGroups of about ``size`` postings (whole terms) from one field's sorted postings."""
    i, n = 0, len(terms)
    while i < n:
        j = int(np.searchsorted(bounds, bounds[i] + size, side="right")) - 1
        j = min(max(j, i + 1), n)
        lo, hi = int(bounds[i]), int(bounds[j])
        yield TermGroup(terms[i:j], bounds[i:j + 1] - lo, docs[lo:hi], weights[lo:hi])
        i = j


def _batched(items, size: int):
    """(field, TermGroup) from (field, term, docs, weights, values) per term in
    field, term order (docs and weights as arrays or their bytes)."""
    field, terms, docs, weights, count = None, [], [], [], 0
    for fieldname, btext, d, w, values in items:
        if values is not None and any(values):
            raise ValueError(f"{fieldname}: postings with values; the block writer writes counts only")
        if terms and (fieldname != field or count >= size):
            yield field, _group(terms, docs, weights)
            terms, docs, weights, count = [], [], [], 0
        field = fieldname
        d = np.frombuffer(d, dtype=np.int64)
        terms.append(btext)
        docs.append(d)
        weights.append(np.frombuffer(w, dtype=np.float32))
        count += d.size
    if terms:
        yield field, _group(terms, docs, weights)


def _group(terms: list, docs: list, weights: list) -> TermGroup:
    bounds = np.zeros(len(terms) + 1, dtype=np.int64)
    np.cumsum([d.size for d in docs], out=bounds[1:])
    return TermGroup(terms, bounds, np.concatenate(docs), np.concatenate(weights))
