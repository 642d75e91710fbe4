"""Claim L2: without a hardness discrepancy (ρ_H = ρ_E) MAML gains nothing over NAL.

Collins et al. 2022: E_NAL / E_MAML = 1 when both clusters are equally hard.

- ``L2`` (paper claim): MAML and NAL are meta-trained on an equal-hardness
  mixture at D = 2 and their excess risks simulated on the same test tasks;
  the unit is the seed (training tasks, initialisation, test tasks), and the
  gain's mean over seeds gets a 95% Student-t interval. An equivalence test
  with margin ``NO_GAIN``, symmetric in its two outcomes: PASS when the whole
  interval lies inside [1 − NO_GAIN, 1 + NO_GAIN], FAIL when it lies wholly
  outside, INCONCLUSIVE otherwise. With a hardness discrepancy (ρ_H ≠ ρ_E)
  the gain is far above 1 and the check FAILS.
- ``L2_CLOSED_FORM`` (implementation check): the closed form equals 1 on the
  whole (D, R_H) grid, with exact gradients and with m = 50 samples; only a
  bug in ``analysis.linear_theory`` can break it.

Example:
    >>> [cell.config.mixture.rho_hard for cell in equal_hardness_cells("smoke")]
    [0.9]
    >>> [cell.seed for cell in equal_hardness_cells("quick")]
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from analysis.statistics import mean_interval
from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import (
    PAPER,
    GainGridConfig,
    SimulatedGainConfig,
    plot_simulated_gains,
    simulated_cells,
)
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict

NO_GAIN = 0.02
"""Gains within 2% of 1 count as no gain (training error moves E by O(δ²))."""
EQUAL = MixtureSpec(rho_hard=0.9)
SEEDS = {"smoke": 1, "quick": 5, "paper": 10}


def equal_hardness_check(results: Results) -> Verdict:
    """Equivalence of the seed-level mean gain with 1, within ``NO_GAIN``, both ways."""
    gains = [cell["simulated_gain"]["mean"] for cell in results.of(SimulatedGainConfig)]
    if not gains:
        return Verdict("INCONCLUSIVE", "no trained-and-simulated cell was run")
    interval = mean_interval(gains)
    evidence = Evidence(
        statistic="E_NAL / E_MAML of trained parameters, mean over seeds with 95% t interval, "
        f"against the equivalence band 1 ± {NO_GAIN}",
        seeds=len(gains),
        resolvable=f"±{interval.half_width:.2g} in the gain"
        if len(gains) > 1
        else "nothing (one seed)",
    )
    text = f"trained gain {interval} over {len(gains)} seeds (band 1 ± {NO_GAIN})"
    if len(gains) < 2:
        return Verdict("INCONCLUSIVE", text + "; one seed gives no interval", evidence)
    if interval.low >= 1 - NO_GAIN and interval.high <= 1 + NO_GAIN:
        return Verdict("PASS", text + ": inside the band", evidence)
    if interval.low > 1 + NO_GAIN or interval.high < 1 - NO_GAIN:
        return Verdict("FAIL", text + ": wholly outside the band", evidence)
    return Verdict("INCONCLUSIVE", text + ": the interval crosses the band's edge", evidence)


def closed_form_check(results: Results) -> Verdict:
    """The closed-form gain equals 1 on every grid point (exact and finite-m formulas)."""
    grids = results.of(GainGridConfig)
    deviation = max(abs(g - 1.0) for grid in grids for row in grid["gain"] for g in row)
    points = sum(len(row) for grid in grids for row in grid["gain"])
    evidence = Evidence(
        statistic="largest |closed-form gain − 1| over the (D, R_H) grid",
        seeds=1,
        resolvable="deviations above 1e-9 (float64 round-off)",
    )
    return Verdict.from_condition(
        deviation <= 1e-9,
        f"closed-form gain differs from 1 by at most {deviation:.2g} on {points} grid points",
        evidence,
    )


def equal_hardness_figure(results: Results) -> Figure:
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for index, grid in enumerate(results.of(GainGridConfig)):
        for line, (spread, row) in enumerate(zip(grid["hard_spreads"], grid["gain"])):
            label = f"closed form, R_H={spread}" if index == 0 else None
            axis.plot(grid["distances"], row, marker="o", color=f"C{line}", label=label)
    plot_simulated_gains(
        axis, results.of(SimulatedGainConfig), "distance", label="trained + simulated"
    )
    axis.axhline(1.0, color="grey", linewidth=0.8)
    axis.set(
        xlabel="centre distance D",
        ylabel="E_NAL / E_MAML",
        title="L2: equal hardness (ρ_H = ρ_E) gives no gain",
    )
    axis.ticklabel_format(axis="y", useOffset=False)
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def equal_hardness_cells(scale: str) -> list[Cell]:
    point = {"rho_hard": EQUAL.rho_hard, "distance": 2.0, "spread_hard": 0.01}
    return simulated_cells(scale, [point], trained=True, seeds=SEEDS[scale])


def closed_form_cells(scale: str) -> list[Cell]:
    return [
        Cell(GainGridConfig(mixture=EQUAL, samples=math.inf), 0),
        Cell(GainGridConfig(mixture=EQUAL, samples=50), 0),
    ]


L2 = Claim(
    "L2",
    PAPER,
    "No hardness discrepancy (ρ_H = ρ_E) ⇒ E_NAL / E_MAML = 1",
    equal_hardness_cells,
    equal_hardness_check,
    equal_hardness_figure,
)
L2_CLOSED_FORM = Claim(
    "L2-closed-form",
    PAPER,
    "The closed-form E_NAL / E_MAML equals 1 on the whole (D, R_H) grid when ρ_H = ρ_E",
    closed_form_cells,
    closed_form_check,
    equal_hardness_figure,
    kind="implementation check",
)
