"""Claim L7: on few-shot images MAML gains more over NAL on hard tasks; hard training matters.

Collins, Mokhtari, Shakkottai 2022 (arXiv 2010.14672): the abstract says the
few-shot image experiments "support our insights for when MAML should be
used and emphasize the importance of training MAML on hard tasks". The
paper's own definition of a hard image task could not be read here (the
copies of the paper reachable here hold only its abstract and introduction),
so the operationalisation is the suite's (REFERENCE.md, L7): a *hard* task
draws its N classes from one alphabet (``mode="within"``: the characters
share strokes), an *easy* task from N different alphabets (``mode="between"``).
That within-alphabet Omniglot tasks are the harder ones is the usual reading
(Lake et al.'s original one-shot runs draw their classes from one alphabet;
github.com/jvlmdr/omniglot-eval compares that with unstructured draws); the
paper's own notion of hardness, how slowly gradient descent contracts a
task's error, is not measured for these tasks.

Arms, one cell per (seed, arm): MAML and NAL meta-trained on the hard/easy
mixture with p = ½ (every meta-batch half hard, half easy: the theory's
two-cluster mixture), and MAML meta-trained on hard tasks only and on easy
tasks only. For a seed s every arm starts from the same initialisation,
draws its meta-batches from the same generator seed and is scored on the
same held-out tasks, hard and easy, after one adaptation step (the one
meta-trained). Meta-test alphabets are disjoint from meta-train alphabets:
asserted when the cell runs, recorded in its result, and refused by the check.

The scale has no ceiling: each score is the log-odds of meta-test accuracy,
ℓ = log(p̂ / (1 − p̂)) with p̂ = (k + ½)/(n + 1) for k correct of the n query
predictions pooled over the test tasks. (On accuracy itself the easy tasks,
near 1, compress every gain: 0.95 → 0.99 is +0.04 in accuracy but +1.7 in
log-odds, which would favour "larger gain on hard tasks".) Per seed:

    gain_kind(s) = ℓ(MAML on the mixture, kind) − ℓ(NAL on the mixture, kind)
    d_s = gain_hard(s) − gain_easy(s)                                    (claim 1)
    e_s = ℓ(MAML trained on hard, hard) − ℓ(MAML trained on easy, hard)  (claim 2)

``seed_comparison.paired_verdict`` decides on d and e together: PASS when
both 95% t intervals over the seeds lie above 0, FAIL when one lies below 0,
INCONCLUSIVE otherwise. With NAL in MAML's role every gain is 0 and the
claim cannot PASS; with hard and easy swapped d and e change sign.

Example:
    >>> log_odds(torch.tensor([1.0, 0.0]), predictions_per_task=5)
    0.0
    >>> setup = replace(QUICK_SETUP, ways=2, filters=2, iterations=2, test_tasks=4,
    ...                 glyph_alphabets=8, glyph_characters=4, glyph_drawings=6)
    >>> result = arm_experiment(LandscapeArm(setup, "nal", "mixture"), seed=0)
    >>> sorted(result["log_odds"]), set(result["train_alphabets"]) & set(result["test_alphabets"])
    (['easy', 'hard'], set())
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

from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup
from figures.claims.fewshot_cost import evaluation_seconds, protocol, training_seconds
from figures.claims.published import FO_MAML_OMNIGLOT, LEARN2LEARN, MAML_OMNIGLOT
from figures.claims.seed_comparison import (
    paired_differences,
    paired_verdict,
    plot_paired_differences,
    plot_seed_intervals,
)
from figures.engine.claim import SCALES, Cell, Claim, Results, Verdict
from synthetic import FewShotTasks, ImageClasses, TaskBatch, TaskSampler
from synthetic.class_splits import check_disjoint
from synthetic.validation import require_positive

PAPER = "Collins, Mokhtari, Shakkottai 2022 (arXiv 2010.14672), few-shot image experiments"
TASK_MODES = {"hard": "within", "easy": "between"}
"""Which ``FewShotTasks`` mode makes each kind of task (the suite's operationalisation)."""
TRAININGS = ("mixture", "hard", "easy")
ALGORITHMS = ("maml", "nal")
ARMS = (("maml", "mixture"), ("nal", "mixture"), ("maml", "hard"), ("maml", "easy"))
BATCH_TENSORS = ("support_x", "support_y", "query_x", "query_y")
WHAT = "log-odds of meta-test accuracy on unseen alphabets"

QUICK_SETUP = FewShotSetup(
    filters=8,
    meta_batch=8,
    iterations=200,
    outer_lr=3e-3,
    test_tasks=200,
    eval_steps=(1,),
    image_size=14,
    blocks=2,
)
"""The quick scale: 14-pixel glyphs and a 2-block, 8-filter conv net, so 4 arms × 5 seeds fit."""


@dataclass(frozen=True)
class LandscapeArm:
    """``algorithm`` meta-trained on ``training`` tasks (the mixture, hard or easy ones).

    ``omniglot`` and ``device`` (filled in by the runner) replace the setup's own.
    """

    setup: FewShotSetup = QUICK_SETUP
    algorithm: str = "maml"
    training: str = "mixture"
    inner_lr: float = 0.4
    omniglot: tuple[str, ...] | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {self.algorithm!r}")
        if self.training not in TRAININGS:
            raise ValueError(f"training must be one of {TRAININGS}, got {self.training!r}")
        if self.setup.inner_steps not in self.setup.eval_steps:
            raise ValueError(
                f"the setup's eval_steps {self.setup.eval_steps} must include its "
                f"inner_steps = {self.setup.inner_steps}: L7 scores the meta-trained adaptation"
            )
        require_positive("inner_lr", self.inner_lr)

    def run(self, seed: int) -> dict[str, Any]:
        return arm_experiment(self, seed)

    def check_inputs(self) -> None:
        """Refuse data too small for these tasks before any cell runs."""
        self.setup.at(self.device, self.omniglot).check_fits("L7", tuple(TASK_MODES.values()))

    def estimated_seconds(self) -> float:
        """Training and scoring on hard and easy tasks, from a timing probe."""
        setup = self.setup.at(self.device, self.omniglot)
        return training_seconds(setup, self.algorithm, self.inner_lr) + len(
            TASK_MODES
        ) * evaluation_seconds(setup, self.algorithm, self.inner_lr)

    def protocol(self) -> dict[str, str]:
        return protocol(self.setup.at(self.device, self.omniglot), self.inner_lr)


@dataclass(frozen=True)
class HalfHardMixture:
    """Tasks half hard, half easy (the first ⌈B/2⌉ of a batch hard): a ``TaskSampler``."""

    hard: FewShotTasks
    easy: FewShotTasks

    def sample(self, num_tasks: int, generator: torch.Generator) -> TaskBatch:
        counts = ((self.hard, num_tasks - num_tasks // 2), (self.easy, num_tasks // 2))
        parts = [tasks.sample(count, generator) for tasks, count in counts if count > 0]
        return TaskBatch(
            *(torch.cat([getattr(part, name) for part in parts]) for name in BATCH_TENSORS),
            {key: torch.cat([part.info[key] for part in parts]) for key in parts[0].info},
        )


def training_tasks(setup: FewShotSetup, dataset: ImageClasses, training: str) -> TaskSampler:
    """The meta-training task distribution ``training`` on ``dataset``."""
    if training == "mixture":
        return HalfHardMixture(*(setup.tasks(dataset, TASK_MODES[k]) for k in ("hard", "easy")))
    return setup.tasks(dataset, TASK_MODES[training])


def log_odds(per_task_accuracy: torch.Tensor, predictions_per_task: int) -> float:
    """log(p̂/(1 − p̂)), p̂ = (k + ½)/(n + 1): k correct of n predictions pooled over tasks."""
    correct = float((per_task_accuracy.double() * predictions_per_task).round().sum())
    total = per_task_accuracy.numel() * predictions_per_task
    rate = (correct + 0.5) / (total + 1)
    return math.log(rate / (1 - rate))


def arm_experiment(config: LandscapeArm, seed: int) -> dict[str, Any]:
    """Meta-train the arm from the seed's initialisation; score it on unseen hard and easy tasks."""
    setup = config.setup.at(config.device, config.omniglot)
    splits = setup.splits()
    check_disjoint(train=splits.train, test=splits.test)
    tasks = training_tasks(setup, splits.train, config.training)
    learner, params, _ = setup.trained(config.algorithm, config.inner_lr, tasks, seed)
    scores: dict[str, dict[str, float]] = {"log_odds": {}, "accuracy": {}}
    for kind, mode in TASK_MODES.items():
        report = setup.accuracy(learner, params, setup.tasks(splits.test, mode), seed)
        per_task = report[setup.inner_steps]
        scores["log_odds"][kind] = log_odds(per_task, setup.ways * setup.queries)
        scores["accuracy"][kind] = float(per_task.mean())
    return {
        "seed": seed,
        "algorithm": config.algorithm,
        "training": config.training,
        "eval_step": setup.inner_steps,
        **scores,
        "train_alphabets": sorted(set(splits.train.groups)),
        "test_alphabets": sorted(set(splits.test.groups)),
    }


def arm_scores(results: Results, algorithm: str, training: str, kind: str) -> dict[int, float]:
    """{seed: log-odds on ``kind`` test tasks} of one arm; an arm twice for a seed is an error."""
    scores: dict[int, float] = {}
    for result in results:
        if (result["algorithm"], result["training"]) == (algorithm, training):
            if result["seed"] in scores:
                raise ValueError(
                    f"arm {algorithm}@{training} has two results for seed {result['seed']}"
                )
            scores[result["seed"]] = result["log_odds"][kind]
    return scores


def gains(results: Results, kind: str) -> dict[int, float]:
    """{seed: gain_kind(s)}: MAML's log-odds minus NAL's, both meta-trained on the mixture."""
    maml, nal = (arm_scores(results, algorithm, "mixture", kind) for algorithm in ALGORITHMS)
    return {seed: maml[seed] - nal[seed] for seed in sorted(set(maml) & set(nal))}


def comparisons(results: Results) -> list[tuple[str, dict[int, float], dict[int, float]]]:
    """(name, better, worse) of claims 1 and 2, each side {seed: value}."""
    return [
        ("gain on hard − gain on easy", gains(results, "hard"), gains(results, "easy")),
        (
            "MAML trained on hard − on easy, tested on hard",
            arm_scores(results, "maml", "hard", "hard"),
            arm_scores(results, "maml", "easy", "hard"),
        ),
    ]


def landscape_check(results: Results) -> Verdict:
    """L7: the seed-paired d (gain difference) and e (hard training) both above 0."""
    leaked = [r["seed"] for r in results if set(r["train_alphabets"]) & set(r["test_alphabets"])]
    if leaked:
        raise ValueError(f"seeds {leaked} scored on meta-trained alphabets: not a held-out test")
    verdict = paired_verdict(comparisons(results), WHAT)
    context = "; ".join(
        f"MAML − NAL on {kind} tasks {seed_summary(gains(results, kind))}" for kind in TASK_MODES
    )
    evidence = replace(verdict.evidence, resolvable=f"{verdict.evidence.resolvable} log-odds")
    return Verdict(verdict.status, f"{verdict.reason}; {context}", evidence)


def seed_summary(per_seed: dict[int, float]) -> str:
    """Mean over seeds and the range of the per-seed values."""
    values = list(per_seed.values())
    return f"{sum(values) / len(values):+.2f} (seeds {min(values):+.2f} … {max(values):+.2f})"


def landscape_figure(results: Results) -> Figure:
    """Left: the seed-paired differences d and e; right: MAML's gain over NAL by task kind."""
    figure, (differences, gain_axis) = plt.subplots(1, 2, figsize=(10, 3.8))
    plot_paired_differences(
        differences,
        {
            name.replace(", tested", ",\ntested"): paired_differences(better, worse)
            for name, better, worse in comparisons(results)
        },
    )
    differences.set(ylabel="Δ log-odds (paired by seed)", title="L7: the two claims, 95% interval")
    differences.tick_params(axis="x", labelsize=7)
    plot_seed_intervals(
        gain_axis,
        {
            f"{kind} ({mode}-alphabet)": list(gains(results, kind).values())
            for kind, mode in TASK_MODES.items()
        },
    )
    gain_axis.axhline(0.0, color="black", linewidth=0.8)
    gain_axis.set(ylabel="log-odds MAML − NAL", title="L7: MAML's gain over NAL, by test task")
    figure.tight_layout()
    return figure


L7_SETUPS = {
    "smoke": replace(QUICK_SETUP, filters=4, iterations=5, test_tasks=20),
    "quick": QUICK_SETUP,
    "omniglot": replace(SCALED_SETUPS["omniglot"], ways=3, split_fractions=(0.5, 0.1, 0.4)),
    "paper": replace(SCALED_SETUPS["paper"], eval_steps=(1,)),
}
"""Omniglot: the shared small splits' 8 alphabets dealt 4 / 1 / 3, so that the meta-test split
holds 3 alphabets and an easy (between-alphabet) task can have 3 ways; 16 filters, 1000
iterations. Paper: Finn et al.'s Omniglot 5-way 1-shot protocol (REFERENCE.md §6: 64 filters,
α = 0.4, one step, meta-batch 32, 60 000 iterations, 28-pixel images) and 600 test tasks."""
SEEDS = {"smoke": 2, "quick": 5, "omniglot": 5, "paper": 5}


def landscape_cells(scale: str) -> list[Cell]:
    """One cell per seed and arm, all arms of a seed on one set-up (so on the same test tasks)."""
    setup = L7_SETUPS[scale]
    return [
        Cell(LandscapeArm(setup, algorithm, training), seed)
        for seed in range(SEEDS[scale])
        for algorithm, training in ARMS
    ]


L7 = Claim(
    "L7",
    PAPER,
    "On few-shot images MAML's gain over NAL is larger on hard (within-alphabet) tasks than on "
    "easy ones, and meta-training on hard tasks beats meta-training on easy ones",
    landscape_cells,
    landscape_check,
    landscape_figure,
    scales=SCALES,
    published=(MAML_OMNIGLOT, FO_MAML_OMNIGLOT, LEARN2LEARN),
)
