"""The one analyzer: how report text and query text become index terms.

Both the indexer and the query parser import from here, and the Whoosh schema
stores these tokenizers, so index and query always segment identically.

Two steps, in this order:

1. ``normalize`` maps every character to exactly one character: Traditional to
   Simplified (OpenCC's character table), full-width ASCII to half-width, ASCII
   to lower case, every kind of white space to a plain space, dash variants to
   one dash.  Because the mapping is one-to-one, an offset into the normalised
   text is the same offset into the displayed original; that is what lets a
   highlight found in Simplified land on the right Traditional characters.
   (OpenCC's phrase tables are not used here: they can change a string's length
   and they convert a character differently depending on its neighbours, which
   would make a quoted query and the text it was copied from disagree.)

2. Two token streams over the normalised text:
   * ``WordTokenizer``: jieba's precise cut (HMM off, so an unknown string is
     cut the same way wherever it stands) with our policy-term dictionary, plus,
     at the same position, the dictionary words inside each long word, as
     jieba's own search mode does, so ``双城经济圈`` finds ``成渝地区双城经济圈``.
   * ``GramTokenizer``: every letter, digit or Chinese character on its own,
     and every pair of neighbouring ones (pairs with punctuation or spaces add
     little and cost a posting each).  The index keeps which paragraphs hold
     each gram and how often, not where: a search string is looked up as the
     paragraphs holding all of its pairs (or, for a string with no pair, all
     of its characters), then confirmed as a substring of each one's
     normalised text (a column of the index), which is Ctrl-F semantics,
     whatever jieba does.  A one- or two-character string is one gram, so its
     postings are the exact answer, with no text to scan.

``word_counts`` and ``gram_counts`` give the same terms as the tokenizers,
counted, for the indexer's fast path (no Token object per term); the indexer
takes the grams as ``gram_keys``, the same counts with a number for each gram.

Change anything here that alters tokens and bump ``ANALYZER_VERSION``: an index
built with another version refuses to open until it is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections import Counter
from itertools import chain
from functools import lru_cache
from json.encoder import encode_basestring
from pathlib import Path
from typing import NamedTuple

import numpy as np
from whoosh.analysis import Token, Tokenizer

ANALYZER_VERSION = "6"

_HERE = Path(__file__).resolve().parent
POLICY_TERMS = _HERE / "policy_terms.txt"


# --------------------------------------------------------------------------
# normalisation


# Hong Kong and Taiwan variant forms OpenCC folds to its standard Traditional before
# converting (衞 → 衛 → 卫, 痺 → 痹), except those Simplified writing itself uses: 著 is
# 显著's own character (folding it would merge 显著 with 显着 in every Simplified text),
# 抬 and 么 are Simplified already, and 顎 → 腭 is another word than 颚
VARIANT_FILES = ("HKVariantsRev.txt", "TWVariantsRev.txt")
VARIANTS_SIMPLIFIED_USES = set("著抬么顎")


def _opencc_t2s_table() -> dict[int, str]:
    """OpenCC's Traditional→Simplified character table, first choice of each, with the
    Hong Kong and Taiwan variant forms folded the same way."""
    import opencc  # the package ships its dictionaries as text files

    folder = Path(opencc.__file__).resolve().parent / "dictionary"
    t2s = _single_characters(folder / "TSCharacters.txt")
    table = {ord(src): dst for src, dst in t2s.items() if src != dst}
    for name in VARIANT_FILES:
        for src, standard in _single_characters(folder / name).items():
            dst = t2s.get(standard, standard)
            if src != dst and src not in VARIANTS_SIMPLIFIED_USES and ord(src) not in table:
                table[ord(src)] = dst
    return table


def _single_characters(path: Path) -> dict[str, str]:
    """An OpenCC dictionary's one-character entries: source -> its first choice."""
    pairs: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and len(parts[0]) == 1 and len(parts[1].split(" ")[0]) == 1:
                pairs.setdefault(parts[0], parts[1].split(" ")[0])
    return pairs


def _build_table() -> dict[int, str]:
    table = _opencc_t2s_table()
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII block
        table[cp] = chr(cp - 0xFEE0)
    for cp in range(ord("A"), ord("Z") + 1):
        table[cp] = chr(cp + 32)
    for cp in range(0xFF21, 0xFF3B):  # full-width capitals: straight to lower case
        table[cp] = chr(cp - 0xFEE0 + 32)
    for ch in "\u3000\t\n\r\x0b\x0c\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005" \
              "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f":
        table[ord(ch)] = " "
    for ch in "\u2015\u2500\u2501\u2e3a\ufe58":  # ―, box-drawing and other long dashes
        table[ord(ch)] = "\u2014"
    for ch in "\u30fb\u2027\uff65":  # katakana/hyphenation middle dots
        table[ord(ch)] = "\u00b7"
    table[0x3002] = "\u3002"
    table[0xFF61] = "\u3002"  # halfwidth ideographic full stop
    return table


_TABLE = _build_table()


_T2S_ONLY = _opencc_t2s_table()


def to_simplified(text: str) -> str:
    """Traditional characters to Simplified, nothing else: for labels (sections, regions)."""
    return text.translate(_T2S_ONLY)


def code_points(text: str) -> np.ndarray:
    """The text's characters as uint32 code points (a lone surrogate too)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _from_code_points(cp: np.ndarray) -> str:
    return cp.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


_TABLE_ARRAY = None            # code point -> its normalised code point (_TABLE as an array)
# below this many characters str.translate is quicker than the table's arrays
_ARRAY_MIN_CHARS = 48


def _table_array() -> np.ndarray:
    global _TABLE_ARRAY
    if _TABLE_ARRAY is None:
        table = np.arange(0x110000, dtype=np.uint32)
        table[np.fromiter(_TABLE, dtype=np.int64)] = np.fromiter(map(ord, _TABLE.values()), dtype=np.uint32)
        _TABLE_ARRAY = table
    return _TABLE_ARRAY


# normalised texts remembered, and the longest remembered: an index run normalises a
# report's lines in each stage (chrome, debris, boilerplate keys, rejoining,
# indicators, the writer), a stage over all of a report's lines at a time, so a
# report's few hundred lines must fit (16 kept a third of the calls from being
# repeated, 512 two thirds); a long text is not kept (memory stays bounded)
_REMEMBERED = 512
_REMEMBERED_MAX_CHARS = 4000


def normalize(text: str) -> str:
    """Map text to its matching form, one character for one character.

    Remembered for the last few hundred texts (see _REMEMBERED).  A paragraph
    goes through the table as an array (str.translate looks each character up
    in a dict: several times slower)."""
    if len(text) > _REMEMBERED_MAX_CHARS:
        return _normalized(text)
    return _remembered(text)


def _normalized(text: str) -> str:
    if len(text) < _ARRAY_MIN_CHARS:
        return text.translate(_TABLE)
    return _from_code_points(_table_array()[code_points(text)])


_remembered = lru_cache(maxsize=_REMEMBERED)(_normalized)


def text_diff(text: str, norm: str) -> str:
    """What ``apply_diff`` needs to get ``text`` back from its normalised form.

    The index stores a unit's text once, normalised (it is what phrases are
    matched against); the characters normalisation changed (Traditional, full
    width, capitals) are kept here as JSON runs [[offset, "chars"], ...], or
    "" when there are none, which is most units of a Simplified report."""
    if text == norm:
        return ""
    changed = np.concatenate(([False], code_points(text) != code_points(norm), [False]))
    edges = np.flatnonzero(changed[1:] != changed[:-1]).tolist()      # each run's start, then end
    # the JSON of [[offset, "chars"], ...] as json.dumps(ensure_ascii=False, compact) writes it
    return "[" + ",".join([f"[{start},{encode_basestring(text[start:end])}]"
                           for start, end in zip(edges[0::2], edges[1::2])]) + "]"


def apply_diff(norm: str, diff: str) -> str:
    """The original text from its normalised form and ``text_diff``."""
    if not diff:
        return norm
    parts, pos = [], 0
    for start, chars in json.loads(diff):
        parts.append(norm[pos:start])
        parts.append(chars)
        pos = start + len(chars)
    parts.append(norm[pos:])
    return "".join(parts)


# the CJK unified ideographs OpenCC converts to another character
_TRADITIONAL = re.compile("[" + "".join(chr(cp) for cp in sorted(_TABLE) if 0x4E00 <= cp <= 0x9FFF) + "]")


def is_traditional(text: str, threshold: int = 3) -> bool:
    """True when the text has at least ``threshold`` characters OpenCC converts."""
    for count, _ in enumerate(_TRADITIONAL.finditer(text), 1):
        if count >= threshold:
            return True
    return False


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2FA1F \
        or 0xF900 <= cp <= 0xFAFF



# --------------------------------------------------------------------------
# jieba


class _Jieba:
    """The segmenter of the process, with our policy terms loaded.

    Cutting runs in rjieba (jieba-rs), whose bundled dictionary is jieba's own
    dict.txt, with the policy terms added as jieba's load_userdict adds them:
    the same DAG and route as jieba's precise mode without HMM, about seven
    times faster, and ready in a third of a second where jieba's Python
    tokenizer takes one to three (a fixed cost of every index run).
    tests/test_analysis.py holds the two to identical cuts on every unit of the
    seed and provincial reports and on edge cases, and the dictionary lookups
    (``has_word``) to jieba's ``FREQ``.  ``get()`` is jieba's Python tokenizer,
    for those tests.
    """

    _lock = threading.Lock()
    _tok = None
    _fast = None

    @classmethod
    def get(cls):
        if cls._tok is None:
            with cls._lock:
                if cls._tok is None:
                    import logging

                    import jieba

                    jieba.setLogLevel(logging.WARNING)
                    tok = jieba.Tokenizer()
                    cache = os.environ.get("GOVSEARCH_JIEBA_CACHE")
                    if cache:
                        tok.tmp_dir = cache
                    tok.initialize()
                    tok.load_userdict(str(POLICY_TERMS))
                    cls._tok = tok
        return cls._tok

    @classmethod
    def fast(cls):
        """rjieba with jieba's dictionary and our policy terms."""
        if cls._fast is None:
            with cls._lock:
                if cls._fast is None:
                    import rjieba

                    # rjieba builds its default segmenter on import (jieba's dictionary);
                    # ours is that one with the policy terms: building a second costs as much again
                    fast = rjieba._DEFAULT_JIEBA
                    for word, freq, tag in policy_terms():
                        fast.add_word(word, freq, tag)
                    cls._fast = fast
        return cls._fast


def policy_terms() -> list[tuple[str, int | None, str | None]]:
    """(word, frequency or None, tag or None) per line of policy_terms.txt, as jieba reads a user dictionary."""
    out = []
    for line in POLICY_TERMS.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or line.startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, tag))
    return out


CHAR_TABLE = _HERE / "char_freq.txt"


@lru_cache(maxsize=1)
def char_frequencies() -> dict[str, int]:
    """Single character -> its count in jieba's dictionary (its one-character words,
    and the policy terms'): how ordinary a character is, for telling encodings apart.

    Read from char_freq.txt, jieba's dict.txt (5 MB) cut down to its one-character
    lines by ``write_char_table``: loading it costs milliseconds, reading dict.txt
    most of a second of every index run.  tests/test_analysis.py holds it to
    jieba's FREQ (pinned jieba: it changes only with jieba)."""
    freq = {}
    for line in CHAR_TABLE.read_text(encoding="utf-8").splitlines():
        ch, _, n = line.partition(" ")
        freq[ch] = int(n)
    for word, n, _tag in policy_terms():
        if len(word) == 1 and n:
            freq[word] = n
    return freq


def write_char_table():
    """Regenerate char_freq.txt from the installed jieba's dict.txt."""
    import jieba

    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        pairs = re.findall(r"^(\S) (\d+)", fh.read(), re.M)
    CHAR_TABLE.write_text("".join(f"{ch} {n}\n" for ch, n in pairs), encoding="utf-8")


def jieba_cut(norm_text: str) -> list[str]:
    """jieba's precise cut without HMM, every piece (punctuation and spaces too)."""
    return _Jieba.fast().cut(norm_text, False)


def dictionary_fingerprint() -> str:
    """Hash of what decides segmentation: jieba's and rjieba's versions and our term list."""
    from importlib.metadata import version

    h = hashlib.sha256()
    h.update(version("jieba").encode())
    h.update(version("rjieba").encode())
    h.update(POLICY_TERMS.read_bytes())
    return h.hexdigest()[:16]


# a piece of the cut is a word when it has a letter, digit or Chinese character
# (``[^\W_]`` is exactly str.isalnum, which every CJK ideograph satisfies)
_WORDISH = re.compile(r"[^\W_]")


def cut(norm_text: str) -> list[str]:
    """jieba's precise cut of normalised text, punctuation and spaces dropped."""
    return [w for w in jieba_cut(norm_text) if _WORDISH.search(w)]


@lru_cache(maxsize=200_000)
def subwords(word: str) -> tuple[tuple[str, int], ...]:
    """(dictionary word, offset) for every dictionary word strictly inside a word
    of three or more characters, shorter ones first (jieba's search mode)."""
    n = len(word)
    if n <= 2:
        return ()
    has_word = _Jieba.fast().has_word
    return tuple((word[i:i + size], i) for size in range(2, n) for i in range(0, n - size + 1)
                 if has_word(word[i:i + size]))


def cut_with_offsets(norm_text: str):
    """Yield (word, start, end, subwords) for each word of the precise cut."""
    pos = 0
    for w in jieba_cut(norm_text):
        start = pos
        pos += len(w)
        if not _WORDISH.search(w):
            continue
        subs = [(sub, start + i, start + i + len(sub)) for sub, i in subwords(w)]
        yield w, start, pos, subs


# --------------------------------------------------------------------------
# Whoosh tokenizers (pickled into the index schema by reference)


class _NormalizedTokenizer(Tokenizer):
    """Whoosh's token protocol over ``tokens()`` of the normalised text."""

    def __eq__(self, other):
        return type(other) is type(self)

    def tokens(self, norm: str, index_mode: bool):
        """Yield (text, position, start, end) for the normalised text (subclasses say how)."""
        return iter(())

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for text, pos, s, e in self.tokens(normalize(value), mode == "index"):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + s, start_char + e
            yield t


class WordTokenizer(_NormalizedTokenizer):
    """jieba words of the normalised text; when indexing, also their dictionary sub-words."""

    def tokens(self, norm, index_mode):
        for pos, (word, s, e, subs) in enumerate(cut_with_offsets(norm)):
            if index_mode:
                for sub, ss, se in subs:
                    yield sub, pos, ss, se
            yield word, pos, s, e


_WORD_RUN = re.compile(r"[^\W_]{2,}")
_WORD_CHAR = _WORDISH


def _pairs(norm: str):
    """(start, pair) for each pair of neighbouring word characters."""
    for m in _WORD_RUN.finditer(norm):
        run, start = m.group(), m.start()
        for i in range(len(run) - 1):
            yield start + i, run[i:i + 2]


def _chars(norm: str):
    """(start, character) for each word character."""
    for m in _WORD_CHAR.finditer(norm):
        yield m.start(), m.group()


class GramTokenizer(_NormalizedTokenizer):
    """Every word character, and every pair of neighbouring ones, of the normalised text."""

    def tokens(self, norm, index_mode):
        for i, ch in _chars(norm):
            yield ch, i, i, i + 1
        for i, pair in _pairs(norm):
            yield pair, i, i, i + 2


def word_counts(norm: str) -> Counter:
    """WordTokenizer's index terms of normalised text, counted (words and their sub-words).

    Each piece of the cut stands for its terms (``_piece_terms``: the word and its
    sub-words, or nothing for punctuation and spaces), looked up in a dict, and the
    terms of every piece are counted at once: no Python loop per piece."""
    pieces = jieba_cut(norm)
    terms = list(map(_PIECE_TERMS.get, pieces))
    if None in terms:                           # pieces not seen before
        terms = [t if t is not None else _piece_terms(p) for t, p in zip(terms, pieces)]
    return Counter(chain.from_iterable(terms))


# piece of a cut -> the terms it stands for: () when it is no word, else the word
# and its dictionary sub-words: one dictionary lookup per piece instead of a regex
# and the sub-word cache; bounded, since a long run of new text keeps adding pieces
_PIECE_TERMS: dict[str, tuple] = {}
_PIECE_TERMS_MAX = 500_000


def _piece_terms(piece: str) -> tuple:
    if len(_PIECE_TERMS) >= _PIECE_TERMS_MAX:
        _PIECE_TERMS.clear()
    terms = _PIECE_TERMS[piece] = (piece, *(sub for sub, _ in subwords(piece))) if _WORDISH.search(piece) else ()
    return terms


# every pair of neighbouring word characters, overlapping (found by the regex engine:
# the indexer's fast path, the same pairs as _pairs)
_PAIR = re.compile(r"(?=([^\W_]{2}))")


def gram_counts(norm: str) -> Counter:
    """GramTokenizer's terms of normalised text, counted: characters, then pairs."""
    counts = Counter(_WORD_CHAR.findall(norm))
    counts.update(_PAIR.findall(norm))
    return counts


# A gram as one int64 key: its first character's code point shifted above its
# second's (0 for a one-character gram; U+0000 is no word character).  Keys
# sort as the grams' UTF-8 bytes do (code point order, a character before the
# pairs it starts), which is the order Whoosh's terms table wants, so the
# indexer counts and sorts a unit's grams in numpy and never makes a string per
# gram (``gram_keys``; the writer turns each distinct key into its term once).
_KEY_SHIFT = 21                               # code points fit in 21 bits
_LOW = (1 << _KEY_SHIFT) - 1
_BMP_WORD = None                              # code point < 0x10000 -> is a word character


class GramKeys(NamedTuple):
    """A text's grams as distinct ascending keys with their counts (``gram_keys``)."""
    keys: np.ndarray                          # int64
    counts: np.ndarray                        # float32: the posting weights

    @staticmethod
    def term_of(key: int) -> bytes:
        """The term a key stands for, as the index stores it."""
        return gram_of_key(key).encode("utf-8")

    @staticmethod
    def terms_of(keys: np.ndarray) -> list[bytes]:
        """term_of of each key, for tens of thousands at once (a segment's distinct
        grams): the code points of every gram, a line break after each, are decoded
        and encoded once and split, where term_of costs a chr and an encode per gram.
        A line break is no word character, so it is in no gram."""
        if not keys.size:
            return []
        code_points = np.stack((keys >> _KEY_SHIFT, keys & _LOW, np.full_like(keys, 0x0A)), axis=1).ravel()
        code_points = code_points[code_points != 0][:-1]       # no second character: 0; no last break
        return code_points.astype(np.uint32).tobytes().decode("utf-32-le").encode("utf-8").split(b"\n")


def gram_of_key(key: int) -> str:
    low = key & _LOW
    return chr(key >> _KEY_SHIFT) + (chr(low) if low else "")


def _word_characters(cp: np.ndarray) -> np.ndarray:
    """Which code points are word characters (``[^\\W_]``, i.e. str.isalnum)."""
    global _BMP_WORD
    if _BMP_WORD is None:
        _BMP_WORD = np.array([chr(c).isalnum() for c in range(0x10000)])
    astral = cp > 0xFFFF
    if not astral.any():
        return _BMP_WORD[cp]
    word = _BMP_WORD[np.where(astral, 0, cp)]
    word[astral] = [chr(c).isalnum() for c in cp[astral].tolist()]
    return word


def gram_keys(norm: str) -> GramKeys:
    """gram_counts as keys: the same grams with the same counts, in term order."""
    # surrogatepass: a lone surrogate (no word character) must not stop the count
    cp = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    word = _word_characters(cp)
    pair = word[:-1] & word[1:]
    grams = np.concatenate((cp[word] << _KEY_SHIFT, (cp[:-1][pair] << _KEY_SHIFT) | cp[1:][pair]))
    keys, counts = np.unique(grams, return_counts=True)
    return GramKeys(keys, counts.astype(np.float32))


def word_analyzer():
    return WordTokenizer()


def gram_analyzer():
    return GramTokenizer()


def phrase_grams(norm_phrase: str) -> list[str]:
    """The distinct indexed grams a paragraph must hold to contain a phrase: its pairs,
    or its characters when it has no pair (none for a string of punctuation alone)."""
    pairs = list(dict.fromkeys(pair for _, pair in _pairs(norm_phrase)))
    return pairs or list(dict.fromkeys(ch for _, ch in _chars(norm_phrase)))
