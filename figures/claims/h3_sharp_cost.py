"""Claim H3: the cost of each Sharp-MAML variant relative to MAML (Abbas et al.).

One outer step of every role on a fixed batch of a ``figures.claims.fewshot.FewShotSetup``'s
tasks (glyphs of the meta-train alphabets, the 4-block ConvNet, S =
``setup.inner_steps``), counted and timed. Counted exactly: loss evaluations and backward
passes per iteration; the theory for S inner steps is a·S + b of each,

    MAML S + 1,  low 2S + 1,  up 2S + 2,  both 4S + 2,  efficient 3S + 2

(a SAM step evaluates and differentiates its loss twice, at θ and at the
ascended θ̃). Every role runs the whole batch in one autograd graph
(``meta_gradient_path="autograd"``), so the counts are the algorithm's passes
over the batch, not those of an execution plan that splits it into chunks.
Timed: median seconds per iteration over interleaved rounds
(``figures.engine.timing``: each round times every algorithm in turn, so machine
load hits all alike).

The check: PASS needs the counts to equal the theory for every role, the
seconds ratios to MAML ≤ 2.5 (low, up) and ≤ 4.5 (both), and efficient
cheaper than both; anything else FAILS. MAML timed in a variant's place fails
on its counts.

Example:
    >>> setup = replace(COST_SETUP, filters=2, queries=1, meta_batch=1, glyph_characters=5,
    ...                 glyph_drawings=3)
    >>> result = cost_experiment(CostConfig(setup, rounds=1), seed=0)
    >>> result["roles"]["sharp-maml-both"]["loss_evaluations_per_iter"]
    6
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from algorithms import cross_entropy, parameters_of
from algorithms.losses import TaskLoss
from algorithms.outer_steps import BatchObjective
from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup, placed
from figures.claims.fewshot_cost import outer_step_seconds
from figures.claims.sharp_family import PAPER, PAPER_SETUP, VARIANTS, require_algorithms
from figures.engine.claim import SCALES, Cell, Claim, Evidence, Results, Verdict
from figures.engine.timing import interleaved_seconds
from synthetic.validation import require_count, require_positive

TIME_BOUNDS = {"sharp-maml-low": 2.5, "sharp-maml-up": 2.5, "sharp-maml-both": 4.5}
COUNT_MULTIPLES = {  # (a, b): a·S + b loss evaluations and backward passes per iteration
    "maml": (1, 1),
    "sharp-maml-low": (2, 1),
    "sharp-maml-up": (2, 2),
    "sharp-maml-both": (4, 2),
    "sharp-maml-efficient": (3, 2),
}


COST_SETUP = FewShotSetup(
    queries=3, meta_batch=4, glyph_alphabets=4, glyph_characters=8, glyph_drawings=6
)
"""H3's tasks and net at the quick scale: 5-way 1-shot glyph tasks, 16 filters, 4 tasks."""


@dataclass(frozen=True)
class CostConfig:
    """H3: one outer step of each role on a fixed batch of ``setup``'s tasks, counted and timed.

    The batch comes from the meta-train classes; ``setup.inner_steps`` is S.
    """

    setup: FewShotSetup = COST_SETUP
    roles: tuple[tuple[str, str], ...] = tuple((a, a) for a in ("maml", *VARIANTS))
    inner_lr: float = 0.4
    rounds: int = 10
    omniglot: tuple[str, ...] | None = None
    mini_imagenet: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_algorithms(
            "roles' algorithms", tuple(a for _, a in self.roles), (*COUNT_MULTIPLES,)
        )
        require_count("rounds", self.rounds)
        require_positive("inner_lr", self.inner_lr)

    def run(self, seed: int) -> dict[str, Any]:
        return cost_experiment(self, seed)

    def check_inputs(self) -> None:
        """Refuse data too small for these tasks before any cell runs."""
        placed(self).check_fits("H3's cost cell")

    def estimated_seconds(self) -> float:
        """``rounds`` + 2 (a warm-up, the count) outer steps of each role."""
        setup = placed(self)
        return (self.rounds + 2) * sum(
            outer_step_seconds(setup, algorithm, self.inner_lr) for _, algorithm in self.roles
        )


@dataclass
class Counter:
    """Loss evaluations and backward passes that reach a loss, since the last reset."""

    evaluations: int = 0
    backward: int = 0

    def counted(self, loss: TaskLoss) -> TaskLoss:
        def per_task(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            self.evaluations += 1
            values = loss.per_task(pred, target)
            if values.requires_grad:
                values.register_hook(self._count_backward)
            return values

        return TaskLoss(loss.one_task, per_task)

    def _count_backward(self, gradient: torch.Tensor) -> None:
        self.backward += 1


def cost_experiment(config: CostConfig, seed: int) -> dict[str, Any]:
    """Loss evaluations, backward passes and seconds per outer step of every role."""
    setup = placed(config)
    tasks = setup.tasks(setup.splits().train)
    batch = tasks.sample(setup.meta_batch, torch.Generator(setup.device).manual_seed(seed))
    counter = Counter()
    steps, counts = {}, {}
    for role, algorithm in config.roles:
        learner = setup.learner(
            algorithm,
            config.inner_lr,
            seed,
            counter.counted(cross_entropy),
            meta_gradient_path="autograd",
        )
        params = parameters_of(learner.model)
        optimizer = torch.optim.Adam(params.values(), lr=1e-4)

        def step(learner=learner, params=params, optimizer=optimizer) -> None:
            learner.outer_step(BatchObjective(learner, batch), params, optimizer)

        counter.evaluations = counter.backward = 0
        step()
        counts[role] = (counter.evaluations, counter.backward)
        steps[role] = step
    seconds = interleaved_seconds(steps, config.rounds, setup.device)
    base = seconds["maml"]
    return {
        "inner_steps": setup.inner_steps,
        "roles": {
            role: {
                "algorithm": algorithm,
                "seconds_per_iter": seconds[role],
                "seconds_ratio_to_maml": seconds[role] / base,
                "loss_evaluations_per_iter": counts[role][0],
                "backward_passes_per_iter": counts[role][1],
            }
            for role, algorithm in config.roles
        },
    }


def expected_count(role: str, inner_steps: int) -> int:
    """The theory's loss evaluations (= backward passes) per iteration of ``role``."""
    multiple, constant = COUNT_MULTIPLES[role]
    return multiple * inner_steps + constant


def cost_check(results: Results) -> Verdict:
    """Counts equal the theory for every role, time ratios within the bounds, efficient < both."""
    evidence = Evidence(
        statistic="counted loss evaluations and backward passes per iteration against theory "
        "(exact), and the median seconds-per-iteration ratio to MAML against TIME_BOUNDS",
        seeds=len(results),
        resolvable="one loss evaluation or backward pass; time ratios to the bounds' precision",
    )
    problems, ratios = [], {}
    for result in results:
        steps = result["inner_steps"]
        for role, numbers in result["roles"].items():
            expected = expected_count(role, steps)
            measured = (numbers["loss_evaluations_per_iter"], numbers["backward_passes_per_iter"])
            if measured != (expected, expected):
                problems.append(f"{role} counted {measured}, theory {expected}")
            ratios.setdefault(role, []).append(numbers["seconds_ratio_to_maml"])
    median = {role: statistics.median(values) for role, values in ratios.items()}
    for role, bound in TIME_BOUNDS.items():
        if role in median and median[role] > bound:
            problems.append(f"{role} costs {median[role]:.2f}× MAML > {bound}×")
    if {"sharp-maml-efficient", "sharp-maml-both"} <= set(median) and (
        median["sharp-maml-efficient"] >= median["sharp-maml-both"]
    ):
        problems.append("efficient is not cheaper than both")
    reason = "seconds per iteration relative to MAML: " + ", ".join(
        f"{role} {ratio:.2f}×" for role, ratio in median.items()
    )
    if not results:
        return Verdict("INCONCLUSIVE", "no results", evidence)
    return Verdict.from_condition(
        not problems, reason + ("; " + "; ".join(problems) if problems else ""), evidence
    )


def cost_figure(results: Results) -> Figure:
    """Seconds ratio and counted loss evaluations per role, against the theoretical multiples."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    result = results[0]
    roles = list(result["roles"])
    ratios = [result["roles"][r]["seconds_ratio_to_maml"] for r in roles]
    axes[0].bar(roles, ratios)
    axes[0].set(ylabel="seconds per iteration / MAML's", title="H3: measured cost")
    counted = [result["roles"][r]["loss_evaluations_per_iter"] for r in roles]
    theory = [
        expected_count(r, result["inner_steps"]) if r in COUNT_MULTIPLES else 0 for r in roles
    ]
    positions = np.arange(len(roles))
    axes[1].bar(positions - 0.2, counted, 0.4, label="counted")
    axes[1].bar(positions + 0.2, theory, 0.4, label="theory")
    axes[1].set_xticks(positions, roles)
    axes[1].set(ylabel="loss evaluations per iteration", title="H3: work per iteration")
    axes[1].legend(fontsize=7)
    for axis in axes:
        axis.tick_params(axis="x", labelrotation=20, labelsize=7)
    figure.tight_layout()
    return figure


def cost_cells(scale: str) -> list[Cell]:
    setups = {
        "smoke": replace(COST_SETUP, filters=4),
        "quick": COST_SETUP,
        "omniglot": replace(SCALED_SETUPS["omniglot"], queries=COST_SETUP.queries),
        "paper": PAPER_SETUP,
    }
    rounds = {"smoke": 2, "quick": 10, "omniglot": 10, "paper": 20}[scale]
    return [Cell(CostConfig(setups[scale], rounds=rounds), 0)]


H3 = Claim(
    "H3",
    PAPER,
    "Cost per iteration vs MAML: low ≈ 2× the inner work, up ≈ 2×, both ≈ 4×; the efficient "
    "variant less than both",
    cost_cells,
    cost_check,
    cost_figure,
    scales=SCALES,
)
