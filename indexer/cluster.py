"""Distributed ingest on Ray: per-file work as tasks, each shard's writer as one actor.

Imported only with ``--cluster`` (the optional ``govsearch[cluster]`` extra).

The run's plan is made once, by the driver (indexer/shards.py: unchanged
sources, boilerplate and duplicates decided over the whole collection).

* **read tasks** read the sources (decoding, parsing PDF/DOCX/HTML, hashing),
  32 files at a time, for the driver's plan;
* **build tasks** take the pending reports a batch at a time and do the
  per-file work: cleaning, structure, metadata, and the segmentation the index
  needs (each unit's jieba words and character grams, counted, and its topic
  vector: a ``Precounted`` text the writer takes as is when it was counted with
  the writer's own dictionary and table, ``store.counting_versions``);
* **one writer actor per shard** holds that shard's Whoosh writer and adds the
  reports as their tasks finish (a task's result goes to the actor directly,
  not through the driver), then deletes the reports gone and commits: one
  commit per shard, atomic, incremental, as ``apply_plan`` makes it.

A source that cannot be built is one line in the run's failures and its
indexed version stays; a build task that dies (its worker lost) fails its
batch's sources the same way.  A writer that fails leaves its shard as it was
(``apply_plan``'s undo) and the run fails in one line; shards that committed
keep their commit, and rerunning the command finishes the job.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import replace

from .messages import library_detail
from .store import IndexError_, IndexStore, Precounted, counting_versions

BATCH_CHARS = 2_000_000           # characters of source text per build task
BATCH_FILES = 64                  # sources per build task, at most
QUEUE_REPORTS = 64                # built reports waiting in a writer actor, at most
IN_FLIGHT_PER_CPU = 2             # build tasks submitted per CPU of the cluster


def import_ray():
    try:
        import ray
    except ImportError:
        raise IndexError_("--cluster 需要 Ray：请先安装，pip install 'govsearch[cluster]'") from None
    return ray


def _last_words(cause: BaseException, first: bool = False) -> str:
    """A failed task's own last (or first) line, in parentheses; never its exception class."""
    lines = str(cause).strip().splitlines()
    return library_detail((lines[0] if first else lines[-1]) if lines else "")


def connect(address: str, num_cpus: int | None = None, object_store_memory: int | None = None):
    """Join the Ray cluster at address (``local``: start one in this process)."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    # Ray's own progress lines stay out of the CLI's stderr (errors are one line there)
    kwargs = {"ignore_reinit_error": True, "include_dashboard": False, "log_to_driver": False,
              "logging_level": logging.ERROR}
    if address == "local":
        kwargs.update(num_cpus=num_cpus, object_store_memory=object_store_memory)
        ray.init(**{k: v for k, v in kwargs.items() if v is not None})
    else:
        try:
            ray.init(address=address, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure to connect is one line
            raise IndexError_(f"连不上 {address} 的 Ray 集群：请检查 --cluster 地址{library_detail(e)}") from None
    return ray


# --------------------------------------------------------------------------- the per-file work

READ_FILES = 32                   # files per read task


def read_batch(files: list) -> list:
    from .writer import read_files

    return read_files(files)


def ray_reader(ray):
    """read_many for the plan (indexer/writer.py): the sources read (decoded, parsed,
    hashed) by Ray tasks, READ_FILES at a time; results in the files' order."""
    task = ray.remote(num_cpus=1, max_retries=1)(read_batch)

    def read_many(files: list, heard=None) -> list:
        groups = [files[i:i + READ_FILES] for i in range(0, len(files), READ_FILES)]
        refs = [task.remote(g) for g in groups]
        out = []
        for group, ref in zip(groups, refs):
            out.extend(_read_or_fail(ray, ref, group))
            for found in group:
                if heard is not None:
                    heard(found)
        return out

    return read_many


def _read_or_fail(ray, ref, group: list) -> list:
    """A read task's answer; a lost task makes each of its files one failure."""
    from .sources import SourceError

    try:
        return ray.get(ref)
    except Exception as e:  # noqa: BLE001 - the task (or its worker) failed
        cause = getattr(e, "cause", None) or e
        return [SourceError("集群上读取文件的任务失败了" + _last_words(cause)) for _f in group]

class DocSummary:
    """What the writer reads of a source it does not build: its size and read warnings."""

    def __init__(self, doc):
        self._size = doc.size()
        self.warnings = list(doc.warnings)

    def size(self) -> int:
        return self._size


def build_batch(items: list, context) -> list:
    """[(index, report or None, problem)] for [(index, Pending)]: each report
    cleaned, structured and segmented (its units' terms counted, their topic
    vectors made: the shard's writer, one actor, then only writes)."""
    from .analysis import gram_keys, normalize, word_counts
    from .topics import paragraph_bytes
    from .writer import build_pending

    out = []
    for i, pending in items:
        report, problem = build_pending(pending, context)
        if report is not None:
            report.counted_with = counting_versions()
            norms = [normalize(p.text) for p in report.paragraphs]
            for p, norm, topic in zip(report.paragraphs, norms, paragraph_bytes(norms)):
                p.text = Precounted(p.text, {"words": word_counts(norm), "grams": gram_keys(norm),
                                             "topic": topic})
        out.append((i, report, problem))
    return out


def batches(pending: list) -> list[list]:
    """[(index, Pending)] groups of about BATCH_CHARS characters."""
    out, batch, size = [], [], 0
    for i, p in enumerate(pending):
        batch.append((i, p))
        size += p.doc.size()
        if size >= BATCH_CHARS or len(batch) >= BATCH_FILES:
            out.append(batch)
            batch, size = [], 0
    return out + ([batch] if batch else [])


# --------------------------------------------------------------------------- one shard's writer

class ShardWriter:
    """A shard's apply_plan, fed with reports built elsewhere (a Ray actor)."""

    def __init__(self, folder: str, plan):
        from .writer import IndexRun

        self.folder = folder
        self.plan = plan
        self.run = IndexRun()
        self.error: BaseException | None = None
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_REPORTS)
        self.thread = threading.Thread(target=self._apply, daemon=True)
        self.thread.start()

    def _apply(self):
        from .shards import _quiet
        from .writer import apply_plan, count_index

        store = IndexStore(self.folder)
        try:
            apply_plan(store, self.plan, self.run, _quiet, built=iter(self.queue.get, None))
            count_index(store, self.run)
        except BaseException as e:  # noqa: BLE001 - handed to the driver by finish()
            self.error = e

    def add(self, built: list):
        """Reports built by a task: (index in the plan's pending, report, problem)."""
        for i, report, problem in built:
            self._put((self.plan.pending[i], report, problem))

    def fail(self, indices: list, problem: str):
        """Sources whose build task was lost: failed, their indexed versions kept."""
        for i in indices:
            self._put((self.plan.pending[i], None, problem))

    def _put(self, item):
        while self.error is None and self.thread.is_alive():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def finish(self):
        """Every report handed over: write the removals, commit; the shard's IndexRun."""
        if self.thread.is_alive():
            self._put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.run


# --------------------------------------------------------------------------- the driver

class RayIngest:
    """How indexer/shards.py runs on Ray: ``read_many`` for the plan, ``run_shards`` to apply it."""

    def __init__(self, address: str):
        ray = connect(address)
        self.read_many = ray_reader(ray)
        self.run_shards = ray_shard_runner(address)


def ray_shard_runner(address: str):
    """run_shards for indexer/shards.py: [(folder, plan part)] -> their IndexRuns."""
    ray = connect(address)
    build = ray.remote(num_cpus=1, max_retries=1)(build_batch)
    # a writer holds no CPU in Ray's accounting (the build tasks would wait for
    # CPUs the writers hold while the writers wait for their reports); SPREAD
    # puts the shards' writers on as many nodes as there are
    writer = ray.remote(num_cpus=0, max_restarts=0, max_task_retries=0, max_concurrency=4,
                        scheduling_strategy="SPREAD")(ShardWriter)

    def run_shards(jobs: list) -> list:
        writers = [writer.remote(folder, _summarized(part)) for folder, part in jobs]
        work = [(s, b, part) for s, (_f, part) in enumerate(jobs) for b in batches(part.pending)]
        window = max(2, int(ray.cluster_resources().get("CPU", 1) * IN_FLIGHT_PER_CPU))
        adds = _feed(ray, build, writers, work, window)
        _settle_lost(ray, writers, adds)
        return _finish(ray, writers)

    return run_shards


def _summarized(part):
    """The plan part a writer actor needs: its sources' texts stay with the build tasks."""
    return replace(part, pending=[p._replace(doc=DocSummary(p.doc)) for p in part.pending], files=[])


def _feed(ray, build, writers: list, work: list, window: int) -> list:
    """Submit the build tasks, at most ``window`` unfinished at once, each result
    handed to its shard's writer; returns [(add call, shard, indices)]."""
    adds, running = [], []
    for shard, batch, part in work:
        if len(running) >= window:
            _done, running = ray.wait(running, num_returns=1)
        files = {p.key.split("#", 1)[0] for _i, p in batch}
        context = replace(part, pending=[], manifest={}, files=[], present=set(),
                          devices={k: d for k, d in part.devices.items() if k in files})
        ref = build.remote(batch, context)
        call = writers[shard].add.remote(ref)
        adds.append((call, shard, [i for i, _p in batch]))
        running.append(call)
    return adds


def _settle_lost(ray, writers: list, adds: list):
    """A batch whose build task was lost fails its sources, one line each."""
    for call, shard, indices in adds:
        try:
            ray.get(call)
        except Exception as e:  # noqa: BLE001 - the task (or its worker) failed
            cause = getattr(e, "cause", None) or e
            ray.get(writers[shard].fail.remote(indices, "集群上处理报告的任务失败了" + _last_words(cause)))


def _finish(ray, writers: list) -> list:
    calls = [w.finish.remote() for w in writers]
    runs, first_error = [], None
    for call in calls:
        try:
            runs.append(ray.get(call))
        except Exception as e:  # noqa: BLE001 - one line for the run; the others finish
            cause = getattr(e, "cause", None) or e
            first_error = first_error or _last_words(cause, first=True) or "（原因不明）"
    if first_error:
        raise IndexError_(f"集群上有一个分片写索引失败{first_error}；已提交的分片保留这次的内容，"
                          f"其余分片保持原样：请再运行一次")
    return runs
