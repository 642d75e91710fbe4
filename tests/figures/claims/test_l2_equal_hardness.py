"""Claim L2: equivalence with 1 over seeds, flipped by a hardness discrepancy; closed form = 1."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.l2_equal_hardness import (
    EQUAL,
    L2,
    L2_CLOSED_FORM,
    closed_form_check,
    equal_hardness_check,
)
from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import GainGridConfig
from figures.engine.claim import Cell, Results
from tests.figures.claims.linear_cases import results, simulated


def seeded(config, seeds=3) -> Results:
    return Results.computed(Cell(config, seed) for seed in range(seeds))


def test_l2_passes_for_equal_hardness_and_fails_when_hardness_differs():
    """The minimisers' simulated gains (no training, so cheap) go through the same check."""
    right = equal_hardness_check(seeded(simulated(mixture=EQUAL, trained=False)))
    assert right.status == "PASS", right.reason
    assert right.evidence.seeds == 3
    differing = equal_hardness_check(seeded(simulated(mixture=MixtureSpec(), trained=False)))
    assert differing.status == "FAIL" and "wholly outside" in differing.reason


def test_l2_is_inconclusive_with_one_seed():
    one_seed = seeded(simulated(mixture=EQUAL, trained=False), seeds=1)
    assert equal_hardness_check(one_seed).status == "INCONCLUSIVE"


def test_l2_closed_form_is_an_implementation_check_that_flips_with_differing_hardness():
    assert L2_CLOSED_FORM.kind == "implementation check" and L2.kind == "paper claim"
    assert closed_form_check(results(GainGridConfig(mixture=EQUAL))).status == "PASS"
    assert closed_form_check(results(GainGridConfig())).status == "FAIL"


def test_l2_runs_five_seeds_at_quick_scale():
    assert sorted(cell.seed for cell in L2.cells("quick")) == [0, 1, 2, 3, 4]
    assert all(replace(cell.config).mixture == EQUAL for cell in L2.cells("paper"))
