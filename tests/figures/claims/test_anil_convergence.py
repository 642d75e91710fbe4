"""A1/A2's shared module: each N against its own F_N*, the slope over N, step sizes combined."""

from __future__ import annotations

import numpy as np
import pytest

from figures.claims.anil_convergence import (
    STATISTIC,
    ConvergenceConfig,
    checkpoint_iterations,
    convergence_figure,
    over_step_sizes,
    remaining_gap,
    slope_sides,
    slope_verdict,
)
from figures.engine.claim import Evidence, Verdict
from tests.figures.claims.anil_cases import GRID, contractions, curve_results


def test_the_gap_fraction_is_each_objectives_own_and_ignores_its_level_and_scale():
    at = checkpoint_iterations(100, 12, power=2.0)
    curve = [2.0 + 0.5**t + 0.01 * np.sin(t) for t in at]
    fraction, optimum, mean = remaining_gap(curve, at, [1.95, 1.99])
    assert optimum == 1.95 and fraction[0] == 1.0 and min(fraction) > 0
    for level, scale in ((-7.0, 1.0), (3.0, 10.0), (0.0, 0.1)):
        moved = [level + scale * value for value in curve]
        _, moved_optimum, moved_mean = remaining_gap(moved, at, [level + scale * 1.95])
        assert moved_mean == pytest.approx(mean) and moved_optimum == pytest.approx(
            level + scale * 1.95
        )


def test_a_run_that_never_improves_on_its_start_has_made_no_progress():
    fraction, _, mean = remaining_gap([1.0, 1.2, 1.1], [0, 5, 10], [1.3])
    assert fraction == [1.0, 1.0, 1.0] and mean == 1.0


def test_slope_sides_differ_by_the_least_squares_slope_on_log_n():
    generator = np.random.default_rng(1)
    values = {n: {seed: float(generator.uniform(0.1, 1.0)) for seed in range(4)} for n in GRID}
    large, small = slope_sides(values)
    for seed in range(4):
        logs = [np.log(values[n][seed]) for n in GRID]
        assert large[seed] - small[seed] == pytest.approx(np.polyfit(np.log(GRID), logs, 1)[0])
    with pytest.raises(ValueError, match="at least 3 values of N"):
        slope_sides({1: {0: 0.5}, 2: {0: 0.4}})


def test_slope_verdict_is_symmetric_in_the_claimed_direction():
    slower = {n: {seed: 0.2 * n**0.3 * (1 + 0.02 * seed) for seed in range(5)} for n in GRID}
    assert slope_verdict(slower, "slower").status == "PASS"
    assert slope_verdict(slower, "faster").status == "FAIL"
    verdict = slope_verdict(slower, "faster")
    assert "slower as N grows" in verdict.reason and verdict.evidence.seeds == 5
    two_values = slope_verdict({n: slower[n] for n in (1, 20)}, "slower")
    assert two_values.status == "INCONCLUSIVE" and two_values.evidence is not None


def test_one_failing_step_size_fails_the_claim_and_unresolved_ones_stay_inconclusive():
    rates = {0.1: contractions({n: 5 + 2 * n for n in GRID})}  # slower with N
    rates[0.5] = contractions({n: 25 - n for n in GRID})  # faster with N
    results = [
        result
        for inner_lr, rate in rates.items()
        for result in curve_results(dict.fromkeys(GRID, 1.0), rate, inner_lr=inner_lr)
    ]

    def label(inner_lr: float) -> str:
        return f"α = {inner_lr:g}"

    verdict = over_step_sizes(results, lambda table: slope_verdict(table, "slower"), label)
    assert verdict.status == "FAIL" and "α = 0.1: PASS" in verdict.reason
    assert "α = 0.5: FAIL" in verdict.reason and isinstance(verdict.evidence, Evidence)
    only_slower = [result for result in results if result["inner_lr"] == 0.1]
    judge = lambda table: slope_verdict(table, "slower")  # noqa: E731
    assert over_step_sizes(only_slower, judge, label).status == "PASS"
    unresolved = lambda table: Verdict("INCONCLUSIVE", "unresolved")  # noqa: E731
    assert over_step_sizes(only_slower, unresolved, label).status == "INCONCLUSIVE"


def test_real_runs_measure_each_n_against_its_own_long_run_optimum(trained):
    for result in trained["convex"] + trained["nonconvex"]:
        curve, long_run = result["held_out_objective"], result["long_run_objective"]
        assert result["optimum_objective"] == min(curve + long_run)
        assert result["remaining_gap_fraction"][0] == 1.0
        assert len(curve) == len(result["checkpoint_iterations"]) == 9
        at, fraction = result["checkpoint_iterations"], result["remaining_gap_fraction"]
        assert result[STATISTIC] == pytest.approx(np.trapezoid(fraction, at) / at[-1])
        assert result[STATISTIC] > 0 and result["mean_gradient_norm_squared"] > 0
    optima = {r["inner_steps"]: r["optimum_objective"] for r in trained["convex"] if r["seed"] == 0}
    assert len(set(optima.values())) == len(optima)  # every N has its own F_N*


def test_the_figure_draws_one_row_per_inner_step_size(trained):
    figure = convergence_figure(trained["convex"] + trained["nonconvex"], "both heads")
    assert len(figure.axes) == 8


def test_checkpoints_are_dense_early_and_end_at_t():
    assert checkpoint_iterations(100, 12, power=2.0)[:5] == [0, 1, 3, 6, 11]
    assert checkpoint_iterations(150, 3) == [0, 50, 100, 150]
    with pytest.raises(ValueError, match="optimum_checkpoints must be an integer >= 1"):
        ConvergenceConfig(optimum_checkpoints=0)
