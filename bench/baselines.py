"""The two references govsearch is measured against, on the same corpus in the same run.

* naive: the textbook recipe: jieba's ChineseAnalyzer in a default Whoosh
  schema, QueryParser, ``groupedby`` facets (region, year), Whoosh highlights.
* fts5: SQLite FTS5 (stdlib) over jieba-segmented text: query + snippet, the
  speed reference for a C engine.
* fts5+facets: the same, and what a facet costs there: a ``GROUP BY`` count over
  every match for each facet column it has (region, province, year, type), as
  govsearch counts its facets over every match.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

import jieba
from jieba.analyse import ChineseAnalyzer
from whoosh import index as whoosh_index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import QueryParser


def dir_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, f))
            except OSError:
                pass
    return total


# ------------------------------------------------------------------ naive Whoosh

class Naive:
    name = "naive"

    def __init__(self, folder: Path):
        self.folder = folder

    def ingest(self, texts, meta) -> float:
        schema = Schema(id=ID(stored=True), region=ID(stored=True), year=ID(stored=True),
                        type=ID(stored=True), text=TEXT(stored=True, analyzer=ChineseAnalyzer()))
        self.folder.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(self.folder), schema)
        t0 = time.perf_counter()
        w = ix.writer()
        for i, (text, (region, year, rtype, *_rest)) in enumerate(zip(texts, meta)):
            w.add_document(id=str(i), region=region, year=str(year), type=rtype, text=text)
        w.commit()
        self.ix = ix
        self.searcher = ix.searcher()
        self.qp = QueryParser("text", schema)
        return time.perf_counter() - t0

    def facet_ms(self, q: str) -> float:
        """What groupedby facets (region, year) add to a search: with minus without."""
        s = self.searcher
        parsed = self.qp.parse(q)
        t0 = time.perf_counter()
        s.search(parsed, limit=10)
        t1 = time.perf_counter()
        r = s.search(parsed, limit=10, groupedby=["region", "year"])
        r.groups("region")
        r.groups("year")
        t2 = time.perf_counter()
        return max(0.0, (t2 - t1) - (t1 - t0)) * 1000

    def query(self, q: str, page: int = 1):
        s = self.searcher
        parsed = self.qp.parse(q)
        r = s.search_page(parsed, page, pagelen=10, groupedby=["region", "year"])
        out = [hit.highlights("text") for hit in r]
        r.results.groups("region")
        r.results.groups("year")
        return len(r), out


# ------------------------------------------------------------------ SQLite FTS5

class Fts5:
    name = "fts5"

    def __init__(self, path: Path):
        self.path = path
        self.tok = jieba.Tokenizer()
        self.tok.initialize()

    def _seg(self, text: str) -> str:
        return " ".join(w for w in self.tok.cut(text, HMM=False) if w.strip())

    def ingest(self, texts, meta) -> float:
        if self.path.exists():
            self.path.unlink()
        con = sqlite3.connect(str(self.path), check_same_thread=False)
        con.execute("CREATE VIRTUAL TABLE p USING fts5(text, region UNINDEXED, year UNINDEXED, "
                    "type UNINDEXED, province UNINDEXED, tokenize='unicode61')")
        t0 = time.perf_counter()
        con.executemany("INSERT INTO p(text, region, year, type, province) VALUES (?, ?, ?, ?, ?)",
                        ((self._seg(t), m[0], m[1], m[2], m[3]) for t, m in zip(texts, meta)))
        con.commit()
        self.con = con
        return time.perf_counter() - t0

    def _match(self, q: str) -> tuple[str, str, list]:
        where, args = [], []
        parts = []
        for m in re.finditer(r'"([^"]+)"|(\S+)', q):
            if m.group(1):
                parts.append('"' + self._seg(m.group(1)).replace('"', "") + '"')
                continue
            w = m.group(2)
            if w in ("OR", "NOT", "AND"):
                parts.append(w)
            elif w.startswith("year:"):
                lo, _, hi = w[5:].partition("..")
                where.append("year BETWEEN ? AND ?")
                args += [int(lo), int(hi or lo)]
            elif w.startswith("type:"):
                where.append("type = ?")
                args.append(w[5:])
            elif w.startswith("-"):
                parts.append("NOT " + " ".join(f'"{t}"' for t in self._seg(w[1:]).split()))
            else:
                parts.append(" ".join(f'"{t}"' for t in self._seg(w).split()))
        return " ".join(parts), (" AND " + " AND ".join(where)) if where else "", args

    def query(self, q: str, page: int = 1):
        match, where, args = self._match(q)
        rows = self.con.execute(
            f"SELECT snippet(p, 0, '<mark>', '</mark>', '…', 24) FROM p WHERE p MATCH ?{where} "
            f"ORDER BY rank LIMIT 10 OFFSET ?", [match] + args + [(page - 1) * 10]).fetchall()
        return len(rows), rows


class Fts5Facets(Fts5):
    """FTS5 answering as a faceted search page does: the page of hits, and each
    facet column counted over every match (one GROUP BY per facet)."""

    name = "fts5+facets"
    FACETS = ("region", "province", "year", "type")

    def query(self, q: str, page: int = 1):
        n, rows = super().query(q, page)
        match, where, args = self._match(q)
        facets = {col: self.con.execute(f"SELECT {col}, count(*) FROM p WHERE p MATCH ?{where} GROUP BY {col}",
                                        [match] + args).fetchall()
                  for col in self.FACETS}
        return n, rows, facets
