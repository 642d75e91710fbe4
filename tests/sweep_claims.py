"""Test-only claims whose experiments worker processes can import (``import sweep_claims``).

- ``pause_claim(sweep)``: cells sleep ``pause_s`` then return seeded torch numbers,
  so a test can catch a run between cells and compare results bit for bit.
- ``die_once_experiment``: kills its own process the first time (a marker file
  records it), like a worker lost mid-cell.
- ``fail_experiment``: raises for the configs that ask to.
- ``main()``: the ``mamlscape reproduce`` command with ``S0`` (a pause sweep)
  registered, for tests that run, kill or interrupt it in a subprocess.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from figures.engine.claim import Cell, Claim, Results, Verdict
from figures.engine.sweep import Sweep


@dataclass(frozen=True)
class PauseConfig:
    pause_s: float = 0.0
    scale: float = 1.0

    def run(self, seed: int) -> dict:
        return pause_experiment(self, seed)


def pause_experiment(config: PauseConfig, seed: int) -> dict:
    time.sleep(config.pause_s)
    generator = torch.Generator().manual_seed(seed)
    matrix = torch.randn(16, 16, generator=generator, dtype=torch.float64) * config.scale
    return {
        "values": matrix[0, :4].tolist(),
        "spectral_norm": torch.linalg.matrix_norm(matrix, ord=2).item(),
        "trace_of_square": torch.trace(matrix @ matrix).item(),
    }


def pause_figure(results: Results) -> plt.Figure:
    figure, axis = plt.subplots()
    axis.plot([result["spectral_norm"] for result in results])
    return figure


def pause_claim(sweep: Sweep, claim_id: str = "S0") -> Claim:
    return Claim(
        claim_id,
        "a test paper",
        "spectral norms are positive",
        lambda scale: sweep.cells(),
        lambda results: Verdict.from_condition(
            all(result["spectral_norm"] > 0 for result in results), "all positive"
        ),
        pause_figure,
    )


PAUSE_SWEEP = Sweep.over(PauseConfig(pause_s=0.25), seeds=range(4), scale=(1.0, 2.0))
"""Eight cells of 0.25 s each: long enough to kill a run between any two."""


@dataclass(frozen=True)
class DieOnceConfig:
    marker: str

    def run(self, seed: int) -> dict:
        return die_once_experiment(self, seed)


def die_once_experiment(config: DieOnceConfig, seed: int) -> dict:
    marker = Path(config.marker)
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return {"seed": seed, "died_in": int(marker.read_text()), "ran_in": os.getpid()}


@dataclass(frozen=True)
class FailConfig:
    fail: bool = False

    def run(self, seed: int) -> dict:
        return fail_experiment(self, seed)


def fail_experiment(config: FailConfig, seed: int) -> dict:
    if config.fail:
        raise FloatingPointError(f"the loss became NaN at seed {seed}")
    return {"seed": seed}


def count_figure(results: Results) -> plt.Figure:
    figure, axis = plt.subplots()
    axis.bar(["cells"], [len(results)])
    return figure


def claim_of(claim_id: str, cells: list[Cell]) -> Claim:
    return Claim(
        claim_id,
        "a test paper",
        "runs",
        lambda scale: cells,
        lambda results: Verdict("PASS", "ran"),
        count_figure,
    )


def main() -> int:
    """``mamlscape reproduce --claims S0 ARGS...`` with the pause sweep registered."""
    from figures.claims.catalogue import REGISTRY
    from figures.commands.cli import main as cli_main
    from figures.engine.registry import register

    if "S0" not in REGISTRY:
        register(REGISTRY, pause_claim(PAUSE_SWEEP))
    return cli_main(["reproduce", "--claims", "S0", "--no-progress", *sys.argv[1:]])
