"""Claim S2: Sign-MAML costs about as much as FO-MAML, far less than MAML, at no loss of accuracy.

Fan, Ram, Liu (arXiv 2109.07497). Sign-MAML's inner step is
θ' = θ − α sign(∇L_support(θ)); sign has derivative 0, so its exact
meta-gradient is ∇L_query(θ'), FO-MAML's formula (claim S1, tested in
``tests/test_sign_maml.py``), and it needs no second-order pass. MAML,
FO-MAML and Sign-MAML (with its own, much smaller step size: a sign step
moves every weight by α) are meta-trained on the same tasks and evaluated
by the same protocol on held-out classes.

Cost is the seconds of one outer step in interleaved timing rounds
(``figures.engine.timing``), so machine load hits all three alike; Sign-MAML's cost
relative to FO-MAML's and to MAML's is a ratio of paired means with a 95%
interval (``analysis.statistics.paired_ratio``).

The check: Sign-MAML's cost ≤ 1.25 × FO-MAML's and ≤ 0.8 × MAML's (each
ratio's whole interval), and its accuracy is not clearly below FO-MAML's
(its 95% interval reaches FO-MAML's). An interval wholly above a bound, or
accuracy clearly below, FAILS; an interval across a bound is INCONCLUSIVE.
It fails with FO-MAML's large step size for Sign-MAML (accuracy collapses),
or with MAML timed in Sign-MAML's place.

Example:
    >>> setup = FewShotSetup(filters=4, iterations=2, test_tasks=10, eval_steps=(1,))
    >>> result = sign_maml_experiment(SignMamlConfig(setup=setup, timing_rounds=2), seed=0)
    >>> sorted(result["algorithms"])
    ['fo-maml', 'maml', 'sign-maml']
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from algorithms import MetaLearner, Params
from analysis.statistics import mean_interval, paired_ratio
from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup
from figures.engine.claim import Cell, Claim, Results, Verdict
from figures.engine.timing import interleaved_rounds
from synthetic import TaskBatch
from synthetic.validation import require_count

COST_OF_FO = 1.25
"""Sign-MAML may cost at most this multiple of FO-MAML per outer step."""
COST_OF_MAML = 0.8
"""… and at most this fraction of MAML's."""
COST_BOUNDS = (("fo-maml", "FO-MAML", COST_OF_FO), ("maml", "MAML", COST_OF_MAML))


@dataclass(frozen=True)
class SignMamlConfig:
    """Roles (maml, fo-maml, sign-maml) → (algorithm, inner step size)."""

    setup: FewShotSetup = field(default_factory=FewShotSetup)
    roles: tuple[tuple[str, str, float], ...] = (
        ("maml", "maml", 0.4),
        ("fo-maml", "fo-maml", 0.4),
        ("sign-maml", "sign-maml", 0.01),
    )
    timing_rounds: int = 20
    omniglot: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_count("timing_rounds", self.timing_rounds, minimum=2)

    def run(self, seed: int) -> dict[str, Any]:
        return sign_maml_experiment(self, seed)


def sign_maml_experiment(config: SignMamlConfig, seed: int) -> dict:
    setup = config.setup.at(config.device, config.omniglot)
    splits = setup.splits()
    train_tasks, test_tasks = setup.tasks(splits.train), setup.tasks(splits.test)
    fixed = train_tasks.sample(setup.meta_batch, torch.Generator(config.device).manual_seed(seed))
    steps, algorithms = {}, {}
    for role, algorithm, inner_lr in config.roles:
        learner, params, train_seconds = setup.trained(algorithm, inner_lr, train_tasks, seed)
        report = setup.accuracy(learner, params, test_tasks, seed)
        algorithms[role] = {
            "algorithm": algorithm,
            "inner_lr": inner_lr,
            "train_seconds_per_iteration": train_seconds,
            "accuracy": {str(k): mean_interval(report[k]).as_dict() for k in setup.eval_steps},
        }
        steps[role] = partial(_outer_step, learner, params, fixed)
    rounds = interleaved_rounds(steps, config.timing_rounds, config.device)
    for role, values in rounds.items():
        algorithms[role]["seconds_per_iteration"] = statistics.median(values)
    sign = torch.tensor(rounds["sign-maml"], dtype=torch.float64)
    cost_ratio = {
        role: paired_ratio(sign, torch.tensor(rounds[role], dtype=torch.float64))
        for role in ("fo-maml", "maml")
    }
    return {
        "eval_step": str(max(setup.eval_steps)),
        "algorithms": algorithms,
        "sign_maml_cost_ratio": cost_ratio,
    }


def _outer_step(learner: MetaLearner, params: Params, batch: TaskBatch) -> None:
    torch.autograd.grad(learner.meta_loss(params, batch), list(params.values()))


def sign_maml_check(results: Results) -> Verdict:
    problems, unresolved, lines = [], [], []
    for result in results:
        numbers = result["algorithms"]
        accuracy = {role: numbers[role]["accuracy"][result["eval_step"]] for role in numbers}
        ratio = result["sign_maml_cost_ratio"]
        lines.append(
            f"cost ×{_ratio_text(ratio['fo-maml'])} of FO-MAML, ×{_ratio_text(ratio['maml'])} of "
            "MAML; accuracy "
            + ", ".join(f"{r} {a['mean']:.3f} ± {a['half_width']:.3f}" for r, a in accuracy.items())
        )
        for role, name, bound in COST_BOUNDS:
            mean, half_width, text = (
                ratio[role]["mean"],
                ratio[role]["half_width"],
                _ratio_text(ratio[role]),
            )
            if mean - half_width > bound:
                problems.append(f"Sign-MAML costs ×{text} of {name} (> {bound})")
            elif mean + half_width > bound:
                unresolved.append(f"cost ×{text} of {name} reaches {bound}")
        sign, fo = accuracy["sign-maml"], accuracy["fo-maml"]
        if sign["mean"] + sign["half_width"] < fo["mean"] - fo["half_width"]:
            problems.append(
                f"Sign-MAML's accuracy {sign['mean']:.3f} is clearly below "
                f"FO-MAML's {fo['mean']:.3f}"
            )
    if problems:
        return Verdict("FAIL", "; ".join(problems))
    if unresolved:
        return Verdict("INCONCLUSIVE", "; ".join(lines + unresolved))
    return Verdict("PASS", "; ".join(lines))


def _ratio_text(ratio: dict) -> str:
    return f"{ratio['mean']:.2f} ± {ratio['half_width']:.2f}"


def sign_maml_figure(results: Results) -> Figure:
    """The accuracy / time trade-off of the three algorithms."""
    figure, axis = plt.subplots(figsize=(5.5, 3.8))
    for result in results:
        for role, numbers in result["algorithms"].items():
            accuracy = numbers["accuracy"][result["eval_step"]]
            axis.errorbar(
                1e3 * numbers["seconds_per_iteration"],
                accuracy["mean"],
                yerr=accuracy["half_width"],
                marker="o",
                capsize=3,
                label=f"{role} (α={numbers['inner_lr']:g})",
            )
    axis.set(
        xlabel="milliseconds per outer step",
        ylabel="meta-test accuracy (95% CI)",
        title="S2: accuracy vs cost, held-out classes",
    )
    axis.legend(fontsize=7)
    figure.tight_layout()
    return figure


def sign_maml_cells(scale: str) -> list[Cell]:
    return [Cell(SignMamlConfig(setup=SCALED_SETUPS[scale]), 0)]


S2 = Claim(
    "S2",
    "Fan, Ram, Liu 2021, Sign-MAML (arXiv 2109.07497)",
    "Sign-MAML's cost per iteration ≈ FO-MAML's ≪ MAML's, with accuracy ≥ FO-MAML's within "
    "the intervals",
    sign_maml_cells,
    sign_maml_check,
    sign_maml_figure,
)
