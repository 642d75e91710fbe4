"""What claims A1 and A2 share: how fast ANIL with N inner steps converges on its own F_N.

The setting is ``figures.claims.anil_setup``. F_N(θ) is the meta-objective
ANIL with N inner steps minimises (the query loss after N inner steps): a
different function for each N, so its level says nothing about the rate.
:class:`ConvergenceConfig` meta-trains ANIL (Adam, outer step 10⁻², fresh
tasks every iteration; per seed, the same initialisation θ₀, task stream and
held-out tasks for every N) and measures each N against its own objective:

- F̂_N(θ_t) and ‖∇F̂_N(θ_t)‖² on fixed held-out tasks at checkpoints of the
  measured window t ∈ [0, T];
- F_N*, the least F̂_N along a long run: the same run continued for
  ``optimum_iterations`` more iterations with a cosine decay of the outer
  step to 0 (a small model: the long run costs 1.5 times the window);
- the remaining gap fraction r_t = (F̂_N(θ_t) − F_N*)/(F̂_N(θ₀) − F_N*) and
  its mean over the window, r̄_N = (1/T)∫₀ᵀ r_t dt (trapezoid rule). For a
  decreasing curve (1/T)∫₀ᵀ r_t dt = ∫₀¹ min(τ_u, T)/T du, with τ_u the
  iterations it takes to bring F_N's gap down to the fraction u of its own
  initial gap: r̄_N is "iterations to reach a fixed fraction of the gap",
  averaged over all fractions. Smaller is faster; r̄ = 1 is no progress
  (and r̄ > 1 a run that climbs above its start).
- ε-stationarity, the quantity the theory bounds: the mean of
  ‖∇F̂_N(θ_t)‖² over the window's checkpoints (reported, not judged).

The trend over the whole grid of N is the per-seed least-squares slope of
log r̄_N on log N, b_s = Σ_k c_k log r̄_{N_k,s}, c_k = (x_k − x̄)/Σ_j (x_j − x̄)²,
x = log N. :func:`slope_sides` splits it into a large-N and a small-N side,
b_s = Σ_{c>0} c_k log r̄ − Σ_{c<0} |c_k| log r̄, so that ``paired_verdict``
judges the slope as a seed-paired difference. :func:`over_step_sizes` runs a
claim's judgement at each inner step size and FAILS if one FAILS.

Example:
    >>> cells = convergence_cells(AnilSetup(), "smoke")
    >>> sorted({cell.config.inner_steps for cell in cells}), sorted({cell.seed for cell in cells})
    ([1, 5, 20], [0, 1])
    >>> large, small = slope_sides({1: {0: 1.0}, 4: {0: 2.0}, 16: {0: 4.0}})
    >>> round(large[0] - small[0], 6)      # r̄ ∝ N^½: slope ½
    0.5
    >>> remaining_gap([4.0, 2.5, 2.0], [0, 5, 10], [1.0])
    ([1.0, 0.5, 0.3333333333333333], 1.0, 0.5833333333333333)
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from algorithms import MetaLearner, Params, parameters_of, train
from analysis.convergence import curve_band
from analysis.statistics import mean_interval
from figures.claims.anil_setup import STEPS, AnilSetup
from figures.claims.seed_comparison import paired_differences, paired_verdict
from figures.engine.claim import Cell, Evidence, Results, Verdict
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_positive

EVAL_SEED = 1_000_003
"""Seed s's held-out tasks come from EVAL_SEED + s: the same tasks for every N of a seed."""
SCALES = {"smoke": (20, 2), "quick": (80, 5), "paper": (3000, 8)}
"""(measured outer iterations T, seeds) of A1/A2 at each scale; the long run adds 1.5·T."""
STATISTIC = "mean_remaining_gap_fraction"
TREND = "per-seed least-squares slope of log r̄_N on log N"

PerSeed = Mapping[int, float]
ByStepSize = dict[float, dict[int, dict[int, Any]]]


@dataclass(frozen=True)
class ConvergenceConfig:
    """ANIL with N = ``inner_steps``: T = ``iterations`` measured (Adam), then the long run.

    The window is measured at ``checkpoints`` iterations spaced quadratically
    (dense where the curves fall fastest), the long run at
    ``optimum_checkpoints`` evenly spaced ones.
    """

    setup: AnilSetup = field(default_factory=AnilSetup)
    inner_steps: int = 1
    iterations: int = 80
    outer_lr: float = 1e-2
    checkpoints: int = 12
    optimum_iterations: int = 120
    optimum_checkpoints: int = 3
    eval_tasks: int = 64
    device: str = "cpu"

    def __post_init__(self) -> None:
        counts = ("inner_steps", "iterations", "checkpoints", "optimum_iterations")
        for name in (*counts, "optimum_checkpoints", "eval_tasks"):
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
    held_out = setup.sampler().sample(
        config.eval_tasks, torch.Generator(config.device).manual_seed(EVAL_SEED + seed)
    )
    optimizer = torch.optim.Adam(params.values(), lr=config.outer_lr)

    def measured_run(at: list[int], **options: Any) -> list[tuple[float, float]]:
        """Train from one iteration of ``at`` to the next; (F̂_N, ‖∇F̂_N‖²) at each."""
        measured = []
        for length in np.diff(at):
            train(
                learner,
                params,
                setup.sampler(),
                int(length),
                generator,
                optimizer,
                progress=False,
                meta_batch=setup.meta_batch,
                **options,
            )
            measured.append(objective_and_stationarity(learner, params, held_out))
        return measured

    at = checkpoint_iterations(config.iterations, config.checkpoints, power=2.0)
    window = [objective_and_stationarity(learner, params, held_out)]
    window += measured_run(at)
    long_run = measured_run(
        checkpoint_iterations(config.optimum_iterations, config.optimum_checkpoints),
        scheduler=torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.optimum_iterations),
    )
    objective = [value for value, _ in window]
    fraction, optimum, mean_fraction = remaining_gap(objective, at, [v for v, _ in long_run])
    return {
        "inner_steps": steps,
        "seed": seed,
        "head": setup.head,
        "inner_lr": setup.inner_lr,
        "iterations": config.iterations,
        "checkpoint_iterations": at,
        "held_out_objective": objective,
        "held_out_gradient_norm_squared": [norm for _, norm in window],
        "long_run_iterations": config.optimum_iterations,
        "long_run_objective": [value for value, _ in long_run],
        "optimum_objective": optimum,
        "remaining_gap_fraction": fraction,
        STATISTIC: mean_fraction,
        "mean_gradient_norm_squared": float(np.mean([norm for _, norm in window])),
    }


def checkpoint_iterations(iterations: int, count: int, power: float = 1.0) -> list[int]:
    """0 = t_0 < … < t_C = T, t_k = round(T·(k/C)^power) without repeats; power 2 is dense early."""
    return sorted({round(iterations * (k / count) ** power) for k in range(count + 1)})


def objective_and_stationarity(
    learner: MetaLearner, params: Params, batch: TaskBatch
) -> tuple[float, float]:
    """F̂_N(θ) and ‖∇F̂_N(θ)‖² on ``batch`` (the meta-loss, all parameters)."""
    value, gradient = learner.meta_gradient(params, batch)
    return float(value), sum(float(tensor.square().sum()) for tensor in gradient.values())


def remaining_gap(
    objective: list[float], at: list[int], long_run: list[float]
) -> tuple[list[float], float, float]:
    """r_t at iterations ``at``, F_N* = min(objective + long_run), and r̄_N (module doc).

    A run that never gets below F_N(θ₀) made no progress: r_t = 1 throughout.
    """
    optimum = min(objective + long_run)
    gap = np.asarray(objective) - optimum
    fraction = gap / gap[0] if gap[0] > 0 else np.ones_like(gap)
    return fraction.tolist(), optimum, float(np.trapezoid(fraction, at) / (at[-1] - at[0]))


def per_seed(results: Results | list[dict], key: str) -> ByStepSize:
    """{inner step size α: {N: {seed: result[key]}}}."""
    table: ByStepSize = defaultdict(lambda: defaultdict(dict))
    for result in results:
        table[result["inner_lr"]][result["inner_steps"]][result["seed"]] = result[key]
    return {lr: dict(by_steps) for lr, by_steps in table.items()}


def slope_sides(values: Mapping[int, PerSeed]) -> tuple[dict[int, float], dict[int, float]]:
    """(large-N side, small-N side) of the per-seed slope of log value on log N (module doc).

    Their difference is the slope, seed by seed, over the seeds that ran every N.
    """
    steps = sorted(values)
    if len(steps) < 3:
        raise ValueError(f"a trend over N needs at least 3 values of N, got {steps}")
    x = np.log(steps)
    weights = (x - x.mean()) / np.square(x - x.mean()).sum()
    seeds = sorted(set.intersection(*(set(values[n]) for n in steps)))
    logs = {seed: np.log([values[n][seed] for n in steps]) for seed in seeds}
    large = {seed: float(np.clip(weights, 0, None) @ logs[seed]) for seed in seeds}
    small = {seed: float(np.clip(-weights, 0, None) @ logs[seed]) for seed in seeds}
    return large, small


def means_by_steps(values: Mapping[int, PerSeed]) -> str:
    """'N=1: 0.31, N=2: …': the mean over seeds for every N."""
    return ", ".join(f"N={n}: {np.mean(list(values[n].values())):.3g}" for n in sorted(values))


def slope_verdict(table: Mapping[int, PerSeed], claimed: str) -> Verdict:
    """``paired_verdict`` on the slope b of log r̄_N on log N: ``claimed`` is "slower" (b > 0)
    or "faster" (b < 0); the reason says in words which way convergence went."""
    if len(table) < 3:
        evidence = Evidence(TREND, 0, "nothing (fewer than 3 values of N)")
        return Verdict(
            "INCONCLUSIVE", f"a trend needs ≥ 3 values of N, got {sorted(table)}", evidence
        )
    large, small = slope_sides(table)
    better, worse, name = (large, small, "b") if claimed == "slower" else (small, large, "−b")
    verdict = paired_verdict([(name, better, worse)], TREND)
    opposite = {"slower": "faster", "faster": "slower"}[claimed]
    words = {"PASS": f"is {claimed} as N grows", "FAIL": f"is {opposite} as N grows"}
    trend = words.get(verdict.status, "shows no resolved trend in N")
    reason = f"convergence {trend}: r̄_N {means_by_steps(table)}; {verdict.reason}"
    return Verdict(verdict.status, reason, in_units(verdict.evidence, "in b (r̄_N ∝ N^b)"))


def in_units(evidence: Evidence | None, units: str) -> Evidence | None:
    """``evidence`` with ``units`` after its resolvable effect."""
    if evidence is None:
        return None
    return replace(evidence, resolvable=f"{evidence.resolvable} {units}")


def over_step_sizes(
    results: Results | list[dict],
    judge: Callable[[dict[int, dict[int, float]]], Verdict],
    label: Callable[[float], str],
) -> Verdict:
    """``judge`` the r̄ table at each inner step size; FAIL if one FAILS, PASS if all PASS."""
    table = per_seed(results, STATISTIC)
    statistic = (
        f"{TREND} (r̄_N: mean remaining fraction of F_N's own gap over T iterations), "
        "mean over seeds with 95% t interval, at each inner step size"
    )
    if not table:
        return Verdict("INCONCLUSIVE", "no convergence runs", Evidence(statistic, 0, "nothing"))
    stationarity = per_seed(results, "mean_gradient_norm_squared")
    verdicts = {lr: judge(table[lr]) for lr in sorted(table)}
    details = "; ".join(
        f"mean ‖∇F̂_N‖² over the window (not judged) at {label(lr)}: "
        f"{means_by_steps(stationarity[lr])}"
        for lr in verdicts
    )
    evidences = [v.evidence for v in verdicts.values() if v.evidence is not None]
    evidence = Evidence(
        statistic,
        seeds=min((e.seeds for e in evidences), default=0),
        resolvable="; ".join(
            f"{label(lr)}: {v.evidence.resolvable}" for lr, v in verdicts.items() if v.evidence
        ),
    )
    parts = [(f"at {label(lr)}", verdict) for lr, verdict in verdicts.items()]
    return Verdict.all_of(parts, evidence, details)


def convergence_figure(results: Results, title: str) -> Figure:
    """Per inner step size: F̂_N with F_N*, gap fractions, stationarity, r̄_N against N."""
    tables = {key: per_seed(results, key) for key in FIGURE_KEYS}
    rows = sorted(tables[STATISTIC])
    figure, axes = plt.subplots(len(rows), 4, figsize=(16, 3.6 * len(rows)), squeeze=False)
    for row, inner_lr in zip(axes, rows):
        level, gaps, gradients, trend = row
        for index, steps in enumerate(sorted(tables[STATISTIC][inner_lr])):
            runs = {key: list(tables[key][inner_lr][steps].values()) for key in FIGURE_KEYS}
            x, colour = runs["checkpoint_iterations"][0], f"C{index}"
            _band(level, x, runs["held_out_objective"], colour, f"N = {steps}")
            level.axhline(np.mean(runs["optimum_objective"]), color=colour, linestyle=":")
            _band(gaps, x, runs["remaining_gap_fraction"], colour)
            _band(gradients, x, np.log10(runs["held_out_gradient_norm_squared"]), colour)
        _trend_panel(trend, tables[STATISTIC][inner_lr])
        level.set(xlabel="outer iteration", ylabel=f"F̂_N(θ_t), F_N* dotted (α = {inner_lr:.3g})")
        gaps.set(xlabel="outer iteration", ylabel="(F̂_N − F_N*)/(F̂_N(θ₀) − F_N*)")
        gradients.set(xlabel="outer iteration", ylabel="log₁₀ ‖∇F̂_N(θ_t)‖²")
        level.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


FIGURE_KEYS = (
    STATISTIC,
    "checkpoint_iterations",
    "held_out_objective",
    "optimum_objective",
    "remaining_gap_fraction",
    "held_out_gradient_norm_squared",
)


def _band(axis: Axes, x: list[int], curves: list, colour: str, label: str | None = None) -> None:
    band = curve_band(curves, x)
    axis.plot(band.x, band.mean, color=colour, label=label)
    low = np.asarray(band.low, dtype=float)
    if all(min(curve) >= 0 for curve in curves):
        low = np.maximum(low, 0.0)
    axis.fill_between(band.x, low, band.high, color=colour, alpha=0.2)


def _trend_panel(axis: Axes, means: Mapping[int, PerSeed]) -> None:
    """r̄_N per seed and its mean with a 95% interval; the judged slope b in the title."""
    steps = sorted(means)
    slope = mean_interval(paired_differences(*slope_sides(means)))
    axis.set_title(f"slope b = {slope} (95% CI over seeds)", fontsize=9)
    intervals = [mean_interval(list(means[n].values())) for n in steps]
    for n in steps:
        axis.scatter([n] * len(means[n]), list(means[n].values()), color="grey", s=10, zorder=3)
    axis.errorbar(
        steps,
        [i.mean for i in intervals],
        yerr=[0.0 if math.isnan(i.half_width) else i.half_width for i in intervals],
        marker="o",
        capsize=3,
    )
    axis.set(xscale="log", yscale="log", xlabel="inner steps N", ylabel="r̄_N (95% CI, seeds)")


def convergence_cells(setup: AnilSetup, scale: str) -> list[Cell]:
    """Every N of the grid (N ∈ {1, 5, 20} at smoke scale) for each seed of ``scale``."""
    iterations, seeds = SCALES[scale]
    steps = (1, 5, 20) if scale == "smoke" else STEPS
    paper = scale == "paper"
    config = ConvergenceConfig(
        setup,
        iterations=iterations,
        checkpoints=30 if paper else 12,
        optimum_iterations=3 * iterations // 2,
        optimum_checkpoints=10 if paper else 3,
        eval_tasks=256 if paper else 64,
    )
    return [Cell(replace(config, inner_steps=n), seed) for n in steps for seed in range(seeds)]
