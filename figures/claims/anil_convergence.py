"""What claims A1 and A2 share: ANIL meta-trained with N inner steps, and the trend in N.

The setting is ``figures.claims.anil_setup``. :class:`ConvergenceConfig`
meta-trains ANIL with N inner steps for T outer iterations (Adam; each
iteration on fresh tasks) and records F̄_N, the meta-objective each N
optimises (the query loss after N inner steps) averaged over the last 10% of
the iterations (an unbiased estimate at those iterates; the theory's
guarantees are for averages over iterates too), from the same
initialisation and task stream for every N of a seed. F_N(θ_T) on fixed
held-out tasks is reported beside it.

:class:`Trend` pairs the runs by seed: Δ = F̄_{N_max} − F̄_{N_min} with its 95%
Student-t interval over seeds. :func:`convergence_figure` draws the curves.

Example:
    >>> cells = convergence_cells(AnilSetup(), "smoke")
    >>> sorted({cell.config.inner_steps for cell in cells}), sorted({cell.seed for cell in cells})
    ([1, 5, 20], [0, 1])
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from algorithms import parameters_of
from analysis.convergence import cost_axis, curve_band, on_grid, window_means
from analysis.statistics import MeanInterval, mean_interval
from figures.claims.anil_setup import STEPS, AnilSetup, train_recording_gradients
from figures.engine.claim import Cell, Results
from synthetic.validation import require_count, require_positive

TAIL_FRACTION = 10
"""A1/A2 average the meta-loss over the last 1/TAIL_FRACTION of the outer iterations."""
EVAL_SEED = 1_000_003
SCALES = {"smoke": (20, 2), "quick": (300, 4), "paper": (3000, 8)}
"""(outer iterations, seeds) of A1/A2 at each scale."""


@dataclass(frozen=True)
class ConvergenceConfig:
    """Meta-train ANIL with ``inner_steps`` = N for T = ``iterations`` outer steps (Adam)."""

    setup: AnilSetup = field(default_factory=AnilSetup)
    inner_steps: int = 1
    iterations: int = 300
    outer_lr: float = 3e-3
    eval_tasks: int = 256
    curve_points: int = 60
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("inner_steps", "iterations", "eval_tasks", "curve_points"):
            require_count(name, getattr(self, name))
        require_positive("outer_lr", self.outer_lr)

    def run(self, seed: int) -> dict[str, Any]:
        return convergence_experiment(self, seed)


def convergence_experiment(config: ConvergenceConfig, seed: int) -> dict[str, Any]:
    setup, steps = config.setup, config.inner_steps
    model = setup.model(seed, config.device)
    learner = setup.learner(model, "anil", steps)
    params = parameters_of(model)
    generator = torch.Generator(config.device).manual_seed(seed)
    trained, norms = train_recording_gradients(
        learner, params, setup, config.iterations, generator, config.outer_lr
    )
    held_out = setup.sampler().sample(
        config.eval_tasks, torch.Generator(config.device).manual_seed(EVAL_SEED)
    )
    held_out_losses = learner.evaluate(params, held_out, steps=(steps,))[steps]
    window = max(1, config.iterations // config.curve_points)
    tail = trained.losses[-max(1, config.iterations // TAIL_FRACTION) :]
    return {
        "inner_steps": steps,
        "seed": seed,
        "head": setup.head,
        "ridge": setup.ridge,
        "inner_lr": setup.inner_lr,
        "iterations": config.iterations,
        "final_meta_loss": mean_interval(tail).as_dict(),
        "final_window_iterations": len(tail),
        "held_out_meta_loss": mean_interval(held_out_losses).as_dict(),
        "curve_window_iterations": window,
        "meta_loss_curve": window_means(trained.losses, window).tolist(),
        "meta_gradient_norm_curve": window_means(norms, window).tolist(),
        "seconds_per_iteration": trained.seconds / config.iterations,
        "gradient_evaluations_per_iteration": steps + 1,
    }


@dataclass(frozen=True)
class Trend:
    """The final meta-loss F̄_N per N over common seeds, and Δ = F̄_{N_max} − F̄_{N_min}."""

    steps: list[int]
    finals: dict[int, np.ndarray]
    seeds: int

    @classmethod
    def of(cls, results: Results) -> Trend:
        by_steps: dict[int, dict[int, float]] = defaultdict(dict)
        for result in results:
            by_steps[result["inner_steps"]][result["seed"]] = result["final_meta_loss"]["mean"]
        steps = sorted(by_steps)
        common = sorted(set.intersection(*(set(v) for v in by_steps.values()))) if steps else []
        finals = {n: np.array([by_steps[n][s] for s in common]) for n in steps}
        return cls(steps, finals, len(common))

    @property
    def usable(self) -> bool:
        return len(self.steps) >= 2 and self.seeds >= 2

    def change(self) -> MeanInterval:
        """Paired Δ = F̄_{N_max} − F̄_{N_min} over seeds, with its 95% interval."""
        return mean_interval(self.finals[self.steps[-1]] - self.finals[self.steps[0]])

    def summary(self) -> str:
        means = ", ".join(f"N={n}: {self.finals[n].mean():.3f}" for n in self.steps)
        return f"meta-loss over the last 10% of T iterations ({self.seeds} seeds) {means}"


def convergence_figure(results: Results, title: str) -> Figure:
    """Meta-loss vs iterations and vs seconds (bands over seeds), gradient norm, final vs N."""
    figure, axes = plt.subplots(2, 2, figsize=(11, 7))
    (by_iteration, by_time), (gradients, finals) = axes
    groups: dict[int, list[dict]] = defaultdict(list)
    for result in results:
        groups[result["inner_steps"]].append(result)
    for index, steps in enumerate(sorted(groups)):
        runs, colour = groups[steps], f"C{index}"
        window = runs[0]["curve_window_iterations"]
        points = min(len(r["meta_loss_curve"]) for r in runs)
        iterations = window * (np.arange(points) + 0.5)
        band = curve_band([r["meta_loss_curve"][:points] for r in runs], iterations)
        by_iteration.plot(band.x, band.mean, color=colour, label=f"N = {steps}")
        by_iteration.fill_between(band.x, band.low, band.high, color=colour, alpha=0.2)
        clocks = [cost_axis(r["seconds_per_iteration"] * window, points) for r in runs]
        grid = np.linspace(0.0, min(c[-1] for c in clocks), points)
        timed = [on_grid(c, r["meta_loss_curve"][:points], grid) for c, r in zip(clocks, runs)]
        by_time.plot(grid, curve_band(timed, grid).mean, color=colour)
        norms = curve_band([r["meta_gradient_norm_curve"][:points] for r in runs], iterations)
        gradients.semilogy(norms.x, norms.mean, color=colour)
    trend = Trend.of(results)
    intervals = [mean_interval(trend.finals[n]) for n in trend.steps] if trend.seeds else []
    finals.errorbar(
        trend.steps[: len(intervals)],
        [i.mean for i in intervals],
        yerr=[0.0 if math.isnan(i.half_width) else i.half_width for i in intervals],
        marker="o",
        capsize=3,
    )
    by_iteration.set(xlabel="outer iteration", ylabel="meta-loss F_N (training batches)")
    by_time.set(xlabel="wall-clock seconds", ylabel="meta-loss F_N (mean over seeds)")
    gradients.set(xlabel="outer iteration", ylabel="‖∇F_N(θ_t)‖")
    finals.set(xscale="log", xlabel="inner steps N", ylabel="final meta-loss F̄_N (95% CI)")
    by_iteration.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def convergence_cells(setup: AnilSetup, scale: str) -> list[Cell]:
    iterations, seeds = SCALES[scale]
    steps = (1, 5, 20) if scale == "smoke" else STEPS
    eval_tasks = 1000 if scale == "paper" else 256
    return [
        Cell(ConvergenceConfig(setup, n, iterations, eval_tasks=eval_tasks), seed)
        for n in steps
        for seed in range(seeds)
    ]
