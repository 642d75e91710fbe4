"""Claim L5: κ_MAML > κ_NAL and more GD iterations; the (1 − 1/κ)^{2k} bound checked apart."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.l5_conditioning import (
    L5,
    L5_BOUND,
    ConditioningConfig,
    conditioning_check,
    worse_conditioning_check,
)
from figures.claims.linear_experiments import MixtureSpec
from figures.engine.claim import Cell, Results
from tests.figures.claims.linear_cases import results


def test_l5_bound_passes_and_flips_when_predicting_from_the_other_objective():
    configs = [ConditioningConfig(mixture=MixtureSpec(condition=c)) for c in (2.0, 4.0)]
    assert conditioning_check(results(*configs)).status == "PASS"
    swapped = [replace(c, predict_with="swapped") for c in configs]
    assert conditioning_check(results(*swapped)).status == "FAIL"
    assert L5_BOUND.kind == "implementation check"


def test_l5_passes_over_seeds_and_fails_on_an_isotropic_equal_hardness_mixture():
    cells = L5.cells("quick")
    verdict = worse_conditioning_check(Results.computed(cells))
    assert verdict.status == "PASS", verdict.reason
    assert verdict.evidence.seeds == 5
    isotropic = MixtureSpec(condition=1.0, rho_hard=0.9, spread_hard=1.0)
    control = [Cell(ConditioningConfig(mixture=isotropic), seed) for seed in range(3)]
    assert worse_conditioning_check(Results.computed(control)).status == "FAIL"
