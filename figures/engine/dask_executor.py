"""Cells on a Dask cluster: a running scheduler, or a local cluster on loopback.

:class:`DaskExecutor` takes a scheduler address (``tcp://host:8786``, checked by
:func:`check_scheduler_address` and probed by :func:`probe_scheduler` before
any work starts) or a number of local single-threaded workers, and yields a
``figures.engine.executors.Done`` per cell as it finishes. A worker lost
mid-cell has its cell rescheduled by the scheduler (up to
``distributed.scheduler.allowed-failures`` times). Cells may travel in
batches (``cells_per_task``) so that Dask's per-task cost does not dominate.
With ``resources`` (``{"GPU": 1}`` for ``--device cuda``) every task asks the
scheduler for them, so a cell runs only on a worker that declares them and
holds them alone while it runs: start one worker per GPU with
``CUDA_VISIBLE_DEVICES=i dask worker ADDRESS --nworkers 1 --nthreads 1
--resources GPU=1``; a local cluster gives each of its workers the resources.

Example:
    >>> check_scheduler_address("tcp://10.0.0.5:8786")
    ('10.0.0.5', 8786)
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from figures.engine.claim import Cell
from figures.engine.executors import Done, compute_cells
from synthetic.validation import require_count

SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9a-fA-F:]+\]|[^:/\s\[\]]+):(\d{1,5})$")
CONNECT_TIMEOUT_S = 5.0


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
    """Cells on a Dask cluster: the scheduler at ``address``, or ``local_workers`` on loopback.

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
        resources: dict[str, float] | None = None,
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
        self.resources = resources
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
            resources=self.resources,
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

    def run(self, cells: Sequence[Cell]) -> Iterator[Done]:
        if not cells:
            return
        if self._client is not None:
            yield from self._run_on(self._client, cells)
            return
        with self._connect() as client:
            yield from self._run_on(client, cells)

    def _run_on(self, client: Any, cells: Sequence[Cell]) -> Iterator[Done]:
        from distributed import as_completed as dask_as_completed

        cells_per_task = self.cells_per_task
        starts = range(0, len(cells), cells_per_task)
        batches = [list(cells[start : start + cells_per_task]) for start in starts]
        futures = client.map(compute_cells, batches, starts, pure=False, resources=self.resources)
        first = {future.key: start for future, start in zip(futures, starts)}
        finished = False
        try:
            for future, outcome in dask_as_completed(
                futures, with_results=True, raise_errors=False
            ):
                if future.status == "error":
                    start = first[future.key]
                    for index in range(start, min(start + cells_per_task, len(cells))):
                        yield Done(index, None, 0.0, error=future.exception())
                else:
                    yield from outcome
            finished = True
        finally:
            if not finished:
                client.cancel(futures)
