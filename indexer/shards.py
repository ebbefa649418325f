"""A sharded index: N ordinary indexes under one folder, each report in one of them.

    DIR/
      shards.json        {"shards": N, "router": "sha1-mod"}: written once, checked on every run
      shard-00/ …        each an ordinary govsearch index (CURRENT, data-*, write.lock)

A report goes to the shard its id hashes to, so its paragraphs stay together
(grouping by report stays within a shard) and a reindex finds it where it was.
Routing is a thin layer above index_paths: one call per shard folder, each
reading every source (a collection's boilerplate is decided over all its
reports) and writing only its own reports, incrementally and atomically as
one index does.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .store import IndexError_
from .writer import IndexRun, index_paths

LAYOUT_FILE = "shards.json"
ROUTER = "sha1-mod"
MAX_SHARDS = 256


def shard_of(report_id: str, shards: int) -> int:
    """The shard a report lives in: stable across runs, machines and Python versions."""
    return int(hashlib.sha1(report_id.encode("utf-8")).hexdigest()[:12], 16) % shards


def shard_count(root: str | Path) -> int | None:
    """How many shards the index at root has; None when it is not sharded."""
    path = Path(root) / LAYOUT_FILE
    try:
        layout = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise IndexError_(f"{path}: cannot read the shard layout ({e})") from None
    n = layout.get("shards")
    if not isinstance(n, int) or not 1 <= n <= MAX_SHARDS or layout.get("router") != ROUTER:
        raise IndexError_(f"{path}: not a shard layout this govsearch knows ({layout!r:.80})")
    return n


def shard_dirs(root: str | Path) -> list[Path] | None:
    """The shard folders of the index at root, in shard order; None when it is not sharded."""
    n = shard_count(root)
    return None if n is None else [Path(root) / f"shard-{i:02d}" for i in range(n)]


def prepare_layout(root: str | Path, shards: int, rebuild: bool = False) -> list[Path]:
    """The shard folders for a run asking for `shards`; the layout is written on the
    first run and a different count afterwards is an error (a rebuild may change it)."""
    if not 1 <= shards <= MAX_SHARDS:
        raise IndexError_(f"--shards must be 1 to {MAX_SHARDS}, got {shards}")
    root = Path(root)
    known = shard_count(root)
    if known is None and (root / "CURRENT").exists():
        raise IndexError_(f"{root} is an unsharded index: index into another folder, or --rebuild it "
                          f"with --shards {shards}")
    if known is not None and known != shards and not rebuild:
        raise IndexError_(f"{root} has {known} shards, not {shards}: use --shards {known}, "
                          f"or --rebuild to reshard")
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


def router(shard: int, shards: int):
    return lambda report_id: shard_of(report_id, shards) == shard


def index_shard(root: str, shard: int, shards: int, paths: list[str], rebuild: bool = False,
                wait: float = 0.0, progress=None) -> IndexRun:
    """One shard's run: its own reports from every source."""
    folder = Path(root) / f"shard-{shard:02d}"
    return index_paths(str(folder), paths, rebuild=rebuild, wait=wait, progress=progress,
                       only=router(shard, shards))


def index_sharded(root: str, paths: list[str], shards: int, rebuild: bool = False, wait: float = 0.0,
                  progress=None, run_shards=None) -> IndexRun:
    """Index into a sharded index: each shard brought up to date by its own run.

    ``run_shards(calls)`` runs the per-shard calls (a list of (function, args,
    kwargs)) and returns their IndexRuns in order: one after the other by default,
    as Ray tasks with --cluster (search/cluster.py)."""
    prepare_layout(root, shards, rebuild)
    calls = [(index_shard, (str(root), i, shards, list(paths)), {"rebuild": rebuild, "wait": wait,
                                                                 "progress": progress})
             for i in range(shards)]
    runs = run_shards(calls) if run_shards else [f(*a, **kw) for f, a, kw in calls]
    return merge_runs(runs)


def merge_runs(runs: list[IndexRun]) -> IndexRun:
    """The shards' runs as one: counts summed; what every shard saw (a file that
    failed, a warning) listed once."""
    out = IndexRun()
    for r in runs:
        out.added += r.added
        out.updated += r.updated
        out.removed += r.removed
        out.unchanged += r.unchanged
        out.reports += r.reports
        out.paragraphs += r.paragraphs
        out.seconds = max(out.seconds, r.seconds)
        out.changes.extend(r.changes)
        for name in ("failed", "warnings", "duplicates", "moved"):
            known = getattr(out, name)
            known.extend(x for x in getattr(r, name) if x not in known)
    return out
