"""S2's cost part: counted FLOPs of one meta-iteration of each method, and the bounds their
structure implies.

Counted: the FLOPs of every matrix product and convolution (``analysis.flops.matmul_flops``,
torch's ``FlopCounterMode``: forward, backward and double backward) of one meta-gradient,
``MetaLearner.meta_gradient``, which is what ``train`` runs per outer step. The count is taken
on one task: tasks never interact within an iteration, so a meta-iteration of B tasks costs
exactly B times as much. (On one task the batched path's grouped convolution is a plain one;
with B tasks torch's counter would count its weight gradient B times over, ``analysis.flops``.)
Elementwise work (batch norm, ReLU, the sign, the Adam update) is not counted.

With S inner steps, G_s the FLOPs of one gradient of the support loss at θ (forward and
backward) and G_q the same on the query set, the algorithms' structure gives:

- FO-MAML takes S support gradients keeping no graph, then one query gradient at θ'_S that
  passes unchanged to θ:  FLOPs_FO = S·G_s + G_q, exactly.
- Sign-MAML runs the very same passes; sign(·) is elementwise (S·P operations for P
  parameters, outside the count):  FLOPs_sign = FLOPs_FO, exactly.
- MAML runs the same passes, and its outer backward also differentiates every inner step.
  Each product C = A·B of an inner forward or backward pass has an input that depends on θ,
  and reverse mode meets it with at least one adjoint product (∂A = ∂C·Bᵀ or ∂B = Aᵀ·∂C) of
  the same FLOPs as C, so  FLOPs_MAML ≥ FLOPs_FO + S·G_s: at least twice FO-MAML's inner
  work. Hence FLOPs_MAML / FLOPs_sign ≥ 1 + S·G_s / (S·G_s + G_q), which is 1 + S/(S+1)
  (1.83 for S = 5) when there are as many queries as shots.

The check is deterministic (integer counts: PASS or FAIL): all three relations must hold.
MAML in Sign-MAML's role breaks the second, FO-MAML in MAML's role the third. Wall-clock
seconds per outer step (interleaved rounds, ``figures.engine.timing``, median) are measured
beside and never decide: they move with the machine's load.

Example:
    >>> setup = FewShotSetup(filters=2, queries=1, inner_steps=2, image_size=8, blocks=1,
    ...                      glyph_alphabets=8, glyph_characters=5, glyph_drawings=3)
    >>> methods = (("maml", "maml", 0.1), ("fo-maml", "fo-maml", 0.1),
    ...            ("sign-maml", "sign-maml", 0.01))
    >>> result = CostConfig(setup, methods, timing_rounds=1).run(seed=0)
    >>> cost_verdict(result).status
    'PASS'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

from algorithms import MetaLearner, Params, parameters_of
from analysis.flops import matmul_flops
from figures.claims.fewshot import FewShotSetup, placed
from figures.claims.fewshot_cost import outer_step_seconds
from figures.claims.s2_accuracy import Method
from figures.engine.claim import Evidence, Verdict
from figures.engine.timing import interleaved_seconds
from synthetic.validation import require_count

ROLES = ("maml", "fo-maml", "sign-maml")


@dataclass(frozen=True)
class CostConfig:
    """Counted FLOPs (one task) and timed seconds (``setup.meta_batch`` tasks) of one outer
    step of every method, on meta-train tasks drawn from the seed."""

    setup: FewShotSetup
    methods: tuple[Method, ...]
    timing_rounds: int = 5
    omniglot: tuple[str, ...] | None = None
    mini_imagenet: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_count("timing_rounds", self.timing_rounds)
        if sorted(role for role, _, _ in self.methods) != sorted(ROLES):
            raise ValueError(f"methods must name the roles {ROLES} once each, got {self.methods}")

    def run(self, seed: int) -> dict[str, Any]:
        return cost_experiment(self, seed)

    def check_inputs(self) -> None:
        """Refuse data too small for these tasks before any cell runs."""
        placed(self).check_fits("S2's cost cell")

    def estimated_seconds(self) -> float:
        """``timing_rounds`` + 2 (a warm-up, the FLOP count) outer steps of each method."""
        setup = placed(self)
        return (self.timing_rounds + 2) * sum(
            outer_step_seconds(setup, algorithm, lr) for _, algorithm, lr in self.methods
        )


def cost_experiment(config: CostConfig, seed: int) -> dict[str, Any]:
    """G_s, G_q and each role's FLOPs per task of a meta-iteration, and its seconds per step."""
    setup = placed(config)
    tasks = setup.tasks(setup.splits().train)
    generator = torch.Generator(setup.device).manual_seed(seed)
    one_task, timed_batch = tasks.sample(1, generator), tasks.sample(setup.meta_batch, generator)
    learners = {role: setup.learner(a, lr, seed) for role, a, lr in config.methods}
    params = {role: parameters_of(learner.model) for role, learner in learners.items()}
    any_role = next(iter(learners))
    flops = {
        role: matmul_flops(partial(learner.meta_gradient, params[role], one_task))
        for role, learner in learners.items()
    }
    seconds = interleaved_seconds(
        {
            role: partial(learner.meta_gradient, params[role], timed_batch)
            for role, learner in learners.items()
        },
        config.timing_rounds,
        setup.device,
    )
    gradient = partial(gradient_flops, learners[any_role], params[any_role])
    return {
        "inner_steps": setup.inner_steps,
        "meta_batch": setup.meta_batch,
        "support_gradient_flops": gradient(one_task.support_x, one_task.support_y),
        "query_gradient_flops": gradient(one_task.query_x, one_task.query_y),
        "roles": {
            role: {
                "algorithm": algorithm,
                "flops_per_task": flops[role],
                "seconds_per_iteration": seconds[role],
            }
            for role, algorithm, _ in config.methods
        },
    }


def gradient_flops(learner: MetaLearner, params: Params, x: torch.Tensor, y: torch.Tensor) -> int:
    """G: FLOPs of the gradient of the loss on ``x``, ``y`` (one task) at θ itself; no inner
    step is taken, so every algorithm's ``learner`` gives the same count."""

    def gradient() -> None:
        at_theta = learner.adapt(params, x, y, steps=0)
        torch.autograd.grad(learner.task_losses(at_theta, x, y).sum(), list(params.values()))

    return matmul_flops(gradient)


def maml_lower_bound(result: dict[str, Any]) -> int:
    """FLOPs_FO + S·G_s: the fewest FLOPs per task MAML's meta-iteration can take."""
    fo = result["roles"]["fo-maml"]["flops_per_task"]
    return fo + result["inner_steps"] * result["support_gradient_flops"]


def cost_relations(result: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """(relation, holds, the counted numbers) for each of the three relations above."""
    flops = {role: numbers["flops_per_task"] for role, numbers in result["roles"].items()}
    fo, sign, maml = flops["fo-maml"], flops["sign-maml"], flops["maml"]
    steps, support = result["inner_steps"], result["support_gradient_flops"]
    first_order = steps * support + result["query_gradient_flops"]
    second_order = maml_lower_bound(result)
    return [
        ("FLOPs_FO = S·G_s + G_q", fo == first_order, f"{fo:,} vs {first_order:,}"),
        ("FLOPs_sign = FLOPs_FO", sign == fo, f"{sign:,} vs {fo:,}"),
        (
            "FLOPs_MAML ≥ FLOPs_FO + S·G_s",
            maml >= second_order,
            f"{maml:,} vs {second_order:,} (MAML/Sign-MAML ×{maml / sign:.2f} ≥ "
            f"×{second_order / sign:.2f})",
        ),
    ]


def cost_verdict(result: dict[str, Any]) -> Verdict:
    """PASS when every relation of the structure holds on the counts, FAIL otherwise."""
    relations = cost_relations(result)
    broken = any(not holds for _, holds, _ in relations)
    reason = "counted FLOPs per task: " + "; ".join(
        f"{name}: {numbers} ({'holds' if holds else 'BROKEN'})"
        for name, holds, numbers in relations
    )
    evidence = Evidence(
        statistic="counted matmul/conv FLOPs of one meta-iteration per task (FlopCounterMode)",
        seeds=1,
        resolvable="exact (integer counts of a deterministic computation)",
    )
    return Verdict.from_condition(not broken, reason, evidence)
