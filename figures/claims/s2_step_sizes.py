"""S2's inner step sizes: each method's official α, times the multiplier validation accuracy picks.

The official Sign-MAML code (mini-ImageNet 5-way 1-shot, 4-conv 32 filters on 84×84 images)
uses α = 0.14 for MAML, 0.1 for FO-MAML and 0.0035 for Sign-MAML (``OFFICIAL``). The loss is
the same here (5-way cross-entropy, mean over the queries), but a sign step moves every
weight by α whatever the gradient, so what it does depends on the weights' size, and that
differs: PyTorch's initialisation draws weights of size ~1/√fan_in, and the quick net (8
filters, 2 blocks on 14-pixel images) has fan-ins 9, 72 and, for the head, 72, against 27,
288 and 800 in the official net: its weights start 1.7–3.3× larger. Transplanting α unchanged
could handicap the sign step; rescaling it by a guessed factor could favour it. So every
method alike gets its official α times the multiplier m ∈ ``MULTIPLIERS`` with the best mean
accuracy on meta-validation classes (disjoint from meta-train and meta-test) over
``SWEEP_SEEDS`` (not the claim's seeds), in the quick set-up (``benchmarks.s2_step_sizes`` on
``s2_sign_maml.QUICK_SETUP``, 200 validation tasks per seed; best of each column in bold):

| m   | MAML (0.14 m) | FO-MAML (0.1 m) | Sign-MAML (0.0035 m) |
|-----|---------------|-----------------|----------------------|
| ½   | 0.780         | 0.721           | 0.622                |
| 1   | **0.792**     | 0.777           | 0.704                |
| 2   | 0.780         | **0.790**       | **0.715**            |
| 4   | 0.747         | 0.765           | 0.711                |
| 8   | 0.353         | 0.541           | 0.688                |

so the quick scale runs MAML at α = 0.14, FO-MAML at 0.2 and Sign-MAML at 0.007: the ratio
α_sign / α_FO stays the official 0.035.

The omniglot scale has its own sweep, on Omniglot's meta-validation alphabets in
``s2_sign_maml.OMNIGLOT_SETUP`` (``python -m benchmarks.s2_step_sizes --scale omniglot``, 200
validation tasks per seed, m = ¼ added where ½ was a column's best):

| m   | MAML (0.14 m) | FO-MAML (0.1 m) | Sign-MAML (0.0035 m) |
|-----|---------------|-----------------|----------------------|
| ¼   | 0.862         | 0.797           | 0.691                |
| ½   | 0.858         | **0.815**       | 0.746                |
| 1   | **0.872**     | 0.814           | 0.785                |
| 2   | 0.829         | 0.785           | **0.802**            |
| 4   | 0.773         | 0.710           | 0.783                |
| 8   | 0.514         | 0.670           | 0.746                |

so it runs MAML at α = 0.14, FO-MAML at 0.05 and Sign-MAML at 0.007 (FO-MAML's ½ and 1
differ by 0.001, well inside seed noise: the choice between them is a coin toss that the
rule makes, not a finding).

The paper scale keeps ``OFFICIAL`` (the paper's protocol, its net width); run
``python -m benchmarks.s2_step_sizes`` to redo the choice for other data or nets.

Example:
    >>> chosen_methods({"maml": 2.0, "fo-maml": 1.0, "sign-maml": 4.0})[2]
    ('sign-maml', 'sign-maml', 0.014)
"""

from __future__ import annotations

from figures.claims.fewshot import FewShotSetup
from figures.claims.s2_accuracy import Method, trained_accuracy
from synthetic import FewShotTasks

OFFICIAL = {"maml": 0.14, "fo-maml": 0.1, "sign-maml": 0.0035}
"""α of the official Sign-MAML code, mini-ImageNet 5-way 1-shot (REFERENCE.md §3)."""
MULTIPLIERS = (0.5, 1.0, 2.0, 4.0, 8.0)
SWEEP_SEEDS = (100, 101, 102)
QUICK_MULTIPLIERS = {"maml": 1.0, "fo-maml": 2.0, "sign-maml": 2.0}
"""The multipliers the sweep picked in the quick set-up (the table above)."""
OMNIGLOT_MULTIPLIERS = {"maml": 1.0, "fo-maml": 0.5, "sign-maml": 2.0}
"""The multipliers the sweep picked on Omniglot's meta-validation alphabets (second table)."""


def chosen_methods(multipliers: dict[str, float]) -> tuple[Method, ...]:
    """The three roles, each played by its own algorithm at official α × its multiplier."""
    return tuple(
        (role, role, round(official * multipliers[role], 10)) for role, official in OFFICIAL.items()
    )


def validation_accuracy(
    setup: FewShotSetup,
    algorithm: str,
    multiplier: float,
    seed: int,
    train_tasks: FewShotTasks,
    val_tasks: FewShotTasks,
) -> float:
    """Meta-validation accuracy of ``algorithm`` at ``OFFICIAL`` α × ``multiplier`` from
    ``seed``, meta-trained and adapted as in the claim's accuracy cells."""
    inner_lr = OFFICIAL[algorithm] * multiplier
    return trained_accuracy(setup, algorithm, inner_lr, seed, train_tasks, val_tasks)[0]


def best_multipliers(table: dict[str, dict[float, float]]) -> dict[str, float]:
    """Each method's multiplier with the highest mean validation accuracy.

    Example:
        >>> best_multipliers({"maml": {0.5: 0.7, 1.0: 0.8}, "sign-maml": {1.0: 0.6, 2.0: 0.65}})
        {'maml': 1.0, 'sign-maml': 2.0}
    """
    return {method: max(row, key=row.__getitem__) for method, row in table.items()}


def markdown_table(table: dict[str, dict[float, float]]) -> str:
    """The sweep as this module's docstring shows it: one row per multiplier, best in bold,
    "—" where a method was not run at that multiplier."""
    best = best_multipliers(table)
    multipliers = sorted({m for row in table.values() for m in row})
    header = "| m | " + " | ".join(f"{method} ({OFFICIAL[method]:g} m)" for method in table) + " |"
    lines = [header, "|---" * (len(table) + 1) + "|"]
    for m in multipliers:
        cells = [
            "—" if m not in row else (f"**{row[m]:.3f}**" if best[method] == m else f"{row[m]:.3f}")
            for method, row in table.items()
        ]
        lines.append(f"| {m:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
