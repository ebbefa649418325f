"""The CLI's side of sharded indexes: --shards for `index`, --cluster for `index`,
`query` and `serve`.  Ray is imported only when --cluster is given."""

from __future__ import annotations

import click

cluster_option = click.option(
    "--cluster", "cluster", default=None, metavar="ADDRESS|local",
    help="Run on Ray: 'local' starts one here; ray://HOST:PORT or HOST:PORT joins a cluster "
         "(pip install 'govsearch[cluster]').")


timeout_option = click.option(
    "--shard-timeout", "shard_timeout", type=click.FloatRange(0.1, 600), default=10.0, show_default=True,
    help="With --cluster: seconds a shard may take; a slower one leaves a partial result, flagged.")


def shards_for(index_dir: str, cluster: str | None, timeout: float = 10.0):
    """The shards a search fans out to, or None for an ordinary index searched here."""
    from indexer.shards import shard_dirs

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
