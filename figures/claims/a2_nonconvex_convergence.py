"""Claim A2: with a nonconvex inner loss, ANIL's convergence degrades as N grows.

Ji, Lee, Liang, Poor 2020. The head is a ReLU MLP (λ = 0), with the runs of
``figures.claims.anil_convergence``. PASS if Δ = F̄_{N_max} − F̄_{N_min} > 0
(interval above 0); a resolved opposite sign FAILS, overlapping intervals
are INCONCLUSIVE.

The step size matters: at α = 1/2 the MLP head's inner Hessian has
λ_max ≈ 13 at initialisation (A4 measures it), so α·L ≈ 6.5, and the
meta-gradient norm grows by orders of magnitude with N. With a step of
α·L ≈ 1 at initialisation the same runs improve with N instead; A2's
direction is a property of the step size as much as of nonconvexity. So A2
runs both step sizes and PASSES only if Δ > 0 at both; directions that
differ give INCONCLUSIVE, with both numbers in the reason.

Example:
    >>> sorted({cell.config.setup.inner_lr for cell in a2_cells("smoke")})
    [0.075, 0.5]
"""

from __future__ import annotations

from collections import defaultdict

from matplotlib.figure import Figure

from figures.claims.anil_convergence import Trend, convergence_cells, convergence_figure
from figures.claims.anil_setup import NONCONVEX, PAPER, STABLE_NONCONVEX
from figures.engine.claim import Cell, Claim, Results, Verdict


def degradation_check(results: Results) -> Verdict:
    """A2: Δ > 0 at every inner step size tried; directions that differ are INCONCLUSIVE."""
    groups: dict[float | None, list[dict]] = defaultdict(list)
    for result in results:
        groups[result.get("inner_lr")].append(result)
    verdicts = {inner_lr: degradation_at_one_step_size(group) for inner_lr, group in groups.items()}
    if len(verdicts) == 1:
        return next(iter(verdicts.values()))
    statuses = {verdict.status for verdict in verdicts.values()}
    status = statuses.pop() if len(statuses) == 1 else "INCONCLUSIVE"
    reason = "; ".join(f"α={lr:g}: {v.status}, {v.reason}" for lr, v in verdicts.items())
    prefix = "the direction depends on the inner step size: " if status == "INCONCLUSIVE" else ""
    return Verdict(status, prefix + reason)


def degradation_at_one_step_size(results: Results) -> Verdict:
    """Δ > 0 (the interval over seeds above 0) for runs sharing one inner step size."""
    trend = Trend.of(results)
    if not trend.usable:
        return Verdict("INCONCLUSIVE", "need ≥ 2 values of N and ≥ 2 common seeds")
    delta = trend.change()
    text = f"{trend.summary()}; Δ(N={trend.steps[-1]} − N={trend.steps[0]}) = {delta}"
    if delta.low > 0:
        return Verdict("PASS", f"convergence degrades with N: {text}")
    if delta.high < 0:
        return Verdict("FAIL", f"convergence improves with N: {text}")
    return Verdict("INCONCLUSIVE", f"no resolved change with N: {text}")


def a2_figure(results: Results) -> Figure:
    """The runs at the largest inner step size (the others' numbers are in the verdict)."""
    largest = max(result["inner_lr"] for result in results)
    shown = [result for result in results if result["inner_lr"] == largest]
    return convergence_figure(shown, f"A2: nonconvex head (ReLU MLP), α = {largest:g}")


def a2_cells(scale: str) -> list[Cell]:
    """α = ½ (α·L ≈ 6.5 at initialisation) and α = 0.075 (α·L ≈ 1): the direction differs."""
    return convergence_cells(NONCONVEX, scale) + convergence_cells(STABLE_NONCONVEX, scale)


A2 = Claim(
    "A2",
    PAPER,
    "Nonconvex inner loss: ANIL's meta-training convergence degrades as N grows",
    a2_cells,
    degradation_check,
    a2_figure,
)
