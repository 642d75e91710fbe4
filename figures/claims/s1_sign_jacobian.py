"""Implementation check S1: autograd through sign inner steps leaves exactly ∇L_query(θ').

Fan et al.: sign(·) has zero derivative almost everywhere, so every inner
step θ^{k+1} = θ^k − α sign(∇L_S(θ^k)) has Jacobian I and the exact
meta-gradient of K sign steps is

    ∇F(θ) = (1/B) Σ_i ∇L_i^query(θ'_i)      (the FO-MAML formula, exact here).

This is an identity that only a bug can break, so it is an implementation
check, not a paper claim. For sinusoid tasks in float64, the cell compares
second-order autograd through ``learner``'s inner loop with the query
gradient at the adapted point (``algorithms.adapted_gradient``), for K ∈
``inner_steps``: PASS when the relative difference stays within float64
round-off (``ROUND_OFF``) for every K and seed. With gradient steps (MAML in the
sign learner's role) a second-order term survives and the check FAILS.

Example:
    >>> result = SignJacobianConfig(inner_steps=(1,), tasks=2).run(0)
    >>> result["relative_difference"]["1"] <= ROUND_OFF
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from algorithms import MLP, make, mse, parameters_of
from algorithms.adapted_gradient import flat_meta_gradient, query_gradient_at_adapted
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict
from synthetic import SinusoidTasks

PAPER = "Fan et al. 2021, Sign-MAML"
ROUND_OFF = 1e-12
"""Relative float64 difference allowed between the two gradients (round-off of a sum)."""


@dataclass(frozen=True)
class SignJacobianConfig:
    """Second-order autograd through ``learner``'s inner loop vs ∇L_query(θ'), float64 sinusoids."""

    learner: str = "sign-maml"
    inner_steps: tuple[int, ...] = (1, 3, 5)
    inner_lr: float = 0.01
    tasks: int = 8

    def run(self, seed: int) -> dict[str, Any]:
        return sign_jacobian_experiment(self, seed)


def sign_jacobian_experiment(config: SignJacobianConfig, seed: int) -> dict[str, Any]:
    torch.manual_seed(seed)
    model = MLP((1, 40, 40, 1)).double()
    params = parameters_of(model)
    batch = SinusoidTasks().sample(
        config.tasks, torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    differences = {}
    for steps in config.inner_steps:
        learner = make(config.learner, model, mse, config.inner_lr, steps, first_order=False)
        exact = flat_meta_gradient(learner, params, batch)
        point = query_gradient_at_adapted(learner, params, batch)
        differences[str(steps)] = ((exact - point).norm() / point.norm()).item()
    return {"learner": config.learner, "seed": seed, "relative_difference": differences}


def sign_jacobian_check(results: Results) -> Verdict:
    worst = max(d for result in results for d in result["relative_difference"].values())
    steps = sorted({int(k) for result in results for k in result["relative_difference"]})
    evidence = Evidence(
        statistic="largest ‖∇F_autograd − ∇L_query(θ')‖ / ‖∇L_query(θ')‖ over seeds and K",
        seeds=len(results),
        resolvable=f"relative differences above {ROUND_OFF:g} (float64 round-off)",
    )
    return Verdict.from_condition(
        worst <= ROUND_OFF,
        f"largest relative difference {worst:.2g} over K = {', '.join(map(str, steps))} "
        f"inner steps (round-off bound {ROUND_OFF:g})",
        evidence,
    )


def sign_jacobian_figure(results: Results) -> Figure:
    figure, axis = plt.subplots(figsize=(5, 3.5))
    for result in results:
        steps = [int(k) for k in result["relative_difference"]]
        values = [max(v, 1e-18) for v in result["relative_difference"].values()]
        axis.semilogy(steps, values, marker="o", label=f"seed {result['seed']}")
    axis.axhline(ROUND_OFF, color="grey", linestyle=":", label="round-off bound")
    axis.set(
        xlabel="inner sign steps K",
        ylabel="relative difference (0 shown as 1e-18)",
        title="S1: autograd through sign steps vs ∇L_query(θ')",
    )
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def sign_jacobian_cells(scale: str) -> list[Cell]:
    seeds = {"smoke": 1, "quick": 3, "paper": 5}[scale]
    return [Cell(SignJacobianConfig(), seed) for seed in range(seeds)]


S1 = Claim(
    "S1",
    PAPER,
    "Autograd through the sign inner loop gives exactly ∇L_query(θ'): no second-order term",
    sign_jacobian_cells,
    sign_jacobian_check,
    sign_jacobian_figure,
    kind="implementation check",
)
