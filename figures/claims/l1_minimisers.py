"""Claim L1: trained MAML / NAL reach the closed-form minimisers; FO-MAML misses θ_MAML.

Collins et al. 2022 give θ_MAML and θ_NAL in closed form for the easy/hard
linear mixture (``analysis.linear_theory``); FO-MAML's fixed point differs
from θ_MAML when the clusters' hardness differs. Each role is meta-trained
with the real learner (autograd through the inner step) and its distance to
each closed form is measured in units of the separation ‖θ_MAML − θ_NAL‖.

PASS: MAML within ``REACHED`` of θ_MAML, NAL within ``REACHED`` of θ_NAL, and
FO-MAML farther than ``MISSED`` from θ_MAML. The negative controls put NAL
or FO-MAML in MAML's role.

Example:
    >>> MinimiserConfig().roles
    (('maml', 'maml'), ('nal', 'nal'), ('fo-maml', 'fo-maml'))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from analysis.linear_theory import fo_maml_solution, maml_solution, nal_solution
from figures.claims.linear_experiments import LinearTraining, MixtureSpec, train_linear
from figures.claims.linear_gains import PAPER, SIMULATION
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict

REACHED = 0.1
"""A trained θ 'reaches' a minimiser within this fraction of ‖θ_MAML − θ_NAL‖."""
MISSED = 0.3
"""FO-MAML 'misses' θ_MAML when farther than this fraction of ‖θ_MAML − θ_NAL‖."""


@dataclass(frozen=True)
class MinimiserConfig:
    """Train each role's algorithm on the mixture and compare with the closed forms."""

    mixture: MixtureSpec = field(default_factory=MixtureSpec)
    alpha: float = 1.0
    training: LinearTraining = field(default_factory=lambda: LinearTraining(support_size=500))
    roles: tuple[tuple[str, str], ...] = (("maml", "maml"), ("nal", "nal"), ("fo-maml", "fo-maml"))
    device: str = "cpu"

    def run(self, seed: int) -> dict[str, Any]:
        return minimiser_experiment(self, seed)


def minimiser_experiment(config: MinimiserConfig, seed: int) -> dict[str, Any]:
    mixture = config.mixture.build()
    theory = {
        "maml": maml_solution(mixture, config.alpha, config.training.support_size),
        "nal": nal_solution(mixture),
        "fo-maml": fo_maml_solution(mixture, config.alpha),
    }
    trained = {
        role: train_linear(mixture, algorithm, config.alpha, config.training, seed, config.device)
        for role, algorithm in config.roles
    }
    return {
        "theory": {name: theta.tolist() for name, theta in theory.items()},
        "trained": {role: theta.tolist() for role, theta in trained.items()},
        "separation": (theory["maml"] - theory["nal"]).norm().item(),
        "distance": {
            role: {name: (theta - target).norm().item() for name, target in theory.items()}
            for role, theta in trained.items()
        },
    }


def minimiser_check(results: Results) -> Verdict:
    failures, worst = [], {"maml": 0.0, "nal": 0.0, "fo-maml": math.inf}
    for result in results:
        distance, separation = result["distance"], result["separation"]
        worst["maml"] = max(worst["maml"], distance["maml"]["maml"] / separation)
        worst["nal"] = max(worst["nal"], distance["nal"]["nal"] / separation)
        worst["fo-maml"] = min(worst["fo-maml"], distance["fo-maml"]["maml"] / separation)
    if worst["maml"] > REACHED:
        failures.append(f"trained MAML is {worst['maml']:.3f}·sep from θ_MAML (> {REACHED})")
    if worst["nal"] > REACHED:
        failures.append(f"trained NAL is {worst['nal']:.3f}·sep from θ_NAL (> {REACHED})")
    if worst["fo-maml"] < MISSED:
        failures.append(f"FO-MAML comes within {worst['fo-maml']:.3f}·sep of θ_MAML (< {MISSED})")
    summary = (
        f"distances in units of ‖θ_MAML − θ_NAL‖: MAML→θ_MAML {worst['maml']:.3f}, "
        f"NAL→θ_NAL {worst['nal']:.3f}, FO-MAML→θ_MAML {worst['fo-maml']:.3f}"
    )
    evidence = Evidence(
        statistic="worst distance over seeds of each trained role to its closed-form minimiser, "
        "in units of ‖θ_MAML − θ_NAL‖",
        seeds=len(results),
        resolvable=f"distances of {REACHED}·separation (reached) and {MISSED}·separation (missed)",
    )
    return Verdict.from_condition(not failures, "; ".join(failures) or summary, evidence)


def minimiser_figure(results: Results) -> Figure:
    """Each trained role's θ₁ and off-axis norm beside the closed-form minimisers' θ₁; the
    legend sits outside the axes and the margins keep every point whole."""
    figure, axis = plt.subplots(figsize=(7.5, 3.5))
    colours = {"maml": "C0", "nal": "C1", "fo-maml": "C2"}
    names = {"maml": "MAML", "nal": "NAL", "fo-maml": "FO-MAML"}
    for name, theta in results[0]["theory"].items():
        axis.axvline(
            theta[0], color=colours[name], linestyle="--", label=f"θ_{names[name]} (closed form)"
        )
    for index, result in enumerate(results):
        for role, theta in result["trained"].items():
            axis.scatter(
                theta[0],
                np.linalg.norm(theta[1:]),
                color=colours.get(role, "k"),
                marker="o",
                zorder=3,
                clip_on=False,
                label=f"trained as {names.get(role, role)}" if index == 0 else None,
            )
    axis.margins(x=0.08, y=0.15)
    axis.set(
        xlabel="θ₁ (along θ_H − θ_E)",
        ylabel="‖(θ₂, …, θ_d)‖",
        title="L1: trained meta-parameters vs closed-form minimisers",
    )
    axis.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    figure.tight_layout()
    return figure


def minimiser_cells(scale: str) -> list[Cell]:
    iterations = SIMULATION[scale][1]
    seeds = {"smoke": 1, "quick": 1, "paper": 3}[scale]
    config = MinimiserConfig(training=LinearTraining(support_size=500, iterations=iterations))
    return [Cell(config, seed) for seed in range(seeds)]


L1 = Claim(
    "L1",
    PAPER,
    "Iterative MAML / NAL training converges to the closed-form minimisers; FO-MAML does not "
    "converge to θ_MAML when hardness differs",
    minimiser_cells,
    minimiser_check,
    minimiser_figure,
)
