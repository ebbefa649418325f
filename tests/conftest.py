"""Shared fixtures: real indexes of the real seed and provincial reports, built once per run."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PROVINCES = ROOT / "tests" / "corpora" / "provinces-2026"   # the 31 provincial 2026 reports, as published
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory) -> str:
    """An index of the five seed reports (seeds/ with its catalog)."""
    from indexer.writer import index_paths

    d = tmp_path_factory.mktemp("seeds-index")
    run = index_paths(str(d), [str(SEEDS)])
    assert not run.failed, run.failed
    return str(d)


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory) -> str:
    """An index of the seeds plus the 31 provincial reports."""
    from indexer.writer import index_paths

    d = tmp_path_factory.mktemp("corpus-index")
    run = index_paths(str(d), [str(SEEDS), str(PROVINCES)])
    assert not run.failed, run.failed
    return str(d)


@pytest.fixture(scope="session")
def corpus_engine(corpus_index):
    from search.engine import Engine

    return Engine(corpus_index)


@pytest.fixture(scope="session")
def corpus_units(corpus_engine) -> list[dict]:
    """Every unit of the corpus index with its stored fields and ``norm``, its normalised
    text: the oracle for counts (a substring scan is what a reader's Ctrl-F counts).
    Shared: read it, never change it."""
    from indexer.analysis import normalize

    snap = corpus_engine.snapshot()
    with snap.searching() as s:
        docs = snap.units.all(s)
    for d in docs:
        d["norm"] = normalize(d["text"])
    return docs


@pytest.fixture(scope="session")
def seeds_engine(seeds_index):
    from search.engine import Engine

    return Engine(seeds_index)


@pytest.fixture(scope="session")
def provinces_dir() -> Path:
    return PROVINCES


@pytest.fixture()
def seeds_copy(tmp_path) -> Path:
    """The seed files alone (no catalog) in a temp folder, to test extraction from text."""
    d = tmp_path / "seeds"
    d.mkdir()
    for f in SEEDS.glob("*.txt"):
        shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def stop_watch(proc: subprocess.Popen) -> str:
    """Stop a `govsearch watch` as Ctrl-C does (killed if it hangs); its standard output."""
    proc.send_signal(signal.SIGINT)
    try:
        # the watch stops between runs: a run under way on a loaded machine may take a while
        out, _ = proc.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out
