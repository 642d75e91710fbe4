"""Where experiment cells run: in this process, in a local process pool, or on a Dask cluster.

An executor takes cells (``figures.engine.claim.Cell``: a config that runs its
own experiment, and a seed) and yields a :class:`Done` for each as it
finishes, in completion order. It never touches the cache: the runner stores
each result the moment it arrives, in the parent process. Every cell runs
through :func:`compute_cell`, whatever the executor: with ``CELL_THREADS``
torch threads, so a cell's numbers are bit-identical wherever it ran, and it
reports the host and versions it ran with.

- :class:`SerialExecutor`: one cell after another, in this process.
- :class:`ProcessExecutor`: a ``concurrent.futures`` pool of ``spawn`` (or
  ``forkserver``) workers; a dead worker fails the cells it held, never the
  parent, and workers exit when the parent dies (even by SIGKILL).
- ``figures.engine.dask_executor.DaskExecutor``: a running scheduler (``tcp://host:8786``) or a
  ``distributed.LocalCluster`` of N single-threaded worker processes on
  loopback. A worker lost mid-cell has its cell rescheduled by the scheduler
  (up to ``distributed.scheduler.allowed-failures`` times).

An executor used as a context manager keeps its pool or cluster across runs;
otherwise each ``run`` starts and stops one. Closing the generator ``run``
returns (the runner does, on Ctrl-C) cancels what is queued and stops workers.

Example:
    >>> from figures.claims.linear_gains import GainGridConfig
    >>> done = list(SerialExecutor().run([Cell(GainGridConfig(), 0)]))
    >>> done[0].index, done[0].error, done[0].result["distances"]
    (0, None, [0.0, 0.5, 1.0, 2.0, 4.0])
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import platform
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy
import torch

from figures.engine.claim import Cell
from synthetic.validation import require_count

START_METHODS = ("spawn", "forkserver")
CELL_THREADS = 1
"""Torch threads of every cell on every executor: reductions split the same way everywhere."""


@dataclass(frozen=True)
class Done:
    """A finished cell: its index in the submitted list and its result, or the error it raised."""

    index: int
    result: dict[str, Any] | None
    seconds: float
    environment: dict[str, Any] | None = None
    error: BaseException | None = None


@functools.cache
def worker_environment() -> dict[str, Any]:
    """The host and versions a cell ran with, stored next to its result."""
    return {
        "host": platform.node(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "torch_threads": CELL_THREADS,
    }


@contextmanager
def cell_threads() -> Iterator[None]:
    """Run the block with ``CELL_THREADS`` torch threads, as every cell runs; restore after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(CELL_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def compute_cell(cell: Cell) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """Run one cell with ``CELL_THREADS`` torch threads: (result, seconds, environment)."""
    with cell_threads():
        start = time.perf_counter()
        result = cell.run()
        seconds = time.perf_counter() - start
    return result, seconds, worker_environment()


class Executor(Protocol):
    """Runs cells and yields each as it finishes."""

    name: str

    def run(self, cells: Sequence[Cell]) -> Iterator[Done]: ...


def machine_cores() -> int:
    """CPU cores this process may use (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def compute_cells(cells: list[Cell], first: int) -> list[Done]:
    """A batch of cells computed one by one, indexed from ``first`` (one Dask task)."""
    return [
        dataclasses.replace(done, index=first + done.index) for done in SerialExecutor().run(cells)
    ]


class SerialExecutor:
    """Every cell in this process, in order."""

    name = "serial"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, cells: Sequence[Cell]) -> Iterator[Done]:
        for index, cell in enumerate(cells):
            try:
                outcome = compute_cell(cell)
            except Exception as error:
                yield Done(index, None, 0.0, error=error)
            else:
                yield Done(index, *outcome)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _pool_worker(parent: int) -> None:
    """Pool worker setup: Ctrl-C and SIGTERM are the parent's to handle (it stops the pool
    and reports); exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued cells and kill the workers now (they ignore SIGTERM), without waiting for
    cells in flight: a worker's result reaches the cache only through the parent."""
    pool.shutdown(wait=False, cancel_futures=True)
    if hasattr(pool, "kill_workers"):
        pool.kill_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _done_of(index: int, future: Future) -> Done:
    error = future.exception()
    if error is not None:
        return Done(index, None, 0.0, error=error)
    return Done(index, *future.result())


class ProcessExecutor:
    """A local pool of ``workers`` processes (default: one per core), started with ``spawn``."""

    name = "process"

    def __init__(self, workers: int | None = None, start_method: str = "spawn") -> None:
        if workers is not None:
            require_count("workers", workers)
        self.workers = machine_cores() if workers is None else workers
        if start_method not in START_METHODS:
            raise ValueError(
                f"start_method must be one of {START_METHODS} (fork is unsafe with torch), "
                f"got {start_method!r}"
            )
        self.start_method = start_method
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self, size: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            size,
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_pool_worker,
            initargs=(os.getpid(),),
        )

    def __enter__(self) -> ProcessExecutor:
        self._pool = self._new_pool(self.workers)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run(self, cells: Sequence[Cell]) -> Iterator[Done]:
        if not cells:
            return
        pool = self._pool or self._new_pool(min(self.workers, len(cells)))
        futures = {pool.submit(compute_cell, cell): index for index, cell in enumerate(cells)}
        finished = False
        try:
            for future in as_completed(futures):
                yield _done_of(futures[future], future)
            finished = True
        finally:
            if not finished:
                _stop_pool(pool)
                self._pool = None
            elif pool is not self._pool:
                pool.shutdown(wait=True)
