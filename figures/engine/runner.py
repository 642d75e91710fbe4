"""Running claims: every cell once, results cached on disk, reruns reuse finished cells.

``run_claims`` loads each finished cell from the cache and hands only the
missing ones to an executor (``figures.engine.executors``: serial by default, a local
process pool or a Dask cluster). Results stream back in completion order and
each is stored the moment it arrives, in this process, with an atomic rename:
a run killed at any moment loses only cells in flight, and a rerun computes
only those; a cell in flight keeps its partial state in
``<cache>/partial/<key>/`` (``figures.engine.cell_state``), so a long cell
resumes inside itself, and the folder goes once the cell's result is
stored. Outcomes come back in the claims' cell order whatever the
completion order. Configs that have a ``device`` field get the requested
device. Before any cell runs, each distinct pending config that has a
``check_inputs()`` method is checked (e.g. that the data given holds the
tasks the experiment samples), so bad input fails at once, not hours in.

A cell that raises does not stop the others: they finish and are stored, then
:class:`CellFailuresError` names every failed cell. Ctrl-C stops the executor and
raises :class:`SweepInterrupted` (a ``KeyboardInterrupt``) carrying a
:class:`SweepSummary` of what is done.

Example:
    >>> import tempfile, pathlib
    >>> from figures.claims.catalogue import select
    >>> cache = pathlib.Path(tempfile.mkdtemp())
    >>> [o.cached for o in run_claims(select(["L5"]), "smoke", cache, progress=False)["L5"]]
    [False]
    >>> [o.cached for o in run_claims(select(["L5"]), "smoke", cache, progress=False)["L5"]]
    [True]
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from figures.engine.cache import CacheEntry, CellCache
from figures.engine.cell_state import PARTIAL
from figures.engine.claim import Cell, Claim, Results
from figures.engine.code_fingerprint import code_fingerprint
from figures.engine.executors import Executor, SerialExecutor


@dataclass(frozen=True)
class CellOutcome:
    """A cell, its result, how long it took, whether it came from the cache, and where it ran."""

    cell: Cell
    entry: CacheEntry
    result: dict[str, Any]
    seconds: float
    cached: bool
    environment: dict[str, Any] = field(default_factory=dict)


def results_of(outcomes: list[CellOutcome]) -> Results:
    """A claim's outcomes as its check and figure read them (each knowing its config type)."""
    return Results((type(outcome.cell.config), outcome.result) for outcome in outcomes)


@dataclass(frozen=True)
class SweepSummary:
    """How many cells a run took from the cache, computed and stored, saw fail, or never ran."""

    total: int
    cached: int
    computed: int
    failed: int

    @property
    def not_run(self) -> int:
        return self.total - self.cached - self.computed - self.failed

    def describe(self) -> str:
        return (
            f"{self.computed} cells computed and stored, {self.cached} from the cache, "
            f"{self.failed} failed, {self.not_run} not run, of {self.total}"
        )


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; every cell finished before it is stored."""

    def __init__(self, summary: SweepSummary) -> None:
        super().__init__(summary.describe())
        self.summary = summary


class CellFailuresError(RuntimeError):
    """Some cells raised; all the others are stored in the cache. ``completed`` holds the
    outcomes of the claims whose every cell finished, for a report of what ran."""

    def __init__(
        self,
        failures: list[str],
        summary: SweepSummary,
        completed: dict[str, list[CellOutcome]] | None = None,
    ) -> None:
        super().__init__(
            f"{len(failures)} cells failed ({summary.describe()}; the stored cells are kept "
            "and a rerun computes only the missing ones):\n  " + "\n  ".join(failures)
        )
        self.failures = failures
        self.summary = summary
        self.completed = completed or {}


def cells_of(
    claim: Claim, scale: str, device: str, data: Mapping[str, Any] | None = None
) -> list[Cell]:
    """The claim's cells at ``scale``, with the run's options filled into the configs.

    A run option (``device``; each entry of ``data``, the data paths such as
    ``{"omniglot": (PATH, ...), "mini_imagenet": PATH}``) goes into every config
    that declares a field of that name; an option left ``None`` changes nothing.
    """
    options = {"device": device, **(data or {})}
    return [Cell(with_options(cell.config, options), cell.seed) for cell in claim.cells_at(scale)]


def pending_cells(
    claims: list[Claim],
    scale: str,
    cache_dir: Path,
    device: str = "cpu",
    data: Mapping[str, Any] | None = None,
) -> dict[str, list[Cell]]:
    """``{claim id: its cells not yet in the cache}``: what a run would compute; a cell two
    claims share is listed once, under the first."""
    cache = CellCache(cache_dir)
    seen: set[str] = set()
    pending: dict[str, list[Cell]] = {}
    for claim in claims:
        pending[claim.id] = []
        for cell in cells_of(claim, scale, device, data):
            entry = entry_of(cell)
            if entry.key not in seen and cache.load(entry) is None:
                pending[claim.id].append(cell)
            seen.add(entry.key)
    return pending


def check_inputs(configs: Iterable[Any]) -> None:
    """Call each distinct config's ``check_inputs()``, where it has one, before any cell runs:
    data too small for an experiment is refused up front, not after hours of other cells."""
    for config in dict.fromkeys(configs):
        check = getattr(config, "check_inputs", None)
        if check is not None:
            check()


def with_options(config: Any, options: dict[str, Any]) -> Any:
    """``config`` with each non-``None`` option whose name is one of its fields."""
    names = {f.name for f in dataclasses.fields(config)}
    chosen = {name: value for name, value in options.items() if name in names and value is not None}
    return dataclasses.replace(config, **chosen) if chosen else config


def entry_of(cell: Cell) -> CacheEntry:
    """The cache entry of ``cell``: its experiment, config, seed and code fingerprint."""
    code = code_fingerprint(type(cell.config).__module__)
    return CacheEntry.for_cell(cell.experiment_name, cell.config, cell.seed, code=code)


def run_claims(
    claims: list[Claim],
    scale: str,
    cache_dir: Path,
    device: str = "cpu",
    progress: bool = True,
    executor: Executor | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, list[CellOutcome]]:
    """Results of every cell of ``claims``, computing on ``executor`` only those not cached
    (a cell several claims share, once); raises ``CellFailuresError`` (carrying the claims
    whose cells all finished) if any cell raised."""
    cache = CellCache(cache_dir)
    plan = [
        (claim, cell, entry_of(cell))
        for claim in claims
        for cell in cells_of(claim, scale, device, data)
    ]
    outcomes: list[CellOutcome | None] = []
    for _, cell, entry in plan:
        record = cache.load(entry)
        outcomes.append(
            None
            if record is None
            else CellOutcome(
                cell,
                entry,
                record["result"],
                record["seconds"],
                cached=True,
                environment=record.get("environment", {}),
            )
        )
    sharing: dict[str, list[int]] = {}
    for index, outcome in enumerate(outcomes):
        if outcome is None:
            sharing.setdefault(plan[index][2].key, []).append(index)
    pending = [indices[0] for indices in sharing.values()]
    check_inputs(plan[index][1].config for index in pending)
    partial = {i: cache_dir / PARTIAL / plan[i][2].key[:20] for i in pending}
    cells = [dataclasses.replace(plan[i][1], state_dir=str(partial[i])) for i in pending]
    failures: list[str] = []

    cached = len(plan) - sum(len(indices) for indices in sharing.values())

    def summary() -> SweepSummary:
        computed = sum(outcome is not None and not outcome.cached for outcome in outcomes)
        return SweepSummary(len(plan), cached, computed, len(failures))

    bar = tqdm(total=len(plan), initial=cached, unit="cell", disable=not progress)
    try:
        with closing((executor or SerialExecutor()).run(cells)) as finished:
            for done in finished:
                claim, cell, entry = plan[pending[done.index]]
                if done.error is not None:
                    failures.append(
                        f"{claim.id} seed {cell.seed} config {entry.key[:12]} "
                        f"{entry.description['config']}: "
                        f"{type(done.error).__name__}: {done.error}"
                    )
                else:
                    result = cache.store(entry, done.result, done.seconds, done.environment)
                    shutil.rmtree(partial[pending[done.index]], ignore_errors=True)
                    for index in sharing[entry.key]:
                        outcomes[index] = CellOutcome(
                            plan[index][1],
                            entry,
                            result,
                            done.seconds,
                            False,
                            done.environment or {},
                        )
                bar.set_postfix(claim=claim.id)
                bar.update(len(sharing[entry.key]))
    except KeyboardInterrupt as interrupt:
        raise SweepInterrupted(summary()) from interrupt
    finally:
        bar.close()
        for problem in cache.problems:
            print(f"cache: {problem}")
    grouped: dict[str, list[CellOutcome | None]] = {claim.id: [] for claim in claims}
    for (claim, _, _), outcome in zip(plan, outcomes):
        grouped[claim.id].append(outcome)
    completed = {key: found for key, found in grouped.items() if None not in found}
    if failures:
        raise CellFailuresError(failures, summary(), completed)
    return completed
