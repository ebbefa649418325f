"""Ranking: paragraphs about the topic first, not those that merely say it.

Every match gets a BM25F score from the occurrences of the query's terms
(search/matching.py).  This module adjusts it with what the index knows about
a report's structure and wording:

* over every match, as arrays: a bare heading is demoted (it names a topic and
  says nothing about it); a paragraph whose heading path names a term is
  promoted (the section under that heading is about it);
* over the best candidates, from the vectors the index keeps (indexer/topics.py):
  a paragraph counts for less the less of it is about the query's topic in
  meaning, which sees what words cannot (政务服务 and 放管服 are about 营商环境);
* over the best candidates, from their text: a term met only as one item of a
  long 、-separated enumeration is a passing mention; terms far apart are
  weaker than terms together; a paragraph that names the term in its opening
  is about it; a paragraph of a single sentence states a line (a goal, a
  slogan) rather than a passage about its topic; a short paragraph without a
  figure is a line about its topic rather than measures or results (BM25's
  length normalisation alone would put such lines first).

The topic and text factors only lower a score (each is at most 1), so the best k are
found exactly: candidates are taken in order of their array score times their
topic factor until the k-th adjusted score is at least the next candidate's,
which no later candidate can beat.
"""

from __future__ import annotations

import heapq
import math
import re

import numpy as np

from indexer.analysis import phrase_grams
from indexer.topics import topic_factors

from . import budget

HEADING_FACTOR = 0.3            # a bare heading: a heading unit, or a paragraph as short as one
BARE_BYTES = 90                 # a paragraph this short (about 30 Chinese characters) is a bare heading
UNDER_HEADING_BOOST = 1.0       # × the share of terms named in the paragraph's heading path
ENUMERATION_PENALTY = 0.6       # × the share of occurrences that are enumeration items
PROXIMITY_CHARS = 30.0          # a gap this long between terms halves their proximity bonus
PROXIMITY_WEIGHT = 0.5          # how much of the score rests on proximity
# the opening of a paragraph, where its topic is named: a term first met within
# OPENING_FROM characters loses nothing, one first met at OPENING_TO or later loses
# OPENING_PENALTY, and in between the loss grows with the distance
OPENING_FROM, OPENING_TO = 5, 40
OPENING_PENALTY = 0.5
# a paragraph of one sentence states a line (a goal, a slogan, a lead-in) rather than a
# passage about its topic: measures, results and figures come as several sentences
ONE_SENTENCE_FACTOR = 0.7
SENTENCE_MIN_CHARS = 6          # a shorter stretch between full stops (（一）, 1.) is no sentence
# BM25 favours short paragraphs; a short one with no figure (a goal, a slogan, a
# lead-in) has no measures, results or targets to give: it counts
# (length / SHORT_CHARS) ** SHORT_POWER.  A figure (a number with a unit or a
# percentage) or a table row (cells between |) is substance, however short.
SHORT_CHARS = 300
SHORT_POWER = 0.35
# a paragraph that opens with an outline number (（二）, 三、, 4.) and is this short is a
# heading run together with one line under it (（二）奋力推进…新质生产力。坚持…): a heading
HEADED_LINE_CHARS = 100
MAX_CANDIDATES = 3000           # beyond this many, the array score orders the rest

_OUTLINE_NUMBER = re.compile(r"^(第[一二三四五六七八九十]+[部分章节篇]|[一二三四五六七八九十]+、|"
                             r"[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.．、](?!\d))")
_ITEM_BOUND = re.compile("[" + re.escape("、，。；：！？,;:!?（）()《》“”\"' \n") + "]")
_CLAUSE_BOUND = re.compile("[" + re.escape("，。；：！？,;:!?\n") + "]")
_SENTENCE_END = re.compile(r"[。；：！？;:!?\n]")
_FIGURE = re.compile(r"\d(?:\.\d+)?\s*(?:%|％|个百分点|万|亿|倍|千|元|吨|公里|亩|家|个|项|人)")


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

def text_factor(norm: str, terms, shape: float | None = None) -> float:
    """At most 1: lower for a numbered heading with only a line after it, enumeration
    items, far-apart terms, a topic named late, a paragraph of one sentence.
    ``shape`` is shape_factor(norm) when already known: every paragraph's factor
    is at most its shape, what the re-rank's bounds rest on."""
    if shape is None:
        shape = shape_factor(norm)
    enumeration, opening, proximity = term_parts(norm, terms)
    return enumeration * opening * shape * proximity      # the order the scores were first made in


def term_parts(norm: str, terms) -> tuple[float, float, float]:
    """(enumeration, opening, proximity): the parts of the text factor that depend on
    where the terms are written, each at most 1; all 1 where no form of a term is
    written here (matched through a form not written, in word mode: its shape only)."""
    occurrences = [_occurrences(norm, t.variants) for t in terms]
    flat = [o for occ in occurrences for o in occ]
    if not flat:
        return 1.0, 1.0, 1.0
    rev = norm[::-1] if "、" in norm else ""
    listed = sum(1 for s, e in flat if _is_enumeration_item(norm, rev, s, e)) if rev else 0
    enumeration = 1.0 - ENUMERATION_PENALTY * listed / len(flat)
    numbered = _OUTLINE_NUMBER.match(norm)
    # the opening's words start after an outline number: （三） is a label
    opening = _opening_factor(min(s for s, _ in flat) - (numbered.end() if numbered else 0))
    proximity = 1.0
    if len(occurrences) > 1 and all(occurrences):
        gap = _smallest_gap(occurrences)
        proximity = (1.0 - PROXIMITY_WEIGHT) + PROXIMITY_WEIGHT / (1.0 + gap / PROXIMITY_CHARS)
    return enumeration, opening, proximity


def shape_factor(norm: str) -> float:
    """The part of the text factor that depends on the paragraph alone, whatever the
    query: a numbered heading with one line after it, a paragraph of one sentence,
    a short paragraph without a figure."""
    return math.prod(shape_parts(norm))


def shape_parts(norm: str) -> tuple[float, float, float]:
    """(numbered heading with one line after it, one sentence, short without a figure)."""
    headed = HEADING_FACTOR if len(norm) <= HEADED_LINE_CHARS and _OUTLINE_NUMBER.match(norm) else 1.0
    one_sentence = ONE_SENTENCE_FACTOR if _is_one_sentence(norm) else 1.0
    return headed, one_sentence, short_factor(norm)


def short_factor(norm: str) -> float:
    """1 for a paragraph of SHORT_CHARS characters or more, or one holding a figure or
    a table row; below that, less the shorter it is."""
    if len(norm) >= SHORT_CHARS or "|" in norm or _FIGURE.search(norm):
        return 1.0
    return (len(norm) / SHORT_CHARS) ** SHORT_POWER


def _opening_factor(first: int) -> float:
    """1 for a term named at the very start, down to 1 - OPENING_PENALTY for one named late."""
    late = (first - OPENING_FROM) / (OPENING_TO - OPENING_FROM)
    return 1.0 - OPENING_PENALTY * min(1.0, max(0.0, late))


def _is_one_sentence(norm: str) -> bool:
    """At most one sentence of SENTENCE_MIN_CHARS characters or more (cut at 。 ; : ! ?
    and line breaks)."""
    sentences, start = 0, 0
    for end in _SENTENCE_END.finditer(norm):
        if len(norm[start:end.start()].strip()) >= SENTENCE_MIN_CHARS:
            sentences += 1
            if sentences > 1:
                return False
        start = end.end()
    return sentences + (len(norm[start:].strip()) >= SENTENCE_MIN_CHARS) <= 1


def _occurrences(norm: str, variants) -> list[tuple[int, int]]:
    out = []
    for v in variants:
        start = norm.find(v)
        while start != -1:
            out.append((start, start + len(v)))
            start = norm.find(v, start + 1)
    return sorted(out)


def _is_enumeration_item(norm: str, rev: str, start: int, end: int) -> bool:
    """The occurrence is one item of a list of three or more joined by 、 (``rev`` is
    ``norm`` reversed: the bounds to the left are found by searching it forwards)."""
    left, right = _bounds(_ITEM_BOUND, norm, rev, start, end)
    if not ((left >= 0 and norm[left] == "、") or (right < len(norm) and norm[right] == "、")):
        return False
    c_left, c_right = _bounds(_CLAUSE_BOUND, norm, rev, left + 1, right)
    return norm.count("、", c_left + 1, c_right) >= 2


def _bounds(pattern: re.Pattern, norm: str, rev: str, start: int, end: int) -> tuple[int, int]:
    """(the last bound before start or -1, the first bound from end on or len(norm))."""
    before = pattern.search(rev, len(norm) - start)
    after = pattern.search(norm, end)
    return (len(norm) - 1 - before.start() if before else -1), (after.start() if after else len(norm))


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
    by their topic and text factors; ties to the newer report, then by report id and paragraph
    (``places``).

    A topic or text factor is at most 1, so an adjusted score never exceeds its
    array score times its topic factor (known for every candidate from the index's
    vectors): candidates are read in that order and the reading stops at the first
    whose bound is below the k-th best adjusted score so far, as none after
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
    scores = with_topic(ia, docs, scores, order[:limit], terms)
    rounded = np.round(scores, 9)
    candidates, most = _by_bound(ia, docs, rounded, order[:limit])
    read, adjusted = _read_candidates(ia, docs, scores, most, candidates, terms, k, floor)
    if floor is not None and read < candidates.size:
        k = min(k, read)                # stopped (maybe at the floor): nothing past it is wanted
    cand = candidates[:read]
    ranked = np.lexsort((docs[cand], places[cand], -years[cand], -np.round(adjusted, 9)))
    out_docs, out_scores = docs[cand][ranked], adjusted[ranked]
    tiers = np.zeros(out_docs.size, dtype=np.int8)
    if k > read:                        # past the candidates: array order
        rest = order[read:k]
        out_docs = np.concatenate([out_docs, docs[rest]])
        out_scores = np.concatenate([out_scores, scores[rest]])
        tiers = np.concatenate([tiers, np.ones(rest.size, dtype=np.int8)])
    return out_docs[:k], out_scores[:k], tiers[:k]


def with_topic(ia, docs: np.ndarray, scores: np.ndarray, candidates: np.ndarray, terms) -> np.ndarray:
    """The scores with the candidates' multiplied by their topic factors (at most 1 each),
    read from the index's vectors for every candidate at once, before any text: the
    bounds the reading stops by include them, so they stay as tight as without."""
    factors = topic_factors(ia.topic_vectors(docs[candidates]), tuple(tuple(t.variants) for t in terms))
    if factors is None:
        return scores
    out = scores.astype(np.float64, copy=True)
    out[candidates] *= factors
    return out


def _inside_first(rounded, years, places, docs, inside, k: int) -> tuple[np.ndarray, int]:
    """(every match inside in array order, then the best k outside; how many are inside)."""
    within, beyond = np.flatnonzero(inside), np.flatnonzero(~inside)
    first = within[_best(rounded[within], years[within], places[within], docs[within], within.size)]
    rest = beyond[_best(rounded[beyond], years[beyond], places[beyond], docs[beyond], k)]
    return np.concatenate([first, rest]), int(first.size)


def _by_bound(ia, docs, rounded, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidates by the most each can score: its array score (times its topic
    factor: ``order`` is by the array score alone, so these are sorted even when no
    shape is known) times its shape factor where a search has already read its text
    (1 where not); ties keep ``order``.  The better the bounds, the sooner the
    reading stops."""
    shapes = ia.shape_factors()[docs[order]]         # a copy: other threads may fill in more
    bound = rounded[order] * np.nan_to_num(shapes, nan=1.0)
    by = np.argsort(-bound, kind="stable")
    return order[by], bound[by]


def _read_candidates(ia, docs, scores, most_of, order, terms, k: int, floor=None) -> tuple[int, np.ndarray]:
    """(how many candidates of ``order`` were read, their adjusted scores).  ``most_of``:
    each candidate's bound as ``order`` was sorted by it (shape factors another thread
    keeps meanwhile must not change the bounds the early stop relies on)."""
    kth_best: list[float] = []           # min-heap of the k best adjusted scores (rounded)
    adjusted = np.empty(order.size, dtype=np.float64)
    shapes = ia.shape_factors()
    factors = ia.text_factors(tuple(t.variants for t in terms))
    seen: dict = {}                      # this search's texts read so far -> their factors
    for read, i in enumerate(order.tolist()):
        doc = int(docs[i])
        shape = shapes[doc]
        # what this candidate, and every later one, can score at most (a hair
        # over: the factors multiply in another order below)
        most = most_of[read]
        if (len(kth_best) == k and most < kth_best[0] - 1e-9) or (floor is not None and most < floor - 1e-9):
            return read, adjusted[:read]
        if not read % 64:
            budget.check()                 # many candidates, many terms: the search's deadline
        factor = factors.get(doc)
        if factor is None:                 # this paragraph not read for these terms before
            shapes[doc], factor = _factors_of(ia.text(doc), terms, shape, seen)
            factors[doc] = factor
        adjusted[read] = scores[i] * factor
        a = round(float(adjusted[read]), 9)
        if len(kth_best) < k:
            heapq.heappush(kth_best, a)
        elif a > kth_best[0]:
            heapq.heapreplace(kth_best, a)
    return order.size, adjusted


def _factors_of(norm: str, terms, shape: float, seen: dict) -> tuple[float, float]:
    """(shape factor, text factor) of a candidate's text; ``shape`` is NaN when not
    known yet.  Both depend on the text and the terms alone, and a paragraph often
    comes back word for word under other document numbers (a report's stock
    paragraphs year after year, a region's copy of a provincial one): ``seen``
    (text -> both, for one search) computes each distinct text once."""
    got = seen.get(norm)
    if got is None:
        if shape != shape:
            shape = shape_factor(norm)
        got = seen[norm] = (shape, text_factor(norm, terms, shape))
    return got


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
