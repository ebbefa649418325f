"""Which shards an index has and where a report lives: what a search needs to
know of a sharded index (indexer/shards.py writes one), without loading the writer."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .messages import library_detail
from .store import IndexError_

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
    except (FileNotFoundError, NotADirectoryError):      # no index yet, or not a folder: not sharded
        return None
    except (OSError, ValueError) as e:
        raise IndexError_(f"分片布局文件 {path} 读不出来{library_detail(e)}") from None
    n = layout.get("shards")
    if not isinstance(n, int) or not 1 <= n <= MAX_SHARDS or layout.get("router") != ROUTER:
        raise IndexError_(f"分片布局文件 {path} 的内容这个 govsearch 不认识（{str(layout)[:80]}）")
    return n


def shard_dirs(root: str | Path) -> list[Path] | None:
    """The shard folders of the index at root, in shard order; None when it is not sharded."""
    n = shard_count(root)
    return None if n is None else [Path(root) / f"shard-{i:02d}" for i in range(n)]
