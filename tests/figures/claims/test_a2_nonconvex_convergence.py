"""Claim A2: the check's outcomes, its flip on the convex head, and step sizes that disagree."""

from __future__ import annotations

from figures.claims.a2_nonconvex_convergence import degradation_check
from tests.figures.claims.anil_cases import trend_results


def test_a2_check_logic():
    degrading = {1: [2.0, 2.1, 2.0], 20: [3.0, 3.1, 3.0]}
    assert degradation_check(trend_results(degrading)).status == "PASS"
    improving = {1: [3.0, 3.1, 3.0], 20: [2.0, 2.1, 2.0]}
    assert degradation_check(trend_results(improving)).status == "FAIL"


def test_a2_fails_for_the_convex_head_but_not_for_the_nonconvex_one(trained):
    """A2's effect is small: runs this short leave it unresolved (the quick scale resolves it)."""
    assert degradation_check(trained["convex"]).status == "FAIL"
    assert degradation_check(trained["nonconvex"]).status != "FAIL"


def test_a2_directions_that_differ_with_the_step_size_are_inconclusive():
    degrading = trend_results({1: [2.0, 2.1, 2.0], 20: [2.5, 2.6, 2.55]})
    improving = trend_results({1: [3.0, 3.1, 3.0], 20: [2.1, 2.2, 2.15]})
    for result in degrading:
        result["inner_lr"] = 0.5
    for result in improving:
        result["inner_lr"] = 0.075
    verdict = degradation_check(degrading + improving)
    assert verdict.status == "INCONCLUSIVE" and "depends on the inner step size" in verdict.reason
    assert degradation_check(degrading).status == "PASS"
