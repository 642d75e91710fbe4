"""Claim A1: the check's outcomes on curves of known rates, the level is not the rate, cells."""

from __future__ import annotations

import pytest

from figures.claims.a1_convex_convergence import A1, SHARED_STEP, improvement_check
from figures.claims.anil_setup import CONVEX, STABLE_NONCONVEX, STEPS
from tests.figures.claims.anil_cases import GRID, contractions, curve_results

LEVELS = dict.fromkeys(GRID, 2.0)


def test_faster_and_saturating_convergence_passes_and_the_reversed_trend_fails():
    saturating = contractions({1: 30, 2: 18, 5: 11, 10: 9.5, 20: 9.3})
    verdict = improvement_check(curve_results(LEVELS, saturating))
    assert verdict.status == "PASS" and "faster as N grows" in verdict.explanation
    assert "and saturates" in verdict.explanation and verdict.evidence.seeds == 5
    reversed_trend = contractions({1: 9.3, 2: 9.5, 5: 11, 10: 18, 20: 30})
    verdict = improvement_check(curve_results(LEVELS, reversed_trend))
    assert verdict.status == "FAIL" and "slower as N grows" in verdict.explanation


def test_steady_gains_in_n_do_not_saturate_and_noise_is_inconclusive():
    steady = contractions({n: 30 * n**-0.4 for n in GRID})
    verdict = improvement_check(curve_results(LEVELS, steady))
    assert verdict.status == "FAIL" and "does not saturate" in verdict.explanation
    flat = contractions(dict.fromkeys(GRID, 15))
    assert improvement_check(curve_results(LEVELS, flat, noise=0.3)).status == "INCONCLUSIVE"
    one_seed = curve_results(LEVELS, contractions({1: 30, 2: 18, 5: 11, 10: 9.5, 20: 9.3}), 1)
    assert improvement_check(one_seed).status == "INCONCLUSIVE"


def test_a_level_that_falls_with_n_is_not_faster_convergence():
    """F_N* falls with N (what the final meta-loss compared) while each F_N's own gap closes
    more slowly: A1 must FAIL."""
    falling = {n: 3.0 - 0.05 * n for n in GRID}
    slower = contractions({1: 8, 2: 10, 5: 14, 10: 20, 20: 30})
    results = curve_results(falling, slower)
    optimum = {r["inner_steps"]: r["optimum_objective"] for r in results if r["seed"] == 0}
    assert [optimum[n] for n in GRID] == sorted(optimum.values(), reverse=True)
    assert improvement_check(results).status == "FAIL"


def test_a1_on_real_runs_reports_every_n_with_its_evidence(trained):
    verdict = improvement_check(trained["convex"])
    assert all(f"N={n}:" in verdict.explanation for n in (1, 4, 16))
    assert verdict.evidence.seeds == 3 and "log r̄_N on log N" in verdict.evidence.statistic


def test_a1_runs_the_whole_grid_at_both_step_sizes_with_five_seeds_or_more():
    for scale, seeds in (("quick", 5), ("paper", 8)):
        cells = A1.cells(scale)
        assert {cell.config.setup for cell in cells} == {CONVEX, SHARED_STEP}
        assert sorted({cell.config.inner_steps for cell in cells}) == list(STEPS)
        assert sorted({cell.seed for cell in cells}) == list(range(seeds))
    assert SHARED_STEP.inner_lr == pytest.approx(STABLE_NONCONVEX.inner_lr)
    assert CONVEX.inner_lr * CONVEX.smoothness_bound == pytest.approx(1.0)  # α·L ≤ 1
