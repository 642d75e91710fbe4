"""Claim B1: MAML beats non-adaptive learning (NAL) on sinusoids after adaptation (Finn et al.).

Both learners train an MLP 1-40-40-1 on sinusoid tasks (amplitude U[0.1, 5],
phase U[0, π], x U[−5, 5], K = 10) from the same initialisation on the same
task stream; MAML adapts by one step of α = 0.01 while training, NAL
("pretrained on all tasks") fits the pooled data without adaptation.

At test time each learner fine-tunes by k ∈ {1, 5, 10} gradient steps on the
K support points of a held-out task, at a step size tuned for it: for each
learner and each k, α_k is the value of a small grid (0.001 … 0.1, ×≈3 apart;
MAML's training α = 0.01 is in it) with the lowest mean query MSE after k
steps on *validation* tasks, drawn from their own generator, never the test
tasks'. The same protocol tunes both learners, so NAL is not held to MAML's α.
Query MSE on the test tasks after k steps at α_k is the score (after 0 steps,
no step is taken).

Every seed fixes the initialisation, the training stream, the validation and
the test tasks for both learners, so the unit is the seed-paired difference
d_s(k) = MSE_NAL − MSE_MAML. The check (``paired_verdict``): PASS if d(k)'s
95% t interval over seeds lies above 0 for every k ≥ 1, FAIL if one lies
below 0, INCONCLUSIVE otherwise. It fails when MAML and NAL swap roles.

Published, beside ours (Finn et al. 2017, 70k iterations, pretrained model
fine-tuned at a tuned step): MAML 0.67 / 0.38 / 0.35 and pretrained 2.41 /
2.23 / 2.19 after 1 / 5 / 10 steps. The quick scale trains 1500 iterations.

Example:
    >>> config = SinusoidConfig(iterations=5, test_tasks=10, validation_tasks=10,
    ...                         eval_steps=(0, 1), step_grid=(0.01, 0.1))
    >>> result = sinusoid_experiment(config, seed=0)
    >>> sorted(result["algorithms"]), list(result["algorithms"]["nal"]["tuned_step"])
    (['maml', 'nal'], ['1'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn

from algorithms import MLP, Params, make, mse, parameters_of, train
from analysis.statistics import mean_interval
from figures.claims.seed_comparison import (
    paired_differences,
    paired_verdict,
    plot_paired_differences,
)
from figures.claims.wording import step_counts
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict
from synthetic import SinusoidTasks
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_positive

TEST_SEED_OFFSET = 1_000_003
VALIDATION_SEED_OFFSET = 2_000_006
STEP_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)
PUBLISHED = {
    "maml": {"1": 0.67, "5": 0.38, "10": 0.35},
    "nal": {"1": 2.41, "5": 2.23, "10": 2.19},
}
"""Finn et al.'s query MSE after 1 / 5 / 10 steps (NAL: their "pretrained" baseline)."""
WHAT = "query MSE of NAL minus MAML after k fine-tuning steps (step sizes tuned on validation)"
SHOWN_TASKS = 3
CURVE_POINTS = 100


@dataclass(frozen=True)
class SinusoidConfig:
    """Settings of the sinusoid comparison: Finn et al.'s, but for ``iterations``.

    ``step_grid`` holds the test-time step sizes tuned over (module doc);
    ``roles`` maps each role to the algorithm trained for it: swapping
    ``maml`` and ``nal`` is the negative control.
    """

    iterations: int = 1500
    meta_batch: int = 25
    support_size: int = 10
    inner_lr: float = 0.01
    outer_lr: float = 1e-3
    hidden: int = 40
    test_tasks: int = 600
    validation_tasks: int = 200
    eval_steps: tuple[int, ...] = (0, 1, 5, 10)
    step_grid: tuple[float, ...] = STEP_GRID
    roles: tuple[tuple[str, str], ...] = (("maml", "maml"), ("nal", "nal"))
    device: str = "cpu"

    def __post_init__(self) -> None:
        names = ("iterations", "meta_batch", "support_size", "hidden", "test_tasks")
        for name in (*names, "validation_tasks"):
            require_count(name, getattr(self, name))
        require_positive("inner_lr", self.inner_lr)
        require_positive("outer_lr", self.outer_lr)
        if not self.eval_steps or min(self.eval_steps) < 0:
            raise ValueError(f"eval_steps must be non-negative step counts, got {self.eval_steps}")
        if not self.step_grid or min(self.step_grid) <= 0:
            raise ValueError(f"step_grid must be positive step sizes, got {self.step_grid}")

    def run(self, seed: int) -> dict[str, Any]:
        return sinusoid_experiment(self, seed)


def held_out_tasks(config: SinusoidConfig, seed: int) -> tuple[TaskBatch, TaskBatch]:
    """The validation tasks (step tuning) and the test tasks (scores), from separate generators."""
    tasks = SinusoidTasks(support_size=config.support_size, query_size=config.support_size)
    device = config.device
    validation = tasks.sample(
        config.validation_tasks,
        torch.Generator(device).manual_seed(seed + VALIDATION_SEED_OFFSET),
    )
    test = tasks.sample(
        config.test_tasks, torch.Generator(device).manual_seed(seed + TEST_SEED_OFFSET)
    )
    return validation, test


def tuned_fine_tuning(
    algorithm: str,
    model: nn.Module,
    params: Params,
    validation: TaskBatch,
    test: TaskBatch,
    config: SinusoidConfig,
) -> tuple[dict[int, float], dict[int, dict[float, float | None]], dict[int, torch.Tensor]]:
    """Per k ≥ 1: α_k = the grid value of lowest validation MSE after k steps; test MSE at α_k.

    Returns (α_k, validation MSE of every grid value (None where it diverged),
    per-task test MSE); the test tasks are scored only at the chosen α_k.
    """
    steps = sorted(k for k in config.eval_steps if k >= 1)
    validation_mse: dict[int, dict[float, float | None]] = {k: {} for k in steps}
    for lr in config.step_grid:
        scores = make(algorithm, model, mse, inner_lr=lr).evaluate(params, validation, steps)
        for k in steps:
            value = scores[k].mean().item()
            validation_mse[k][lr] = value if math.isfinite(value) else None
    chosen = {
        k: min(config.step_grid, key=lambda lr, k=k: _or_infinity(validation_mse[k][lr]))
        for k in steps
    }
    test_mse: dict[int, torch.Tensor] = {}
    for lr in sorted(set(chosen.values())):
        at_lr = [k for k in steps if chosen[k] == lr]
        test_mse |= make(algorithm, model, mse, inner_lr=lr).evaluate(params, test, at_lr)
    return chosen, validation_mse, test_mse


def _or_infinity(value: float | None) -> float:
    return math.inf if value is None else value


def sinusoid_experiment(config: SinusoidConfig, seed: int) -> dict:
    """Train each role's algorithm, tune its fine-tuning steps, score it; plain numbers out."""
    device = config.device
    tasks = SinusoidTasks(support_size=config.support_size, query_size=config.support_size)
    validation, test = held_out_tasks(config, seed)
    shown = test.select(slice(0, SHOWN_TASKS))
    grid = torch.linspace(-5, 5, CURVE_POINTS, device=device)[None, :, None]
    grid = grid.expand(shown.num_tasks, -1, -1)
    truth = SinusoidTasks.evaluate(grid, shown.info["amplitude"], shown.info["phase"])
    result: dict = {
        "seed": seed,
        "grid": grid[0, :, 0].tolist(),
        "truth": truth[..., 0].tolist(),
        "support_x": shown.support_x[..., 0].tolist(),
        "support_y": shown.support_y[..., 0].tolist(),
        "algorithms": {},
    }
    for role, algorithm in config.roles:
        width = config.hidden
        model = MLP((1, width, width, 1), generator=torch.Generator().manual_seed(seed)).to(device)
        learner = make(algorithm, model, mse, inner_lr=config.inner_lr, inner_steps=1)
        params = parameters_of(model)
        trained = train(
            learner,
            params,
            tasks,
            config.iterations,
            torch.Generator(device).manual_seed(seed),
            outer_lr=config.outer_lr,
            progress=False,
            meta_batch=config.meta_batch,
        )
        chosen, validation_mse, scores = tuned_fine_tuning(
            algorithm, model, params, validation, test, config
        )
        if 0 in config.eval_steps:
            scores[0] = learner.evaluate(params, test, steps=(0,))[0]
        last = max(chosen, default=0)
        shown_learner = make(algorithm, model, mse, inner_lr=chosen.get(last, config.inner_lr))
        adapted = shown_learner.adapt(
            params, shown.support_x, shown.support_y, steps=last, create_graph=False
        )
        with torch.no_grad():
            curve = shown_learner.predict(adapted, grid)[..., 0]
        result["algorithms"][role] = {
            "algorithm": algorithm,
            "train_seconds": trained.seconds,
            "final_train_loss": trained.losses[-1],
            "query_mse_after_steps": {
                str(step): mean_interval(scores[step]).as_dict() for step in sorted(scores)
            },
            "tuned_step": {str(k): lr for k, lr in chosen.items()},
            "validation_mse": {
                str(k): {str(lr): value for lr, value in values.items()}
                for k, values in validation_mse.items()
            },
            "adapted_curve": curve.tolist(),
            "adapted_steps": last,
        }
    return result


def per_seed(results: Results | list[dict], role: str, step: str) -> dict[int, float]:
    """{seed: mean test query MSE of ``role`` after ``step`` steps}."""
    return {
        r["seed"]: r["algorithms"][role]["query_mse_after_steps"][step]["mean"] for r in results
    }


def adaptation_steps(results: Results | list[dict]) -> list[str]:
    """The step counts k ≥ 1 that every result scored, in increasing order."""
    scored = [set(r["algorithms"]["maml"]["query_mse_after_steps"]) for r in results]
    return sorted((k for k in set.intersection(*scored) if int(k) >= 1), key=int) if scored else []


def sinusoid_check(results: Results | list[dict]) -> Verdict:
    """PASS if NAL − MAML query MSE is resolved above 0 over seeds after every k ≥ 1 (paired)."""
    steps = adaptation_steps(results)
    if not steps:
        evidence = Evidence(f"seed-paired difference of {WHAT}", 0, "nothing: no comparison")
        return Verdict("INCONCLUSIVE", "no adaptation steps ≥ 1 were evaluated", evidence)
    comparisons = [
        (f"k={k}", per_seed(results, "nal", k), per_seed(results, "maml", k)) for k in steps
    ]
    verdict = paired_verdict(comparisons, WHAT)
    means = {
        role: "/".join(
            f"{mean_interval(list(per_seed(results, role, k).values())).mean:.3g}" for k in steps
        )
        for role in ("maml", "nal")
    }
    published = {
        role: "/".join(f"{PUBLISHED[role][k]:g}" for k in steps if k in PUBLISHED[role])
        for role in PUBLISHED
    }
    details = (
        f"ours after {step_counts(steps)} (mean over {len(results)} seeds): "
        f"MAML {means['maml']}, NAL {means['nal']}; published (Finn et al. 2017, 70k "
        f"iterations): MAML {published['maml']}, pretrained {published['nal']}"
    )
    return replace(verdict, details=details)


def _named(role: str, algorithm: str) -> str:
    """A role's legend name, with its algorithm where that differs (``maml``, ``nal (fo-maml)``)."""
    return role if role == algorithm else f"{role} ({algorithm})"


def sinusoid_figure(results: Results) -> Figure:
    """Query MSE against steps (ours and published), the paired differences, three adapted tasks."""
    figure, axes = plt.subplots(1, 2 + SHOWN_TASKS, figsize=(4 * (2 + SHOWN_TASKS), 3.4))
    first = results[0]
    scored = sorted(first["algorithms"]["maml"]["query_mse_after_steps"], key=int)
    for index, (role, numbers) in enumerate(first["algorithms"].items()):
        intervals = [mean_interval(list(per_seed(results, role, k).values())) for k in scored]
        axes[0].errorbar(
            [int(k) for k in scored],
            [i.mean for i in intervals],
            yerr=[0.0 if math.isnan(i.half_width) else i.half_width for i in intervals],
            marker="o",
            capsize=3,
            color=f"C{index}",
            label=f"{_named(role, numbers['algorithm'])}, ours",
        )
        published = PUBLISHED.get(role, {})
        axes[0].scatter(
            [int(k) for k in published],
            list(published.values()),
            marker="x",
            color=f"C{index}",
            label=f"{role}, published (Finn et al., 70k iterations)",
        )
    axes[0].set(
        xlabel="test-time gradient steps (tuned step size)",
        ylabel="query MSE (95% interval over seeds)",
        title="B1: MAML vs NAL after adaptation",
    )
    axes[0].legend(fontsize=6)
    differences = {
        f"k={k}": paired_differences(per_seed(results, "nal", k), per_seed(results, "maml", k))
        for k in adaptation_steps(results)
    }
    plot_paired_differences(axes[1], differences)
    axes[1].set(ylabel="NAL − MAML query MSE, per seed", title="seed-paired differences (> 0)")
    for index, axis in enumerate(axes[2:]):
        axis.plot(first["grid"], first["truth"][index], color="black", label="true function")
        for role, numbers in first["algorithms"].items():
            axis.plot(
                first["grid"],
                numbers["adapted_curve"][index],
                label=f"{role} after {step_counts([numbers['adapted_steps']])}",
            )
        axis.scatter(
            first["support_x"][index],
            first["support_y"][index],
            color="red",
            zorder=3,
            label="support points",
        )
        axis.set(xlabel="x", title=f"held-out task {index + 1}, seed {first['seed']}")
    axes[2].legend(fontsize=7)
    figure.tight_layout()
    return figure


SCALES = {
    "smoke": (SinusoidConfig(iterations=30, test_tasks=50, validation_tasks=50), 2),
    "quick": (SinusoidConfig(iterations=1500), 5),
    "paper": (SinusoidConfig(iterations=70000), 5),
}
"""(config, seeds) of each scale."""


def sinusoid_cells(scale: str) -> list[Cell]:
    config, seeds = SCALES[scale]
    return [Cell(config, seed) for seed in range(seeds)]


B1 = Claim(
    "B1",
    "Finn, Abbeel, Levine 2017 (MAML), §5.1",
    "After test-time adaptation on sinusoids, MAML's query MSE is below that of a model "
    "pretrained on all tasks (NAL), each fine-tuned at a tuned step size, after 1, 5 and 10 steps",
    sinusoid_cells,
    sinusoid_check,
    sinusoid_figure,
)
