"""Shards on Ray: one actor per shard, called by search/shards.py's coordinator.

Imported only with ``--cluster`` (the optional ``govsearch[cluster]`` extra);
the embedded default never imports Ray.  Each actor opens its shard once and
follows its commits (it is a ShardIndex); Ray restarts an actor that dies
(``max_restarts``), and a call to a shard that is dead, restarting or slower
than the timeout comes back as a failure, which the coordinator turns into a
partial result.
"""

from __future__ import annotations

from pathlib import Path

from indexer.cluster import connect, import_ray  # noqa: F401 - connect: the CLI's and the tests' way in

SHARD_TIMEOUT = 10.0          # seconds a phase waits for a shard
MAX_RESTARTS = -1             # restart a dead shard actor, however often it dies
MAX_PENDING_CALLS = 64        # calls queued on one shard before more fail at once (a shard far behind)


class RayShards:
    """The shards of the index at root, each a Ray actor; ``call`` as LocalShards'."""

    def __init__(self, dirs, timeout: float = SHARD_TIMEOUT):
        ray = import_ray()
        self._ray = ray

        @ray.remote(max_restarts=MAX_RESTARTS, max_task_retries=0, num_cpus=0.5,
                    max_pending_calls=MAX_PENDING_CALLS)
        class ShardActor:
            def __init__(self, index_dir: str):
                from search.shards import ShardIndex

                self.shard = ShardIndex(index_dir)
                self.shard.ping()                 # open the shard now, not on the first query

            def call(self, method: str, args: tuple):
                return getattr(self.shard, method)(*args)

            def pid(self) -> int:
                import os

                return os.getpid()

        self.dirs = [str(Path(d).resolve()) for d in dirs]
        self.size = len(self.dirs)
        self.timeout = timeout
        self.actors = [ShardActor.options(name=None).remote(d) for d in self.dirs]

    def ready(self, timeout: float = 60.0):
        """Wait until every shard has opened its index."""
        self._ray.get([a.pid.remote() for a in self.actors], timeout=timeout)

    def pids(self) -> list[int]:
        return self._ray.get([a.pid.remote() for a in self.actors], timeout=self.timeout)

    def call(self, method: str, args: dict) -> dict:
        from ray.exceptions import GetTimeoutError, PendingCallsLimitExceeded

        refs, out = {}, {}
        for i, a in args.items():
            try:
                refs[i] = self.actors[i].call.remote(method, a)
            except PendingCallsLimitExceeded as e:      # far behind: fail now, queue no more
                out[i] = e
        if not refs:
            return out
        ready, _pending = self._ray.wait(list(refs.values()), num_returns=len(refs), timeout=self.timeout)
        done = set(ready)
        for i, ref in refs.items():
            if ref not in done:
                # not cancelled: ray.cancel of a queued call to an in-order actor can leave a
                # hole in the actor's sequence numbers, and the actor then refuses every call
                # for 30 s ("Timed out waiting for seq_no").  A late call runs on, within its
                # search's deadline on the shard (ShardIndex), and its answer is dropped;
                # MAX_PENDING_CALLS bounds how many can queue
                out[i] = GetTimeoutError(f"分片 {i} 在 {self.timeout:g} 秒内没有响应")
                continue
            try:
                out[i] = self._ray.get(ref)
            except Exception as e:  # noqa: BLE001 - dead, restarting or failed: partial answer
                out[i] = _cause(e)
        return out


def _cause(e: Exception) -> Exception:
    """A task's own exception (a bad query) where Ray wraps one; else Ray's."""
    from search.query import QuerySyntaxError
    from search.results import RequestError

    cause = getattr(e, "cause", None)
    if isinstance(cause, (QuerySyntaxError, RequestError)):
        return cause
    return e
