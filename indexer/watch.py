"""watch_folders: index reports as they arrive, change or go.

Filesystem events (watchdog: inotify where the kernel has it, polling where it
does not) only say *that* something changed.  A change is indexed once the
folder has been quiet for ``debounce`` seconds and every report file's size
and modification time held still across that wait, so a file still being
copied is not indexed half-written, unless the copy stalls for longer than
``debounce`` (a slow network copy): it is then indexed as it stands and updated
when the rest arrives.  Copying to a hidden or temporary name and renaming it
into the folder avoids even that.  Indexing itself is the ordinary incremental
run, so each change costs what that report costs; a run that fails is tried
again at the next rescan.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from .sources import CATALOG_NAMES, SUFFIXES, walk_folders
from .messages import describe_os_error
from .store import IndexError_
from .shards import index_any


def snapshot_files(folders: list[str]) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every report file and catalog below the folders.

    Walks symlinked folders as the indexer does, once each."""
    state: dict[str, tuple[int, int]] = {}
    for folder in folders:
        for dirpath, filenames in walk_folders(folder):
            for name in filenames:
                if Path(name).suffix.lower() not in SUFFIXES and name not in CATALOG_NAMES:
                    continue
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                state[p] = (st.st_size, st.st_mtime_ns)
    return state


class _Trigger:
    """Set by filesystem events; the loop also rescans now and then in case one was missed."""

    def __init__(self):
        self.event = threading.Event()
        self.last = time.monotonic()

    def dispatch(self, event):  # watchdog handler protocol
        if getattr(event, "is_directory", False) and event.event_type == "modified":
            return
        self.last = time.monotonic()
        self.event.set()


def _start_observer(folders: list[str], trigger: _Trigger, polling: bool):
    try:
        if polling:
            from watchdog.observers.polling import PollingObserver as Observer
        else:
            from watchdog.observers import Observer
    except ImportError:
        return None, "rescan"
    observer = Observer()
    for f in folders:
        observer.schedule(trigger, f, recursive=True)
    try:
        observer.start()
    except OSError:          # inotify limits reached or unavailable: poll instead
        if polling:
            return None, "rescan"
        return _start_observer(folders, trigger, polling=True)
    return observer, "polling" if polling else "events"


_MODES = {"polling": "轮询", "events": "文件系统事件", "rescan": "定时重扫"}


def watch_folders(index_dir: str, folders: list[str], log, debounce: float = 1.0,
                  rescan: float = 5.0, polling: bool = False, stop: threading.Event | None = None,
                  wait: float = 30.0):
    """Index the folders now, then on every settled change, until ``stop`` is set.

    ``log`` receives one line per change (and per failure).
    """
    stop = stop or threading.Event()
    for f in folders:
        if not os.path.isdir(f):
            raise IndexError_(f"无法监视 {f}：它不是文件夹")

    said: set[str] = set()              # failures logged already: a retry says only what is new

    def run_once() -> bool:
        """One run; True when it went through and no source failed.  A run that did not
        (the index locked by a long rebuild, a disk full, a file that came unreadable and
        was then fixed by chmod, which changes neither size nor time) is tried again at the
        next rescan: it was once left until some other file changed."""
        try:
            run = index_any(index_dir, folders, wait=wait)
        except IndexError_ as e:
            log(f"error: {e}；{rescan:g} 秒后再试")
            return False
        except OSError as e:       # the index folder itself
            log(f"error: 无法写入索引 {index_dir}：{describe_os_error(e)}；{rescan:g} 秒后再试")
            return False
        for c in run.changes:
            log(f"{c['action']}: {c['source']}")
        for d in run.duplicates:
            log(f"duplicate: {d['source']} 与 {d['same_as']} 内容相同，未重复索引")
        failed = {f"failed: {fl['source']}: {fl['error']}" for fl in run.failed}
        for line in sorted(failed - said):
            log(line)
        said.clear()
        said.update(failed)
        return not failed

    trigger = _Trigger()
    observer, mode = _start_observer(folders, trigger, polling)
    log(f"正在监视 {'、'.join(folders)}（{_MODES[mode]}）；索引 {index_dir}")
    # the state is taken before each run: a file that lands while a run goes on
    # differs from it and is indexed by the next run
    last_state = snapshot_files(folders)
    if not run_once():
        last_state = None                      # tried again at the next rescan
    next_rescan = time.monotonic() + rescan
    try:
        while not stop.is_set():
            fired = trigger.event.wait(timeout=0.2)
            now = time.monotonic()
            if not fired and now < next_rescan:
                continue
            if fired and now - trigger.last < debounce:
                stop.wait(0.1)                 # still busy: wait for quiet (without spinning)
                continue
            trigger.event.clear()
            next_rescan = now + rescan
            state = snapshot_files(folders)
            if state == last_state:
                continue
            # settle: nothing may change across one more debounce period
            while not stop.is_set():
                time.sleep(debounce)
                again = snapshot_files(folders)
                if again == state:
                    break
                state = again
            if stop.is_set():
                break
            last_state = state if run_once() else None
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)
