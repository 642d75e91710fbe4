"""Claim A2: with a nonconvex inner loss, ANIL's convergence degrades as N grows.

Ji, Lee, Liang, Poor 2020. The head is a ReLU MLP (λ = 0), with the runs of
``figures.claims.anil_convergence``: each N is measured against its own
objective by r̄_N, the mean remaining fraction of F_N's own gap
F_N(θ₀) − F_N* over the T measured iterations, F_N* from the long run.
PASS if the per-seed slope b of log r̄_N on log N over the whole grid is
resolved above 0 (slower with N, ``paired_verdict``); resolved below 0
FAILS; unresolved is INCONCLUSIVE.

The step is α = 0.075, where α·L ≈ 1 for the MLP head at initialisation
(``anil_setup.STABLE_NONCONVEX``; A4 measures the inner Hessian): the head's
stable step, and the one A1 also runs the linear head at. The step α = ½
(α·L ≈ 6.5) lies outside the theory's premise α·L ≤ 1 and is not run here.

Example:
    >>> sorted({cell.config.setup.inner_lr for cell in a2_cells("smoke")})
    [0.075]
"""

from __future__ import annotations

from matplotlib.figure import Figure

from figures.claims.anil_convergence import (
    PerSeed,
    convergence_cells,
    convergence_figure,
    over_step_sizes,
    slope_verdict,
)
from figures.claims.anil_setup import PAPER, STABLE_NONCONVEX
from figures.engine.claim import Cell, Claim, Results, Verdict


def slower(table: dict[int, PerSeed]) -> Verdict:
    """A2 at one inner step size: b resolved above 0."""
    return slope_verdict(table, "slower")


def step_label(inner_lr: float) -> str:
    return f"α = {inner_lr:.3g} (α·L ≈ 1 at initialisation)"


def degradation_check(results: Results) -> Verdict:
    """A2: b > 0 at the inner step size run (see the module doc)."""
    return over_step_sizes(results, slower, step_label)


def a2_figure(results: Results) -> Figure:
    return convergence_figure(results, "A2: nonconvex head (ReLU MLP, λ = 0)")


def a2_cells(scale: str) -> list[Cell]:
    return convergence_cells(STABLE_NONCONVEX, scale)


A2 = Claim(
    "A2",
    PAPER,
    "Nonconvex inner loss: ANIL's meta-training convergence degrades as N grows",
    a2_cells,
    degradation_check,
    a2_figure,
)
