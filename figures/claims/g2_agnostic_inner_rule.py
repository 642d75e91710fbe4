"""Claim G2: as Sharp-MAML_low's inner rule, Agnostic-SAM matches or beats SAM's (Nguyen et al.).

Sharp-MAML_low with the Agnostic-SAM inner rule (``sharp-maml-agnostic``;
validation batch = every 4th support example, never query data) against
Sharp-MAML_low, with the H2 protocol of ``figures.claims.h2_sharp_accuracy``
(glyph alphabets, held-out alphabets, seed intervals). The negative control
puts the SAM inner rule in Agnostic-SAM's role: identical accuracies can
never PASS.

Example:
    >>> {cell.config.roles for cell in inner_rule_cells("smoke")} == {INNER_RULE_ROLES}
    True
"""

from __future__ import annotations

import dataclasses

from figures.claims.g1_label_noise import PAPER
from figures.claims.h2_sharp_accuracy import accuracy_cells, accuracy_figure, seed_interval
from figures.claims.seed_comparison import comparison_verdict
from figures.engine.claim import Cell, Claim, Results, Verdict

INNER_RULE_ROLES = (("sharp-maml-low", "sharp-maml-low"), ("sharp-maml-agnostic",) * 2)


def inner_rule_check(results: Results) -> Verdict:
    """G2: Sharp-MAML_low with the Agnostic-SAM inner rule vs with the SAM inner rule."""
    if not results:
        return Verdict("INCONCLUSIVE", "no results")
    return comparison_verdict(
        [
            (
                "agnostic inner rule vs SAM inner rule",
                seed_interval(results, "sharp-maml-agnostic"),
                seed_interval(results, "sharp-maml-low"),
            )
        ],
        "meta-test accuracy on unseen alphabets",
    )


def inner_rule_cells(scale: str) -> list[Cell]:
    """H2's cells (``h2_sharp_accuracy.accuracy_cells``) with the two inner rules as roles."""
    return [
        Cell(dataclasses.replace(cell.config, roles=INNER_RULE_ROLES), cell.seed)
        for cell in accuracy_cells(scale)
    ]


G2 = Claim(
    "G2",
    PAPER,
    "As the inner step of Sharp-MAML_low, Agnostic-SAM matches or beats the SAM inner step",
    inner_rule_cells,
    inner_rule_check,
    accuracy_figure,
)
