"""index_paths: bring an index up to date with report files, incrementally.

Every report's first unit carries a manifest entry (source, content hash, unit
count, when indexed), so the manifest lives inside the Whoosh index and is
committed atomically with the units it describes: there is no side file to
fall out of step when a run is killed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from whoosh.query import Term

from .analysis import _Jieba, normalize, text_diff, to_simplified
from .boilerplate import settle as settle_boilerplate
from .messages import library_detail
from .model import REPORT_ID, Report
from .reports import build_report, report_id_for
from .sources import (CATALOG_NAMES, SourceError, catalog_orphans, find_files, load_catalog, path_key, read_file,
                      relative_name)
from .store import HEAD_ONLY_FIELDS, IndexError_, IndexStore, Precounted, counting_versions
from .structure import section_label
from .topics import paragraph_bytes
from .validate import report_problem
from .whoosh_format import (ParallelWriter, WriterFailed, describe_failure, hook_writer, postings_codec,
                            remove_uncommitted)

log = logging.getLogger("govsearch.indexer")


def _no_progress(phase: str, done: int, total: int, detail: str = ""):
    pass


@dataclass
class IndexRun:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: list = field(default_factory=list)       # {"source", "error"}
    warnings: list = field(default_factory=list)     # {"source", "warning"}
    duplicates: list = field(default_factory=list)   # {"source", "same_as"}
    moved: list = field(default_factory=list)        # {"from", "to"}
    changes: list = field(default_factory=list)      # {"action": added|updated|removed, "source"}
    reports: int = 0
    paragraphs: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict:
        return {"added": self.added, "updated": self.updated, "removed": self.removed,
                "unchanged": self.unchanged, "failed": self.failed, "reports": self.reports,
                "paragraphs": self.paragraphs, "seconds": round(self.seconds, 3),
                "warnings": self.warnings, "duplicates": self.duplicates, "moved": self.moved}


def read_manifest(ix) -> dict[str, dict]:
    """report_id -> manifest entry, from the head unit of every report."""
    out: dict[str, dict] = {}
    with ix.searcher() as s:
        for docnum in s.docs_for_query(Term("head", "1")):
            f = s.stored_fields(docnum)
            entry = json.loads(f.get("report") or "{}")
            entry["source"] = f.get("source", "")
            entry["report_id"] = f.get("report_id", "")
            out[entry["report_id"]] = entry
    return out


def unit_documents(report: Report, indexed_at: str):
    """The Whoosh documents of one report, head unit first."""
    head_extra = json.dumps({
        "key": report.metadata_origin.get("_key", ""),
        "file_stat": report.metadata_origin.get("_file_stat"),
        "device": report.metadata_origin.get("_device"),
        "content_hash": report.content_hash,
        "unit_count": len(report.paragraphs),
        "indexed_at": indexed_at,
        "script": report.script,
        "dropped_lines": report.dropped_lines,
        "line_keys": report.line_keys,
        "boilerplate": report.boilerplate,
        "metadata_origin": {k: v for k, v in report.metadata_origin.items() if not k.startswith("_")},
        "warnings": report.warnings,
    }, ensure_ascii=False)
    # labels that filters and facets match are kept in Simplified, whatever
    # script the file or its front matter used; the title keeps its own
    common = {
        "report_id": report.report_id, "source": report.source, "file": report.file, "url": report.url,
        "title": report.title,
        "province": to_simplified(report.province), "city": to_simplified(report.city),
        "district": to_simplified(report.district), "region": to_simplified(report.region),
        "level": to_simplified(report.level), "year": report.year,
        "date": report.date, "type": to_simplified(report.type), "speaker": report.speaker,
    }
    if report.year is None:
        del common["year"]                # no year term: in no year range, 未知 in facets
    sections: dict = {}                   # the units of a section share these: worked out once
    texts = _unit_texts(report)
    norms = [normalize(t) for t in texts]
    for p, text, norm, topic in zip(report.paragraphs, texts, norms, _topic_bytes(texts, norms)):
        doc = dict(common)
        doc.update({"id": f"{report.report_id}:{p.para_no}", "part": p.part, "kind": p.kind,
                    "para_no": p.para_no, "text": text, "grams": text, "norm": text,
                    "topic": topic})
        key = (p.section, p.part, tuple(p.heading_path))
        if key not in sections:
            sections[key] = {"section": to_simplified(p.section), "section_label": section_label(p.section, p.part),
                             "heading_path": json.dumps(p.heading_path, ensure_ascii=False),
                             "heading": " ".join(p.heading_path)}
        doc.update(sections[key])
        diff = text_diff(p.text, norm)
        if diff:
            doc["orig"] = diff
        if p.cells is not None:
            doc["cells"] = json.dumps(p.cells, ensure_ascii=False)
        if p.para_no == 0:
            doc["head"] = "1"
            doc["report"] = head_extra
            doc["indicators"] = json.dumps(report.indicators, ensure_ascii=False)
        else:
            # report-level values are indexed on every unit (filters) but stored
            # once, on the head unit: search reads them from there
            for name in HEAD_ONLY_FIELDS:
                if name in doc:
                    doc["_stored_" + name] = None
        yield doc


def _unit_texts(report: Report) -> list[str]:
    """The units' texts as the fields take them: a Ray task's Precounted counts only when
    counted with this process's analyzer, dictionary and table; else plain, counted here."""
    texts = [p.text for p in report.paragraphs]
    if report.counted_with is not None and report.counted_with != counting_versions():
        return [str(t) for t in texts]
    return texts


def _topic_bytes(texts: list[str], norms: list[str]) -> list[bytes]:
    """The units' topic vectors: as a Ray task made them (Precounted), or made here, a
    report's at once (one after another they stay in the CPU's cache: interleaved
    with writing each unit, they cost half again as much)."""
    made = [t.counts.get("topic") if isinstance(t, Precounted) else None for t in texts]
    return made if None not in made else paragraph_bytes(norms)


def _read_sources(files, manifest: dict, run: IndexRun, failed_prefixes: list, devices: dict,
                  progress=_no_progress, read_many=None) -> list:
    """Pass 1: read and hash everything (cheap), so decisions can see the whole run.

    Returns (source, key, rid, doc, file_stat) per report, in the files' order; doc
    is None for a file unchanged by size and modification time, which is not even
    read.  ``read_many(files, heard)`` reads the others (read_files by default; Ray
    tasks with --cluster, indexer/cluster.py)."""
    by_file: dict[str, list[dict]] = {}
    for e in manifest.values():
        by_file.setdefault(e.get("key", "").split("#", 1)[0], []).append(e)
    slots, to_read = [], []
    done = [0]

    def heard(found):
        done[0] += 1
        progress("read", done[0], len(files), found.display)

    for found in files:
        stat = _file_stat(found.path)
        devices[found.key] = _device(found.path)
        known = by_file.get(found.key, [])
        if stat and known and all(e.get("file_stat") == stat and e.get("source", "").startswith(found.display)
                                  for e in known):
            slots.append([(e["source"], e["key"], e["report_id"], None, stat) for e in known])
            heard(found)
        else:
            slots.append((found, stat))
            to_read.append(found)
    read = iter((read_many or read_files)(to_read, heard))
    entries = []
    for slot in slots:
        if isinstance(slot, list):
            entries.extend(slot)
        else:
            entries.extend(_read_entries(*slot, next(read), run, failed_prefixes))
    return entries


def read_files(files: list, heard=None) -> list:
    """For each file, its [(source, doc)] or the SourceError that makes it unreadable;
    ``heard(file)`` after each."""
    catalogs: dict[Path, dict] = {}
    out = []
    for found in files:
        if heard is not None:
            heard(found)
        folder = found.path.parent
        try:
            if folder not in catalogs:
                catalogs[folder] = load_catalog(folder)
            out.append(list(read_file(found, catalogs[folder])))
        except SourceError as e:
            out.append(e)
    return out


def _read_entries(found, stat, items, run: IndexRun, failed_prefixes: list) -> list:
    """One read file's entries; its failures (the whole file, or a row) named in run."""
    if isinstance(items, SourceError):
        run.failed.append({"source": found.display, "error": str(items)})
        failed_prefixes.append(found.key)
        return []
    entries = []
    for source, doc in items:
        key = found.key + source[len(found.display):]    # + "#<row>" for collections
        rid, problem = _report_id(doc, key)
        if problem:
            run.failed.append({"source": source, "error": problem})
            failed_prefixes.append(key)
            continue
        run.warnings.extend({"source": source, "warning": w} for w in doc.warnings)
        entries.append((source, key, rid, doc, stat))
    return entries


def _report_id(doc, key: str) -> tuple[str, str | None]:
    """(report id, None), or ("", why this row or file cannot be a report)."""
    if isinstance(doc, SourceError):
        return "", str(doc)
    rid = str(doc.fields.get("report_id") or report_id_for(key))
    if not REPORT_ID.match(rid):
        return "", f"report_id“{rid[:80]}”不合格：只能是 1–64 个英文字母、数字、_ 或 -"
    return rid, None


def _under(key: str, root_keys: list[str]) -> bool:
    for rk in root_keys:
        if key == rk or key.startswith(rk + "/") or key.startswith(rk + "#"):
            return True
    return False


def index_paths(index_root: str, paths: list[str], rebuild: bool = False, wait: float = 0.0,
                progress=None) -> IndexRun:
    """Index report files and folders into index_root; see IndexRun for the outcome.

    Two steps: plan_run reads the sources and decides what to add, update, keep
    and remove (nothing is written); apply_plan writes exactly that in one commit.
    ``progress(phase, done, total, detail)`` hears of the whole run, phase by
    phase: "read" (each source read and hashed), "write" (each report cleaned,
    segmented and added), "commit" (0 of 1 when the commit starts, 1 of 1 when
    it is done: on a big run it takes a third of the time).
    Raises IndexError_ (one line) when the index is locked or was built with
    another analyzer and --rebuild was not asked for.
    """
    started = time.monotonic()
    progress = progress or _no_progress
    store = IndexStore(index_root)
    run = IndexRun()
    with store.write_lock(wait=wait):
        plan = plan_run(store, paths, rebuild, run, progress)
        log.info("read %d source(s) in %.1f s: %d to write, %d unchanged, %d failed",
                 len(plan.files), time.monotonic() - started, len(plan.pending), run.unchanged, len(run.failed))
        apply_plan(store, plan, run, progress)
        count_index(store, run)
    run.seconds = time.monotonic() - started
    log.info("indexed %s in %.1f s: added %d, updated %d, removed %d", index_root, run.seconds,
             run.added, run.updated, run.removed)
    return run


class Pending(NamedTuple):
    """A source whose report is (re)written this run."""
    source: str
    key: str
    report_id: str
    doc: object                 # what sources.read_file gave: text and fields, not yet a Report
    old: dict | None            # its manifest entry when it replaces an indexed report
    stat: list | None


@dataclass
class RunPlan:
    """What a run will do, decided before anything is written."""
    fresh: bool                 # a new data folder (first build or --rebuild)
    manifest: dict              # report id -> manifest entry of the index as it is
    root_keys: list             # the paths this run was given, as keys
    files: list                 # the report files found under them
    present: set                # ids of the reports this run found
    failed_prefixes: list       # keys this run could not read: their reports stay
    devices: dict               # file key -> the filesystem it is on
    pending: list               # [Pending]: reports to write

    def restricted(self, keep, fresh: bool) -> "RunPlan":
        """The part of this plan for the reports ``keep(report_id)`` holds (one shard's)."""
        return replace(self, fresh=fresh, manifest={r: e for r, e in self.manifest.items() if keep(r)},
                       pending=[p for p in self.pending if keep(p.report_id)],
                       failed_prefixes=list(self.failed_prefixes))

    def gone(self, unmounted: "_Unmounted") -> list[str]:
        """Indexed reports under a root of this run whose source is gone (not merely
        unreadable this time, nor on a disk that is not mounted)."""
        return [rid for rid, e in self.manifest.items()
                if rid not in self.present and _under(e.get("key", ""), self.root_keys)
                and not _under(e.get("key", ""), self.failed_prefixes) and not unmounted.holds(e)]


def plan_run(store: IndexStore, paths: list[str], rebuild: bool, run: IndexRun, progress=_no_progress) -> RunPlan:
    """Read and hash every source and decide what each needs; writes nothing."""
    existing = store.exists()
    if existing and not rebuild:
        problem = store.version_problem()
        if problem:
            raise IndexError_(problem)
    fresh = rebuild or not existing
    manifest = {} if fresh else read_manifest(store.open())
    refuse = (lambda unreadable: refuse_rebuild_without(unreadable, store)) if rebuild and existing else None
    return plan_sources(paths, manifest, fresh, run, refuse, progress)


def plan_sources(paths: list[str], manifest: dict, fresh: bool, run: IndexRun, refuse=None,
                 progress=_no_progress, read_many=None) -> RunPlan:
    """The plan for these paths against an index holding ``manifest`` (a sharded
    index passes every shard's, so duplicates are found across shards).
    ``refuse(unreadable)`` may stop a rebuild before anything is decided;
    ``read_many``: how the sources are read (see _read_sources)."""
    files, unreadable = find_files(paths)
    if refuse is not None:
        refuse(unreadable)
    run.warnings.extend(catalog_orphans(files))
    root_keys = _root_keys(paths)
    # what this run could not read: their indexed reports stay as they are
    failed_prefixes: list[str] = [u.key for u in unreadable] + [u.place for u in unreadable if u.place]
    run.failed.extend({"source": u.display, "error": u.reason} for u in unreadable)
    devices: dict[str, int] = {}
    entries = _read_sources(files, manifest, run, failed_prefixes, devices, progress, read_many)
    entries = settle_boilerplate(entries, manifest, lambda e: not _under(e.get("key", ""), root_keys),
                                 lambda keys: _reread(files, keys))
    pending = decide_changes(entries, manifest, root_keys, run)
    return RunPlan(fresh, manifest, root_keys, files, {rid for _, _, rid, _, _ in entries},
                   failed_prefixes, devices, pending)


def decide_changes(entries: list, manifest: dict, root_keys: list[str], run: IndexRun) -> list[Pending]:
    """Which sources to write: not the unchanged, not a second copy of a text
    already indexed, not an id claimed twice.  Counts those in run."""
    new_hash = {rid: (doc.content_hash if doc is not None else manifest[rid].get("content_hash"))
                for _, _, rid, doc, _ in entries}
    present = set(new_hash)

    def stays(rid: str) -> bool:
        """An indexed report keeps its content: this run did not reach its source, or found it unchanged."""
        if not _under(manifest[rid].get("key", ""), root_keys):
            return True
        return rid in present and new_hash[rid] == manifest[rid].get("content_hash")

    assigned: set[str] = set()
    kept_hash: dict[str, str] = {}     # content hash -> source, for this run's reports
    manifest_hash = {e.get("content_hash"): rid for rid, e in manifest.items()}
    pending = []
    for source, key, rid, doc, stat in entries:
        old = manifest.get(rid)
        problem = _id_problem(rid, key, old, assigned, root_keys)
        assigned.add(rid)
        if problem:
            run.failed.append({"source": source, "error": problem})
            continue
        content_hash = old.get("content_hash") if doc is None else doc.content_hash
        if doc is None or (old and old.get("content_hash") == content_hash and old.get("source") == source):
            run.unchanged += 1          # by size and mtime, or by content
            kept_hash.setdefault(content_hash, source)
            continue
        twin = manifest_hash.get(content_hash)
        if content_hash in kept_hash:
            run.duplicates.append({"source": source, "same_as": kept_hash[content_hash]})
        elif twin and twin != rid and stays(twin):
            run.duplicates.append({"source": source, "same_as": manifest[twin]["source"]})
        else:
            kept_hash[content_hash] = source
            pending.append(Pending(source, key, rid, doc, old, stat))
    return pending


def _id_problem(rid: str, key: str, old: dict | None, assigned: set[str], root_keys: list[str]) -> str | None:
    if rid in assigned:
        return f"report_id {rid} 用了两次：每篇报告的 report_id 必须不同"
    if old and old.get("key") != key and not _under(old.get("key", ""), root_keys):
        # an id given by the file itself that another source already uses
        return f"report_id {rid} 已经被 {old.get('source')} 用了：每篇报告的 report_id 必须不同"
    return None


def apply_plan(store: IndexStore, plan: RunPlan, run: IndexRun, progress=None, built=None):
    """Write the plan in one commit (a fresh build is published only when whole).

    ``built``: (pending, report or None, problem) for each of plan.pending, in any
    order, when the reports are built elsewhere (Ray tasks, indexer/shards.py);
    by default each is built here as the writer asks for it."""
    data_dir = store.new_data_dir() if plan.fresh else store.current_dir()
    unmounted = _Unmounted()
    written: dict[str, tuple[str, str]] = {}           # content hash -> (report id, source)
    gone: list[str] = []
    with _undone_on_failure(store, data_dir, plan.fresh):
        ix = store.open(check_version=False, data_dir=data_dir)
        if plan.fresh or plan.pending or plan.gone(unmounted):
            gone = _write(ix, plan, run, progress, written, unmounted, built)
        if plan.fresh:
            store.publish(data_dir)
    run.failed.extend(unmounted.failures())
    _record_removals(run, plan.manifest, gone, written)


def _write(ix, plan: RunPlan, run: IndexRun, progress, written: dict, unmounted, built=None) -> list[str]:
    """Add the plan's reports, delete the gone ones, commit; returns the ids removed."""
    indexed_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    # about one unit per 150 characters: enough to choose the writer
    writer = _writer(ix, sum(p.doc.size() for p in plan.pending) // 150)
    try:
        for report in _built_reports(plan, run, progress, built):
            if report.report_id in plan.manifest:
                writer.delete_by_term("report_id", report.report_id)
            for doc in unit_documents(report, indexed_at):
                writer.add_document(**doc)
            written[report.content_hash] = (report.report_id, report.source)
        # after building: a source that failed to parse keeps its indexed version
        gone = plan.gone(unmounted)
        for rid in gone:
            writer.delete_by_term("report_id", rid)
        if plan.fresh or written or gone:
            progress("commit", 0, 1)
            commit_started = time.monotonic()
            writer.commit()
            log.info("committed %d report(s), removed %d, in %.1f s", len(written), len(gone),
                     time.monotonic() - commit_started)
            progress("commit", 1, 1)
        else:
            writer.cancel()
        return gone
    except BaseException:
        _cancel(writer)
        raise


def _built_reports(plan: RunPlan, run: IndexRun, progress, built=None):
    """Each pending source as a Report, built as the writer asks for it, so
    cleaning and segmenting here overlap with the writer processes (or as
    ``built`` hands them over)."""
    built = built if built is not None else ((p, *build_pending(p, plan)) for p in plan.pending)
    for n, (pending, report, problem) in enumerate(built, 1):
        progress("write", n, len(plan.pending), pending.source)
        if problem:
            log.debug("failed: %s: %s", pending.source, problem)
            run.failed.append({"source": pending.source, "error": problem})
            plan.failed_prefixes.append(pending.key)
            continue
        run.warnings.extend({"source": pending.source, "warning": w}
                            for w in report.warnings[len(pending.doc.warnings):])
        log.debug("%s %s: %d units", "updated" if pending.old else "added", pending.source, len(report.paragraphs))
        if pending.old:
            run.updated += 1
        else:
            run.added += 1
        run.changes.append({"action": "updated" if pending.old else "added", "source": pending.source})
        yield report


# said in Chinese: a person reads it in the list of failed files, beside the file's name
NOTHING_LEFT = "清理后没有剩下正文（只有网页杂项、页码或空行）：没有可索引的文字"


def build_pending(pending: Pending, plan: RunPlan) -> tuple[Report | None, str | None]:
    """(the report, None), or (None, why this source cannot be indexed)."""
    try:
        report = build_report(pending.doc, pending.key)
    except Exception as e:  # a report our reader cannot parse (a bug of ours): name it, go on
        log.debug("building %s failed", pending.key, exc_info=True)
        return None, "报告内容无法解析" + library_detail(e)
    report.report_id = pending.report_id
    problem = NOTHING_LEFT if not report.paragraphs else report_problem(report)
    if problem:
        return None, problem
    report.file = relative_name(pending.key, plan.root_keys)
    report.metadata_origin["_key"] = pending.key
    report.metadata_origin["_file_stat"] = pending.stat
    report.metadata_origin["_device"] = plan.devices.get(pending.key.split("#", 1)[0])
    return report, None


def _record_removals(run: IndexRun, manifest: dict, gone: list[str], written: dict):
    """Count the removed reports; a removed report whose text was written under a new id moved."""
    for rid in gone:
        twin = written.get(manifest[rid].get("content_hash"))
        if twin is not None and twin[0] not in manifest:
            run.moved.append({"from": manifest[rid]["source"], "to": twin[1]})
    run.removed = len(gone)
    run.changes.extend({"action": "removed", "source": manifest[rid]["source"]} for rid in gone)


def count_index(store: IndexStore, run: IndexRun):
    ix = store.open()
    with ix.searcher() as s:
        run.paragraphs = s.doc_count()
        run.reports = sum(1 for _ in s.docs_for_query(Term("head", "1")))


# Segmenting and writing postings is most of the cost of indexing; on a big
# batch, one writer process per core roughly divides it by the cores.  A child
# costs its share of pickled documents and writes every term it meets again
# (about an eighth more CPU in all at 10k paragraphs), so a small run is
# written in this process, and each child gets at least this many units.
PARALLEL_MIN_UNITS = 2000
MAX_WRITER_PROCESSES = 4
# postings held in memory per writer process before a run is spilled to disk
POOL_MB = 512
# the number of writer processes, when set (1: everything in this process)
PROCESSES_ENV = "GOVSEARCH_WRITER_PROCESSES"


def writer_processes(units: int) -> int:
    """How many writer processes for a run of about ``units`` units: $GOVSEARCH_WRITER_PROCESSES
    when set (one on a machine whose cores are busy anyway), else one per core
    that gets PARALLEL_MIN_UNITS, and one for a small run."""
    forced = os.environ.get(PROCESSES_ENV, "").strip()
    if forced:
        if not forced.isdigit() or not 1 <= int(forced) <= 64:
            raise IndexError_(f"环境变量 {PROCESSES_ENV}={forced[:20]!r} 不对：写索引的进程数要是 1 到 64 的整数")
        return int(forced)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, MAX_WRITER_PROCESSES, units // PARALLEL_MIN_UNITS))


def _writer(ix, units: int):
    _Jieba.fast()           # loaded once here, so forked writer children inherit it
    procs = writer_processes(units)
    # compound=False: a segment stays separate files.  Whoosh reads a compound
    # segment by copying each of its parts into memory (BytesIO over the mmap),
    # so a 1M-paragraph index cost its full size in RAM to open; plain files
    # are read where needed instead.
    in_process = procs == 1
    # each writer process gets the codec (its block size) with the writer's arguments
    options = {"limitmb": POOL_MB, "compound": False, "codec": postings_codec()}
    if in_process:
        writer = ix.writer(**options)
    else:
        writer = ParallelWriter(ix, procs=procs, multisegment=True, starts_group=_starts_report,
                                **options)
    hook_writer(writer, POOL_MB, in_process)
    return writer


def _starts_report(fields: dict) -> bool:
    """A unit document is its report's first (unit_documents marks it head)."""
    return fields.get("head") == "1"


def _file_stat(path: Path) -> list | None:
    """What says a file is unchanged without reading it: size, mtime, and its folder's catalog."""
    try:
        st = path.stat()
    except OSError:
        return None
    catalog = 0
    for name in CATALOG_NAMES:
        try:
            catalog = max(catalog, (path.parent / name).stat().st_mtime_ns)
        except OSError:
            pass
    return [st.st_size, st.st_mtime_ns, catalog]


def _reread(files, keys: set[str]) -> dict:
    """Read again the reports (file key + #row) whose collection's boilerplate changed."""
    out = {}
    for found in files:
        if not any(k.split("#", 1)[0] == found.key for k in keys):
            continue
        try:
            items = list(read_file(found, load_catalog(found.path.parent)))
        except SourceError:
            continue                       # gone meanwhile: it keeps its indexed version
        for source, doc in items:
            key = found.key + source[len(found.display):]
            if key in keys and not isinstance(doc, SourceError):
                out[key] = doc
    return out


def _root_keys(paths: list[str]) -> list[str]:
    return [path_key(Path(arg)) for arg in paths]


def _device(path: Path) -> int | None:
    try:
        return path.stat().st_dev
    except OSError:
        return None


def refuse_rebuild_without(unreadable: list, store):
    """A rebuild replaces the index with what this run reads: a folder it cannot
    read (a disk not mounted, a folder it may not list) would silently drop every
    report in it, so the rebuild stops before writing anything."""
    whole = [u for u in unreadable if u.whole]
    if whole:
        u = whole[0]
        raise IndexError_(f"没有重建：{u.display}：{u.reason}；索引 {store.root} 保持原样"
                          f"（请挂载或修好它；要删掉它的报告，重建时不要列出这个路径）")


class _Unmounted:
    """Indexed reports on a disk that is not mounted now: kept, their folder named once.

    An unmounted disk leaves its mount point an empty folder on the disk beneath,
    and walking it finds nothing, as if every report had been deleted.  A gone
    report whose nearest existing folder is empty and on another filesystem than
    its file was indexed from stays in the index."""

    def __init__(self):
        self._vacant: dict[tuple[str, int], bool] = {}
        self._kept: dict[str, set[str]] = {}          # folder -> ids of the reports kept

    def holds(self, entry: dict) -> bool:
        device = entry.get("device")
        folder = _nearest_folder(entry.get("key", "").split("#", 1)[0])
        if device is None or folder is None:
            return False
        if (folder, device) not in self._vacant:
            self._vacant[(folder, device)] = _empty_elsewhere(folder, device)
        if self._vacant[(folder, device)]:
            self._kept.setdefault(folder, set()).add(entry.get("report_id", ""))
            return True
        return False

    def failures(self) -> list[dict]:
        return [{"source": folder, "error": f"文件夹是空的，而且和从这里索引的 {len(ids)} 篇报告"
                                            f"不在同一个文件系统上：磁盘挂载了吗？这些报告仍保留在索引里"}
                for folder, ids in self._kept.items()]


def _nearest_folder(path: str) -> str | None:
    p = Path(path).parent
    while not p.is_dir():
        if p == p.parent:
            return None
        p = p.parent
    return str(p)


def _empty_elsewhere(folder: str, device: int) -> bool:
    try:
        if os.stat(folder).st_dev == device:
            return False
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _cancel(writer):
    """Cancel a writer that failed; a second error must not hide the first."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - already failing
        pass


@contextmanager
def _undone_on_failure(store: IndexStore, data_dir: Path, fresh: bool):
    """A run that fails while writing leaves the index as it was: a new data
    folder is removed, the live one loses the files of the commit that did not
    happen, and a full disk or a failed writer process becomes one line."""
    try:
        yield
    except BaseException as e:
        if fresh and store.current_dir() != data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif not fresh:
            remove_uncommitted(data_dir)
        if isinstance(e, (OSError, WriterFailed)):
            reason = describe_failure(e) if isinstance(e, OSError) else str(e)
            before = "索引保持原样" if store.current_dir() else "没有建成索引"
            raise IndexError_(f"索引 {store.root} 写入失败：{reason}；"
                              f"这次运行什么也没写入，{before}") from None
        raise
