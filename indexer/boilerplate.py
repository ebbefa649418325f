"""Boilerplate: lines a collection repeats in many of its reports are not report text.

Licence notices ("本作品是中华人民共和国的法律、法令……不受著作权保护", "Public domain"),
stray values ("false"), a site's header and footer: a scraper puts them into every
report of a collection.  A collection is the reports of one folder: the rows of its
collection files and its report files.

A line (normalised, spaces dropped) that recurs in at least a fifth of a collection's
reports, and in three at least, is dropped where boilerplate stands: in the report's
head (above its salutation or first heading), in the run of such lines that ends the
report, or anywhere when it holds no Chinese character.  A recurring line inside the
body is report text ("现在，我代表省人民政府向大会报告工作，请予审议…" recurs in four
provincial reports) and stays, as do salutations, numbered headings and title lines.

The writer (``settle``) counts, per collection, the candidate lines of every report
the index will hold: those it reads now and, for unchanged reports, the keys kept in
the index.  A report whose recurring lines change is read again and reindexed.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

from .analysis import normalize
from .metadata import is_title_block_line
from .rejoin import _CONTINUES, body_start, ends_sentence, numbered_heading

MIN_REPORTS = 3            # a collection needs this many reports to tell boilerplate
SHARE = 0.2                # …and a line must recur in this share of them
TAIL_LINES = 30            # boilerplate ending a report is looked for in its last lines
MAX_LINE_CHARS = 500

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PROTECTED = re.compile(r"^(各位代表|同志们|代表们)|(报告|讲话|决议)$|会议上[）)]?$")


def line_key(line: str) -> str:
    """A line's identity across reports: its normalised characters, spaces dropped, hashed."""
    key = normalize(line.strip()).replace(" ", "")
    return hashlib.blake2b(key.encode("utf-8"), digest_size=6).hexdigest()


def _candidate(line: str) -> bool:
    s = line.strip()
    if not s or line.startswith("\t") or len(s) > MAX_LINE_CHARS:
        return False
    n = normalize(s)
    return not (_PROTECTED.search(n) or numbered_heading(n) or is_title_block_line(n))


def candidate_keys(lines: list[str]) -> set[str]:
    """Keys of the lines that could be boilerplate where they stand: head, tail, no Chinese."""
    head = body_start(lines)
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    tail = set(nonblank[-TAIL_LINES:])
    # where it stands first: the title-block check (_candidate) is the dearer test
    return {line_key(lines[i]) for i in nonblank
            if (i < head or i in tail or not _CJK.search(lines[i])) and _candidate(lines[i])}


def _standalone(lines: list[str], i: int, dropped: set[int]) -> bool:
    """The line is a line of its own, not a piece of a sentence a CMS broke around a link
    (…以 | GDP | 为…): what stands before it ends a sentence, is a heading, signature or
    label, or is gone."""
    if lines[i].lstrip()[:1] in _CONTINUES:
        return False
    j = i - 1
    while j >= 0 and (not lines[j].strip() or j in dropped):
        j -= 1
    before = lines[j].strip() if j >= 0 else ""
    return not before or ends_sentence(before) or numbered_heading(before) or (
        len(before) <= 40 and not re.search(r"[，,、；;]", before))      # a signature, a label


def threshold(reports: int) -> int:
    return max(MIN_REPORTS, math.ceil(SHARE * reports))


def recurring(key_sets: list[set[str]]) -> set[str]:
    """The keys that recur in enough of a collection's reports."""
    if len(key_sets) < MIN_REPORTS:
        return set()
    counts = Counter(k for keys in key_sets for k in keys)
    need = threshold(len(key_sets))
    return {k for k, n in counts.items() if n >= need}


def drop_boilerplate(lines: list[str], boilerplate: set[str]) -> tuple[list[str], int]:
    """The lines without the collection's boilerplate; and how many were dropped."""
    if not boilerplate:
        return lines, 0
    marked = [line_key(line) in boilerplate and _candidate(line) for line in lines]
    drop = _head_and_stray(lines, marked)
    drop.update(_closing_run(lines, marked, drop))
    kept = [line for i, line in enumerate(lines) if i not in drop]
    return kept, sum(1 for i in drop if lines[i].strip())


def _head_and_stray(lines: list[str], marked: list[bool]) -> set[int]:
    """The boilerplate lines above the body, and those without Chinese anywhere."""
    head = body_start(lines)
    drop: set[int] = set()
    for i, line in enumerate(lines):
        if marked[i] and (i < head or not _CJK.search(line)) and _standalone(lines, i, drop):
            drop.add(i)
    return drop


def _closing_run(lines: list[str], marked: list[bool], drop: set[int]) -> list[int]:
    """The boilerplate lines that end the report, when they stand on their own."""
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or end - 1 in drop or marked[end - 1]):
        end -= 1
    run = [i for i in range(end, len(lines)) if lines[i].strip() and i not in drop]
    return run if run and _standalone(lines, run[0], drop) else []


# --------------------------------------------------------------------------
# across an index run


def collection_of(key: str) -> str:
    """The folder a report's file is in (a collection file's rows share it)."""
    return key.split("#", 1)[0].rsplit("/", 1)[0]


def fold_hash(content_hash: str, boilerplate: set[str]) -> str:
    """The content hash of a report read with these lines dropped: a report whose
    boilerplate changes is a changed report."""
    if not boilerplate:
        return content_hash
    return hashlib.sha256((content_hash + "|" + ",".join(sorted(boilerplate))).encode()).hexdigest()


def settle(entries: list, manifest: dict, stays, reread) -> list:
    """Give every report read in this run its collection's boilerplate, and read again
    the unchanged ones whose boilerplate changed.

    ``entries``: (source, key, report id, SourceDocument or None if unchanged, stat);
    ``manifest``: the index's entries by report id; ``stays(entry)``: an indexed report
    this run does not reach stays in the index; ``reread(keys)``: key -> SourceDocument.
    Returns the entries, re-read ones with their document."""
    for _s, _k, _r, doc, _st in entries:
        if doc is not None and doc.lines is None:
            _read_lines(doc)
    common = _recurring_by_collection(entries, manifest, stays)

    def indexed_keys(rid: str) -> set:
        return set(manifest[rid].get("line_keys", ()))

    stale = {key for _s, key, rid, doc, _st in entries if doc is None
             and common[collection_of(key)] & indexed_keys(rid) != set(manifest[rid].get("boilerplate", ()))}
    fresh = reread(stale) if stale else {}
    out = []
    for source, key, rid, doc, stat in entries:
        if doc is None and key in fresh:
            doc = _read_lines(fresh[key])
        if doc is not None:
            doc.boilerplate = common[collection_of(key)] & doc.line_keys
            doc.content_hash = fold_hash(doc.content_hash, doc.boilerplate)
        out.append((source, key, rid, doc, stat))
    return out


def _read_lines(doc):
    """The document's lines and their keys, read once; the lines replace its text in memory."""
    from .reports import report_lines

    doc.lines = report_lines(doc)
    doc.line_keys = candidate_keys(doc.lines)
    doc.text = ""
    return doc


def _recurring_by_collection(entries: list, manifest: dict, stays) -> dict[str, set]:
    """Collection -> the keys that recur in it, over every report the index will hold:
    those read now, unchanged ones (their keys kept in the index) and ones not reached."""
    present = {rid for _s, _k, rid, _d, _st in entries}
    key_sets: dict[str, list[set]] = {}
    for _s, key, rid, doc, _st in entries:
        keys = doc.line_keys if doc is not None else set(manifest[rid].get("line_keys", ()))
        key_sets.setdefault(collection_of(key), []).append(keys)
    for rid, e in manifest.items():
        if rid not in present and stays(e):
            key_sets.setdefault(collection_of(e.get("key", "")), []).append(set(e.get("line_keys", ())))
    return {coll: recurring(sets) for coll, sets in key_sets.items()}
