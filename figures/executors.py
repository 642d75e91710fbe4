"""Where experiment cells run: in this process, in a local process pool, or on a Dask cluster.

An executor takes :class:`Job` s (an experiment function, a config and a seed)
and yields a :class:`Done` for each as it finishes, in completion order. It
never touches the cache: the runner stores each result the moment it arrives,
in the parent process. Every job runs through :func:`compute_cell`, whatever
the executor: with ``CELL_THREADS`` torch threads, so a cell's numbers are
bit-identical wherever it ran, and it reports the host and versions it ran with.

- :class:`SerialExecutor`: one cell after another, in this process.
- :class:`ProcessExecutor`: a ``concurrent.futures`` pool of ``spawn`` (or
  ``forkserver``) workers; a dead worker fails the cells it held, never the
  parent, and workers exit when the parent dies (even by SIGKILL).
- :class:`DaskExecutor`: a running scheduler (``tcp://host:8786``) or a
  ``distributed.LocalCluster`` of N single-threaded worker processes on
  loopback. A worker lost mid-cell has its cell rescheduled by the scheduler
  (up to ``distributed.scheduler.allowed-failures`` times).

An executor used as a context manager keeps its pool or cluster across runs;
otherwise each ``run`` starts and stops one. Closing the generator ``run``
returns (the runner does, on Ctrl-C) cancels what is queued and stops workers.

Example:
    >>> from figures.task_landscape import GainGridConfig, run_experiment
    >>> done = list(SerialExecutor().run([Job(run_experiment, GainGridConfig(), 0)]))
    >>> done[0].index, done[0].error, done[0].result["kind"]
    (0, None, 'grid')
"""

from __future__ import annotations

import dataclasses
import functools
import multiprocessing
import os
import platform
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy
import torch

from synthetic.validation import require_count

START_METHODS = ("spawn", "forkserver")
SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:]+\]|[^:/\s\[\]]+):(\d{1,5})$")
CONNECT_TIMEOUT_S = 5.0
CELL_THREADS = 1
"""Torch threads of every cell on every executor: reductions split the same way everywhere."""


@dataclass(frozen=True)
class Job:
    """One cell to compute: ``experiment(config, seed)``."""

    experiment: Callable[[Any, int], dict[str, Any]]
    config: Any
    seed: int


@dataclass(frozen=True)
class Done:
    """A finished job: its index in the submitted list and its result, or the error it raised."""

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


def compute_cell(
    experiment: Callable[[Any, int], dict[str, Any]], config: Any, seed: int
) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """Run one cell with ``CELL_THREADS`` torch threads: (result, seconds, environment)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(CELL_THREADS)
    try:
        start = time.perf_counter()
        result = experiment(config, seed)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    return result, seconds, worker_environment()


class Executor(Protocol):
    """Runs jobs and yields each as it finishes."""

    name: str

    def run(self, jobs: Sequence[Job]) -> Iterator[Done]: ...


def machine_cores() -> int:
    """CPU cores this process may use (its affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def compute_cells(jobs: list[Job], first: int) -> list[Done]:
    """A batch of jobs computed one by one, indexed from ``first`` (one Dask task)."""
    return [
        dataclasses.replace(done, index=first + done.index) for done in SerialExecutor().run(jobs)
    ]


class SerialExecutor:
    """Every job in this process, in order."""

    name = "serial"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def run(self, jobs: Sequence[Job]) -> Iterator[Done]:
        for index, job in enumerate(jobs):
            try:
                outcome = compute_cell(job.experiment, job.config, job.seed)
            except Exception as error:
                yield Done(index, None, 0.0, error=error)
            else:
                yield Done(index, *outcome)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _pool_worker(parent: int) -> None:
    """Pool worker setup: Ctrl-C is the parent's to handle; exit when the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel queued jobs and end the workers now, without waiting for cells in flight."""
    pool.shutdown(wait=False, cancel_futures=True)
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


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

    def run(self, jobs: Sequence[Job]) -> Iterator[Done]:
        if not jobs:
            return
        pool = self._pool or self._new_pool(min(self.workers, len(jobs)))
        futures = {
            pool.submit(compute_cell, job.experiment, job.config, job.seed): index
            for index, job in enumerate(jobs)
        }
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


def check_scheduler_address(address: str) -> tuple[str, int]:
    """The host and port of a ``tcp://HOST:PORT`` (or ``tls://``) scheduler address."""
    match = SCHEDULER_ADDRESS.match(address) if isinstance(address, str) else None
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise ValueError(
            f"--scheduler {address!r} is not a Dask scheduler address; expected "
            "tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (the address `dask scheduler` prints)"
        )
    return match.group(2).strip("[]"), int(match.group(3))


def probe_scheduler(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail within ``timeout_s`` with a clear message if nothing listens at ``address``."""
    host, port = check_scheduler_address(address)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as error:
        raise ValueError(unreachable(address, timeout_s, error)) from error


def unreachable(address: str, timeout_s: float, error: BaseException) -> str:
    return (
        f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s ({error}); "
        "check the address and that `dask scheduler` runs there, or use --dask-local N "
        "to start a cluster on this machine"
    )


class DaskExecutor:
    """Jobs on a Dask cluster: the scheduler at ``address``, or ``local_workers`` on loopback.

    ``cells_per_task`` > 1 sends cells in batches, one Dask task each: for cells of a few
    milliseconds, where Dask's per-task cost (~5–10 ms) would dominate. A batch's results
    come back together, so a killed run loses the batches in flight.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        local_workers: int | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        cells_per_task: int = 1,
    ) -> None:
        if (address is None) == (local_workers is None):
            raise ValueError("DaskExecutor needs exactly one of address= and local_workers=")
        if address is not None:
            check_scheduler_address(address)
        if local_workers is not None:
            require_count("local_workers", local_workers)
        require_count("cells_per_task", cells_per_task)
        if not 0 < connect_timeout_s <= 60:
            raise ValueError(f"connect_timeout_s must be in (0, 60], got {connect_timeout_s!r}")
        self.address = address
        self.local_workers = local_workers
        self.connect_timeout_s = connect_timeout_s
        self.cells_per_task = cells_per_task
        self._held: AbstractContextManager | None = None
        self._client: Any = None

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        from distributed import Client, LocalCluster

        if self.address is not None:
            try:
                client = Client(self.address, timeout=self.connect_timeout_s)
            except (OSError, TimeoutError) as error:
                raise ValueError(
                    unreachable(self.address, self.connect_timeout_s, error)
                ) from error
            with client:
                yield client
            return
        cluster = LocalCluster(
            n_workers=self.local_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        with cluster, Client(cluster) as client:
            yield client

    @property
    def scheduler_address(self) -> str | None:
        """The address of the scheduler this executor holds open, if any."""
        return None if self._client is None else self._client.scheduler.address

    def __enter__(self) -> DaskExecutor:
        self._held = self._connect()
        self._client = self._held.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._held is not None:
            self._held.__exit__(None, None, None)
            self._held, self._client = None, None

    def run(self, jobs: Sequence[Job]) -> Iterator[Done]:
        if not jobs:
            return
        if self._client is not None:
            yield from self._run_on(self._client, jobs, self.cells_per_task)
            return
        with self._connect() as client:
            yield from self._run_on(client, jobs, self.cells_per_task)

    @staticmethod
    def _run_on(client: Any, jobs: Sequence[Job], cells_per_task: int) -> Iterator[Done]:
        from distributed import as_completed as dask_as_completed

        starts = range(0, len(jobs), cells_per_task)
        batches = [list(jobs[start : start + cells_per_task]) for start in starts]
        futures = client.map(compute_cells, batches, starts, pure=False)
        first = {future.key: start for future, start in zip(futures, starts)}
        finished = False
        try:
            for future, outcome in dask_as_completed(
                futures, with_results=True, raise_errors=False
            ):
                if future.status == "error":
                    start = first[future.key]
                    for index in range(start, min(start + cells_per_task, len(jobs))):
                        yield Done(index, None, 0.0, error=future.exception())
                else:
                    yield from outcome
            finished = True
        finally:
            if not finished:
                client.cancel(futures)
