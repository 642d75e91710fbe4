"""Claim L4: the check passes and flips when predicting with the exact-gradient theory."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.l4_finite_samples import SampleSweepConfig, collapse_check
from tests.figures.claims.linear_cases import results, simulated


def test_l4_passes_and_flips_with_the_exact_gradient_theory():
    cells = [SampleSweepConfig(), simulated(trained=False, support_size=20)]
    assert collapse_check(results(*cells)).status == "PASS"
    wrong = [
        replace(cells[0], finite_sample_theory=False),
        replace(cells[1], finite_sample_theory=False),
    ]
    verdict = collapse_check(results(*wrong))
    assert verdict.status == "FAIL"
    assert "with m ≤ 2d the gain is still" in verdict.reason
    assert "closed form outside the simulation's interval" in verdict.reason
