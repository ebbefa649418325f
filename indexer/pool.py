"""A posting pool that groups postings by term as they arrive.

Whoosh's writer collects every posting as a (field, term, docnum, weight,
value) tuple, sorts all of them, and spills sorted runs to disk one marshal
call per posting.  Documents arrive in docnum order, so grouping by term keeps
each term's postings already sorted: only the distinct terms need sorting, and
a spilled run is one marshal call per term.  On our corpora that is most of the
indexing time Whoosh spends outside the postings writer.

Drop-in for ``whoosh.writing.PostingPool`` (``add``, ``iter_postings``,
``fieldnames``, ``cleanup``); memory stays bounded by spilling runs to the
writer's temporary storage.
"""

from __future__ import annotations

import heapq
import marshal
import os
import tempfile

# rough bytes held per posting and per term in memory (tuples, list slots, keys)
_POSTING_BYTES = 90
_TERM_BYTES = 200


class TermGroupingPool:
    def __init__(self, tempstore=None, segment=None, limitmb: int = 256, **_):
        self.limit = limitmb * 1024 * 1024
        self.fieldnames: set[str] = set()
        self._terms: dict[tuple[str, bytes], list] = {}
        self._size = 0
        self._runs: list[str] = []
        self._sorted = True

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        key = (fieldname, tbytes)
        postings = self._terms.get(key)
        if postings is None:
            postings = self._terms[key] = []
            self.fieldnames.add(fieldname)
            self._size += _TERM_BYTES
        elif self._sorted and postings[-1][0] > docnum:
            self._sorted = False                 # a merge fed an older document: sort per term
        postings.append((docnum, weight, vbytes))
        self._size += _POSTING_BYTES
        if self._size > self.limit:
            self._spill()

    def _ordered(self):
        for key in sorted(self._terms):
            postings = self._terms[key]
            if not self._sorted:
                postings.sort(key=lambda p: p[0])
            yield key, postings

    def _spill(self) -> None:
        fd, path = tempfile.mkstemp(prefix="govsearch-pool-", suffix=".run")
        with os.fdopen(fd, "wb") as fh:
            for key, postings in self._ordered():
                marshal.dump((key, postings), fh)
        self._runs.append(path)
        self._terms = {}
        self._size = 0

    @staticmethod
    def _read_run(path: str):
        with open(path, "rb") as fh:
            while True:
                try:
                    yield marshal.load(fh)
                except EOFError:
                    return

    def iter_postings(self):
        """(field, term, docnum, weight, value) in field, term, docnum order."""
        if self._runs:
            if self._terms:
                self._spill()
            runs = [self._read_run(p) for p in self._runs]
            # runs were spilled in docnum order, and heapq.merge keeps equal keys
            # in run order, so each term's postings come out ascending
            groups = heapq.merge(*runs, key=lambda kp: kp[0])
        else:
            groups = self._ordered()
        for (fieldname, tbytes), postings in groups:
            for docnum, weight, vbytes in postings:
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self) -> None:
        for path in self._runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self._runs = []
        self._terms = {}
