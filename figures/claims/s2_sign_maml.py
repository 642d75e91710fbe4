"""Claim S2: Sign-MAML costs what FO-MAML costs, far less than MAML, and outperforms FO-MAML.

Fan, Ram, Liu (arXiv 2109.07497). Sign-MAML's inner step is
θ' = θ − α sign(∇L_support(θ)); sign has derivative 0, so its exact
meta-gradient is ∇L_query(θ'), FO-MAML's formula (claim S1), and it needs
no second-order pass. The official settings: 5-way 1-shot, 1 query per
class, meta-batch 8, Adam 1e-3, 5 inner steps in training and 10 at test,
each method its own α (``s2_step_sizes``).

Two parts, both required:

- cost (``s2_cost``): counted FLOPs of one meta-iteration of each method
  against the relations the algorithms' structure implies: FO-MAML's count
  is S support gradients plus one query gradient, Sign-MAML's equals it, and
  MAML's exceeds it by at least S support gradients (so MAML costs
  ≥ 1 + S/(S+1) = ×1.83 Sign-MAML's at S = 5). Deterministic: PASS or FAIL.
- accuracy (``s2_accuracy``): Sign-MAML − FO-MAML meta-test accuracy on
  classes disjoint from meta-train, seed-paired (same initial weights, task
  stream and test tasks per seed), ≥ 5 seeds: PASS when the 95% interval of
  the paired differences is above 0, FAIL below, INCONCLUSIVE across.

The verdict FAILS if a part fails, PASSES if both pass, else is
INCONCLUSIVE. MAML is trained and tested in the same cells; its accuracy,
the measured seconds per outer step and the published numbers (Fan et al.'s
mini-ImageNet run) are shown beside and never decide.

Example:
    >>> cells = sign_maml_cells("quick")
    >>> type(cells[0].config).__name__, [cell.seed for cell in cells[1:]]
    ('CostConfig', [0, 1, 2, 3, 4])
    >>> sign_maml_cells("paper")[1].config.methods
    (('maml', 'maml', 0.14), ('fo-maml', 'fo-maml', 0.1), ('sign-maml', 'sign-maml', 0.0035))
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis.statistics import mean_interval
from figures.claims.fewshot import SCALED_SETUPS, FewShotSetup
from figures.claims.published import MAML_MINI_IMAGENET, SIGN_MAML
from figures.claims.s2_accuracy import AccuracyConfig, accuracy_verdict, per_seed
from figures.claims.s2_cost import ROLES, CostConfig, cost_verdict, maml_lower_bound
from figures.claims.s2_step_sizes import (
    OFFICIAL,
    OMNIGLOT_MULTIPLIERS,
    QUICK_MULTIPLIERS,
    chosen_methods,
)
from figures.claims.seed_comparison import paired_differences, plot_paired_differences
from figures.engine.claim import SCALES, Cell, Claim, Evidence, Results, Verdict

PUBLISHED = {"maml": (0.5160, 0.326), "fo-maml": (0.4634, 0.116), "sign-maml": (0.4650, 0.123)}
"""Fan et al.'s run (mini-ImageNet 5-way 1-shot, 1000 test tasks): accuracy, seconds/iteration."""

QUICK_SETUP = FewShotSetup(
    queries=1,
    filters=8,
    meta_batch=4,
    iterations=100,
    test_tasks=200,
    eval_steps=(10,),
    inner_steps=5,
    glyph_alphabets=8,
    glyph_characters=8,
    glyph_drawings=10,
    image_size=14,
    blocks=2,
)
"""5-way 1-shot glyph tasks, 1 query per class, 5 inner steps in training and 10 at test, a
2-block 8-filter conv net on 14-pixel images: the official protocol, shrunk to fit the CPU."""
OMNIGLOT_SETUP = replace(
    SCALED_SETUPS["omniglot"],
    queries=1,
    meta_batch=8,
    iterations=500,
    eval_steps=(10,),
    inner_steps=5,
)
"""The official protocol on real Omniglot (28 pixels, 4 blocks, 1 query per class, 5 inner steps
in training and 10 at test, meta-batch 8), with 16 filters and 500 iterations to fit the hour;
step sizes from the sweep on Omniglot's meta-validation alphabets
(``s2_step_sizes.OMNIGLOT_MULTIPLIERS``)."""
PAPER_SETUP = FewShotSetup(
    queries=1,
    filters=32,
    meta_batch=8,
    iterations=60000,
    test_tasks=1000,
    eval_steps=(10,),
    inner_steps=5,
    image_size=84,
    dataset="mini-imagenet",
)
"""The official code's protocol (REFERENCE.md §3): miniImageNet 5-way 1-shot at 84 pixels, 4-conv
32 filters, meta-batch 8, Adam 1e-3, 5 inner steps in training and 10 at test, 1 query per class,
1000 test tasks, 60k iterations."""


class Run(NamedTuple):
    """What a scale runs: the set-up, each method's α multiplier, the seeds, the timing rounds."""

    setup: FewShotSetup
    multipliers: dict[str, float]
    seeds: int
    timing_rounds: int


RUNS = {
    "smoke": Run(replace(QUICK_SETUP, iterations=20, test_tasks=50), QUICK_MULTIPLIERS, 2, 1),
    "quick": Run(QUICK_SETUP, QUICK_MULTIPLIERS, 5, 5),
    "omniglot": Run(OMNIGLOT_SETUP, OMNIGLOT_MULTIPLIERS, 5, 5),
    "paper": Run(PAPER_SETUP, dict.fromkeys(OFFICIAL, 1.0), 5, 20),
}


def sign_maml_cells(scale: str) -> list[Cell]:
    """One cost cell (deterministic counts) and one accuracy cell per seed."""
    run = RUNS[scale]
    methods = chosen_methods(run.multipliers)
    return [Cell(CostConfig(run.setup, methods, run.timing_rounds), 0)] + [
        Cell(AccuracyConfig(run.setup, methods), seed) for seed in range(run.seeds)
    ]


def sign_maml_check(results: Results) -> Verdict:
    """The cost part and the accuracy part; the measured and published numbers beside."""
    (cost_result,) = results.of(CostConfig)
    cost, accuracy = cost_verdict(cost_result), accuracy_verdict(results.of(AccuracyConfig))
    evidence = Evidence(
        statistic=f"cost: {cost.evidence.statistic}; accuracy: {accuracy.evidence.statistic}",
        seeds=accuracy.evidence.seeds,
        resolvable=f"cost: {cost.evidence.resolvable}; accuracy: "
        f"{accuracy.evidence.resolvable} (fraction of queries correct)",
    )
    parts = [("cost", cost), ("accuracy", accuracy)]
    return Verdict.all_of(parts, evidence, f"beside, not deciding: {_beside(cost_result)}")


def _beside(cost_result: dict[str, Any]) -> str:
    """Measured seconds per outer step and the published accuracy and seconds, as text."""
    measured = {role: cost_result["roles"][role]["seconds_per_iteration"] for role in ROLES}
    published = PUBLISHED["maml"][1] / PUBLISHED["sign-maml"][1]
    return (
        "measured "
        + ", ".join(f"{role} {1e3 * measured[role]:.1f} ms" for role in ROLES)
        + f" per outer step (MAML/Sign-MAML ×{measured['maml'] / measured['sign-maml']:.2f}); "
        "published "
        + ", ".join(f"{role} {PUBLISHED[role][0]:.2%} {PUBLISHED[role][1]} s" for role in ROLES)
        + f" per iteration (×{published:.2f})"
    )


def sign_maml_figure(results: Results) -> Figure:
    """Cost relative to FO-MAML (counted, measured, published), accuracy against counted cost
    (this suite, published) and the seed-paired accuracy differences."""
    (cost_result,) = results.of(CostConfig)
    accuracy_results = results.of(AccuracyConfig)
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    _plot_cost(axes[0, 0], cost_result)
    _plot_tradeoff(axes[0, 1], cost_result, accuracy_results)
    _plot_published(axes[1, 0])
    plot_paired_differences(
        axes[1, 1],
        {
            "Sign-MAML − FO-MAML": paired_differences(
                per_seed(accuracy_results, "sign-maml"), per_seed(accuracy_results, "fo-maml")
            )
        },
    )
    axes[1, 1].set(ylabel="meta-test accuracy difference", title="seed-paired differences (95%)")
    figure.suptitle("S2: Sign-MAML vs FO-MAML vs MAML, held-out classes")
    figure.tight_layout()
    return figure


def _plot_cost(axis: Axes, cost_result: dict[str, Any]) -> None:
    roles = cost_result["roles"]
    relative = {
        "counted FLOPs": {r: roles[r]["flops_per_task"] for r in ROLES},
        "measured seconds": {r: roles[r]["seconds_per_iteration"] for r in ROLES},
        "published seconds": {r: PUBLISHED[r][1] for r in ROLES},
    }
    width = 0.8 / len(relative)
    for index, (label, values) in enumerate(relative.items()):
        heights = [values[r] / values["fo-maml"] for r in ROLES]
        axis.bar([i + index * width for i in range(len(ROLES))], heights, width, label=label)
    axis.axhline(
        maml_lower_bound(cost_result) / roles["fo-maml"]["flops_per_task"],
        color="black",
        linestyle="--",
        linewidth=0.8,
        label="MAML's lower bound (FLOPs)",
    )
    axis.set_xticks([i + width for i in range(len(ROLES))], list(ROLES))
    axis.set(ylabel="cost / FO-MAML's", title="cost per meta-iteration")
    axis.legend(fontsize=7)


def _plot_tradeoff(axis: Axes, cost_result: dict[str, Any], accuracy_results: list[dict]) -> None:
    for role in ROLES:
        if role not in accuracy_results[0]["roles"]:
            continue
        interval = mean_interval(list(per_seed(accuracy_results, role).values()))
        flops = cost_result["roles"][role]["flops_per_task"] * cost_result["meta_batch"]
        alpha = accuracy_results[0]["roles"][role]["inner_lr"]
        axis.errorbar(
            flops / 1e9,
            interval.mean,
            yerr=interval.half_width,
            marker="o",
            capsize=3,
            label=f"{role} (α={alpha:g})",
        )
    axis.set(
        xlabel="counted GFLOPs per meta-iteration",
        ylabel="meta-test accuracy (mean over seeds, 95%)",
        title="this suite",
    )
    axis.legend(fontsize=7)


def _plot_published(axis: Axes) -> None:
    for role, (accuracy, seconds) in PUBLISHED.items():
        axis.scatter(seconds, accuracy, label=f"{role} (α={OFFICIAL[role]:g})")
    axis.set(
        xlabel="seconds per iteration",
        ylabel="meta-test accuracy",
        title="published (Fan et al., mini-ImageNet 5-way 1-shot)",
    )
    axis.legend(fontsize=7)


S2 = Claim(
    "S2",
    "Fan, Ram, Liu 2021, Sign-MAML (arXiv 2109.07497)",
    "Sign-MAML's cost per iteration ≈ FO-MAML's ≪ MAML's (counted FLOPs), and Sign-MAML "
    "outperforms FO-MAML in meta-test accuracy (seed-paired)",
    sign_maml_cells,
    sign_maml_check,
    sign_maml_figure,
    scales=SCALES,
    published=(SIGN_MAML, MAML_MINI_IMAGENET),
)
