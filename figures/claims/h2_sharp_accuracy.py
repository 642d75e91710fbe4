"""Claim H2: each Sharp-MAML variant's meta-test accuracy on held-out classes is ≥ MAML's.

Abbas et al.'s accuracy claim, at CPU scale. MAML and each variant (ρ =
``rho``) meta-train from one initialisation on the same stream of 5-way 1-shot
tasks of a ``figures.claims.fewshot.FewShotSetup``: glyph alphabets by default, or
Omniglot (``omniglot=PATH``). They are scored on ``test_tasks`` tasks of the
meta-test alphabets after max(``eval_steps``) adaptation steps (one: the
number each learner meta-trains with). ``FewShotSetup.splits`` deals whole
alphabets to meta-train / -val / -test (one split, the same for every seed,
about 60 / 10 / 30% of the classes) and asserts that no meta-test class is
meta-trained. As in the official code, low / both / efficient adapt with
the SAM inner step at test time and up with plain gradient steps (each
learner's own inner rule).

The unit is the seed (initialisation, training tasks, test tasks; the class
split is the same for every seed): the mean over seeds of each seed's
accuracy a_s, with its 95% Student-t interval. The check
(``figures.claims.seed_comparison``): a variant whose interval lies wholly above
MAML's beats it, wholly below loses; PASS needs every variant above, one
below FAILS, overlapping intervals are INCONCLUSIVE, never PASS. With ρ = 0
every variant takes MAML's steps, its accuracies are MAML's and it cannot PASS.

Example:
    >>> setup = replace(QUICK_SETUP, filters=2, iterations=2, test_tasks=4, glyph_alphabets=4,
    ...                 glyph_characters=5, glyph_drawings=4)
    >>> result = accuracy_experiment(AccuracyConfig(setup, roles=(("maml", "maml"),)), seed=0)
    >>> set(result["train_classes"]).isdisjoint(result["test_classes"])
    True
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from analysis.statistics import MeanInterval, mean_interval
from figures.claims.fewshot import FewShotSetup
from figures.claims.seed_comparison import comparison_verdict, plot_seed_intervals
from figures.claims.sharp_family import PAPER, VARIANTS, require_algorithms
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic.validation import require_non_negative, require_positive

QUICK_SETUP = FewShotSetup(
    queries=3,
    filters=8,
    meta_batch=4,
    iterations=100,
    test_tasks=200,
    eval_steps=(1,),
    glyph_alphabets=8,
    glyph_characters=8,
    glyph_drawings=10,
)
"""H2's few-shot set-up at the quick scale: 8 alphabets, 5 of them meta-trained, 2 meta-tested."""


@dataclass(frozen=True)
class AccuracyConfig:
    """Meta-train each role's algorithm on ``setup``'s meta-train classes; score on its meta-test.

    ``roles`` maps each role to the algorithm trained for it; a wrong variant in
    a role is how the tests check that the verdict can flip. ``omniglot`` and
    ``device`` (filled in by the runner) replace the setup's own.
    """

    setup: FewShotSetup = QUICK_SETUP
    roles: tuple[tuple[str, str], ...] = tuple((a, a) for a in ("maml", *VARIANTS))
    rho: float = 0.05
    inner_lr: float = 0.4
    omniglot: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_algorithms(
            "roles' algorithms",
            tuple(a for _, a in self.roles),
            ("maml", *VARIANTS, "sharp-maml-agnostic"),
        )
        require_non_negative("rho", self.rho)
        require_positive("inner_lr", self.inner_lr)

    def run(self, seed: int) -> dict[str, Any]:
        return accuracy_experiment(self, seed)


def accuracy_experiment(config: AccuracyConfig, seed: int) -> dict[str, Any]:
    """Train every role's algorithm from one initialisation; accuracy on unseen alphabets."""
    setup = config.setup.at(config.device, config.omniglot)
    splits = setup.splits()
    train_tasks, test_tasks = setup.tasks(splits.train), setup.tasks(splits.test)
    step = max(setup.eval_steps)
    result: dict[str, Any] = {"eval_step": step, "roles": {}}
    result["train_classes"] = list(splits.train.names)
    result["test_classes"] = list(splits.test.names)
    for role, algorithm in config.roles:
        options = {} if algorithm == "maml" else {"rho": config.rho}
        learner = setup.learner(algorithm, config.inner_lr, seed, **options)
        trained = setup.meta_train(learner, train_tasks, seed)
        report = setup.accuracy(learner, trained.params, test_tasks, seed)
        result["roles"][role] = {
            "algorithm": algorithm,
            "train_seconds": trained.seconds,
            "final_train_loss": statistics.fmean(trained.losses[-10:]),
            "test_accuracy": mean_interval(report[step]).as_dict(),
        }
    return result


def seed_accuracies(results: Results, role: str) -> list[float]:
    """Each seed's meta-test accuracy of ``role``."""
    return [result["roles"][role]["test_accuracy"]["mean"] for result in results]


def seed_interval(results: Results, role: str) -> MeanInterval:
    """Mean over seeds of each seed's meta-test accuracy of ``role``, with its interval."""
    return mean_interval(seed_accuracies(results, role))


def accuracy_check(results: Results) -> Verdict:
    """H2: each variant's seed interval of meta-test accuracy against MAML's."""
    if not results:
        return Verdict("INCONCLUSIVE", "no results")
    maml = seed_interval(results, "maml")
    pairs = [
        (role, seed_interval(results, role), maml) for role in results[0]["roles"] if role != "maml"
    ]
    return comparison_verdict(pairs, "meta-test accuracy on unseen alphabets, variant vs MAML")


def accuracy_figure(results: Results) -> Figure:
    """Seed-mean meta-test accuracy of every role with its 95% interval, and each seed's value."""
    figure, axis = plt.subplots(figsize=(6.5, 3.6))
    roles = results[0]["roles"] if results else {}
    plot_seed_intervals(axis, {role: seed_accuracies(results, role) for role in roles})
    axis.tick_params(axis="x", labelrotation=20, labelsize=7)
    axis.set(ylabel="meta-test accuracy (95% CI over seeds)", title="held-out alphabets, 5-way")
    figure.tight_layout()
    return figure


def accuracy_cells(scale: str) -> list[Cell]:
    paper_glyphs = {"glyph_alphabets": 20, "glyph_characters": 15, "glyph_drawings": 20}
    setups = {
        "smoke": replace(QUICK_SETUP, iterations=3, test_tasks=10, filters=4),
        "quick": QUICK_SETUP,
        "paper": replace(QUICK_SETUP, filters=32, iterations=5000, test_tasks=600, **paper_glyphs),
    }
    seeds = {"smoke": 1, "quick": 3, "paper": 5}[scale]
    return [Cell(AccuracyConfig(setups[scale]), seed) for seed in range(seeds)]


H2 = Claim(
    "H2",
    PAPER,
    "Each Sharp-MAML variant's meta-test accuracy on held-out classes is ≥ MAML's",
    accuracy_cells,
    accuracy_check,
    accuracy_figure,
)
