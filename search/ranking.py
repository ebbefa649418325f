"""Ranking: paragraphs about the topic first, not those that merely say it.

Every match gets a BM25F score from the occurrences of the query's terms
(search/matching.py).  This module adjusts it with what the index knows about
a report's structure and wording:

* over every match, as arrays: a bare heading is demoted (it names a topic and
  says nothing about it); a paragraph whose heading path names a term is
  promoted (the section under that heading is about it);
* over the best candidates, from their text: a term met only as one item of a
  long 、-separated enumeration is a passing mention; terms far apart are
  weaker than terms together; a paragraph that names the term in its opening
  sentence is about it.

The text factors only lower a score (each is at most 1), so the best k are
found exactly: candidates are taken in order of their array score until the
k-th adjusted score is at least the next candidate's array score, which no
later candidate can beat.
"""

from __future__ import annotations

import heapq
import re

import numpy as np

from indexer.analysis import phrase_grams

from . import budget

HEADING_FACTOR = 0.3            # a bare heading: a heading unit, or a paragraph as short as one
BARE_BYTES = 90                 # a paragraph this short (about 30 Chinese characters) is a bare heading
UNDER_HEADING_BOOST = 1.0       # × the share of terms named in the paragraph's heading path
ENUMERATION_PENALTY = 0.6       # × the share of occurrences that are enumeration items
PROXIMITY_CHARS = 30.0          # a gap this long between terms halves their proximity bonus
PROXIMITY_WEIGHT = 0.5          # how much of the score rests on proximity
OPENING_CHARS = 40              # the opening of a paragraph, where its topic is named
OPENING_PENALTY = 0.5           # the term appears only after the opening
# a paragraph that opens with an outline number (（二）, 三、, 4.) and is this short is a
# heading run together with one line under it (（二）奋力推进…新质生产力。坚持…): a heading
HEADED_LINE_CHARS = 100
MAX_CANDIDATES = 3000           # beyond this many, the array score orders the rest

_OUTLINE_NUMBER = re.compile(r"^(第[一二三四五六七八九十]+[部分章节篇]|[一二三四五六七八九十]+、|"
                             r"[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、](?!\d))")
_ITEM_BOUNDS = set("、，。；：！？,;:!?（）()《》“”\"' \n")
_CLAUSE_BOUNDS = set("，。；：！？,;:!?\n")


# --------------------------------------------------------------------------- over every match

def array_scores(ia, docs: np.ndarray, scores: np.ndarray, terms) -> np.ndarray:
    """Scores adjusted for heading units and for paragraphs under a heading naming a term."""
    if not terms or not docs.size:
        return scores
    is_heading = is_bare_heading(ia, docs)
    named = np.zeros(docs.size, dtype=np.float64)
    for term in terms:
        named += _heading_names(ia, docs, term.variants)
    factor = np.where(is_heading, HEADING_FACTOR, 1.0 + UNDER_HEADING_BOOST * named / len(terms))
    return scores * factor


def is_bare_heading(ia, docs: np.ndarray) -> np.ndarray:
    """Headings, and paragraphs short enough to be one (打造一流营商环境。): they name
    a topic; the paragraphs under them say something about it."""
    short = ia.texts.byte_lengths()[docs] <= BARE_BYTES
    return _kind_mask(ia, docs, "heading") | (short & _kind_mask(ia, docs, "paragraph"))


def _kind_mask(ia, docs: np.ndarray, kind: str) -> np.ndarray:
    col = ia.facets.columns["kind"]
    o = col.index.get(kind)
    return col.ords[docs] == o if o is not None else np.zeros(docs.size, dtype=bool)


def _heading_names(ia, docs: np.ndarray, variants) -> np.ndarray:
    """1.0 where the heading path holds every gram of some variant, else 0.0."""
    hit = np.zeros(docs.size, dtype=bool)
    for v in variants:
        within = docs
        for g in phrase_grams(v)[:8]:
            postings, _w, _df = ia.postings("heading", g)
            within = within[np.isin(within, postings, assume_unique=True)]
            if not within.size:
                break
        if within.size:
            hit |= np.isin(docs, within, assume_unique=True)
    return hit.astype(np.float64)


# --------------------------------------------------------------------------- from the text

def text_factor(norm: str, terms) -> float:
    """At most 1: lower for a numbered heading with only a line after it, enumeration
    items, far-apart terms, a topic named late."""
    occurrences = [_occurrences(norm, t.variants) for t in terms]
    flat = [o for occ in occurrences for o in occ]
    if not flat:
        return 1.0
    listed = sum(1 for s, e in flat if _is_enumeration_item(norm, s, e))
    factor = 1.0 - ENUMERATION_PENALTY * listed / len(flat)
    if len(norm) <= HEADED_LINE_CHARS and _OUTLINE_NUMBER.match(norm):
        factor *= HEADING_FACTOR
    if min(s for s, _ in flat) >= OPENING_CHARS:
        factor *= 1.0 - OPENING_PENALTY
    if len(occurrences) > 1 and all(occurrences):
        gap = _smallest_gap(occurrences)
        factor *= (1.0 - PROXIMITY_WEIGHT) + PROXIMITY_WEIGHT / (1.0 + gap / PROXIMITY_CHARS)
    return factor


def _occurrences(norm: str, variants) -> list[tuple[int, int]]:
    out = []
    for v in variants:
        start = norm.find(v)
        while start != -1:
            out.append((start, start + len(v)))
            start = norm.find(v, start + 1)
    return sorted(out)


def _is_enumeration_item(norm: str, start: int, end: int) -> bool:
    """The occurrence is one item of a list of three or more joined by 、."""
    left = start - 1
    while left >= 0 and norm[left] not in _ITEM_BOUNDS:
        left -= 1
    right = end
    while right < len(norm) and norm[right] not in _ITEM_BOUNDS:
        right += 1
    if not ((left >= 0 and norm[left] == "、") or (right < len(norm) and norm[right] == "、")):
        return False
    c_left, c_right = left, right
    while c_left >= 0 and norm[c_left] not in _CLAUSE_BOUNDS:
        c_left -= 1
    while c_right < len(norm) and norm[c_right] not in _CLAUSE_BOUNDS:
        c_right += 1
    return norm.count("、", c_left + 1, c_right) >= 2


def _smallest_gap(occurrences: list[list[tuple[int, int]]]) -> int:
    """Characters between the terms in the tightest stretch holding one occurrence of each."""
    events = sorted((s, e, i) for i, occ in enumerate(occurrences) for s, e in occ)
    need = len(occurrences)
    latest: dict[int, tuple[int, int]] = {}
    best = None
    for s, e, i in events:
        latest[i] = (s, e)
        if len(latest) == need:
            lo = min(a for a, _ in latest.values())
            hi = max(b for _, b in latest.values())
            covered = sum(b - a for a, b in latest.values())
            gap = max(0, (hi - lo) - covered)
            best = gap if best is None else min(best, gap)
    return best or 0


# --------------------------------------------------------------------------- the best k

def top_k(ia, docs: np.ndarray, scores: np.ndarray, terms, k: int, years: np.ndarray,
          places: np.ndarray, inside: np.ndarray | None = None, floor: float | None = None):
    """(docs, scores, tiers) of the k best matches, best first: array scores adjusted
    by their text factors; ties to the newer report, then by report id and paragraph
    (``places``).

    A text factor is at most 1, so an adjusted score never exceeds its array
    score: candidates are read in array order and the reading stops at the first
    whose array score is below the k-th best adjusted score so far, as none after
    it can enter the k best.  The answer is the one every candidate's text would
    give, from the texts of a few dozen paragraphs instead of hundreds.

    Tier 0 are the candidates (at most MAX_CANDIDATES) ordered by adjusted
    score; tier 1 (only when k is past them) follow in array order.  ``inside``
    (a mask) fixes the candidates instead: a shard passes its share of the
    collection's best MAX_CANDIDATES by array score, so that it ranks as the one
    index would (search/shards.py).  ``floor``: the k-th best (rounded) score other
    shards already hold; candidates below it cannot enter the collection's k best,
    so reading stops there and the answer may hold fewer than k."""
    n = int(docs.size)
    k = min(k, n)
    if k <= 0:
        return docs[:0], scores[:0], np.zeros(0, dtype=np.int8)
    rounded = np.round(scores, 9)
    if inside is None:
        order = _best(rounded, years, places, docs, max(min(n, MAX_CANDIDATES), k))
        limit = MAX_CANDIDATES
    else:
        order, limit = _inside_first(rounded, years, places, docs, inside, k)
    read, adjusted = _read_candidates(ia, docs, scores, rounded, order[:limit], terms, k, floor)
    if floor is not None and read < min(limit, order.size):
        k = min(k, read)                # stopped (maybe at the floor): nothing past it is wanted
    cand = order[:read]
    ranked = np.lexsort((docs[cand], places[cand], -years[cand], -np.round(adjusted, 9)))
    out_docs, out_scores = docs[cand][ranked], adjusted[ranked]
    tiers = np.zeros(out_docs.size, dtype=np.int8)
    if k > read:                        # past the candidates: array order
        rest = order[read:k]
        out_docs = np.concatenate([out_docs, docs[rest]])
        out_scores = np.concatenate([out_scores, scores[rest]])
        tiers = np.concatenate([tiers, np.ones(rest.size, dtype=np.int8)])
    return out_docs[:k], out_scores[:k], tiers[:k]


def _inside_first(rounded, years, places, docs, inside, k: int) -> tuple[np.ndarray, int]:
    """(every match inside in array order, then the best k outside; how many are inside)."""
    within, beyond = np.flatnonzero(inside), np.flatnonzero(~inside)
    first = within[_best(rounded[within], years[within], places[within], docs[within], within.size)]
    rest = beyond[_best(rounded[beyond], years[beyond], places[beyond], docs[beyond], k)]
    return np.concatenate([first, rest]), int(first.size)


def _read_candidates(ia, docs, scores, rounded, order, terms, k: int, floor=None) -> tuple[int, np.ndarray]:
    """(how many candidates of ``order`` were read, their adjusted scores)."""
    kth_best: list[float] = []           # min-heap of the k best adjusted scores (rounded)
    adjusted = np.empty(order.size, dtype=np.float64)
    for read, i in enumerate(order.tolist()):
        if (len(kth_best) == k and rounded[i] < kth_best[0]) or (floor is not None and rounded[i] < floor):
            return read, adjusted[:read]
        if not read % 64:
            budget.check()                 # many candidates, many terms: the search's deadline
        adjusted[read] = scores[i] * text_factor(ia.text(int(docs[i])), terms)
        a = round(float(adjusted[read]), 9)
        if len(kth_best) < k:
            heapq.heappush(kth_best, a)
        elif a > kth_best[0]:
            heapq.heapreplace(kth_best, a)
    return order.size, adjusted


def best_by_array(scores: np.ndarray, years: np.ndarray, places: np.ndarray, docs: np.ndarray,
                  m: int) -> np.ndarray:
    """Indices of the m best by array score (the candidates top_k starts from)."""
    return _best(np.round(scores, 9), years, places, docs, m)


def _best(rounded: np.ndarray, years: np.ndarray, places: np.ndarray, docs: np.ndarray,
          m: int) -> np.ndarray:
    """Indices of the m best by array score, in order (ties: newer report, report id,
    paragraph, document).

    Only the candidates are sorted: np.partition finds the m-th score, and
    every match scoring at least that (ties included) is ordered."""
    n = rounded.size
    if m >= n:
        idx = np.arange(n)
    else:
        kth = np.partition(rounded, n - m)[n - m]
        idx = np.flatnonzero(rounded >= kth)
    order = np.lexsort((docs[idx], places[idx], -years[idx], -rounded[idx]))
    return idx[order][:m]
