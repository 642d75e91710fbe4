"""Claim L4: MAML's gain collapses when the inner step's m samples are few against d.

Collins et al. 2022: with m support samples per inner step the gain
E_NAL / E_MAML falls towards 1 once m ≤ 2d. The closed form over m must
reproduce REFERENCE.md's values (``REFERENCE_SAMPLES``), grow with m beyond
2d, stay within 10% of the exact-gradient gain's excess for m ≤ 2d, and agree
with simulated closed-form minimisers. The negative control predicts with
the exact-gradient formula (``finite_sample_theory=False``).

Example:
    >>> SampleSweepConfig(samples=(20, math.inf)).run(0)["gain"]["20"] < 1.02
    True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from analysis.linear_theory import gain_of_maml
from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import (
    PAPER,
    TABLE_TOLERANCE,
    SimulatedGainConfig,
    agreement,
    plot_simulated_gains,
    samples_key,
    simulated_cells,
)
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict

REFERENCE_SAMPLES = {5: 1.009, 20: 1.012, 100: 1.370, 1000: 3.790, math.inf: 6.458}
"""E_NAL/E_MAML against m from REFERENCE.md §1 (R_H = 0.01, D = 2, ν = 0.1)."""


@dataclass(frozen=True)
class SampleSweepConfig:
    """E_NAL/E_MAML in closed form against the inner step's sample count m."""

    mixture: MixtureSpec = field(
        default_factory=lambda: MixtureSpec(distance=2.0, spread_hard=0.01)
    )
    alpha: float = 1.0
    samples: tuple[float, ...] = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, math.inf)
    finite_sample_theory: bool = True

    def run(self, seed: int) -> dict[str, Any]:
        return sample_sweep_experiment(self, seed)


def sample_sweep_experiment(config: SampleSweepConfig, seed: int) -> dict[str, Any]:
    mixture = config.mixture.build()
    gains = {
        samples_key(m): gain_of_maml(
            mixture, config.alpha, m if config.finite_sample_theory else math.inf
        )
        for m in config.samples
    }
    return {"dim": mixture.dim, "gain": gains}


def collapse_check(results: Results) -> Verdict:
    sweep = results.of(SampleSweepConfig)[0]
    simulated = results.of(SimulatedGainConfig)
    gain, dim = sweep["gain"], sweep["dim"]
    problems = []
    table_error = max(abs(gain[samples_key(m)] - value) for m, value in REFERENCE_SAMPLES.items())
    if table_error > TABLE_TOLERANCE:
        problems.append(f"closed form differs from the reference values by {table_error:.3f}")
    beyond = [value for key, value in gain.items() if key == "inf" or int(key) >= 2 * dim]
    if any(later <= earlier for earlier, later in pairwise(beyond)):
        problems.append(f"the gain does not grow with m for m ≥ 2d = {2 * dim}")
    few = max(value for key, value in gain.items() if key != "inf" and int(key) <= 2 * dim)
    collapsed = few - 1 <= 0.1 * (gain["inf"] - 1)
    if not collapsed:
        problems.append(
            f"with m ≤ 2d the gain is still {few:.3f} (exact gradients: {gain['inf']:.3f})"
        )
    agrees, agreement_reason = agreement(simulated)
    if not agrees:
        problems.append(agreement_reason)
    evidence = Evidence(
        statistic="closed-form gain against m (exact); closed form inside each simulated gain's "
        "family-wise 95% interval over test tasks",
        seeds=len(simulated),
        resolvable="a collapse to within 10% of the exact-gradient gain above 1",
    )
    if problems:
        return Verdict("FAIL", "; ".join(problems), evidence)
    return Verdict(
        "PASS",
        f"gain {few:.3f} for m ≤ 2d = {2 * dim} vs {gain['inf']:.3f} with exact "
        f"gradients; reference values reproduced (max error {table_error:.4f}); "
        f"{agreement_reason}",
        evidence,
    )


def collapse_figure(results: Results) -> Figure:
    sweep = results.of(SampleSweepConfig)[0]
    figure, axis = plt.subplots(figsize=(5.5, 3.5))
    finite = {int(k): v for k, v in sweep["gain"].items() if k != "inf"}
    axis.plot(list(finite), list(finite.values()), marker="o", label="closed form")
    axis.axhline(sweep["gain"]["inf"], color="C0", linestyle=":", label="exact gradients (m = ∞)")
    axis.axvline(sweep["dim"], color="grey", linestyle="--", label="m = d")
    plot_simulated_gains(axis, results.of(SimulatedGainConfig), "samples")
    axis.set(
        xscale="log",
        xlabel="inner-step samples m",
        ylabel="E_NAL / E_MAML",
        title="L4: the gain collapses when m is small against d",
    )
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def finite_sample_cells(scale: str) -> list[Cell]:
    sizes = {"smoke": (20,), "quick": (20, 1000), "paper": (10, 20, 100, 1000)}[scale]
    points = [{"distance": 2.0, "spread_hard": 0.01, "support_size": m} for m in sizes]
    return [Cell(SampleSweepConfig(), 0), *simulated_cells(scale, points, trained=False)]


L4 = Claim(
    "L4",
    PAPER,
    "The gain collapses when the inner step's m samples are few against d",
    finite_sample_cells,
    collapse_check,
    collapse_figure,
)
