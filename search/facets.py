"""Facet counts over every matching paragraph, not just the page shown.

Each facet field's values are read once per index generation into a numpy
array (document number -> value ordinal); counting a result set is then one
``bincount`` over its document numbers, however many there are.  This replaces
Whoosh's ``groupedby``, which walks the column for each query.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from indexer.store import FACET_FIELDS

# facet fields in the order pages and the CLI list them
FACETS = FACET_FIELDS
# how values sort in a facet: by count, except years (newest first)
_YEAR_FIELDS = {"year"}


@dataclass
class FacetColumn:
    values: list                     # ordinal -> value
    ords: np.ndarray                 # docnum -> ordinal (int32)


class FacetTable:
    """Per-generation facet columns for one Whoosh reader."""

    def __init__(self, reader):
        self.doc_count_all = reader.doc_count_all()
        self.columns: dict[str, FacetColumn] = {}
        for field in FACETS + ("report_id",):
            self.columns[field] = self._load(reader, field)

    def _load(self, reader, field: str) -> FacetColumn:
        n = self.doc_count_all
        values: list = []
        index: dict = {}
        ords = np.zeros(n, dtype=np.int32)
        if n == 0:
            return FacetColumn(values, ords)      # an empty index has no columns
        col = reader.column_reader(field)
        for docnum in range(n):
            v = col[docnum]
            if isinstance(v, bytes):
                v = v.decode("utf-8")
            o = index.get(v)
            if o is None:
                o = index[v] = len(values)
                values.append(v)
            ords[docnum] = o
        return FacetColumn(values, ords)

    def count(self, field: str, docnums: np.ndarray) -> list[tuple[object, int]]:
        """(value, count) for every value with a non-zero count among docnums."""
        col = self.columns[field]
        if docnums.size == 0:
            return []
        counts = np.bincount(col.ords[docnums], minlength=len(col.values))
        nz = np.nonzero(counts)[0]
        pairs = [(col.values[i], int(counts[i])) for i in nz]
        if field in _YEAR_FIELDS:
            pairs.sort(key=lambda p: -int(p[0] or 0))
        else:
            pairs.sort(key=lambda p: (-p[1], str(p[0])))
        return pairs
