"""Runner overhead per cell, and a 100-cell linear-theory sweep on a process pool vs Dask.

Budgets from issue 8: the runner adds at most 50 ms per cell locally (cache
lookup, atomic store, bookkeeping: wall time minus the cells' own time, over
trivial cells); a 100-cell sweep of closed-form gain cells on a 2-worker local
Dask cluster takes at most 1.3× the time of a 2-worker local process pool.
Both executors are timed warm (workers started and their imports done by a
first sweep of trivial cells, as in a long sweep) and cold (start-up
included); every executor's results must be bit-identical to the serial run's.

    python -m benchmarks.sweeps --out results/bench_sweeps.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from figures.claims.linear_gains import GainGridConfig
from figures.engine.claim import Claim, Results, Verdict
from figures.engine.dask_executor import DaskExecutor
from figures.engine.executors import Executor, ProcessExecutor, SerialExecutor
from figures.engine.files import write_json
from figures.engine.runner import run_claims
from figures.engine.sweep import Sweep

OVERHEAD_BUDGET_SECONDS = 0.05
DASK_RATIO_BUDGET = 1.3


@dataclass(frozen=True)
class NoopConfig:
    index: int = 0

    def run(self, seed: int) -> dict[str, Any]:
        return {"index": self.index, "seed": seed}


def figure_of(results: Results) -> plt.Figure:
    figure, axis = plt.subplots()
    axis.bar(["cells"], [len(results)])
    return figure


def sweep_claim(claim_id: str, sweep: Sweep) -> Claim:
    return Claim(
        claim_id,
        "benchmark",
        "runs",
        lambda scale: sweep.cells(),
        lambda results: Verdict("PASS", "ran"),
        figure_of,
    )


NOOP = sweep_claim("N0", Sweep.over(NoopConfig(), seeds=(0, 1), index=range(100)))
LINEAR = sweep_claim(
    "G0",
    Sweep.over(
        GainGridConfig(distances=(0.0, 1.0, 2.0), hard_spreads=(0.01,)),
        alpha=tuple(0.1 * step for step in range(1, 11)),
        samples=(10, 20, 50, 100, 200, 500, 1000, 2000, 5000, float("inf")),
    ),
)


def timed_run(claim: Claim, executor: Executor) -> tuple[float, float, list[str]]:
    """(wall seconds, the cells' own seconds, results as JSON) on a fresh cache."""
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        outcomes = run_claims([claim], "smoke", Path(cache), progress=False, executor=executor)
        wall = time.perf_counter() - start
    cells = outcomes[claim.id]
    return wall, sum(o.seconds for o in cells), [json.dumps(o.result) for o in cells]


def overhead(executor: Executor) -> dict[str, float]:
    wall, inside, _ = timed_run(NOOP, executor)
    cells = len(NOOP.cells("smoke"))
    return {
        "cells": cells,
        "wall_seconds": wall,
        "overhead_seconds_per_cell": (wall - inside) / cells,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/bench_sweeps.json"))
    args = parser.parse_args()
    serial_wall, serial_inside, reference = timed_run(LINEAR, SerialExecutor())
    report: dict[str, Any] = {
        "linear_cells": len(reference),
        "serial_seconds": serial_wall,
        "serial_cell_seconds": serial_inside,
        "serial_overhead": overhead(SerialExecutor()),
    }
    for name, make in {
        "process": lambda: ProcessExecutor(args.workers),
        "dask": lambda: DaskExecutor(local_workers=args.workers),
        "dask_batched": lambda: DaskExecutor(local_workers=args.workers, cells_per_task=10),
    }.items():
        cold_wall, _, cold = timed_run(LINEAR, make())
        start = time.perf_counter()
        with make() as executor:
            timed_run(NOOP, executor)
            startup = time.perf_counter() - start
            report[f"{name}_overhead"] = overhead(executor)
            warm_wall, _, warm = timed_run(LINEAR, executor)
        report[f"{name}_cold_seconds"] = cold_wall
        report[f"{name}_startup_seconds"] = startup
        report[f"{name}_warm_seconds"] = warm_wall
        report[f"{name}_identical_to_serial"] = cold == reference and warm == reference
    for dask in ("dask", "dask_batched"):
        for when in ("warm", "cold"):
            report[f"{dask}_over_process_{when}"] = (
                report[f"{dask}_{when}_seconds"] / report[f"process_{when}_seconds"]
            )
    report["budgets"] = {
        "overhead_seconds_per_cell": OVERHEAD_BUDGET_SECONDS,
        "dask_over_process": DASK_RATIO_BUDGET,
    }
    report["within_budget"] = {
        "serial_overhead": report["serial_overhead"]["overhead_seconds_per_cell"]
        <= OVERHEAD_BUDGET_SECONDS,
        **{
            f"{name}_{when}": report[f"{name}_over_process_{when}"] <= DASK_RATIO_BUDGET
            for name in ("dask", "dask_batched")
            for when in ("warm", "cold")
        },
    }
    write_json(args.out, report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
