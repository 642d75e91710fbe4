"""Claim A2: the check's outcomes on curves of known rates, its reason, its cells."""

from __future__ import annotations

from figures.claims.a2_nonconvex_convergence import A2, degradation_check
from figures.claims.anil_setup import STABLE_NONCONVEX, STEPS
from tests.figures.claims.anil_cases import GRID, contractions, curve_results

LEVELS = dict.fromkeys(GRID, 2.0)


def test_slower_convergence_with_n_passes_and_the_reversed_trend_fails():
    slower = contractions({1: 8, 2: 10, 5: 14, 10: 20, 20: 30})
    verdict = degradation_check(curve_results(LEVELS, slower))
    assert verdict.status == "PASS" and "slower as N grows" in verdict.explanation
    faster = contractions({1: 30, 2: 20, 5: 14, 10: 10, 20: 8})
    verdict = degradation_check(curve_results(LEVELS, faster))
    assert verdict.status == "FAIL" and "convergence is faster as N grows" in verdict.explanation
    assert "α·L ≈ 1" in verdict.explanation and verdict.evidence.seeds == 5


def test_a2_judges_the_whole_grid_not_its_ends():
    """N = 1 and N = 20 alike, the middle of the grid slower: no monotone trend to claim."""
    humped = contractions({1: 10, 2: 25, 5: 40, 10: 25, 20: 10})
    assert degradation_check(curve_results(LEVELS, humped)).status == "INCONCLUSIVE"


def test_a2_on_real_runs_reports_every_n_with_its_evidence(trained):
    verdict = degradation_check(trained["nonconvex"])
    assert all(f"N={n}:" in verdict.explanation for n in (1, 4, 16))
    assert "mean ‖∇F̂_N‖²" in verdict.explanation and verdict.evidence.seeds == 3


def test_a2_runs_the_whole_grid_at_the_stable_step_with_five_seeds_or_more():
    for scale, seeds in (("quick", 5), ("paper", 8)):
        cells = A2.cells(scale)
        assert {cell.config.setup for cell in cells} == {STABLE_NONCONVEX}
        assert sorted({cell.config.inner_steps for cell in cells}) == list(STEPS)
        assert sorted({cell.seed for cell in cells}) == list(range(seeds))
