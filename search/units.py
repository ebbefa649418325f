"""A unit's stored fields made whole again, for hits and the report page.

The index stores each unit lean (indexer/writer.py): report-level fields only
on the report's head unit, and the text once, normalised, in the ``norm``
column, with a diff back to the original characters.  This puts them back
together: one dict per unit with every field a hit or a report page shows.
"""

from __future__ import annotations

import json
import threading

import numpy as np

from indexer.analysis import apply_diff
from indexer.store import HEAD_ONLY_FIELDS


class UnitStore:
    """Per index generation, shared by threads: each read of the searcher holds the
    arrays' ``io`` lock (Whoosh's files seek)."""

    def __init__(self, arrays):
        self.arrays = arrays
        self._heads: dict[str, dict] = {}
        self._lock = threading.Lock()

    def _stored(self, searcher, docnum: int) -> dict:
        with self.arrays.io:
            return dict(searcher.stored_fields(docnum))

    def fields(self, searcher, docnum: int) -> dict:
        f = self._stored(searcher, docnum)
        head = self.head(searcher, f.get("report_id", ""))
        for name in HEAD_ONLY_FIELDS:
            if name not in f:
                f[name] = head.get(name, "")
        f["script"] = head["script"]
        f["text"] = apply_diff(self.arrays.text(docnum), f.pop("orig", ""))
        return f

    def section_start(self, searcher, docnum: int, fields: dict, chars: int = 120) -> str:
        """The opening of the section under a heading: the units after it in its
        report, up to ``chars`` characters ("" when the heading ends its report)."""
        pieces, size = [], 0
        for nxt in self._after(fields):
            if size >= chars:
                break
            f = self._stored(searcher, nxt)
            text = apply_diff(self.arrays.text(nxt), f.get("orig", ""))
            pieces.append(text)
            size += len(text)
        opening = " ".join(pieces)
        return opening if len(opening) <= chars else opening[:chars] + "…"

    def _after(self, fields: dict) -> list[int]:
        """The report's units after this one, in paragraph order (document numbers follow
        the writer, which may interleave reports)."""
        docs, _w, _df = self.arrays.postings("report_id", fields.get("report_id", ""))
        docs = docs[self.arrays.live[docs]]            # postings keep deleted units
        para = self.arrays.facets.columns["para_no"]
        paras = np.array([int(para.values[o] or 0) for o in para.ords[docs].tolist()], dtype=np.int64)
        order = np.argsort(paras, kind="stable")
        later = paras[order] > int(fields.get("para_no") or 0)
        return docs[order][later].tolist()

    def all(self, searcher) -> list[dict]:
        """Every live unit, in document order."""
        return [self.fields(searcher, int(d)) for d in self.arrays.all_docs]

    def head(self, searcher, report_id: str) -> dict:
        """A report's head-only fields (title, region, year …), read once per report."""
        head = self._heads.get(report_id)
        if head is None:
            docs, _w, _df = self.arrays.postings("report_id", report_id)
            heads, _w, _df = self.arrays.postings("head", "1")
            both = np.intersect1d(docs, heads, assume_unique=True)
            stored = self._stored(searcher, int(both[0])) if both.size else {}
            head = {name: stored.get(name, "") for name in HEAD_ONLY_FIELDS}
            # 繁 for a report in Traditional characters: pages mark its text lang="zh-Hant"
            head["script"] = json.loads(stored.get("report") or "{}").get("script", "简")
            with self._lock:
                self._heads[report_id] = head
        return head
