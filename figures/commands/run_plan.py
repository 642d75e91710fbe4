"""What ``mamlscape reproduce`` is about to run: each claim's protocol and its estimated cost.

``--dry-run`` prints only this; runs at the long scales (``omniglot``,
``paper``) print it before they start. For each claim with cells to run it
lists the distinct protocols of those cells (the set-up in the papers'
terms, from each config's ``protocol()``) and the estimated CPU-seconds from
the configs' timing probes (``figures.engine.cost``); the probes take a few
seconds per distinct set-up and algorithm.

Example:
    >>> import tempfile, pathlib
    >>> from figures.claims.catalogue import select
    >>> text = run_plan(select(["L5"]), "smoke", pathlib.Path(tempfile.mkdtemp()), "cpu", None, 2)
    >>> print(text.splitlines()[-2])
    L5: 1 cells to run, 0 CPU-s estimated (1 not probed)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from figures.engine.claim import Claim
from figures.engine.cost import describe, estimate, protocol_rows
from figures.engine.runner import check_inputs, pending_cells

ESTIMATED_SCALES = ("omniglot", "paper")
"""The scales whose runs print their plan before they start (the others take minutes)."""


def run_plan(
    claims: list[Claim],
    scale: str,
    cache_dir: Path,
    device: str,
    data: Mapping[str, Any] | None,
    workers: int,
) -> str:
    """The protocols and estimated cost of the cells a run would compute (checked first);
    ``data`` holds the run's data paths (``figures.engine.runner.cells_of``)."""
    pending = pending_cells(claims, scale, cache_dir, device, data)
    configs = {claim: [cell.config for cell in cells] for claim, cells in pending.items()}
    check_inputs(config for chosen in configs.values() for config in chosen)
    lines = [f"plan at scale {scale}:"]
    for claim, chosen in configs.items():
        for row in protocol_rows(chosen):
            lines.append(f"  {claim} protocol: " + "; ".join(f"{k} {v}" for k, v in row.items()))
    costs = [estimate(claim, chosen) for claim, chosen in configs.items() if chosen]
    lines.append(describe(costs, workers))
    return "\n".join(lines)
