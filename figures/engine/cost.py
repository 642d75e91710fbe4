"""A run's cost before it runs, and the protocol each claim's cells follow.

A config may offer ``estimated_seconds()`` (from a short timing probe, e.g.
``figures.claims.fewshot_cost``) and ``protocol()`` (its set-up in the
papers' terms, ``{what: value}``). ``estimate`` sums the probes over a
claim's pending cells (those not in the cache), probing with the torch
threads every cell runs with (``executors.CELL_THREADS``); cells whose config offers no
probe are counted apart, as *not probed* (the closed-form and small
synthetic experiments, seconds each). ``describe`` prints, per claim, the
cells to run and their estimated CPU-seconds, and the wall time on
``workers`` parallel workers, Σ seconds / workers (a lower bound: cells are
not split). ``protocol_rows`` are the distinct protocols of a claim's cells.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Probed:
    ...     seconds: float = 30.0
    ...     def estimated_seconds(self):
    ...         return self.seconds
    >>> cost = estimate("X", [Probed(), Probed(90.0), object()])
    >>> cost.seconds, cost.unprobed
    (120.0, 1)
    >>> print(describe([cost], workers=2))
    X: 3 cells to run, 120 CPU-s estimated (1 not probed)
    total: 120 CPU-s ≈ 1 min wall on 2 workers
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from figures.engine.executors import cell_threads


@dataclass(frozen=True)
class ClaimCost:
    """A claim's pending cells, the estimated seconds of the probed ones, how many were not."""

    claim: str
    cells: int
    seconds: float
    unprobed: int


def estimate(claim: str, configs: Iterable[Any]) -> ClaimCost:
    """The cost of running cells with these configs (each probed once, in this process)."""
    configs = list(configs)
    probes = [getattr(config, "estimated_seconds", None) for config in configs]
    with cell_threads():
        seconds = sum(probe() for probe in probes if probe is not None)
    return ClaimCost(claim, len(configs), float(seconds), sum(probe is None for probe in probes))


def describe(costs: list[ClaimCost], workers: int) -> str:
    """One line per claim and a total, in CPU-seconds and wall time on ``workers`` workers."""
    lines = []
    for cost in costs:
        note = f" ({cost.unprobed} not probed)" if cost.unprobed else ""
        lines.append(
            f"{cost.claim}: {cost.cells} cells to run, {cost.seconds:.0f} CPU-s estimated{note}"
        )
    total = sum(cost.seconds for cost in costs)
    lines.append(
        f"total: {total:.0f} CPU-s ≈ {_duration(total / max(1, workers))} wall on {workers} workers"
    )
    return "\n".join(lines)


def protocol_rows(configs: Iterable[Any]) -> list[dict[str, str]]:
    """The distinct ``protocol()`` of these configs, in first-seen order."""
    rows: list[dict[str, str]] = []
    for config in configs:
        describe_protocol = getattr(config, "protocol", None)
        row = describe_protocol() if describe_protocol is not None else None
        if row is not None and row not in rows:
            rows.append(row)
    return rows


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
