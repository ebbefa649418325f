"""Collection statistics: what BM25F needs beyond one document, as a value that sums.

A score depends on three numbers outside the document it scores: how many
documents the collection holds (N), how many of them hold the term (df) and
the average field length (avgfl = total field length / N).  One index reads
them from its own files (``LocalStats``); a sharded index gathers them from
every shard before it scores (``CollectionStats``, summed over the shards,
as Elasticsearch's dfs_query_then_fetch does), so that each shard scores its
documents exactly as the one index holding them all would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from whoosh import query as Q

from indexer.analysis import phrase_grams

SCORED_FIELDS = ("text",)
LENGTH_FIELDS = ("text",)              # fields whose average length scores a term


def idf(doc_count: int, df: int) -> float:
    """Whoosh's BM25F idf."""
    return float(np.log(max(doc_count, 1) / (df + 1)) + 1)


@dataclass
class CollectionStats:
    """N, total field lengths and the document frequencies of some terms; summable."""
    doc_count: int = 0
    field_lengths: dict = field(default_factory=dict)     # field -> total length
    df: dict = field(default_factory=dict)                # (field, text) -> documents holding it

    def __add__(self, other: "CollectionStats") -> "CollectionStats":
        lengths = dict(self.field_lengths)
        for f, n in other.field_lengths.items():
            lengths[f] = lengths.get(f, 0) + n
        df = dict(self.df)
        for k, n in other.df.items():
            df[k] = df.get(k, 0) + n
        return CollectionStats(self.doc_count + other.doc_count, lengths, df)

    @classmethod
    def total(cls, parts) -> "CollectionStats":
        out = cls()
        for p in parts:
            out = out + p
        return out

    def doc_frequency(self, field: str, text: str) -> int:
        return self.df[(field, text)]

    def idf(self, df: int) -> float:
        return idf(self.doc_count, df)

    def avgfl(self, field: str) -> float:
        return (self.field_lengths.get(field, 0) / (self.doc_count or 1)) or 1.0


class LocalStats:
    """The statistics of one index, read from it as they are needed."""

    def __init__(self, ia):
        self.ia = ia
        self.doc_count = ia.doc_count_all

    def doc_frequency(self, field: str, text: str) -> int:
        return self.ia.doc_frequency(field, text)

    def idf(self, df: int) -> float:
        return idf(self.doc_count, df)

    def avgfl(self, field: str) -> float:
        return self.ia.avgfl(field)


def scored_keys(query) -> list[tuple[str, str]]:
    """Every (field, term) whose document frequency a score of this query reads:
    scored words and grams, and every gram of a phrase (its idf is its rarest gram's)."""
    keys: list[tuple[str, str]] = []
    for leaf in query.leaves() if query.is_leaf() is False else [query]:
        keys.extend(_leaf_keys(leaf))
    return list(dict.fromkeys(keys))


def _leaf_keys(leaf) -> list[tuple[str, str]]:
    from .query import LabelFilter, Phrase

    if isinstance(leaf, Phrase):
        return [("grams", g) for g in phrase_grams(leaf.text)]
    if isinstance(leaf, LabelFilter) or not isinstance(leaf, Q.Term):
        return []
    if leaf.fieldname in SCORED_FIELDS + ("grams",):
        return [(leaf.fieldname, leaf.text)]
    return []


def shard_stats(ia, keys) -> CollectionStats:
    """One index's share of the collection statistics for these terms."""
    lengths = {f: int(ia.reader.field_length(f)) for f in LENGTH_FIELDS}
    return CollectionStats(ia.doc_count_all, lengths, {(f, t): int(ia.doc_frequency(f, t)) for f, t in keys})
