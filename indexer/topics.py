"""How much of a paragraph is about a query's topic in meaning, not only in its words.

The lexical factors (search/ranking.py) see where and how a term is written; they
cannot see that a paragraph on 政务服务, 放管服 and 减税降费 is about 营商环境
while one that lists 营商环境 among ten tasks is not.  Judges do: they ask how
much of a paragraph is about the topic.  This module estimates that share with
word vectors.

The vectors are static: one per word of jieba's dictionary and of the seed and
provincial reports, distilled from a multilingual sentence model
(multilingual-e5-small) by embedding each word on its own, as model2vec does.
bench/topic_table.py builds them once (it needs the model; indexing and search
do not): the common direction removed, reduced to 128 dimensions by PCA, stored
as int8, with each word's weight (rare words say more: a / (a + p(word))) and
the mean and covariance of paragraph vectors over the seed and provincial
reports.

A sentence's vector is the weighted sum of its words' vectors, normalised; a
paragraph's is the mean of its sentences' vectors weighted by their length, so
that its product with the query's vector is the paragraph's mean similarity to
the topic over its text (a paragraph half about the topic scores about half).
The index keeps each unit's vector (``topic``, int8: ``paragraph_bytes``), made
a report's units at once as the writer writes them (on Ray, by the task that
cuts the report, indexer/cluster.py).  A search then needs only the
query's vector: on the genre's scale, z is how many standard deviations above
the reports' mean paragraph a unit is for this query (the covariance gives the
query's own spread), and a candidate's score counts exp(TOPIC_WEIGHT * (z -
TOPIC_CAP)), z at most TOPIC_CAP: at most 1, the same in any shard
(search/ranking.py, ``with_topic``).
"""

from __future__ import annotations

import bisect
import itertools
import re
import threading
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from .analysis import jieba_cut

TABLE_PATH = Path(__file__).with_name("topic_vectors.npz")
VECTOR_SCALE = 127       # a unit's vector (components within ±1) as int8
TABLE_DIMS = 128
TOPIC_WEIGHT = 0.35     # chosen on half A of the first and second judged sets
TOPIC_CAP = 3.0         # z above this (a paragraph wholly about the topic) gains no more
_SENTENCE = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;\n]|$)")
_WORDISH = re.compile(r"[^\W_]")


class TopicTableError(Exception):
    """The table file cannot be read (one line, in Chinese, naming it)."""


def _unreadable(path: Path) -> TopicTableError:
    return TopicTableError(f"话题向量表 {path} 读不了（不是完整的 .npz 文件，可能已损坏，或只是 Git LFS 的指针）："
                           f"用 git checkout 取回它，或用 make topic-table 重建")


class TopicTable:
    """The word vectors and the genre's paragraph statistics (bench/topic_table.py)."""

    def __init__(self, path: Path = TABLE_PATH):
        try:
            self._load(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise _unreadable(path) from None

    def _load(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as z:
            words = z["words"].tobytes().decode("utf-8").split("\n")
            self.vectors = z["vectors"]                   # int8, (words, dims)
            self.scale = z["scale"].astype(np.float32)    # per dimension: int8 -> float
            self.weights = z["weights"].astype(np.float32)
            self.mean = z["mean"].astype(np.float64)      # of paragraph vectors, genre
            self.cov = z["cov"].astype(np.float64)
            self.info = {k[5:]: str(z[k]) for k in z.files if k.startswith("info_")}
        self.words = words                                # sorted: looked up by bisection
        self.longest = max(map(len, words))
        self._rows: dict | None = None

    @property
    def rows(self) -> dict:
        """Word -> row, built on first use (by indexing: a query's few words bisect)."""
        if self._rows is None:
            self._rows = {w: i for i, w in enumerate(self.words)}
        return self._rows

    def row(self, word: str) -> int | None:
        i = bisect.bisect_left(self.words, word)
        return i if i < len(self.words) and self.words[i] == word else None

    def query_words(self, norm: str) -> list[tuple[int, int]]:
        """(row, length) of a query form's words, the longest known word first from the left.
        A query is a few words: cut without jieba, whose dictionary takes a tenth of a
        second to load, a third of a one-shot CLI query; a term that is one word (most
        are) reads as jieba reads it."""
        rows, i = [], 0
        while i < len(norm):
            for size in range(min(self.longest, len(norm) - i), 0, -1):
                r = self.row(norm[i:i + size])
                if r is not None and _WORDISH.search(norm[i:i + size]):
                    rows.append((r, size))
                    i += size
                    break
            else:
                i += 1
        return rows

    def paragraph_vectors(self, norms: list[str]) -> np.ndarray:
        """Each text's vector (paragraph_vector), (texts, dims)."""
        out = np.zeros((len(norms), self.vectors.shape[1]), np.float64)
        for i, norm in enumerate(norms):
            out[i] = self.paragraph_vector(norm)
        return out

    def paragraph_vector(self, norm: str) -> np.ndarray:
        """The mean of the text's sentences' vectors weighted by their lengths in
        characters; a sentence's vector is its known words' weighted vectors summed
        and normalised (zero where it has none)."""
        spans = [m.span() for m in _SENTENCE.finditer(norm) if m.group().strip()]
        dims = self.vectors.shape[1]
        if not spans:
            return np.zeros(dims)
        pieces = jieba_cut(norm)
        found = np.fromiter(map(self.rows.get, pieces, itertools.repeat(-1)), dtype=np.int64, count=len(pieces))
        starts = np.fromiter(itertools.accumulate(map(len, pieces), initial=0), dtype=np.int64,
                             count=len(pieces) + 1)[:-1]
        known = found >= 0
        rows = found[known]
        lengths = np.array([len(norm[a:b].strip()) for a, b in spans], dtype=np.float64)
        if not rows.size:
            return np.zeros(dims)
        sentence = np.searchsorted(np.array([e for _, e in spans]), starts[known], side="right")
        # each word to its sentence: a 0/1 matrix product sums them (np.add.at and
        # reduceat are several times slower at these sizes)
        member = np.zeros((len(spans), rows.size), np.float32)
        member[np.minimum(sentence, len(spans) - 1), np.arange(rows.size)] = 1
        sums = (member @ (self.vectors[rows] * self.weights[rows, None])).astype(np.float64) * self.scale
        size = np.linalg.norm(sums, axis=1)
        sums[size > 0] /= size[size > 0, None]
        return lengths @ sums / lengths.sum()

    def phrase_vector(self, norm: str) -> np.ndarray | None:
        """A query form's vector, or None when it holds no known word of two or more
        characters (社零 cut into 社 + 零 says nothing of its topic)."""
        found = self.query_words(norm)
        if not any(size > 1 for _r, size in found):
            return None
        rows = np.array([r for r, _size in found])
        v = (self.vectors[rows].astype(np.float32) * self.scale * self.weights[rows, None]).sum(0)
        n = np.linalg.norm(v)
        return v / n if n else None


_table: TopicTable | None = None
_lock = threading.Lock()


def table() -> TopicTable | None:
    """The process's table, loaded once; None when the file is missing (a search
    then ranks by its words alone)."""
    global _table
    if _table is None:
        with _lock:
            if _table is None and TABLE_PATH.exists():
                _table = TopicTable()
    return _table


class TopicScale:
    """A query's topic direction on the genre's scale: z of a paragraph vector p is
    p @ direction - offset."""

    def __init__(self, query_vector: np.ndarray, t: TopicTable):
        spread = float(np.sqrt(query_vector @ t.cov @ query_vector)) or 1.0
        self.direction = query_vector / spread
        self.offset = float(t.mean @ self.direction)


@lru_cache(maxsize=256)
def topic_scale(variants_per_term: tuple) -> TopicScale | None:
    """The scale for a query's terms (each a tuple of its written forms, as typed
    first, then its synonyms).  The terms as typed are read as one phrase, each word
    weighted as in a sentence (民营 经济 发展: 发展 says little); a term whose typed
    form holds no known word is read through its synonyms (社零 as
    社会消费品零售总额).  None when nothing holds a known word."""
    t = table()
    if t is None:
        return None
    parts = [t.phrase_vector(" ".join(v[0] for v in variants_per_term if v))]
    for variants in variants_per_term:
        if len(variants) > 1 and t.phrase_vector(variants[0]) is None:
            forms = [v for v in map(t.phrase_vector, variants[1:]) if v is not None]
            parts.append(np.mean(forms, axis=0) if forms else None)
    parts = [p / np.linalg.norm(p) for p in parts if p is not None and np.linalg.norm(p)]
    if not parts:
        return None
    total = np.sum(parts, axis=0)
    return TopicScale(total / np.linalg.norm(total), t) if np.linalg.norm(total) else None


def paragraph_bytes(norms: list[str]) -> list[bytes]:
    """Units' vectors as the index keeps them: TABLE_DIMS int8 each (zeros without a table)."""
    t = table()
    if t is None:
        return [bytes(TABLE_DIMS)] * len(norms)
    v = np.clip(np.round(t.paragraph_vectors(norms) * VECTOR_SCALE), -127, 127).astype(np.int8)
    return [row.tobytes() for row in v]


@lru_cache(maxsize=1)
def table_fingerprint() -> str:
    """What the index's vectors were made with (recorded by bench/topic_table.py as
    the hash of the table's arrays): an index made with another table is rebuilt."""
    if not TABLE_PATH.exists():
        return "none"
    try:
        with np.load(TABLE_PATH, allow_pickle=False) as z:
            return str(z["info_fingerprint"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        raise _unreadable(TABLE_PATH) from None


def topic_factors(vectors: np.ndarray, variants_per_term: tuple) -> np.ndarray | None:
    """exp(TOPIC_WEIGHT * (z - TOPIC_CAP)) per unit, z its similarity to the query's topic
    on the genre's scale, capped; ``vectors`` the units' int8 vectors from the index.
    None when the query has no vector (every unit alike)."""
    scale = topic_scale(variants_per_term)
    if scale is None:
        return None
    # float64: a float32 product rounds differently with the number of rows (BLAS blocks), and a
    # shard ranks a share of the rows the one index ranks: both must give each unit one score
    z = vectors.astype(np.float64) @ (scale.direction / VECTOR_SCALE) - scale.offset
    return np.exp(TOPIC_WEIGHT * (np.minimum(z, TOPIC_CAP) - TOPIC_CAP))
