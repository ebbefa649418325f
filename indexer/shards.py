"""A sharded index: N ordinary indexes under one folder, each report in one of them.

    DIR/
      shards.json        {"shards": N, "router": "sha1-mod"}: written once, checked on every run
      shard-00/ …        each an ordinary govsearch index (CURRENT, data-*, write.lock)

A report goes to the shard its id hashes to, so its paragraphs stay together
(grouping by report stays within a shard) and a reindex finds it where it was.
Routing is a layer above the writer's two steps (indexer/writer.py): one plan
for the whole run, read and decided once, then each shard's part applied to
its folder, incrementally and atomically (per shard) as one index does.
"""

from __future__ import annotations

import functools
import json
import time
from contextlib import ExitStack
from pathlib import Path

from .layout import LAYOUT_FILE, MAX_SHARDS, ROUTER, shard_count, shard_dirs, shard_of  # noqa: F401 (here too)
from .store import IndexError_, IndexStore
from .writer import (IndexRun, apply_plan, count_index, index_paths, plan_sources, read_manifest,
                     refuse_rebuild_without)


def prepare_layout(root: str | Path, shards: int, rebuild: bool = False) -> list[Path]:
    """The shard folders for a run asking for `shards`; the layout is written on the
    first run and a different count afterwards is an error (a rebuild may change it)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise IndexError_(f"--shards 要是 1 到 {MAX_SHARDS} 之间的整数，给的是 {shards}")
    root = Path(root)
    known = shard_count(root)
    if known is None and (root / "CURRENT").exists():
        raise IndexError_(f"{root} 是不分片的索引：请索引到另一个文件夹，或加 --rebuild "
                          f"以 --shards {shards} 重建")
    if known is not None and known != shards and not rebuild:
        raise IndexError_(f"索引 {root} 有 {known} 个分片，不是 {shards} 个：请用 --shards {known}，"
                          f"或加 --rebuild 重新分片")
    root.mkdir(parents=True, exist_ok=True)
    if known != shards:
        for old in sorted(root.glob("shard-*")):
            _retire(old)
        tmp = root / (LAYOUT_FILE + ".tmp")
        tmp.write_text(json.dumps({"shards": shards, "router": ROUTER}), encoding="utf-8")
        tmp.replace(root / LAYOUT_FILE)
    return [root / f"shard-{i:02d}" for i in range(shards)]


def _retire(folder: Path):
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


RESHARD_DIR = ".reshard"        # a rebuild into another number of shards, built beside the index
RETIRED_DIR = ".retired"        # the shards it replaces, for the moment of the swap
BUILT_MARK = "built"            # in RESHARD_DIR: the new shards are complete


def index_sharded(root: str, paths: list[str], shards: int, rebuild: bool = False, wait: float = 0.0,
                  progress=None, run_shards=None, read_many=None, refuse_as: str | None = None) -> IndexRun:
    """Index into a sharded index: one plan over every shard, each shard's part
    written by its own apply step.

    The sources are read, hashed and decided once, against every shard's
    manifest together (so a copy of a report another shard holds is a
    duplicate, as in one index, and a collection's boilerplate is decided over
    all its reports); then each shard writes its reports in one commit.
    ``run_shards(jobs)`` applies each shard's (folder, plan part) and returns
    their IndexRuns in order: here one after the other by default; with
    --cluster (indexer/cluster.py) the reports are built (cleaning, structure,
    segmentation) by Ray tasks and written by one writer actor per shard.
    ``read_many`` reads the sources for the plan (Ray tasks with --cluster).
    Every shard's write lock is held by this process for the whole run.
    ``refuse_as``: the index a rebuild stands for, when it is built elsewhere (_reshard): a
    root it cannot read stops it, as any rebuild of an existing index."""
    _finish_swap(Path(root))
    known = shard_count(root)
    if rebuild and known is not None and known != shards:
        return _reshard(Path(root), paths, shards, wait, progress=progress, run_shards=run_shards,
                        read_many=read_many)
    started = time.monotonic()
    dirs = prepare_layout(root, shards, rebuild)
    stores = [IndexStore(d) for d in dirs]
    run = IndexRun()
    with ExitStack() as locks:
        for store in stores:
            locks.enter_context(store.write_lock(wait=wait))
        manifest = _manifests(stores, rebuild)
        existing = [s for s in stores if s.exists()]
        refuse = (lambda unreadable: refuse_rebuild_without(unreadable, _Root(refuse_as or root))) \
            if rebuild and (existing or refuse_as) else None
        plan = plan_sources(list(paths), manifest, rebuild or not existing, run, refuse, progress or _quiet,
                            read_many)
        jobs = [(str(d), plan.restricted(router(i, shards), rebuild or not s.exists()))
                for i, (d, s) in enumerate(zip(dirs, stores))]
        runs = run_shards(jobs) if run_shards else [apply_shard(f, part, progress) for f, part in jobs]
    out = merge_runs([run] + runs)
    out.seconds = time.monotonic() - started
    return out


def _reshard(root: Path, paths: list[str], shards: int, wait: float, **kwargs) -> IndexRun:
    """A rebuild into another number of shards: built beside the index, which stays whole,
    searchable and locked (no other writer) until the new shards are complete, then put in
    its place.  A failure, a kill or a root it cannot read leaves the index as it was (the
    old shards were once deleted first: any of those lost the whole collection)."""
    staging = root / RESHARD_DIR
    with ExitStack() as locks:
        for folder in shard_dirs(root):
            locks.enter_context(IndexStore(folder).write_lock(wait=wait))
        _retire(staging)                       # a reshard killed before: its half-made shards
        try:
            run = index_sharded(str(staging), paths, shards, rebuild=True, wait=wait, refuse_as=str(root), **kwargs)
        except BaseException:
            _retire(staging)                   # refused or failed: nothing of it stays on disk
            raise
        (staging / BUILT_MARK).write_text("", encoding="utf-8")
        _finish_swap(root)
    return run


def _finish_swap(root: Path):
    """Put complete new shards (RESHARD_DIR with BUILT_MARK) in place of the old ones, or take
    the old ones back out of RETIRED_DIR if a swap stopped half way with nothing complete to
    put in: run before any run on a sharded index, so a kill during a swap heals."""
    staging, retired = root / RESHARD_DIR, root / RETIRED_DIR
    if (staging / BUILT_MARK).exists():
        retired.mkdir(exist_ok=True)
        for old in sorted(root.glob("shard-*")):
            old.rename(retired / old.name)
        for new in sorted(staging.glob("shard-*")):
            new.rename(root / new.name)
        (staging / LAYOUT_FILE).replace(root / LAYOUT_FILE)
        _retire(staging)
    elif retired.exists():
        for old in sorted(retired.glob("shard-*")):
            if not (root / old.name).exists():
                old.rename(root / old.name)
    _retire(retired)


def index_any(root: str, paths: list[str], **kwargs) -> IndexRun:
    """index_paths, or index_sharded with the recorded count when root is sharded."""
    shards = shard_count(root)
    if shards is None:
        return index_paths(root, paths, **kwargs)
    return index_sharded(root, paths, shards, **kwargs)


class _Root:
    def __init__(self, root):
        self.root = root


def _manifests(stores: list[IndexStore], rebuild: bool) -> dict:
    """Every shard's manifest together (none for a rebuild); a shard built by another
    analyzer stops the run, naming it."""
    manifest: dict = {}
    for store in stores:
        if rebuild or not store.exists():
            continue
        problem = store.version_problem()
        if problem:
            raise IndexError_(f"{store.root}: {problem}")
        manifest.update(read_manifest(store.open()))
    return manifest


def router(shard: int, shards: int):
    """keep(report_id) for one shard."""
    return functools.partial(_routes_to, shard=shard, shards=shards)


def _routes_to(report_id: str, shard: int, shards: int) -> bool:
    return shard_of(report_id, shards) == shard


def _quiet(*_args, **_kwargs):
    pass


def apply_shard(folder: str, plan, progress=None) -> IndexRun:
    """One shard's part of the plan: its reports built and written in one commit."""
    store = IndexStore(folder)
    run = IndexRun()
    apply_plan(store, plan, run, progress or _quiet)
    count_index(store, run)
    return run


def merge_runs(runs: list[IndexRun]) -> IndexRun:
    """The plan's run and the shards' runs as one: counts summed, lists joined."""
    out = IndexRun()
    for r in runs:
        for name in ("added", "updated", "removed", "unchanged", "reports", "paragraphs"):
            setattr(out, name, getattr(out, name) + getattr(r, name))
        for name in ("failed", "warnings", "duplicates", "moved", "changes"):
            getattr(out, name).extend(getattr(r, name))
    return out
