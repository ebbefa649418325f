"""Facet counts over every matching paragraph, not just the page shown.

Each facet field's values are read once per index generation into a numpy
array (document number -> value ordinal), from the field's postings: one list
of documents per distinct value.  Counting a result set is then one
``bincount`` over its document numbers, however many there are.  This replaces
Whoosh's ``groupedby``, which walks the column for each query.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from indexer.metadata import gazetteer, region_order_key
from indexer.model import UNKNOWN

from .arrays import term_ordinals
from .fields import FACET_FIELDS

# facet fields in the order pages and the CLI list them
FACETS = FACET_FIELDS
# how values sort in a facet: by count, except years (newest first)
_YEAR_FIELDS = {"year"}
_NUMBER_FIELDS = {"para_no"}          # not a facet: loaded for reading order


@dataclass
class FacetColumn:
    values: list                     # ordinal -> value; 0 is "no value" ('' or None)
    ords: np.ndarray                 # docnum -> ordinal (int32)
    rank: np.ndarray | None = None   # ordinal -> its place in reading order (reading_order)

    def __post_init__(self):
        self.index = {v: i for i, v in enumerate(self.values) if i}   # value -> ordinal
        self._ranks = None
        self._numbers = None

    def numbers(self) -> np.ndarray:
        """ordinal -> the value as an integer (0 for none): a numeric label's values,
        converted once per generation rather than on every search."""
        if self._numbers is None:
            self._numbers = np.array([int(v or 0) for v in self.values], dtype=np.int64)
        return self._numbers

    def ranks(self) -> np.ndarray:
        """ordinal -> the value's place in sorted order: ties between documents break
        by the value itself, the same in any index or shard holding them."""
        if self._ranks is None:
            order = sorted(range(len(self.values)), key=lambda i: str(self.values[i] or ""))
            ranks = np.empty(len(self.values), dtype=np.int64)
            ranks[order] = np.arange(len(order))
            self._ranks = ranks
        return self._ranks


class FacetTable:
    """Per-generation facet columns for one Whoosh reader.

    The facet fields load when the table is made (every search counts them);
    ``report_id``, which only grouping by report needs and which has a value
    per report, and ``kind``, load on first use, holding ``io`` (the lock of
    the threads sharing the reader: Whoosh's files seek)."""

    def __init__(self, reader, io=None):
        self.doc_count_all = reader.doc_count_all()
        self._reader = reader
        self.io = io if io is not None else threading.RLock()
        self.columns = _LazyColumns(self)
        for field in FACETS:
            self.columns[field]

    def _load(self, reader, field: str) -> FacetColumn:
        missing = None if field in _YEAR_FIELDS | _NUMBER_FIELDS else ""
        if self.doc_count_all == 0:
            return FacetColumn([missing], np.zeros(0, dtype=np.int32))
        values, ords = term_ordinals(reader, field, missing)
        return FacetColumn(values, ords)

    def count(self, field: str, docnums: np.ndarray) -> list[tuple[object, int]]:
        """(value, count) for every value with a non-zero count among docnums."""
        col = self.columns[field]
        if docnums.size == 0:
            return []
        counts = np.bincount(col.ords[docnums], minlength=len(col.values))
        nz = np.flatnonzero(counts)
        if field in _YEAR_FIELDS:
            pairs = [(UNKNOWN if col.values[i] is None else col.values[i], int(counts[i])) for i in nz]
            return order_counts(field, pairs)          # a report of no known year: 未知
        # order_counts' order (by count, ties by value) in numpy: a region facet has
        # hundreds of values, and every search lists them
        nz = nz[np.lexsort((col.ranks()[nz], -counts[nz]))]
        values = col.values
        return [(values[i], n) for i, n in zip(nz.tolist(), counts[nz].tolist())]


def order_counts(field: str, pairs: list) -> list:
    """(value, count) pairs in the order a facet lists them: years newest first (未知
    last), other values by count, ties by value."""
    if field in _YEAR_FIELDS:
        return sorted(pairs, key=lambda p: -int(p[0]) if p[0] not in (None, "", UNKNOWN) else 0)
    return sorted(pairs, key=lambda p: (-p[1], str(p[0])))


def sum_counts(field: str, parts) -> list:
    """One facet's (value, count) lists from several shards, summed and ordered."""
    total: dict = {}
    for pairs in parts:
        for v, n in pairs:
            total[v] = total.get(v, 0) + n
    return order_counts(field, list(total.items()))


class _LazyColumns(dict):
    """field -> FacetColumn, each loaded the first time it is asked for."""

    def __init__(self, table: FacetTable):
        super().__init__()
        self._table = table

    def __missing__(self, field: str) -> FacetColumn:
        with self._table.io:
            col = self.get(field)                # another thread may have loaded it meanwhile
            if col is None:
                col = self[field] = self._table._load(self._table._reader, field)
        return col


def province_of(region: str) -> str:
    """The province a region value lies in (四川省成都市金牛区 -> 四川省), '' when none."""
    return next((p for p in sorted(gazetteer()[1], key=len, reverse=True) if str(region).startswith(p)), "")


def in_official_order(regions: list, key=lambda fv: fv.value) -> list:
    """Region or province facet values in the official GB/T 2260 order (北京, 天津, 河北 …)."""
    return sorted(regions, key=lambda fv: region_order_key(str(key(fv))))


def reading_order(table: FacetTable, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per document: its region's place in the official order, its report, its paragraph
    number; sorting by them lists regions in order and each report from ¶1 (document
    numbers follow the writer's batching, not reading order)."""
    region, para = table.columns["region"], table.columns["para_no"]
    if region.rank is None:
        order = sorted(range(len(region.values)), key=lambda i: region_order_key(str(region.values[i])))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        region.rank = rank            # set once whole: searches in other threads read it
    if para.rank is None:
        para.rank = np.array([int(v or 0) for v in para.values], dtype=np.int64)
    return (region.rank[region.ords[docs]], table.columns["report_id"].ords[docs].astype(np.int64),
            para.rank[para.ords[docs]])
