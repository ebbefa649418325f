"""The CLI's side of sharded indexes: --shards for `index`, --cluster for `index`,
`query` and `serve`.  Ray is imported only when --cluster is given."""

from __future__ import annotations

import click

cluster_option = click.option(
    "--cluster", "cluster", default=None, metavar="ADDRESS|local",
    help="在 Ray 上运行：local 在本机启动一个；ray://HOST:PORT 或 HOST:PORT 加入一个集群"
         "（pip install 'govsearch[cluster]'）。")


timeout_option = click.option(
    "--shard-timeout", "shard_timeout", type=click.FloatRange(0.1, 600), default=10.0,
    help="用 --cluster 时每个分片最多用多少秒（默认 10）；更慢的分片不计入，结果标为部分结果。")


def shards_for(index_dir: str, cluster: str | None, timeout: float = 10.0):
    """The shards a search fans out to, or None for an ordinary index searched here."""
    from indexer.layout import shard_dirs

    dirs = shard_dirs(index_dir)
    if cluster is None:
        if dirs is None:
            return None
        from search.shards import LocalShards

        return LocalShards(dirs)
    from search.cluster import RayShards, connect

    connect(cluster)
    shards = RayShards(dirs or [index_dir], timeout=timeout)
    shards.ready()
    return shards


def index_runner(cluster: str | None):
    """How a sharded run runs: None here; on Ray, read and build tasks and a writer
    actor per shard (indexer/cluster.py)."""
    if cluster is None:
        return None
    from indexer.cluster import RayIngest

    return RayIngest(cluster)
