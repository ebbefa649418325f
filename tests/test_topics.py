"""The topic factor (indexer/topics.py): what its table holds, how a unit's vector is
made and kept in the index, how the ranking reads it, and that it sees what judges
see, with the judges' verdicts as the oracle."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from indexer.analysis import cut, jieba_cut, normalize
from indexer import topics as semantic
from search.query import parse_query


@pytest.fixture(scope="module")
def table():
    t = semantic.table()
    assert t is not None, f"{semantic.TABLE_PATH} is missing: python -m bench.topic_table builds it"
    return t


@pytest.fixture(scope="module")
def paragraphs(corpus_units) -> list[str]:
    return [u["norm"] for u in corpus_units if u.get("kind") == "paragraph"]


def test_the_table_says_what_it_was_made_from_and_holds_the_reports_words(table, paragraphs):
    """Its model and size are recorded beside the vectors; every word of the seed and
    provincial reports but numbers has a vector (bench/topic_table.py takes them all)."""
    assert "e5" in table.info["model"]
    assert int(table.info["dims"]) == table.vectors.shape[1] and table.vectors.dtype == np.int8
    assert int(table.info["words"]) == len(table.rows) == table.vectors.shape[0] == table.weights.size
    words = [w for text in paragraphs for w in cut(text) if not re.fullmatch(r"[\d.%％]+", w)]
    missing = [w for w in words if w not in table.rows]
    assert len(missing) / len(words) < 0.005, missing[:20]


def plain_paragraph_vector(table, norm: str) -> np.ndarray:
    """The definition, one sentence at a time: a sentence's words' weighted vectors summed
    and normalised; the sentences' mean weighted by their lengths."""
    total, length = np.zeros(table.vectors.shape[1]), 0
    for sentence in re.split(r"(?<=[。！？；!?;\n])", norm):
        if not sentence.strip():
            continue
        v = np.zeros(table.vectors.shape[1])
        for w in jieba_cut(sentence):
            if w in table.rows:
                r = table.rows[w]
                v += table.vectors[r].astype(np.float64) * table.scale * float(table.weights[r])
        if np.linalg.norm(v):
            v /= np.linalg.norm(v)
        total += len(sentence.strip()) * v
        length += len(sentence.strip())
    return total / length if length else total


def test_a_paragraph_vector_is_the_mean_of_its_sentences(table, paragraphs):
    """The vectorised reading gives the definition's vector on 300 report paragraphs."""
    sample = paragraphs[::max(1, len(paragraphs) // 300)]
    assert sum(1 for p in sample if len(re.findall("[。；]", p)) > 2) > 100
    for text in sample:
        # jieba never joins across punctuation: a sentence cut alone cuts as in its paragraph
        got = table.paragraph_vector(text)
        assert np.allclose(got, plain_paragraph_vector(table, text), atol=1e-6), text[:40]
        assert np.linalg.norm(got) <= 1 + 1e-6


def test_the_index_keeps_each_units_vector(table, corpus_engine):
    """Every unit's vector in the index is its text's, as the definition gives it, in
    int8 (within one step of rounding)."""
    ia = corpus_engine.snapshot().arrays
    docs = ia.all_docs[::10]
    stored = ia.topic_vectors(docs)
    assert stored.shape == (docs.size, semantic.TABLE_DIMS) and stored.dtype == np.int8
    for d, v in zip(docs.tolist(), stored):
        want = plain_paragraph_vector(table, ia.text(d)) * semantic.VECTOR_SCALE
        assert np.abs(v - want).max() <= 0.5 + 1e-6, ia.text(d)[:40]
    assert (np.abs(ia.topic_vectors(ia.all_docs)).sum(axis=1) > 0).mean() > 0.99


def test_the_factor_is_at_most_one_and_follows_z(table, corpus_engine, paragraphs):
    """exp(TOPIC_WEIGHT * (z - TOPIC_CAP)) with z capped: never above 1, so the ranking's
    early stop stays exact; z is the unit's similarity on the genre's scale, which over
    the reports has mean 0 and deviation 1 for any query (its definition)."""
    ia = corpus_engine.snapshot().arrays
    terms = parse_query("营商环境").terms
    key = tuple(tuple(t.variants) for t in terms)
    scale = semantic.topic_scale(key)
    vectors = ia.topic_vectors(ia.all_docs)
    factors = semantic.topic_factors(vectors, key)
    z = vectors.astype(np.float64) / semantic.VECTOR_SCALE @ scale.direction - scale.offset
    want = np.exp(semantic.TOPIC_WEIGHT * (np.minimum(z, semantic.TOPIC_CAP) - semantic.TOPIC_CAP))
    assert np.allclose(factors, want, rtol=1e-5) and factors.max() <= 1.0 and factors.min() > 0
    assert (z > semantic.TOPIC_CAP).any()                 # the cap is reached: some units are wholly about it
    zs = np.array([table.paragraph_vector(t) @ scale.direction - scale.offset for t in paragraphs])
    assert abs(zs.mean()) < 0.15 and 0.8 < zs.std() < 1.2


def test_a_query_is_read_through_its_synonyms_and_a_formless_one_is_not_guessed(table):
    """社零 alone is 社 + 零, which says nothing: no vector, every paragraph's factor 1.
    Through its synonym group (社会消费品零售总额) it has one."""
    assert table.phrase_vector(normalize("社零")) is None
    assert semantic.topic_scale(((normalize("社零"),),)) is None
    assert semantic.topic_factors(np.ones((3, semantic.TABLE_DIMS), np.int8), ((normalize("社零"),),)) is None
    terms = parse_query("社零").terms
    assert any(len(v) > 4 for t in terms for v in t.variants), "the synonym group of 社零 is gone"
    assert semantic.topic_scale(tuple(tuple(t.variants) for t in terms)) is not None


def test_judged_relevant_paragraphs_are_nearer_their_topic(table, corpus_units):
    """The oracle is the judges: over the three judged sets (each verdict the majority of
    three), the paragraphs judged about the query have a higher mean z than those judged
    not in far more queries than chance would give (half): a sign test over the queries
    with three or more of each, at p < 0.001."""
    from bench.eval_ranking import HELD_OUT, SECOND_SET, load_judges, majority, three_judges, unit_key

    gold = majority(*load_judges())
    for path in (SECOND_SET, HELD_OUT):
        gold.update(three_judges(path)[0])
    text_of = {unit_key(u["text"]): u["norm"] for u in corpus_units}
    higher, counted = 0, 0
    for query, verdicts in gold.items():
        scale = semantic.topic_scale(tuple(tuple(t.variants) for t in parse_query(query).terms))
        if scale is None:
            continue
        z = {v: [table.paragraph_vector(text_of[k]) @ scale.direction for k, x in verdicts.items()
                 if x == v and k in text_of] for v in (0, 1)}
        if min(len(z[0]), len(z[1])) < 3:
            continue
        counted += 1
        higher += np.mean(z[1]) > np.mean(z[0])
    chance = sum(math.comb(counted, i) for i in range(higher, counted + 1)) / 2 ** counted
    assert counted >= 40 and chance < 0.001, (higher, counted, chance)


def test_an_index_made_with_another_table_is_rebuilt(seeds_copy, tmp_path):
    """The index records its table's fingerprint: one made with another table is stale
    (its units' vectors would not be this table's), and the refusal says so in Chinese."""
    import json

    from indexer.store import META_NAME, IndexStore
    from indexer.writer import index_paths

    folder = tmp_path / "ix"
    assert not index_paths(str(folder), [str(seeds_copy)]).failed
    store = IndexStore(folder)
    assert store.read_meta()["topic_table"] == semantic.table_fingerprint() != "none"
    assert store.version_problem() is None
    meta_file = store.current_dir() / META_NAME
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["topic_table"] = "0123456789abcdef"
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    problem = store.version_problem()
    assert problem and "话题向量表" in problem and "--rebuild" in problem
    from click.testing import CliRunner

    from cli.main import cli

    rebuilt = CliRunner().invoke(cli, ["index", str(seeds_copy), "--index", str(folder), "--rebuild-if-stale"])
    assert rebuilt.exit_code == 0 and "用另一版话题向量表建的：正在重建" in rebuilt.stderr
    assert store.version_problem() is None


def test_an_unreadable_table_is_one_chinese_line_naming_it(tmp_path):
    """A table file that is not the .npz it should be (a Git LFS pointer, a cut download)
    is refused in one Chinese line that names it and says how to get it back."""
    pointer = tmp_path / "topic_vectors.npz"
    pointer.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 19334434\n")
    cut = tmp_path / "cut.npz"
    cut.write_bytes(semantic.TABLE_PATH.read_bytes()[:100_000])
    for path in (pointer, cut, tmp_path / "missing.npz"):
        with pytest.raises(semantic.TopicTableError) as e:
            semantic.TopicTable(path)
        message = str(e.value)
        assert str(path) in message and "话题向量表" in message and "make topic-table" in message
        assert "\n" not in message and "Error" not in message


def test_vectors_survive_a_second_segment(seeds_copy, provinces_dir, tmp_path):
    """Reports added by a later run go into another segment: every unit's vector is still
    its text's (read per segment, looked up by document number), and the first segment's
    vectors are not read again for the new generation."""
    from indexer.writer import index_paths
    from search.engine import Engine

    from indexer.whoosh_format import leaf_segments

    folder = tmp_path / "ix"
    assert not index_paths(str(folder), [str(seeds_copy)]).failed
    engine = Engine(str(folder))
    first = engine.snapshot().arrays
    first.topic_vectors(first.all_docs[:1])
    kept = dict(engine._vector_cache)                     # the seeds' segment, as read
    assert not index_paths(str(folder), [str(provinces_dir)]).failed
    ia = engine.snapshot().arrays
    assert ia is not first and len(leaf_segments(ia.reader)) >= 2
    want = semantic.paragraph_bytes([ia.text(d) for d in ia.all_docs.tolist()])
    stored = ia.topic_vectors(ia.all_docs)
    assert [v.tobytes() for v in stored] == want
    # the next generation reads only the new segment: the seeds' array is the one kept
    assert any(engine._vector_cache.get(key) is array for key, array in kept.items())


def test_vectors_counted_on_ray_are_taken_only_when_counted_alike(seeds_copy):
    """A Ray build task cuts each unit once for its words and its vector (indexer/cluster.py);
    the shard's writer takes them as they are, unless they were counted with another
    analyzer, dictionary or table (another node's checkout): then it counts them itself."""
    from indexer.analysis import word_counts
    from indexer.cluster import build_batch
    from indexer.store import Precounted
    from indexer.writer import IndexRun, plan_sources, unit_documents

    plan = plan_sources([str(seeds_copy)], {}, True, IndexRun())
    built = build_batch(list(enumerate(plan.pending)), plan)
    report = next(r for _i, r, _problem in built if r is not None and len(r.paragraphs) > 20)
    for p in report.paragraphs:            # what the task made is what the writer would make
        norm = normalize(p.text)
        assert p.text.counts["topic"] == semantic.paragraph_bytes([norm])[0]
        assert p.text.counts["words"] == word_counts(norm)
    marker = bytes(range(semantic.TABLE_DIMS))
    first = report.paragraphs[0]
    first.text.counts["topic"] = marker    # taken as it is: the writer did not make its own
    assert next(unit_documents(report, "now"))["topic"] == marker
    report.counted_with = ("another analyzer", "another dictionary", "another table")
    docs = list(unit_documents(report, "now"))
    assert docs[0]["topic"] == semantic.paragraph_bytes([normalize(first.text)])[0]
    assert not any(isinstance(d["text"], Precounted) for d in docs)
