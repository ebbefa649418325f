"""index_paths: bring an index up to date with report files, incrementally.

Every report's first unit carries a manifest entry (source, content hash, unit
count, when indexed), so the manifest lives inside the Whoosh index and is
committed atomically with the units it describes: there is no side file to
fall out of step when a run is killed.
"""

from __future__ import annotations

import json
import os
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import writing as whoosh_writing
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.query import Term

from .analysis import _Jieba, normalize, text_diff, to_simplified
from .model import REPORT_ID, Report
from .pool import TermGroupingPool
from .segment import add_document, flush_segment
from .reports import build_report, report_id_for
from .sources import CATALOG_NAMES, SourceError, find_files, load_catalog, path_key, read_file
from .store import HEAD_ONLY_FIELDS, IndexError_, IndexStore


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
        "content_hash": report.content_hash,
        "unit_count": len(report.paragraphs),
        "indexed_at": indexed_at,
        "script": report.script,
        "metadata_origin": {k: v for k, v in report.metadata_origin.items() if not k.startswith("_")},
        "warnings": report.warnings,
    }, ensure_ascii=False)
    # labels that filters and facets match are kept in Simplified, whatever
    # script the file or its front matter used; the title keeps its own
    common = {
        "report_id": report.report_id, "source": report.source, "title": report.title,
        "province": to_simplified(report.province), "city": to_simplified(report.city),
        "district": to_simplified(report.district), "region": to_simplified(report.region),
        "level": to_simplified(report.level), "year": int(report.year or 0),
        "date": report.date, "type": to_simplified(report.type), "speaker": report.speaker,
    }
    for p in report.paragraphs:
        doc = dict(common)
        doc.update({
            "id": f"{report.report_id}:{p.para_no}", "section": to_simplified(p.section), "part": p.part,
            "kind": p.kind, "para_no": p.para_no,
            "heading_path": json.dumps(p.heading_path, ensure_ascii=False),
            "heading": " ".join(p.heading_path), "text": p.text, "grams": p.text, "norm": p.text,
        })
        diff = text_diff(p.text, normalize(p.text))
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


def _same_or_row(key: str, failed: str) -> bool:
    """The failed source itself, or a row of a failed collection file."""
    return key == failed or key.startswith(failed + "#")


def _under(key: str, root_keys: list[str]) -> bool:
    for rk in root_keys:
        if key == rk or key.startswith(rk + "/") or key.startswith(rk + "#"):
            return True
    return False


def index_paths(index_root: str, paths: list[str], rebuild: bool = False, wait: float = 0.0,
                progress=None) -> IndexRun:
    """Index report files and folders into index_root; see IndexRun for the outcome.

    Raises IndexError_ (one line) when the index is locked or was built with
    another analyzer and --rebuild was not asked for.
    """
    started = time.monotonic()
    store = IndexStore(index_root)
    run = IndexRun()
    with store.write_lock(wait=wait):
        existing = store.exists()
        if existing and not rebuild:
            problem = store.version_problem()
            if problem:
                raise IndexError_(problem)
        fresh = rebuild or not existing
        manifest: dict[str, dict] = {}
        if not fresh:
            manifest = read_manifest(store.open())

        files, missing = find_files(paths)
        for src, reason in missing:
            run.failed.append({"source": src, "error": reason})
        root_keys = _root_keys(paths)

        # pass 1: read and hash everything (cheap), so decisions can see the whole run
        entries = []                       # (source, key, rid, doc, file_stat)
        failed_prefixes: list[str] = []
        catalogs: dict[Path, dict] = {}
        by_file: dict[str, list[dict]] = {}
        for e in manifest.values():
            by_file.setdefault(e.get("key", "").split("#", 1)[0], []).append(e)
        for n, found in enumerate(files, 1):
            folder = found.path.parent
            stat = _file_stat(found.path)
            known = by_file.get(found.key, [])
            if stat and known and all(e.get("file_stat") == stat and e.get("source", "").startswith(found.display)
                                      for e in known):
                # same size and modification time as when indexed: not even read
                for e in known:
                    entries.append((e["source"], e["key"], e["report_id"], None, stat))
                continue
            try:
                if folder not in catalogs:
                    catalogs[folder] = load_catalog(folder)
                items = list(read_file(found, catalogs[folder]))
            except SourceError as e:
                run.failed.append({"source": found.display, "error": str(e)})
                failed_prefixes.append(found.key)
                continue
            for source, doc in items:
                key = found.key + source[len(found.display):]    # + "#<row>" for collections
                if isinstance(doc, SourceError):
                    run.failed.append({"source": source, "error": str(doc)})
                    failed_prefixes.append(key)
                    continue
                for w in doc.warnings:
                    run.warnings.append({"source": source, "warning": w})
                rid = str(doc.fields.get("report_id") or report_id_for(key))
                if not REPORT_ID.match(rid):
                    run.failed.append({"source": source, "error": f"report_id {rid[:80]!r} is not 1–64 "
                                                                  f"letters, digits, _ or -"})
                    failed_prefixes.append(key)
                    continue
                entries.append((source, key, rid, doc, stat))

        present = {rid for _, _, rid, _, _ in entries}
        new_hash = {rid: (doc.content_hash if doc is not None else manifest[rid].get("content_hash"))
                    for _, _, rid, doc, _ in entries}

        def stays(rid: str) -> bool:
            """An indexed report keeps its content: this run did not reach its
            source, or found it unchanged."""
            if not _under(manifest[rid].get("key", ""), root_keys):
                return True
            return rid in present and new_hash[rid] == manifest[rid].get("content_hash")

        # pass 2: decide what each source needs
        assigned: set[str] = set()
        kept_hash: dict[str, str] = {}     # content hash -> source, for this run's reports
        manifest_hash = {e.get("content_hash"): rid for rid, e in manifest.items()}
        pending = []
        for source, key, rid, doc, stat in entries:
            if rid in assigned:
                run.failed.append({"source": source, "error": f"report_id {rid} is used twice"})
                continue
            assigned.add(rid)
            old = manifest.get(rid)
            if old and old.get("key") != key and not _under(old.get("key", ""), root_keys):
                # an id given by the file itself that another source already uses
                run.failed.append({"source": source, "error": f"report_id {rid} is already used by "
                                                              f"{old.get('source')}"})
                continue
            if doc is None:                          # unchanged by size and mtime
                run.unchanged += 1
                kept_hash.setdefault(old.get("content_hash"), source)
                continue
            if old and old.get("content_hash") == doc.content_hash and old.get("source") == source:
                run.unchanged += 1
                kept_hash.setdefault(doc.content_hash, source)
                continue
            twin = manifest_hash.get(doc.content_hash)
            if doc.content_hash in kept_hash:
                run.duplicates.append({"source": source, "same_as": kept_hash[doc.content_hash]})
                continue
            if twin and twin != rid and stays(twin):
                run.duplicates.append({"source": source, "same_as": manifest[twin]["source"]})
                continue
            kept_hash[doc.content_hash] = source
            pending.append((source, key, rid, doc, old, stat))

        indexed_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")

        def built_reports():
            """Each pending source as a Report, built as the writer asks for it, so
            cleaning and segmenting here overlap with the writer processes."""
            for n, (source, key, rid, doc, old, stat) in enumerate(pending, 1):
                if progress:
                    progress(n, len(pending), source)
                try:
                    report = build_report(doc, key)
                except Exception as e:  # a report our reader cannot parse: name it, go on
                    run.failed.append({"source": source, "error": f"cannot parse: {type(e).__name__}: {e}"})
                    failed_prefixes.append(key)
                    continue
                if not report.paragraphs:
                    run.failed.append({"source": source, "error": "no text left after cleaning"})
                    failed_prefixes.append(key)
                    continue
                report.report_id = rid
                report.metadata_origin["_key"] = key
                report.metadata_origin["_file_stat"] = stat
                if old:
                    run.updated += 1
                else:
                    run.added += 1
                run.changes.append({"action": "updated" if old else "added", "source": source})
                yield report

        def gone_reports() -> list[str]:
            """Sources that were under an indexed root and are gone now."""
            return [rid for rid, e in manifest.items()
                    if rid not in present and _under(e.get("key", ""), root_keys)
                    and not any(_same_or_row(e.get("key", ""), fp) for fp in failed_prefixes)]

        if fresh:
            data_dir = store.new_data_dir()
            from whoosh import index as whoosh_index
            ix = whoosh_index.open_dir(str(data_dir))
        else:
            ix = store.open()
        written: dict[str, tuple[str, str]] = {}           # content hash -> (report id, source)
        gone: list[str] = []
        if fresh or pending or gone_reports():
            # about one unit per 150 characters: enough to choose the writer
            units = sum(len(doc.text) for _s, _k, _r, doc, _o, _st in pending) // 150
            writer = _writer(ix, units)
            try:
                for report in built_reports():
                    if report.report_id in manifest:
                        writer.delete_by_term("report_id", report.report_id)
                    for doc in unit_documents(report, indexed_at):
                        writer.add_document(**doc)
                    written[report.content_hash] = (report.report_id, report.source)
                # after building: a source that failed to parse keeps its indexed version
                gone = gone_reports()
                for rid in gone:
                    writer.delete_by_term("report_id", rid)
                if fresh or written or gone:
                    writer.commit()
                else:
                    writer.cancel()
            except BaseException:
                writer.cancel()
                raise
        for rid in gone:
            twin = written.get(manifest[rid].get("content_hash"))
            if twin is not None and twin[0] not in manifest:
                run.moved.append({"from": manifest[rid]["source"], "to": twin[1]})
        run.removed = len(gone)
        run.changes.extend({"action": "removed", "source": manifest[rid]["source"]} for rid in gone)

        if fresh:
            store.publish(data_dir)
        ix = store.open()
        with ix.searcher() as s:
            run.paragraphs = s.doc_count()
            run.reports = sum(1 for _ in s.docs_for_query(Term("head", "1")))
    run.seconds = time.monotonic() - started
    return run


# Whoosh's postings writer is pure Python and is most of the cost of indexing;
# on a big batch, one writer process per core roughly divides it by the cores.
PARALLEL_MIN_UNITS = 2000
# postings held in memory per writer process before a run is spilled to disk
POOL_MB = 512


def _die_with_parent(parent: int):
    """In a writer child: be killed when the parent dies (Linux), so a SIGKILLed
    run leaves no orphan holding the index's locks."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL))          # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:                      # the parent died before prctl took
        os._exit(1)


class _ChildTask(SubWriterTask):
    def __init__(self, *args):
        super().__init__(*args)
        self._parent = os.getpid()

    def run(self):
        _die_with_parent(self._parent)
        # this process only (a forked child): its SegmentWriter takes our pool
        # and writes it block by block
        whoosh_writing.PostingPool = TermGroupingPool
        whoosh_writing.SegmentWriter.add_document = add_document
        whoosh_writing.SegmentWriter._flush_segment = flush_segment
        super().run()


class _ParallelWriter(MpWriter):
    """Whoosh's multi-process writer whose children never outlive this process."""

    def _new_task(self):
        task = _ChildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task


def _writer(ix, units: int):
    _Jieba.fast()           # loaded once here, so forked writer children inherit it
    procs = min(os.cpu_count() or 1, 4)
    # compound=False: a segment stays separate files.  Whoosh reads a compound
    # segment by copying each of its parts into memory (BytesIO over the mmap),
    # so a 1M-paragraph index cost its full size in RAM to open; plain files
    # are read where needed instead.
    if procs > 1 and units >= PARALLEL_MIN_UNITS:
        writer = _ParallelWriter(ix, procs=procs, multisegment=True, limitmb=POOL_MB, compound=False)
    else:
        writer = ix.writer(limitmb=POOL_MB, compound=False)
        writer.add_document = types.MethodType(add_document, writer)
    # the writer's own segment (and any merge it does at commit) goes the same way
    writer.pool = TermGroupingPool(limitmb=POOL_MB)
    writer._flush_segment = types.MethodType(flush_segment, writer)
    return writer


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


def _root_keys(paths: list[str]) -> list[str]:
    return [path_key(Path(arg)) for arg in paths]
