"""Claim L2: without a hardness discrepancy (ρ_H = ρ_E) MAML gains nothing over NAL.

Collins et al. 2022: E_NAL / E_MAML = 1 when both clusters are equally hard.
The closed form is checked on the whole (D, R_H) grid, with exact gradients
and with m = 50 samples, and a trained-and-simulated cell at D = 2 must sit
within ``NO_GAIN`` of 1 (its interval clear of neither side).

Example:
    >>> [cell.config.mixture.rho_hard for cell in equal_hardness_cells("smoke")]
    [0.9, 0.9, 0.9]
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import (
    PAPER,
    GainGridConfig,
    SimulatedGainConfig,
    plot_simulated_gains,
    simulated_cells,
)
from figures.engine.claim import Cell, Claim, Results, Verdict

NO_GAIN = 0.02
"""Trained gains within 2% of 1 count as no gain (training error moves E by O(δ²))."""


def equal_hardness_check(results: Results) -> Verdict:
    grids, simulated = results.of(GainGridConfig), results.of(SimulatedGainConfig)
    deviation = max(abs(g - 1.0) for grid in grids for row in grid["gain"] for g in row)
    if deviation > 1e-9:
        return Verdict("FAIL", f"closed-form gain differs from 1 by up to {deviation:.3g}")
    far = [
        cell
        for cell in simulated
        if cell["simulated_gain"]["mean"] - cell["simulated_gain"]["half_width"] > 1 + NO_GAIN
        or cell["simulated_gain"]["mean"] + cell["simulated_gain"]["half_width"] < 1 - NO_GAIN
    ]
    if far:
        gains = ", ".join(f"{c['simulated_gain']['mean']:.3f}" for c in far)
        return Verdict("FAIL", f"trained gains {gains} are clearly away from 1")
    gains = ", ".join(f"{c['simulated_gain']['mean']:.4f}" for c in simulated)
    return Verdict(
        "PASS",
        f"closed-form gain = 1 (within {deviation:.1g}) on the whole grid; "
        f"trained gains {gains} within {NO_GAIN:.0%} of 1",
    )


def equal_hardness_figure(results: Results) -> Figure:
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for grid in results.of(GainGridConfig):
        for spread, row in zip(grid["hard_spreads"], grid["gain"]):
            axis.plot(grid["distances"], row, marker="o", label=f"closed form, R_H={spread}")
    plot_simulated_gains(
        axis, results.of(SimulatedGainConfig), "distance", label="trained + simulated"
    )
    axis.axhline(1.0, color="grey", linewidth=0.8)
    axis.set(
        xlabel="centre distance D",
        ylabel="E_NAL / E_MAML",
        title="L2: equal hardness (ρ_H = ρ_E) gives no gain",
    )
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def equal_hardness_cells(scale: str) -> list[Cell]:
    equal = MixtureSpec(rho_hard=0.9)
    grid = Cell(GainGridConfig(mixture=equal, samples=math.inf), 0)
    finite = Cell(GainGridConfig(mixture=equal, samples=50), 0)
    point = {"rho_hard": 0.9, "distance": 2.0, "spread_hard": 0.01}
    return [grid, finite, *simulated_cells(scale, [point], trained=True)]


L2 = Claim(
    "L2",
    PAPER,
    "No hardness discrepancy (ρ_H = ρ_E) ⇒ E_NAL / E_MAML = 1",
    equal_hardness_cells,
    equal_hardness_check,
    equal_hardness_figure,
)
