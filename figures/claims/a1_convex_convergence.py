"""Claim A1: with a strongly convex inner loss, ANIL converges faster as N grows, and saturates.

Ji, Lee, Liang, Poor 2020. The head is linear with a ridge λ (μ = λ,
L ≤ 2 + λ, α = 1/(2 + λ) ≤ 1/L; ``figures.claims.anil_setup``), N ∈ {1, 2, 5, 10, 20},
and the runs are ``figures.claims.anil_convergence``'s.
PASS if Δ = F̄_{N_max} − F̄_{N_min} < 0 (interval below 0) and the gain
saturates: the last step of N (10 → 20) gives less than half the share of
the total gain a log-linear trend would, z = gain_last − s·gain_total < 0
with s = ½·log(N_k/N_{k−1})/log(N_k/N_1). A resolved opposite sign FAILS;
overlapping intervals are INCONCLUSIVE.

Example:
    >>> round(saturation_share([1, 2, 5, 10, 20]), 4)
    0.1157
"""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from analysis.statistics import mean_interval
from figures.claims.anil_convergence import Trend, convergence_cells, convergence_figure
from figures.claims.anil_setup import CONVEX, PAPER
from figures.engine.claim import Cell, Claim, Results, Verdict


def saturation_share(steps: list[int]) -> float:
    """Half the share of the total gain a log-linear trend in N gives the last step of N."""
    return 0.5 * math.log(steps[-1] / steps[-2]) / math.log(steps[-1] / steps[0])


def improvement_check(results: Results) -> Verdict:
    """A1: Δ < 0 and the last step of N adds little (see the module doc)."""
    trend = Trend.of(results)
    if not trend.usable or len(trend.steps) < 3:
        return Verdict("INCONCLUSIVE", "need ≥ 3 values of N and ≥ 2 common seeds")
    delta = trend.change()
    text = f"{trend.summary()}; Δ(N={trend.steps[-1]} − N={trend.steps[0]}) = {delta}"
    if delta.low > 0:
        return Verdict("FAIL", f"convergence degrades with N: {text}")
    if delta.high >= 0:
        return Verdict("INCONCLUSIVE", f"no resolved change with N: {text}")
    finals, steps = trend.finals, trend.steps
    gain_last = finals[steps[-2]] - finals[steps[-1]]
    gain_total = finals[steps[0]] - finals[steps[-1]]
    share = saturation_share(trend.steps)
    excess = mean_interval(gain_last - share * gain_total)
    saturation = (
        f"last step gains {gain_last.mean():.3f} of {gain_total.mean():.3f} "
        f"(saturation: < {share:.3f} of the total; margin {excess})"
    )
    if excess.high < 0:
        return Verdict("PASS", f"improves with N and saturates: {text}; {saturation}")
    if excess.low > 0:
        return Verdict("FAIL", f"improves with N but does not saturate: {text}; {saturation}")
    return Verdict("INCONCLUSIVE", f"improves with N, saturation unresolved: {text}; {saturation}")


def a1_figure(results: Results) -> Figure:
    return convergence_figure(results, "A1: strongly convex head (linear + ridge), α = 1/(2+λ)")


def a1_cells(scale: str) -> list[Cell]:
    return convergence_cells(CONVEX, scale)


A1 = Claim(
    "A1",
    PAPER,
    "Strongly convex inner loss: ANIL's meta-training converges faster per iteration as N "
    "grows, and saturates",
    a1_cells,
    improvement_check,
    a1_figure,
)
