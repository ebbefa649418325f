"""rjieba cuts exactly as jieba does, with our dictionary, on everything we index.

The analyzer cuts with rjieba (jieba-rs) for speed; jieba's precise mode
without HMM defines what the tokens must be.  If these ever differ, index and
query would still agree with each other, but not with jieba's semantics that
the project promises, so this is checked on every unit of the real corpora
(both as indexed and as written).  The one difference known is a float tie on
long runs of one repeated character (below).
"""

from __future__ import annotations

import pytest

from indexer.analysis import _Jieba, jieba_cut, normalize
from indexer.reports import build_report
from indexer.sources import find_files, load_catalog, read_file

from .conftest import SEEDS

EDGE_CASES = [
    "", " ", "　", "\n", "。。。", "2024年GDP增长5.2%，c++ a-b a_b #1 &x 3.14.15",
    "成渝地区双城经济圈建设", "新质生产力", "規上工業", "abc def", "ｅｍｏｊｉ😀表情",
    "生僻字𠀀𪚥测试", "X亿元（%）", "——", "“稳进增效”", "1234567890abcdefghijklmnopqrstuvwxyz",
    "的的的的", "一二三四五六七八九十百千万亿", "哈哈哈哈", "发展发展发展",
]


def test_known_difference_float_ties_in_repeated_characters():
    """Where two cuts score the same up to float rounding (a character
    repeated many times), jieba and jieba-rs may pick differently.  Index and
    query both cut with rjieba, so they still agree; recorded here so a change
    in either library shows up."""
    norm = "高高高高高"
    assert jieba_cut(norm) == ["高高", "高高", "高"]
    assert list(_Jieba.get().cut(norm, HMM=False)) == ["高", "高高", "高高"]


def _units(paths):
    files, _ = find_files([str(p) for p in paths])
    for f in files:
        for _source, doc in read_file(f, load_catalog(f.path.parent)):
            for p in build_report(doc, f.key).paragraphs:
                yield p.text


@pytest.mark.parametrize("text", EDGE_CASES)
def test_rjieba_equals_jieba_on_edge_cases(text):
    norm = normalize(text)
    assert jieba_cut(norm) == list(_Jieba.get().cut(norm, HMM=False))


def test_rjieba_equals_jieba_on_every_unit(provinces_dir):
    tok = _Jieba.get()
    units = list(_units([SEEDS, provinces_dir]))
    assert len(units) > 3000
    for text in units:
        for variant in (normalize(text), text):   # what we index, and raw text too
            assert jieba_cut(variant) == list(tok.cut(variant, HMM=False)), variant[:80]


def test_word_counts_equal_the_analyzer_tokens(provinces_dir):
    """The indexer's counted fast path gives exactly the terms of the analyzer
    stored in the schema (index mode: words plus their dictionary sub-words)."""
    from collections import Counter

    from indexer.analysis import WordTokenizer, gram_counts, word_counts, GramTokenizer

    words, grams = WordTokenizer(), GramTokenizer()
    for text in list(_units([SEEDS, provinces_dir])) + EDGE_CASES:
        norm = normalize(text)
        assert word_counts(norm) == Counter(t.text for t in words(text, mode="index")), text[:80]
        assert gram_counts(norm) == Counter(t.text for t in grams(text, mode="index")), text[:80]


def test_gram_keys_are_the_gram_counts_in_term_order(provinces_dir):
    """The indexer's numpy grams: each key stands for a gram of gram_counts, with its
    count, and the keys ascend as the grams' UTF-8 bytes (the terms table's order),
    on every unit and on characters outside the BMP, lone surrogates and underscores."""
    from indexer.analysis import GramKeys, gram_counts, gram_keys, gram_of_key

    for text in list(_units([SEEDS, provinces_dir])) + EDGE_CASES + ["\ud800甲乙", "a_b_c", "𠀀𠀁x𠀀"]:
        norm = normalize(text)
        got = gram_keys(norm)
        grams = [gram_of_key(k) for k in got.keys.tolist()]
        assert dict(zip(grams, got.counts.tolist())) == gram_counts(norm), text[:80]
        assert [g.encode("utf-8", "surrogatepass") for g in grams] == \
            sorted(g.encode("utf-8", "surrogatepass") for g in grams)
        assert GramKeys.terms_of(got.keys) == [g.encode("utf-8") for g in grams], text[:80]


def test_dictionary_lookups_equal_jiebas():
    """Sub-words and the character table read jieba's dictionary without loading jieba's
    tokenizer: has_word is a word of FREQ (not a prefix), char_frequencies its one-character words."""
    from indexer.analysis import char_frequencies

    freq = _Jieba.get().FREQ
    fast = _Jieba.fast()
    assert all(fast.has_word(w) == bool(n) for w, n in freq.items())
    singles = {w: n for w, n in freq.items() if len(w) == 1 and n}
    # if this fails after a jieba upgrade: python -c "from indexer.analysis import write_char_table as w; w()"
    assert char_frequencies() == singles and len(singles) > 10000


def test_normalize_and_text_diff_equal_their_definitions(provinces_dir):
    """normalize (the table as an array for long texts) is str.translate with the
    table; text_diff is the JSON of each run of changed characters, and apply_diff
    turns the normalised text back into the text, on every unit and odd characters."""
    import json

    from indexer.analysis import _TABLE, apply_diff, text_diff

    def runs_by_hand(text, norm):
        runs, start = [], None
        for i, (a, b) in enumerate(zip(text + "\0", norm + "\0")):
            if a != b and start is None:
                start = i
            elif a == b and start is not None:
                runs.append([start, text[start:i]])
                start = None
        return json.dumps(runs, ensure_ascii=False, separators=(",", ":")) if runs else ""

    odd = ["ＡＢ\"\\\n“引号”\t", "x\ud800Ａ" * 30, "𠀀ＡＢＣ發展" * 20, "A" * 47, "A" * 48,
           "發展Ａ" * 2000]                                  # too long to be remembered
    for text in list(_units([SEEDS, provinces_dir])) + EDGE_CASES + odd:
        norm = normalize(text)
        assert norm == text.translate(_TABLE) == normalize(text), text[:80]
        assert text_diff(text, norm) == runs_by_hand(text, norm), text[:80]
        assert apply_diff(norm, text_diff(text, norm)) == text
