"""Claim A4: the inner loop's Jacobian contracts as (1 − αμ)^N for a strongly convex head.

Ji, Lee, Liang, Poor 2020. ‖∂w^N/∂w‖₂ of the real inner loop by autograd
(``analysis.inner_jacobian``), every task, against (1 − αμ)^N with μ = λ:
PASSES if no task exceeds it (relative tolerance 1e-9, float64) with the
premise α·L ≤ 1 measured (L from the one-step Jacobian), and the nonconvex
head's Jacobian exceeds 1 somewhere. The negative controls take a step
above 1/L, or the MLP head in the strongly convex role.

Example:
    >>> result = JacobianConfig(steps=(1, 3), num_tasks=2).run(seed=0)
    >>> result["bound"]["holds"], round(result["bound"]["max_ratio"], 9)
    (True, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from algorithms import parameters_of
from analysis.convergence import compare_with_theory, fit_geometric_rate
from analysis.inner_jacobian import hessian_from_step, spectral_norms
from figures.claims.anil_setup import (
    CONVEX,
    NONCONVEX,
    PAPER,
    STEPS,
    AnilSetup,
    inner_loop_jacobian,
)
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict
from synthetic.validation import require_count

JACOBIAN_TOLERANCE = 1e-9
ROLE_NAMES = ("strongly-convex", "nonconvex")


def _check_steps(name: str, steps: tuple[int, ...]) -> None:
    if not steps or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in steps):
        raise ValueError(f"{name} must be a non-empty tuple of integers >= 1, got {steps!r}")


@dataclass(frozen=True)
class JacobianConfig:
    """‖∂w^N/∂w‖₂ on ``num_tasks`` tasks for each N in ``steps``, in float64.

    ``role`` says what the check expects: ``"strongly-convex"`` cells must obey
    (1 − αλ)^N; ``"nonconvex"`` cells show how far an MLP head exceeds 1.
    """

    setup: AnilSetup = field(default_factory=AnilSetup)
    role: str = "strongly-convex"
    steps: tuple[int, ...] = STEPS
    num_tasks: int = 16
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.role not in ROLE_NAMES:
            raise ValueError(f"role must be one of {ROLE_NAMES}, got {self.role!r}")
        _check_steps("steps", self.steps)
        require_count("num_tasks", self.num_tasks)

    def run(self, seed: int) -> dict[str, Any]:
        return jacobian_experiment(self, seed)


def jacobian_experiment(config: JacobianConfig, seed: int) -> dict[str, Any]:
    setup = config.setup
    model = setup.model(seed, config.device).double()
    params = parameters_of(model)
    learner = setup.learner(model, "anil", 1)
    batch = setup.sampler().sample(
        config.num_tasks, torch.Generator(config.device).manual_seed(seed), torch.float64
    )
    steps = sorted(set(config.steps))
    jacobians = {n: inner_loop_jacobian(learner, params, batch, n) for n in {1, *steps}}
    norms = {n: spectral_norms(jacobians[n]) for n in steps}
    eigenvalues = torch.linalg.eigvalsh(hessian_from_step(jacobians[1], setup.inner_lr))
    largest = [norms[n].max().item() for n in steps]
    rate = 1.0 - setup.inner_lr * setup.ridge
    comparison = compare_with_theory(largest, lambda n: rate**n, steps, JACOBIAN_TOLERANCE)
    fit = fit_geometric_rate(largest, steps) if len(steps) >= 3 else None
    return {
        "seed": seed,
        "role": config.role,
        "head": setup.head,
        "ridge": setup.ridge,
        "inner_lr": setup.inner_lr,
        "steps": steps,
        "max_norm": largest,
        "min_norm": [norms[n].min().item() for n in steps],
        "bound_rate": rate,
        "bound": comparison.as_dict(),
        "fitted_rate": None if fit is None else fit.as_dict(),
        "hessian_min_eigenvalue": eigenvalues[:, 0].min().item(),
        "hessian_max_eigenvalue": eigenvalues[:, -1].max().item(),
        "step_times_smoothness": setup.inner_lr * eigenvalues[:, -1].max().item(),
    }


def jacobian_check(results: Results) -> Verdict:
    """A4: the bound on every strongly convex cell; the premise measured; the contrast shown."""
    convex = [r for r in results if r["role"] == "strongly-convex"]
    nonconvex = [r for r in results if r["role"] == "nonconvex"]
    evidence = Evidence(
        statistic="largest ‖∂w^N/∂w‖₂ / (1 − αμ)^N over tasks, N and seeds (exact Jacobians)",
        seeds=len({r["seed"] for r in convex}),
        resolvable=f"ratios above 1 + {JACOBIAN_TOLERANCE:g}",
    )
    if not convex:
        return Verdict("INCONCLUSIVE", "no strongly convex cell was run")
    worst = max(convex, key=lambda r: r["bound"]["max_ratio"])
    ratio = worst["bound"]["max_ratio"]
    premise = [
        f"α·L = {r['step_times_smoothness']:.3f}, min eig ∇²L_S = {r['hessian_min_eigenvalue']:.3g}"
        f" (λ = {r['ridge']:g})"
        for r in convex
        if r["step_times_smoothness"] > 1.0 + JACOBIAN_TOLERANCE
        or r["hessian_min_eigenvalue"] < r["ridge"] - 1e-6
    ]
    if ratio > 1.0 + JACOBIAN_TOLERANCE:
        steps = worst["steps"][int(np.argmax(worst["bound"]["ratios"]))]
        reason = f"‖∂w^N/∂w‖₂ exceeds (1 − αμ)^N by a factor {ratio:.4g} at N = {steps}"
        return Verdict(
            "FAIL",
            reason + (f"; premise violated: {premise[0]}" if premise else ""),
            evidence,
        )
    if premise:
        return Verdict(
            "INCONCLUSIVE", f"the bound held but its premise did not: {premise[0]}", evidence
        )
    fitted = worst["fitted_rate"]
    rate_text = (
        ""
        if fitted is None
        else f"; fitted rate {fitted['rate']:.6f} vs 1 − αμ = {worst['bound_rate']:.6f}"
    )
    text = f"‖∂w^N/∂w‖₂ ≤ (1 − αμ)^N on every task (max ratio {ratio:.12f}){rate_text}"
    if not nonconvex:
        return Verdict("PASS", text, evidence)
    expansion = max(max(r["max_norm"]) for r in nonconvex)
    if expansion <= 1.0:
        return Verdict(
            "INCONCLUSIVE",
            f"{text}, but the nonconvex head never expanded (max {expansion:.3f})",
            evidence,
        )
    return Verdict(
        "PASS", f"{text}; the nonconvex head reaches ‖∂w^N/∂w‖₂ = {expansion:.3g}", evidence
    )


def jacobian_figure(results: Results) -> Figure:
    figure, axis = plt.subplots(figsize=(6, 4))
    for index, result in enumerate(results):
        colour, steps = f"C{index}", result["steps"]
        label = f"{result['role']} ({result['head']} head, λ={result['ridge']:g})"
        axis.semilogy(steps, result["max_norm"], marker="o", color=colour, label=label)
        axis.semilogy(steps, result["min_norm"], marker=".", linestyle="--", color=colour)
        bound = [result["bound_rate"] ** n for n in steps]
        bound_label = r"bound $(1 - \alpha\mu)^N$, $\mu = \lambda$, " + result["role"]
        axis.semilogy(steps, bound, linestyle=":", color=colour, label=bound_label)
    axis.axhline(1.0, color="grey", linewidth=0.8)
    axis.set(
        xlabel="inner steps N",
        ylabel="‖∂w^N/∂w‖₂ (max solid, min dashed)",
        title=r"A4: Jacobian of the inner loop vs $(1 - \alpha\mu)^N$",
    )
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def a4_cells(scale: str) -> list[Cell]:
    seeds = 3 if scale == "paper" else 1
    convex = JacobianConfig(CONVEX, "strongly-convex")
    if scale == "smoke":
        convex = replace(convex, steps=(1, 2, 5), num_tasks=4)
    nonconvex = replace(convex, setup=NONCONVEX, role="nonconvex")
    return [Cell(config, seed) for config in (convex, nonconvex) for seed in range(seeds)]


A4 = Claim(
    "A4",
    PAPER,
    "‖∂w^N/∂w‖₂ ≤ (1 − αμ)^N for a strongly convex inner loss (α ≤ 1/L); a nonconvex head "
    "can exceed 1",
    a4_cells,
    jacobian_check,
    jacobian_figure,
    kind="implementation check",
)
