"""Claim B1: MAML beats non-adaptive learning (NAL) on sinusoids after adaptation (Finn et al.).

Both learners train an MLP 1-40-40-1 on sinusoid tasks (amplitude U[0.1, 5],
phase U[0, π], x U[−5, 5], K = 10) from the same initialisation; NAL
("pretrained on all tasks") fits the pooled data without adaptation. Both are
then adapted the same way on K support points of held-out tasks (α = 0.01
gradient steps) and scored by query MSE after 0, 1, 5 and 10 steps, with 95%
intervals over the test tasks. Finn et al. report, at 70k iterations, MAML
0.67 / 0.38 / 0.35 and pretrained 2.41 / 2.23 / 2.19 after 1 / 5 / 10 steps.

The check: MAML's interval lies wholly below NAL's after every number of
adaptation steps ≥ 1. It fails for an untrained MAML, or when NAL is put in
MAML's place.

Example:
    >>> result = sinusoid_experiment(SinusoidConfig(iterations=20, test_tasks=10), seed=0)
    >>> sorted(result["algorithms"])
    ['maml', 'nal']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from algorithms import MLP, make, mse, parameters_of, train
from analysis.statistics import mean_interval
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic import SinusoidTasks
from synthetic.validation import require_count, require_positive

TEST_SEED_OFFSET = 1_000_003
SHOWN_TASKS = 3
CURVE_POINTS = 100


@dataclass(frozen=True)
class SinusoidConfig:
    """Settings of the sinusoid comparison; the defaults are Finn et al.'s but for ``iterations``.

    ``roles`` maps each role to the algorithm trained for it; putting ``nal``
    in the ``maml`` role is the negative control.
    """

    iterations: int = 4000
    meta_batch: int = 25
    support_size: int = 10
    inner_lr: float = 0.01
    outer_lr: float = 1e-3
    hidden: int = 40
    test_tasks: int = 600
    eval_steps: tuple[int, ...] = (0, 1, 5, 10)
    roles: tuple[tuple[str, str], ...] = (("maml", "maml"), ("nal", "nal"))
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in ("iterations", "meta_batch", "support_size", "hidden", "test_tasks"):
            require_count(name, getattr(self, name))
        require_positive("inner_lr", self.inner_lr)
        require_positive("outer_lr", self.outer_lr)
        if not self.eval_steps or min(self.eval_steps) < 0:
            raise ValueError(f"eval_steps must be non-negative step counts, got {self.eval_steps}")

    def run(self, seed: int) -> dict[str, Any]:
        return sinusoid_experiment(self, seed)


def sinusoid_experiment(config: SinusoidConfig, seed: int) -> dict:
    """Train each role's algorithm, evaluate after test-time adaptation; plain numbers out."""
    device = config.device
    tasks = SinusoidTasks(support_size=config.support_size, query_size=config.support_size)
    test_batch = tasks.sample(
        config.test_tasks, torch.Generator(device).manual_seed(seed + TEST_SEED_OFFSET)
    )
    shown = test_batch.select(slice(0, SHOWN_TASKS))
    grid = torch.linspace(-5, 5, CURVE_POINTS, device=device)[None, :, None]
    grid = grid.expand(shown.num_tasks, -1, -1)
    truth = SinusoidTasks.evaluate(grid, shown.info["amplitude"], shown.info["phase"])
    result: dict = {
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
        scores = learner.evaluate(params, test_batch, steps=config.eval_steps)
        last = max(config.eval_steps)
        adapted = learner.adapt(
            params, shown.support_x, shown.support_y, steps=last, create_graph=False
        )
        with torch.no_grad():
            curve = learner.predict(adapted, grid)[..., 0]
        result["algorithms"][role] = {
            "algorithm": algorithm,
            "train_seconds": trained.seconds,
            "final_train_loss": trained.losses[-1],
            "query_mse_after_steps": {
                str(step): mean_interval(values).as_dict() for step, values in scores.items()
            },
            "adapted_curve": curve.tolist(),
            "adapted_steps": last,
        }
    return result


def sinusoid_check(results: Results) -> Verdict:
    """PASS if MAML's 95% interval lies below NAL's after every adaptation count ≥ 1, every seed."""
    comparisons, behind = [], []
    for result in results:
        maml = result["algorithms"]["maml"]["query_mse_after_steps"]
        nal = result["algorithms"]["nal"]["query_mse_after_steps"]
        for step in (s for s in maml if int(s) >= 1):
            comparisons.append(f"{step} steps: {maml[step]['mean']:.3f} vs {nal[step]['mean']:.3f}")
            if (
                maml[step]["mean"] + maml[step]["half_width"]
                >= nal[step]["mean"] - nal[step]["half_width"]
            ):
                behind.append(step)
    if not comparisons:
        return Verdict("INCONCLUSIVE", "no adaptation steps ≥ 1 were evaluated")
    reason = "post-adaptation query MSE, MAML vs NAL: " + ", ".join(comparisons)
    if behind:
        reason += f"; intervals not separated after {sorted(set(behind), key=int)} steps"
    return Verdict.from_condition(not behind, reason)


def sinusoid_figure(results: Results) -> Figure:
    """Query MSE against adaptation steps, and the adapted curves of three held-out tasks."""
    result = results[0]
    figure, axes = plt.subplots(1, 1 + SHOWN_TASKS, figsize=(4 * (1 + SHOWN_TASKS), 3.2))
    for role, numbers in result["algorithms"].items():
        scores = numbers["query_mse_after_steps"]
        axes[0].errorbar(
            [int(s) for s in scores],
            [scores[s]["mean"] for s in scores],
            yerr=[scores[s]["half_width"] for s in scores],
            marker="o",
            capsize=3,
            label=f"{role} ({numbers['algorithm']})",
        )
    axes[0].set(
        xlabel="test-time gradient steps",
        ylabel="query MSE (95% CI)",
        title="B1: MAML vs NAL after adaptation",
    )
    axes[0].legend(fontsize=7)
    for index, axis in enumerate(axes[1:]):
        axis.plot(result["grid"], result["truth"][index], color="black", label="true function")
        for role, numbers in result["algorithms"].items():
            axis.plot(
                result["grid"],
                numbers["adapted_curve"][index],
                label=f"{role} after {numbers['adapted_steps']} steps",
            )
        axis.scatter(
            result["support_x"][index],
            result["support_y"][index],
            color="red",
            zorder=3,
            label="support points",
        )
        axis.set(xlabel="x", title=f"held-out task {index + 1}")
    axes[1].legend(fontsize=7)
    figure.tight_layout()
    return figure


def sinusoid_cells(scale: str) -> list[Cell]:
    settings = {
        "smoke": SinusoidConfig(iterations=30, test_tasks=50),
        "quick": SinusoidConfig(iterations=4000),
        "paper": SinusoidConfig(iterations=70000),
    }
    seeds = {"smoke": 1, "quick": 1, "paper": 3}[scale]
    return [Cell(settings[scale], seed) for seed in range(seeds)]


B1 = Claim(
    "B1",
    "Finn, Abbeel, Levine 2017 (MAML), §5.1",
    "After test-time adaptation on sinusoids, MAML's query MSE is below that of a model "
    "pretrained on all tasks (NAL) after 1, 5 and 10 steps",
    sinusoid_cells,
    sinusoid_check,
    sinusoid_figure,
)
