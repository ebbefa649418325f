"""What one search may cost, so that no request can keep the server busy.

Two guards, both answered with the same one-line refusal
(``query_too_expensive``: 400 on the web, exit 2 on the CLI):

* before it runs, a search's work is estimated from the index: every term's
  postings length (its document frequency, a term-info lookup), a phrase's
  grams and the candidates it would confirm in the text, every word a
  wildcard stands for, then the hits to rank and highlight (limit × terms).
  A search estimated over ``MAX_COST`` is refused without reading a posting,
  the same way every time (the estimate never depends on what is cached).
* while it runs, a deadline on the CPU time of the searching thread
  (``MAX_CPU_SECONDS``) is checked between query nodes, inside text scans and
  between hits, in case the estimate was wrong.  CPU time, not wall-clock
  time: a normal search on a busy server waits for the processor, it does not
  cost more, and must not be refused for it (a generous wall-clock bound,
  ``WALL_SECONDS``, only stops a search stuck on a stalled disk or a machine
  overloaded many times over).

The unit of cost is "one posting read": decoding it, joining it with the
others and scoring it.  The other weights say what the rest costs in that
unit.  ``GOVSEARCH_QUERY_BUDGET`` and ``GOVSEARCH_QUERY_SECONDS`` set the two
limits for a faster machine or a more patient audience (`make bench`, section
"expensive", shows what the dearest searches cost on this one).
"""

from __future__ import annotations

import contextvars
import resource
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass

from whoosh import query as Q

from indexer.analysis import phrase_grams

from .filters import resolve
from .query import LabelFilter, Phrase
from .results import RequestError

# The limit and the weights come from the cold CPU times of about 200 searches at
# 1M paragraphs (`python -m bench.budget_fit`, 2026-11-23: postings in blocks of
# 4,096, unions counted densely): a posting read costs about 0.03-0.1 µs there, so
# MAX_COST lets through what takes up to about 0.5 s of CPU cold (the same search
# costs a third of that or less once its postings are decoded).  A hit costs
# ~0.06 ms once its report's head is read, and reading the head ~0.25 ms more (at
# 1M a page of 1,000 hits spans nearly as many reports); a term looked for in a
# ranking candidate's text ~5 µs.
MAX_COST = 8_000_000             # postings-equivalents
MAX_CPU_SECONDS = 0.75           # the deadline: CPU time of the thread running one search
WALL_SECONDS = 10.0              # and a bound on its wall-clock time, whatever it waits for
UNION_WEIGHT = 1.0               # a posting joined into an OR (a sort, or one pass when there are many)
CONFIRM_WEIGHT = 7               # a candidate confirmed in its text (one bytes.count)
SCAN_WEIGHT = 8                  # a paragraph scanned for a phrase of no grams (punctuation)
LABEL_WEIGHT = 0.05              # a paragraph's label compared (one numpy pass over ordinals)
EXPANSION_WEIGHT = 300           # a word a wildcard stands for: looked up in every segment
EXPANSION_SAMPLE = 16            # words of a wildcard whose postings lengths are looked up
HIT_WEIGHT = 1000                # a hit read, put together and highlighted
HEAD_WEIGHT = 4000               # its report's head read (title, region …), once per report
MARK_WEIGHT = 2                  # each string marked in a hit's text
CUT_WEIGHT = 4000                # a hit's text cut into words, to mark words or wildcards (0.2-0.24 ms)
CANDIDATE_WEIGHT = 100           # each term looked for in a ranking candidate's text
RANK_MIN, RANK_MAX = 200, 3000   # candidates ranked by their text (search/ranking.py)

BUDGET_ENV = "GOVSEARCH_QUERY_BUDGET"       # overrides MAX_COST (a faster machine, a patient user)
SECONDS_ENV = "GOVSEARCH_QUERY_SECONDS"     # overrides MAX_CPU_SECONDS


def _setting(env: str, default: float) -> float:
    raw = os.environ.get(env, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise RequestError("bad_configuration", f"环境变量 {env} 要是正数，现在是“{raw[:20]}”")
    return value


def max_cost() -> float:
    return _setting(BUDGET_ENV, MAX_COST)


def max_cpu_seconds() -> float:
    return _setting(SECONDS_ENV, MAX_CPU_SECONDS)


MESSAGE = ("这次检索太费时，没有执行（{what}）：请减少检索词、通配符或“或”（OR）连接的词，"
           "换用更长的短语，或者减少每页条数")


class QueryTooExpensive(RequestError):
    """A search refused for what it would cost (or stopped at its deadline)."""

    def __init__(self, what: str):
        super().__init__("query_too_expensive", MESSAGE.format(what=what))


@dataclass
class Estimate:
    cost: float                  # postings-equivalents
    matches: float               # about this many documents match
    scans: bool = False          # a string of no grams: its cost is a scan of the texts it is given


class Estimator:
    """The cost of evaluating a query tree over one IndexArrays (search/matching.py).

    Matching reads each leaf's postings whole: a leaf costs its postings
    length.  An OR adds the sort that joins them; an AND runs its rarest part
    first and stops when nothing is left, so its later parts count while
    matches are expected to remain (terms of one text are not independent:
    each part keeps the square root of its share)."""

    def __init__(self, ia):
        self.ia = ia
        self.n = max(int(ia.doc_count_all), 1)

    def query(self, q) -> Estimate:
        if isinstance(q, (Q.AndMaybe, Q.AndNot)):
            a, b = self.query(q.a), self.query(q.b)
            return Estimate(a.cost + b.cost, a.matches)
        if isinstance(q, Q.And):
            return self._and([self.query(sub) for sub in q.subqueries])
        if isinstance(q, Q.Or):
            parts = [self.query(sub) for sub in q.subqueries]
            total = sum(p.matches for p in parts)
            return Estimate(sum(p.cost for p in parts) + total * UNION_WEIGHT, min(total, self.n))
        return self._leaf(q)

    def _leaf(self, q) -> Estimate:
        if isinstance(q, Phrase):
            return self._phrase(q.text)
        if isinstance(q, (Q.Prefix, Q.Wildcard)):
            return self._expansion(q)
        if isinstance(q, LabelFilter):
            col = self.ia.facets.columns[q.fieldname]
            return self._labels(q.fieldname, resolve(q.fieldname, q.text, col.values))
        if isinstance(q, Q.NumericRange):
            return self._labels(q.fieldname, self._in_range(q))
        if isinstance(q, Q.Term):
            df = self.ia.doc_frequency(q.fieldname, q.text)
            return Estimate(df, df)
        return Estimate(self.n * LABEL_WEIGHT, self.n)   # Every: all documents, one pass

    def _in_range(self, q) -> list:
        lo = q.start if q.start is not None else -(2 ** 62)
        hi = q.end if q.end is not None else 2 ** 62
        return [v for v in self.ia.facets.columns[q.fieldname].index if lo <= int(v) <= hi]

    def _labels(self, field: str, values: list) -> Estimate:
        """A label filter: one pass over the field's ordinals; its matches are counted."""
        col = self.ia.facets.columns[field]
        counts = self.ia.label_counts(field)
        matches = sum(int(counts[col.index[v]]) for v in values if v in col.index)
        return Estimate(self.n * LABEL_WEIGHT, matches)

    def _and(self, parts: list[Estimate]) -> Estimate:
        from .matching import NARROW     # matching imports this module

        parts.sort(key=lambda p: p.matches)
        cost, left = parts[0].cost, parts[0].matches
        for p in parts[1:]:
            if left < 1:
                break
            # a punctuation term after narrower parts scans only their matches (matching.occurrences)
            cost += left * SCAN_WEIGHT if p.scans and left * NARROW < self.n else p.cost
            left = min(left * (p.matches / self.n) ** 0.5, p.matches)
        return Estimate(cost, left)

    def _phrase(self, text: str) -> Estimate:
        grams = phrase_grams(text)
        if not grams:                                # punctuation alone: every text is scanned
            return Estimate(self.n * SCAN_WEIGHT, self.n, scans=True)
        dfs = sorted(self.ia.doc_frequency("grams", g) for g in grams)
        if len(grams) == 1 and grams[0] == text:     # one gram is the answer
            return Estimate(dfs[0], dfs[0])
        # the rarest grams' postings are read, the rarest one's documents confirmed
        return Estimate(sum(dfs[:6]) + dfs[0] * CONFIRM_WEIGHT, dfs[0])

    def _expansion(self, q) -> Estimate:
        """Its words' postings, from the lengths of a sample of them (a lookup per
        word costs about what reading a short postings list does)."""
        words = self.ia.expansions(q)
        if not words:
            return Estimate(0, 0)
        step = max(1, len(words) // EXPANSION_SAMPLE)
        sample = words[::step][:EXPANSION_SAMPLE]
        total = sum(self.ia.doc_frequency(q.fieldname, w) for w in sample) * len(words) / len(sample)
        return Estimate(total * (1 + UNION_WEIGHT) + len(words) * EXPANSION_WEIGHT, min(total, self.n))


def estimate(ia, query, terms: int, marks: int, first: int, limit: int, by_report: bool,
             cut: bool = False) -> float:
    """A search's cost in postings-equivalents: matching, ranking the first ``first``
    (page × limit) by their text, and reading and highlighting the page (``cut``: its
    marks are words or wildcards, found in each hit's cut)."""
    matching = Estimator(ia).query(query)
    ranked = min(matching.matches, RANK_MAX, max(RANK_MIN, 4 * first)) if terms else 0
    hits = min(matching.matches, limit * (3 if by_report else 1))
    # a hit's report head is read once per report: a page of a small collection's
    # every paragraph reads a few dozen, a page of 1,000 hits at 1M nearly 1,000,
    # a page grouped by report one a group
    heads = min(limit if by_report else hits, hits, len(ia.facets.columns["report_id"].values))
    return (matching.cost + ranked * terms * CANDIDATE_WEIGHT + hits * (HIT_WEIGHT + marks * MARK_WEIGHT + cut * CUT_WEIGHT)
            + heads * HEAD_WEIGHT)


def refuse_over(cost: float) -> None:
    limit = max_cost()
    if cost > limit:
        raise QueryTooExpensive(f"估计相当于读 {cost / 1e4:,.0f} 万条索引记录，上限 {limit / 1e4:,.0f} 万")


def check_words(words: int) -> None:
    """Refuse a query whose wildcards stand for too many words together, before
    their postings lengths are even looked up."""
    refuse_over(words * EXPANSION_WEIGHT)


def check_estimate(ia, parsed, query, req) -> None:
    """Refuse the search before it runs when its estimate is over MAX_COST."""
    refuse_over(estimate(ia, query, len(parsed.terms), parsed.marks.count(),
                         req.page * req.limit, req.limit, req.by_report,
                         cut=bool(parsed.marks.words or parsed.marks.patterns)))


# --------------------------------------------------------------------------- the deadline

@dataclass(frozen=True)
class Deadline:
    started: float               # time.monotonic() when the search began
    cpu_started: float           # thread_cpu() then
    cpu_seconds: float           # CPU time the search may use
    wall_seconds: float          # wall-clock time it may take, whatever it waits for


_deadline: contextvars.ContextVar = contextvars.ContextVar("govsearch_deadline", default=None)


def thread_cpu() -> float:
    """This thread's CPU seconds.  Not time.thread_time(): on virtual machines its
    clock (CLOCK_THREAD_CPUTIME_ID) can take milliseconds to read right after a
    burst of work (measured here: 2.8 ms on average, 18 ms at worst, a sixth of a
    search), where getrusage reads the same accounting in microseconds."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def deadline(cpu_seconds: float | None = None):
    """Stop the searches of this block once this thread has used cpu_seconds of CPU
    (MAX_CPU_SECONDS unless given), or WALL_SECONDS have passed (a disk that stalls,
    a machine overloaded many times over).  Nested blocks keep the outer deadline."""
    if _deadline.get() is not None:
        yield
        return
    cpu = max_cpu_seconds() if cpu_seconds is None else cpu_seconds
    token = _deadline.set(Deadline(time.monotonic(), thread_cpu(), cpu, max(WALL_SECONDS, cpu)))
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise QueryTooExpensive when this thread's search is past its deadline.

    A thread cannot use more CPU time than the wall-clock time that passed, so
    its CPU clock (a system call) is read only once that much time has passed."""
    limit = _deadline.get()
    if limit is None:
        return
    elapsed = time.monotonic() - limit.started
    if elapsed > limit.wall_seconds:
        raise QueryTooExpensive(f"运行超过 {limit.wall_seconds:g} 秒")
    if elapsed > limit.cpu_seconds and thread_cpu() - limit.cpu_started > limit.cpu_seconds:
        raise QueryTooExpensive(f"运行超过 {limit.cpu_seconds:g} 秒处理器时间")
