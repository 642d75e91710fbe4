"""Claim A1: with a strongly convex inner loss, ANIL converges faster as N grows, and saturates.

Ji, Lee, Liang, Poor 2020. The head is linear with a ridge λ (μ = λ,
L ≤ 2 + λ; ``figures.claims.anil_setup``), N ∈ {1, 2, 5, 10, 20}, and the
runs are ``figures.claims.anil_convergence``'s: each N is measured against
its own objective by r̄_N, the mean remaining fraction of F_N's own gap
F_N(θ₀) − F_N* over the T measured iterations, with F_N* from the long run.

The trend is the per-seed slope b of log r̄_N on log N over the whole grid.
At one inner step size A1 PASSES if −b is resolved above 0 (faster with N)
and the gain saturates: the last step of N (10 → 20) gives less than half
the share of the total gain a log-linear trend would,
s·(log r̄_{N_1} − log r̄_{N_k}) − (log r̄_{N_{k−1}} − log r̄_{N_k}) > 0 with
s = ½·log(N_k/N_{k−1})/log(N_k/N_1), both seed-paired (``paired_verdict``).
A resolved opposite sign FAILS; unresolved is INCONCLUSIVE.

It is judged at the head's stable step α = 1/(2 + λ) (α·L ≤ 1) and at the
step A2 uses, α = 0.075 (α·L ≤ 0.16 here), the one step both geometries
share; it PASSES only if it passes at both, and FAILS if it fails at either.

Example:
    >>> round(saturation_share([1, 2, 5, 10, 20]), 4)
    0.1157
    >>> sorted({round(cell.config.setup.inner_lr, 4) for cell in a1_cells("smoke")})
    [0.075, 0.4762]
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from matplotlib.figure import Figure

from figures.claims.anil_convergence import (
    PerSeed,
    convergence_cells,
    convergence_figure,
    in_units,
    over_step_sizes,
    slope_sides,
    slope_verdict,
)
from figures.claims.anil_setup import CONVEX, PAPER, STABLE_NONCONVEX
from figures.claims.seed_comparison import paired_verdict
from figures.engine.claim import Cell, Claim, Results, Verdict

SHARED_STEP = replace(CONVEX, step_scale=STABLE_NONCONVEX.inner_lr * CONVEX.smoothness_bound)
"""The linear head at A2's inner step α = 0.075, the step both geometries are run at."""


def saturation_share(steps: list[int]) -> float:
    """Half the share of the total gain a log-linear trend in N gives the last step of N."""
    return 0.5 * math.log(steps[-1] / steps[-2]) / math.log(steps[-1] / steps[0])


def faster_and_saturating(table: dict[int, PerSeed]) -> Verdict:
    """A1 at one inner step size: −b resolved above 0, then the saturation margin above 0."""
    trend = slope_verdict(table, "faster")
    if trend.status != "PASS":
        return trend
    steps = sorted(table)
    large, small = slope_sides(table)
    logs = {n: {seed: math.log(table[n][seed]) for seed in large} for n in steps}
    share = saturation_share(steps)
    total = {seed: share * (logs[steps[0]][seed] - logs[steps[-1]][seed]) for seed in large}
    last = {seed: logs[steps[-2]][seed] - logs[steps[-1]][seed] for seed in large}
    both = paired_verdict(
        [("−b", small, large), (f"{share:.3f}·total gain − last gain (saturation)", total, last)],
        "log r̄_N",
    )
    gains = f"last step gains {np.mean(list(last.values())):.3g} in log r̄"
    words = {"PASS": "and saturates", "FAIL": "but does not saturate"}
    saturation = words.get(both.status, "saturation unresolved")
    reason = f"{trend.reason}; {saturation}: {gains}; {both.reason}"
    return Verdict(both.status, reason, in_units(both.evidence, "in b and in log r̄ (margin)"))


def step_label(inner_lr: float) -> str:
    bound = CONVEX.smoothness_bound
    return f"α = {inner_lr:.3g} (α·L ≤ {inner_lr * bound:.2g}, L ≤ 2 + λ = {bound:g})"


def improvement_check(results: Results) -> Verdict:
    """A1 at each inner step size; FAIL if it fails at one (see the module doc)."""
    return over_step_sizes(results, faster_and_saturating, step_label)


def a1_figure(results: Results) -> Figure:
    return convergence_figure(results, "A1: strongly convex head (linear + ridge λ = 0.1)")


def a1_cells(scale: str) -> list[Cell]:
    return convergence_cells(CONVEX, scale) + convergence_cells(SHARED_STEP, scale)


A1 = Claim(
    "A1",
    PAPER,
    "Strongly convex inner loss: ANIL's meta-training converges faster per iteration as N "
    "grows, and saturates",
    a1_cells,
    improvement_check,
    a1_figure,
)
