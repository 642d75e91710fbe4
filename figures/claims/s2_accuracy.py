"""S2's accuracy part: meta-test accuracy of the trained methods, paired by seed.

A cell is one seed s, and every method in it sees the same things: the same
initial weights (the ConvNet drawn from seed s), the same stream of
meta-train tasks (generator seed s), and the same ``test_tasks`` tasks of the
meta-test classes (generator seed s + ``fewshot.TEST_SEED_OFFSET``), which
share no class and no alphabet with the meta-train classes
(``FewShotSetup.splits`` asserts it). Each method meta-trains with
``setup.inner_steps`` inner steps and adapts ``max(setup.eval_steps)`` steps
at test, by its own inner rule and step size.

The unit is the seed: a_s is the mean query accuracy over the seed's test
tasks. Sign-MAML outperforms FO-MAML (Fan et al.'s claim) when the
seed-paired differences d_s = a_s(Sign-MAML) − a_s(FO-MAML) have a 95%
interval above 0 (``seed_comparison.paired_verdict``: below 0 FAILS, across
0 is INCONCLUSIVE).

Example:
    >>> setup = FewShotSetup(filters=2, queries=1, iterations=2, test_tasks=4, eval_steps=(1,),
    ...                      image_size=8, blocks=1, glyph_alphabets=8, glyph_characters=5,
    ...                      glyph_drawings=3)
    >>> methods = (("fo-maml", "fo-maml", 0.1), ("sign-maml", "sign-maml", 0.01))
    >>> config = AccuracyConfig(setup, methods)
    >>> sorted(config.run(seed=0)["roles"])
    ['fo-maml', 'sign-maml']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from figures.claims.fewshot import FewShotSetup, placed
from figures.claims.fewshot_cost import evaluation_seconds, protocol, training_seconds
from figures.claims.seed_comparison import paired_verdict
from figures.claims.wording import step_counts
from figures.engine.claim import Verdict
from synthetic import FewShotTasks

Method = tuple[str, str, float]
"""(role, algorithm, inner step size α): the algorithm that plays the role, e.g. the sign-maml
role played by "maml" in a wrong variant."""


@dataclass(frozen=True)
class AccuracyConfig:
    """One seed of S2's accuracy comparison: every method of ``methods`` trained and tested."""

    setup: FewShotSetup
    methods: tuple[Method, ...]
    omniglot: tuple[str, ...] | None = None
    mini_imagenet: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        roles = [role for role, _, _ in self.methods]
        if len(set(roles)) != len(roles) or not {"fo-maml", "sign-maml"} <= set(roles):
            raise ValueError(
                f"methods must name each role once, fo-maml and sign-maml among them; got {roles}"
            )

    def run(self, seed: int) -> dict[str, Any]:
        return accuracy_experiment(self, seed)

    def check_inputs(self) -> None:
        """Refuse data too small for these tasks before any cell runs."""
        placed(self).check_fits("S2's accuracy cells")

    def estimated_seconds(self) -> float:
        """Training and scoring every method, from timing probes."""
        setup = placed(self)
        return sum(
            training_seconds(setup, algorithm, lr) + evaluation_seconds(setup, algorithm, lr)
            for _, algorithm, lr in self.methods
        )

    def protocol(self) -> dict[str, str]:
        steps = ", ".join(f"{role} {lr:g}" for role, _, lr in self.methods)
        setup = placed(self)
        return protocol(setup, self.methods[0][2]) | {"α per method": steps}


def accuracy_experiment(config: AccuracyConfig, seed: int) -> dict[str, Any]:
    """Each role's mean meta-test accuracy and training seconds per iteration, for ``seed``."""
    setup = placed(config)
    splits = setup.splits()
    train_tasks, test_tasks = setup.tasks(splits.train), setup.tasks(splits.test)
    roles = {}
    for role, algorithm, inner_lr in config.methods:
        accuracy, seconds = trained_accuracy(
            setup, algorithm, inner_lr, seed, train_tasks, test_tasks
        )
        roles[role] = {
            "algorithm": algorithm,
            "inner_lr": inner_lr,
            "accuracy": accuracy,
            "train_seconds_per_iteration": seconds,
        }
    return {"seed": seed, "eval_step": max(setup.eval_steps), "roles": roles}


def trained_accuracy(
    setup: FewShotSetup,
    algorithm: str,
    inner_lr: float,
    seed: int,
    train_tasks: FewShotTasks,
    scored_tasks: FewShotTasks,
) -> tuple[float, float]:
    """Mean accuracy on ``scored_tasks`` after ``max(setup.eval_steps)`` test-time steps of
    ``algorithm`` meta-trained on ``train_tasks`` from ``seed``, and its seconds per iteration."""
    learner, params, seconds = setup.trained(algorithm, inner_lr, train_tasks, seed)
    per_task = setup.accuracy(learner, params, scored_tasks, seed)[max(setup.eval_steps)]
    return float(per_task.mean()), seconds


def per_seed(results: list[dict[str, Any]], role: str) -> dict[int, float]:
    """{seed: mean meta-test accuracy} of ``role`` over the accuracy cells."""
    return {result["seed"]: result["roles"][role]["accuracy"] for result in results}


def accuracy_verdict(results: list[dict[str, Any]]) -> Verdict:
    """Sign-MAML − FO-MAML, seed-paired: PASS above 0, FAIL below 0, INCONCLUSIVE across."""
    steps = {result["eval_step"] for result in results}
    return paired_verdict(
        [("Sign-MAML − FO-MAML", per_seed(results, "sign-maml"), per_seed(results, "fo-maml"))],
        f"meta-test accuracy after {step_counts(steps, 'test-time step')}",
    )
