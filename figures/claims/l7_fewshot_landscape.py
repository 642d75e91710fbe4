"""Claim L7: on few-shot images MAML gains more over NAL on hard tasks; hard training matters.

Collins, Mokhtari, Shakkottai 2022, §5. Hard tasks draw their N classes from
one alphabet (``mode="within"``: the characters share strokes), easy tasks
from N different alphabets (``mode="between"``). Two comparisons, every
accuracy on held-out alphabets by the same protocol:

1. gain_hard = acc_MAML − acc_NAL on hard test tasks, gain_easy the same on
   easy test tasks (paired: both learners see the same tasks); the claim is
   gain_hard > gain_easy.
2. MAML meta-trained on hard tasks vs on easy tasks, both tested on hard
   tasks (paired); the claim is that hard training is better.

The check: PASS when both differences are positive with their 95% intervals
above 0; FAIL when either is negative with its interval below 0;
INCONCLUSIVE otherwise. On glyphs whose characters share no strokes
(``glyph_sharing=0``) within- and between-alphabet tasks are alike, and it
must not PASS.

Example:
    >>> setup = FewShotSetup(filters=4, iterations=2, test_tasks=10, eval_steps=(1,))
    >>> result = hardness_experiment(HardnessConfig(setup=setup), seed=0)
    >>> sorted(result["differences"])
    ['gain_hard_minus_gain_easy', 'hard_trained_minus_easy_trained']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from analysis.statistics import mean_interval
from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic.validation import require_positive

PAPER = "Collins, Mokhtari, Shakkottai 2022 (arXiv 2010.14672), §5"


@dataclass(frozen=True)
class HardnessConfig:
    """MAML and NAL on glyph (or Omniglot) tasks of two hardness levels."""

    setup: FewShotSetup = field(default_factory=FewShotSetup)
    inner_lr: float = 0.4
    omniglot: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_positive("inner_lr", self.inner_lr)

    def run(self, seed: int) -> dict[str, Any]:
        return hardness_experiment(self, seed)


def hardness_experiment(config: HardnessConfig, seed: int) -> dict:
    setup = config.setup.at(config.device, config.omniglot)
    splits = setup.splits()
    step = max(setup.eval_steps)
    per_task: dict[str, torch.Tensor] = {}
    trained = {
        "maml": setup.trained("maml", config.inner_lr, setup.tasks(splits.train), seed),
        "nal": setup.trained("nal", config.inner_lr, setup.tasks(splits.train), seed),
        "maml_hard_trained": setup.trained(
            "maml", config.inner_lr, setup.tasks(splits.train, "within"), seed
        ),
        "maml_easy_trained": setup.trained(
            "maml", config.inner_lr, setup.tasks(splits.train, "between"), seed
        ),
    }
    evaluations = [
        ("maml", "within"),
        ("nal", "within"),
        ("maml", "between"),
        ("nal", "between"),
        ("maml_hard_trained", "within"),
        ("maml_easy_trained", "within"),
    ]
    for name, mode in evaluations:
        learner, params, _ = trained[name]
        report = setup.accuracy(learner, params, setup.tasks(splits.test, mode), seed)
        per_task[f"{name}@{mode}"] = report[step]
    gain_hard = mean_interval(per_task["maml@within"] - per_task["nal@within"])
    gain_easy = mean_interval(per_task["maml@between"] - per_task["nal@between"])
    hard_training = mean_interval(
        per_task["maml_hard_trained@within"] - per_task["maml_easy_trained@within"]
    )
    difference = gain_hard.mean - gain_easy.mean
    half_width = math.hypot(gain_hard.half_width, gain_easy.half_width)
    return {
        "eval_step": step,
        "accuracy": {key: mean_interval(values).as_dict() for key, values in per_task.items()},
        "gain": {"hard": gain_hard.as_dict(), "easy": gain_easy.as_dict()},
        "differences": {
            "gain_hard_minus_gain_easy": {"mean": difference, "half_width": half_width},
            "hard_trained_minus_easy_trained": hard_training.as_dict(),
        },
    }


def hardness_check(results: Results) -> Verdict:
    statuses, lines = [], []
    for result in results:
        for name, interval in result["differences"].items():
            low = interval["mean"] - interval["half_width"]
            high = interval["mean"] + interval["half_width"]
            lines.append(
                f"{name.replace('_', ' ')} = {interval['mean']:+.3f} [{low:+.3f}, {high:+.3f}]"
            )
            statuses.append("PASS" if low > 0 else "FAIL" if high < 0 else "INCONCLUSIVE")
    if "FAIL" in statuses:
        status = "FAIL"
    elif all(s == "PASS" for s in statuses):
        status = "PASS"
    else:
        status = "INCONCLUSIVE"
    return Verdict(status, "; ".join(lines) + " (accuracy differences, 95% CI)")


def hardness_figure(results: Results) -> Figure:
    result = results[0]
    figure, (gains, training) = plt.subplots(1, 2, figsize=(10, 3.6))
    for position, interval in enumerate(result["gain"].values()):
        gains.bar(position, interval["mean"], yerr=interval["half_width"], capsize=4)
    gains.set_xticks([0, 1], ["hard (within-alphabet)", "easy (between-alphabet)"])
    gains.axhline(0, color="grey", linewidth=0.8)
    gains.set(ylabel="acc_MAML − acc_NAL (95% CI)", title="L7: MAML's gain over NAL")
    accuracy = result["accuracy"]
    for position, key in enumerate(("maml_hard_trained@within", "maml_easy_trained@within")):
        training.bar(position, accuracy[key]["mean"], yerr=accuracy[key]["half_width"], capsize=4)
    training.set_xticks([0, 1], ["trained on hard", "trained on easy"])
    training.set(
        ylabel="accuracy on hard test tasks (95% CI)",
        title="L7: MAML, by training tasks",
        ylim=(0, 1),
    )
    figure.tight_layout()
    return figure


def hardness_cells(scale: str) -> list[Cell]:
    return [Cell(HardnessConfig(setup=SCALED_SETUPS[scale]), 0)]


L7 = Claim(
    "L7",
    PAPER,
    "On few-shot images MAML's gain over NAL is larger on hard (within-alphabet) tasks than on "
    "easy ones, and meta-training on hard tasks beats meta-training on easy ones",
    hardness_cells,
    hardness_check,
    hardness_figure,
)
