"""Claim G2: seed-paired through one check; meta-test classes never meta-trained; SAM's rule in
Agnostic-SAM's role cannot pass."""

from __future__ import annotations

import pytest

from figures.claims.g2_agnostic_inner_rule import (
    G2,
    INNER_RULE_ROLES,
    REFERENCE_ROLE,
    inner_rule_check,
)
from figures.claims.h2_sharp_accuracy import AccuracyConfig
from figures.engine.claim import Cell, Results
from tests.figures.claims.sharp_cases import TINY_SETUP, seeded_accuracies

AGNOSTIC = "sharp-maml-agnostic"


def test_g2_check_passes_on_a_paired_gain_and_fails_when_reversed():
    """Overlapping seed intervals, but every seed gains 0.01–0.02: the pairing resolves it."""
    low = [0.40, 0.50, 0.45, 0.55, 0.42]
    gained = [a + d for a, d in zip(low, (0.02, 0.01, 0.015, 0.02, 0.01))]
    verdict = inner_rule_check(seeded_accuracies({REFERENCE_ROLE: low, AGNOSTIC: gained}))
    assert verdict.status == "PASS" and verdict.evidence.seeds == 5
    reversed_ = inner_rule_check(seeded_accuracies({REFERENCE_ROLE: gained, AGNOSTIC: low}))
    assert reversed_.status == "FAIL"
    assert inner_rule_check([]).status == "INCONCLUSIVE"


def test_g2_check_refuses_a_test_on_meta_trained_classes():
    results = seeded_accuracies({REFERENCE_ROLE: [0.4, 0.5], AGNOSTIC: [0.5, 0.6]})
    results[1]["test_classes"] = results[1]["train_classes"]
    with pytest.raises(ValueError, match="meta-trained classes"):
        inner_rule_check(results)


def test_g2_with_the_sam_rule_in_the_agnostic_role_cannot_pass():
    """The negative control on real runs: Sharp-MAML_low trained in its own and in Agnostic's
    role, one cell per (seed, arm), gives the same accuracy seed by seed: Δ = 0."""
    roles = ((REFERENCE_ROLE, REFERENCE_ROLE), (AGNOSTIC, REFERENCE_ROLE))
    results = Results.computed(
        [
            Cell(AccuracyConfig(TINY_SETUP, roles=(role,)), seed)
            for seed in range(2)
            for role in roles
        ]
    )
    by_role = {role: [r["roles"][role] for r in results if role in r["roles"]] for role, _ in roles}
    assert [a["test_accuracy"] for a in by_role[AGNOSTIC]] == [
        a["test_accuracy"] for a in by_role[REFERENCE_ROLE]
    ]
    assert all(not set(r["train_classes"]) & set(r["test_classes"]) for r in results)
    assert inner_rule_check(results).status == "INCONCLUSIVE"


def test_g2_cells_are_one_per_seed_and_inner_rule_with_at_least_five_seeds():
    for scale in ("quick", "paper"):
        cells = G2.cells(scale)
        seeds = {cell.seed for cell in cells}
        assert len(seeds) >= 5 and len(cells) == len(seeds) * len(INNER_RULE_ROLES)
        assert {cell.config.roles for cell in cells} == {(role,) for role in INNER_RULE_ROLES}
