"""Claim G2: as Sharp-MAML_low's inner rule, Agnostic-SAM matches or beats SAM's (Nguyen et al.).

Two arms on H2's protocol (``figures.claims.h2_sharp_accuracy``: glyph
alphabets or Omniglot, 5-way 1-shot, meta-test alphabets disjoint from the
meta-train ones): Sharp-MAML_low with the SAM inner rule
(``sharp-maml-low``, the reference) and with the Agnostic-SAM inner rule
(``sharp-maml-agnostic``: validation batch = every 4th support example,
never query data), both at ρ_low = ``rho``, each adapting with its own rule
at meta-test time. One cell per (seed, arm); for a seed both arms start
from the same initialisation, meta-train on the same task stream and are
scored on the same test tasks, so the unit is the seed-paired difference

    d_s = a_agnostic,s − a_low,s        (meta-test accuracy, mean over the test tasks),

decided by ``seed_comparison.paired_verdict`` (PASS: the 95% t interval of d
lies above 0; FAIL: below; else INCONCLUSIVE: a "match" cannot be told from
an unresolved difference, and the evidence's half-width says how close). The check refuses results
whose meta-test classes were meta-trained. The negative control puts the SAM
inner rule in Agnostic-SAM's role: every d_s is 0, so it can never PASS.

Example:
    >>> cells = inner_rule_cells("quick")
    >>> len(cells), {cell.config.roles for cell in cells} == {(role,) for role in INNER_RULE_ROLES}
    (10, True)
"""

from __future__ import annotations

from figures.claims.g1_label_noise import PAPER
from figures.claims.h2_sharp_accuracy import accuracy_figure, arm_cells, paired_accuracy_verdict
from figures.engine.claim import SCALES, Cell, Claim, Evidence, Results, Verdict

REFERENCE_ROLE = "sharp-maml-low"
INNER_RULE_ROLES = ((REFERENCE_ROLE, REFERENCE_ROLE), ("sharp-maml-agnostic",) * 2)


def inner_rule_check(results: Results) -> Verdict:
    """G2: seed-paired meta-test accuracy, Agnostic-SAM inner rule − SAM inner rule."""
    if not results:
        return Verdict("INCONCLUSIVE", "no results", Evidence("none", 0, "nothing (no results)"))
    return paired_accuracy_verdict(
        results,
        REFERENCE_ROLE,
        "meta-test accuracy on unseen alphabets, Agnostic-SAM inner rule − SAM inner rule",
    )


def inner_rule_cells(scale: str) -> list[Cell]:
    """H2's cells (``h2_sharp_accuracy.arm_cells``), one per seed and inner rule."""
    return arm_cells(scale, INNER_RULE_ROLES)


G2 = Claim(
    "G2",
    PAPER,
    "As the inner step of Sharp-MAML_low, Agnostic-SAM matches or beats the SAM inner step",
    inner_rule_cells,
    inner_rule_check,
    accuracy_figure,
    scales=SCALES,
)
