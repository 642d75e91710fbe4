"""Running claims: every cell once, results cached on disk, reruns reuse finished cells.

``run_claims`` walks the cells of the selected claims, loads each finished
cell from the cache and computes only the missing ones, with a tqdm bar over
cells. Each computed cell is stored the moment it finishes, so an interrupted
run loses at most the cell in flight. Configs that have a ``device`` field get
the requested device.

Example:
    >>> import tempfile, pathlib
    >>> from figures.claims import select
    >>> import figures.task_landscape  # registers L1–L5
    >>> cache = pathlib.Path(tempfile.mkdtemp())
    >>> [o.cached for o in run_claims(select(["L5"]), "quick", cache, progress=False)["L5"]]
    [False, False]
    >>> [o.cached for o in run_claims(select(["L5"]), "quick", cache, progress=False)["L5"]]
    [True, True]
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from figures.cache import CacheEntry, CellCache
from figures.claims import Cell, Claim, check_scale


@dataclass(frozen=True)
class CellOutcome:
    """A cell, its result, how long it took when computed, and whether it came from the cache."""

    cell: Cell
    entry: CacheEntry
    result: dict[str, Any]
    seconds: float
    cached: bool


def cells_of(claim: Claim, scale: str, device: str) -> list[Cell]:
    """The claim's cells at ``scale``, placed on ``device`` where the config has a device."""
    cells = claim.cells(check_scale(scale))
    return [
        Cell(dataclasses.replace(cell.config, device=device), cell.seed)
        if any(f.name == "device" for f in dataclasses.fields(cell.config))
        else cell
        for cell in cells
    ]


def run_claims(
    claims: list[Claim],
    scale: str,
    cache_dir: Path,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, list[CellOutcome]]:
    """Results of every cell of ``claims``, computing only those not already in ``cache_dir``."""
    cache = CellCache(cache_dir)
    plan = [(claim, cell) for claim in claims for cell in cells_of(claim, scale, device)]
    outcomes: dict[str, list[CellOutcome]] = {claim.id: [] for claim in claims}
    bar = tqdm(plan, desc="cells", unit="cell", disable=not progress)
    for claim, cell in bar:
        bar.set_postfix(claim=claim.id)
        experiment = f"{claim.experiment.__module__}.{claim.experiment.__qualname__}"
        entry = CacheEntry.for_cell(claim.id, experiment, cell.config, cell.seed)
        record = cache.load(entry)
        if record is not None:
            outcome = CellOutcome(cell, entry, record["result"], record["seconds"], cached=True)
        else:
            start = time.perf_counter()
            result = claim.experiment(cell.config, cell.seed)
            seconds = time.perf_counter() - start
            result = cache.store(entry, result, seconds)
            outcome = CellOutcome(cell, entry, result, seconds, cached=False)
        outcomes[claim.id].append(outcome)
    bar.close()
    for problem in cache.problems:
        print(f"cache: {problem}")
    return outcomes
