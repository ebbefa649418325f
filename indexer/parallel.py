"""Whoosh's multi-process writer, made to fail loudly.

Whoosh's MpWriter hands batches of documents to child processes and, at
commit, adds whatever segments the children hand back.  A child that died
(killed, out of memory, disk full, a value it could not write) hands back
nothing, the commit goes ahead without its documents and the run reports
success: those documents are silently lost.  Here every child must answer,
with its segment or with one line saying why it failed, and a child that
dies or fails makes the commit fail before the new generation is written,
so the previous one stays.  Its children never outlive the parent either.
"""

from __future__ import annotations

import glob
import os
import pickle
import queue
import signal
import sys
import tempfile

from whoosh import writing as whoosh_writing
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from .pool import POOL_PREFIX, TermGroupingPool
from .segment import add_document, flush_segment
from .store import describe_os_error

# how often the parent looks at its children while it waits on a queue (seconds)
_POLL = 0.5


class WriterFailed(Exception):
    """A writer process died or failed: the message says which and why, in one line."""


def describe_failure(e: BaseException) -> str:
    """An exception as the one line a person needs: what ran out, or what broke."""
    if isinstance(e, OSError):
        return describe_os_error(e)
    if isinstance(e, MemoryError):
        return "out of memory"
    return f"{type(e).__name__}: {e}"


def _die_with_parent(parent: int):
    """In a writer child: be killed when the parent dies (Linux), so a SIGKILLed
    run leaves no orphan holding the index's locks."""
    try:
        import ctypes

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
        try:
            super().run()
        except BaseException as e:  # noqa: BLE001 - one line to the parent, no traceback on the terminal
            self.resultqueue.put(("failed", describe_failure(e), os.getpid()))
            sys.exit(1)


def _exit_reason(code: int) -> str:
    if code < 0:
        name = signal.Signals(-code).name
        hint = " (out of memory, or killed by hand)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"


class ParallelWriter(MpWriter):
    """MpWriter (multisegment) whose children must all hand back their documents."""

    def __init__(self, ix, **kwargs):
        if not kwargs.get("multisegment"):
            raise ValueError("ParallelWriter writes one segment per process: pass multisegment=True")
        super().__init__(ix, **kwargs)
        self._answers: list = []

    def _new_task(self):
        task = _ChildTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                          self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    # ---- handing out work

    def _enqueue(self):
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job):
        """Queue a job for the children; a queue that stays full because its
        readers died is a failure, not a hang."""
        while True:
            self._check_children()
            try:
                self.jobqueue.put(job, timeout=_POLL)
                return
            except queue.Full:
                pass

    # ---- hearing back

    def _receive(self, timeout: float) -> bool:
        """Take one answer off the result queue (False when none came in time);
        a child's failure raises WriterFailed with its own words."""
        try:
            answer = self.resultqueue.get(timeout=timeout)
        except queue.Empty:
            return False
        if answer[0] == "failed":
            raise WriterFailed(f"writer process {answer[2]} failed: {answer[1]}")
        self._answers.append(answer)
        return True

    def _check_children(self):
        for task in self.tasks:
            code = task.exitcode
            if code not in (None, 0):
                while self._receive(timeout=1.0):       # its last words, if it had time for them
                    pass
                raise WriterFailed(f"writer process {task.pid} {_exit_reason(code)}")

    def _results(self) -> list:
        """Every child's (run, fieldnames, segment), or WriterFailed."""
        while len(self._answers) < len(self.tasks):
            if self._receive(timeout=_POLL):
                continue
            self._check_children()
            if all(t.exitcode is not None for t in self.tasks) and not self._receive(timeout=2.0):
                raise WriterFailed(f"{len(self.tasks) - len(self._answers)} writer process(es) ended "
                                   f"without handing back their documents")
        for task in self.tasks:
            task.join()
        self._check_children()
        return self._answers

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)                            # finish up
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        finalsegments += [segment for _run, _fields, segment in self._results()]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    # ---- giving up

    def cancel(self):
        """Stop the children for good (Whoosh's cancel only flags its own copy of
        them) and leave nothing of theirs behind but what the caller cleans."""
        for task in self.tasks:
            if task.is_alive():
                task.kill()
        for task in self.tasks:
            task.join(timeout=10)
            _remove_pool_runs(task.pid)
        for q in (self.jobqueue, self.resultqueue):
            q.cancel_join_thread()             # never wait at exit to feed a dead reader
            q.close()
        try:
            SegmentWriter.cancel(self)
        except Exception:  # noqa: BLE001 - already failing: the first error is the one to report
            self._cleanup_on_error()


def _remove_pool_runs(pid: int | None):
    """A killed child's spilled posting runs (indexer/pool.py names them by process)."""
    if pid is None:
        return
    for path in glob.glob(os.path.join(tempfile.gettempdir(), f"{POOL_PREFIX}{pid}-*")):
        try:
            os.remove(path)
        except OSError:
            pass
