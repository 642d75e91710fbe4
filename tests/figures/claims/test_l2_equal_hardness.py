"""Claim L2: the check passes for equal hardness and flips when hardness differs."""

from __future__ import annotations

from figures.claims.l2_equal_hardness import equal_hardness_check
from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import GainGridConfig
from tests.figures.claims.linear_cases import results, simulated


def test_l2_passes_for_equal_hardness_and_flips_when_hardness_differs():
    equal = MixtureSpec(rho_hard=0.9)
    right = results(GainGridConfig(mixture=equal), simulated(mixture=equal))
    assert equal_hardness_check(right).status == "PASS"
    differing = results(GainGridConfig(), simulated())
    verdict = equal_hardness_check(differing)
    assert verdict.status == "FAIL" and "differs from 1" in verdict.reason
