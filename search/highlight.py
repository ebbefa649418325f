"""Highlighting: which characters of the original text matched, and the best fragment.

Matching happens in the normalised text (Simplified, half-width, lower case);
because normalisation maps one character to one character, the same offsets
cut the original, so marks land on the report's own (possibly Traditional)
characters.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from html import escape

from indexer.analysis import cut_with_offsets, normalize

from .query import wildcard_stem

FRAGMENT_CHARS = 180
ELLIPSIS = "…"


@dataclass
class Highlighted:
    text: str                        # the fragment (or whole text), original characters
    spans: list[tuple[int, int]]     # matched [start, end) offsets within ``text``
    prefix: bool                     # an ellipsis stands before the fragment
    suffix: bool

    def html(self) -> str:
        out, pos = [], 0
        if self.prefix:
            out.append(ELLIPSIS)
        for s, e in self.spans:
            out.append(escape(self.text[pos:s], quote=True))
            out.append("<mark>" + escape(self.text[s:e], quote=True) + "</mark>")
            pos = e
        out.append(escape(self.text[pos:], quote=True))
        if self.suffix:
            out.append(ELLIPSIS)
        return "".join(out)

    def ansi(self, on: str = "\x1b[1;31m", off: str = "\x1b[0m") -> str:
        out, pos = [], 0
        for s, e in self.spans:
            out.append(self.text[pos:s] + on + self.text[s:e] + off)
            pos = e
        text = "".join(out) + self.text[pos:]
        return (ELLIPSIS if self.prefix else "") + text + (ELLIPSIS if self.suffix else "")


def match_spans(text: str, marks) -> list[tuple[int, int, int]]:
    """(start, end, term index) of every occurrence of what ``marks`` marks, longest
    first, no overlaps.  ``marks`` is a query's Marks, or a list of strings."""
    strings = marks if isinstance(marks, list) else marks.strings
    words = [] if isinstance(marks, list) else marks.words
    patterns = [] if isinstance(marks, list) else marks.patterns
    if not (strings or words or patterns) or not text:
        return []
    norm = normalize(text)
    found = _string_spans(norm, strings) + _word_spans(norm, words, patterns, len(strings))
    found.sort(key=lambda x: (x[0], -(x[1] - x[0])))
    merged: list[tuple[int, int, int]] = []
    for s, e, ti in found:
        if merged and s <= merged[-1][1]:
            ps, pe, pti = merged[-1]
            if e > pe:
                merged[-1] = (ps, e, pti)   # touching or overlapping matches mark one run
            continue
        merged.append((s, e, ti))
    return merged


def _string_spans(norm: str, strings: list[str]) -> list[tuple[int, int, int]]:
    found = []
    for ti, term in enumerate(strings):
        if not term:
            continue
        start = norm.find(term)
        while start != -1:
            found.append((start, start + len(term), ti))
            start = norm.find(term, start + 1)
    return found


def _word_spans(norm: str, words: list[str], patterns: list[str],
                first_index: int) -> list[tuple[int, int, int]]:
    """Where the text's jieba cut (and its dictionary sub-words) has one of the words,
    or a word a wildcard pattern fits: what the index matched, never a stray
    character inside another word."""
    if not (words or patterns):
        return []
    wanted = {w: first_index + i for i, w in enumerate(words)}
    # a pattern's words start with its stem (a wildcard never comes first): test that first
    fits = [(wildcard_stem(p), wildcard_regex(p), first_index + len(words) + i)
            for i, p in enumerate(patterns)]

    def term_of(word: str) -> int | None:
        ti = wanted.get(word)
        if ti is None:
            for stem, rx, pattern_index in fits:
                if word.startswith(stem) and rx.fullmatch(word):
                    return pattern_index
        return ti

    found = []
    for word, start, end, subs in cut_with_offsets(norm):
        for w, s, e in [(word, start, end)] + subs:
            ti = term_of(w)
            if ti is not None:
                found.append((s, e, ti))
    return found


@functools.lru_cache(maxsize=256)
def wildcard_regex(pattern: str) -> re.Pattern:
    """A query wildcard (* any characters, ? one) as a regex for whole words."""
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch)
                              for ch in pattern), re.S)


def highlight(text: str, marks, max_chars: int = FRAGMENT_CHARS) -> Highlighted:
    """The text with its matches; a long text is cut to its best fragment."""
    spans = match_spans(text, marks)
    if len(text) <= max_chars or max_chars <= 0:
        return Highlighted(text, [(s, e) for s, e, _ in spans], False, False)
    start = _best_window(spans, len(text), max_chars)
    end = min(len(text), start + max_chars)
    inside = [(s - start, e - start) for s, e, _ in spans if s >= start and e <= end]
    return Highlighted(text[start:end], inside, start > 0, end < len(text))


def highlight_context(text: str, marks) -> str:
    """A heading hit's section opening, as HTML with its matches marked ("" for none)."""
    return highlight(text, marks, max_chars=0).html() if text else ""


def _best_window(spans, n: int, width: int) -> int:
    """Start of the window that holds the most distinct terms, then the most matches.

    The candidate windows start a fifth of a width before each span.  Spans are
    sorted and never overlap, so the spans inside a window are a run of them, and
    both ends of that run only move forward from one candidate to the next: one
    pass, with a count per term of the spans in the run.
    """
    if not spans:
        return 0
    best, best_key = 0, (-1, -1)
    in_window: dict[int, int] = {}          # term index -> spans of it in the window
    lo = hi = 0                             # the window holds spans[lo:hi]
    for s, _, _ in spans:
        start = max(0, min(s - width // 5, n - width))
        end = start + width
        while hi < len(spans) and spans[hi][1] <= end:
            if hi >= lo:
                in_window[spans[hi][2]] = in_window.get(spans[hi][2], 0) + 1
            hi += 1
        while lo < len(spans) and spans[lo][0] < start:
            if lo < hi:
                term = spans[lo][2]
                in_window[term] -= 1
                if not in_window[term]:
                    del in_window[term]
            lo += 1
        hi = max(hi, lo)
        key = (len(in_window), hi - lo)
        if key > best_key:
            best, best_key = start, key
    return best
