"""Claim A1: the check's three outcomes; it passes on the convex head, flips on the MLP head."""

from __future__ import annotations

from figures.claims.a1_convex_convergence import improvement_check
from tests.figures.claims.anil_cases import trend_results


def test_a1_check_logic():
    saturating = {
        1: [3.1, 3.0, 3.2],
        2: [2.7, 2.6, 2.8],
        10: [2.3, 2.2, 2.3],
        20: [2.28, 2.2, 2.27],
    }
    assert improvement_check(trend_results(saturating)).status == "PASS"
    steady = {1: [4.0, 4.1, 3.9], 2: [3.0, 3.1, 2.9], 10: [2.0, 2.1, 1.9], 20: [1.0, 1.1, 0.9]}
    assert improvement_check(trend_results(steady)).status == "FAIL"
    degrading = {1: [2.0, 2.1, 2.0], 5: [2.5, 2.6, 2.5], 20: [3.0, 3.1, 3.0]}
    assert improvement_check(trend_results(degrading)).status == "FAIL"
    flat = {1: [2.0, 2.5, 2.0], 5: [2.1, 2.0, 2.4], 20: [2.2, 2.0, 2.1]}
    assert improvement_check(trend_results(flat)).status == "INCONCLUSIVE"
    assert improvement_check(trend_results({1: [2.0], 5: [1.0], 20: [0.5]})).status == (
        "INCONCLUSIVE"
    )


def test_a1_passes_for_the_convex_head_and_flips_for_the_nonconvex_one(trained):
    assert improvement_check(trained["convex"]).status == "PASS"
    assert improvement_check(trained["nonconvex"]).status != "PASS"
