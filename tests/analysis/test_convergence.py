"""Convergence curves and rates: fits recover known rates, bands match per-point intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.convergence import (
    compare_with_theory,
    cost_axis,
    curve_band,
    fit_geometric_rate,
    fit_power_rate,
    iterations_to,
    on_grid,
    window_means,
)
from analysis.statistics import mean_interval


def noisy(values: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """values · exp(σ ε), ε ~ N(0, 1): the noise model the log-linear fits assume."""
    return values * np.exp(sigma * np.random.default_rng(seed).standard_normal(values.size))


def test_geometric_rate_is_recovered_within_its_interval():
    steps = np.arange(80)
    fit = fit_geometric_rate(noisy(2.0 * 0.93**steps, 0.2, seed=0), steps)
    assert fit.model == "geometric" and fit.points == 80
    assert fit.low < 0.93 < fit.high
    assert fit.high - fit.low < 0.01


def test_power_rate_is_recovered_within_its_interval():
    steps = np.arange(1, 200)
    fit = fit_power_rate(noisy(3.0 * steps**-0.5, 0.2, seed=1), steps)
    assert fit.low < 0.5 < fit.high
    assert abs(fit.constant - 3.0) < 0.5


def test_wrong_model_misses_the_rate():
    steps = np.arange(1, 200)
    fit = fit_geometric_rate(3.0 * steps**-0.5, steps)
    assert not fit.low < math.exp(-0.5) < fit.high


def test_intervals_cover_the_true_rate_about_95_percent_of_the_time():
    steps = np.arange(40)
    fits = [fit_geometric_rate(noisy(0.8**steps, 0.3, seed), steps) for seed in range(200)]
    assert 0.9 <= np.mean([fit.low < 0.8 < fit.high for fit in fits]) <= 0.99


def test_exact_curves_have_zero_width_intervals():
    fit = fit_geometric_rate(0.5 ** np.arange(10))
    assert fit.rate == pytest.approx(0.5) and fit.high - fit.low == pytest.approx(0.0, abs=1e-12)


def test_curve_band_is_the_pointwise_mean_interval():
    curves = np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 5.0], [3.0, 5.0, 4.0]])
    band = curve_band(curves, x=[10, 20, 30])
    for column in range(3):
        interval = mean_interval(curves[:, column])
        assert band.mean[column] == pytest.approx(interval.mean)
        assert band.high[column] - band.mean[column] == pytest.approx(interval.half_width)
    assert band.as_dict()["x"] == [10.0, 20.0, 30.0] and band.count == 3


def test_one_seed_has_an_undefined_band():
    band = curve_band([[1.0, 2.0]])
    assert np.isnan(band.low).all() and band.mean.tolist() == [1.0, 2.0]


def test_cost_axes_grid_and_windows():
    assert cost_axis(0.5, 4).tolist() == [0.0, 0.5, 1.0, 1.5]
    assert cost_axis([1, 2, 3], 3).tolist() == [0.0, 1.0, 3.0]
    assert on_grid([0, 1, 2], [0, 10, 20], [0.5, 1.5]).tolist() == [5.0, 15.0]
    assert window_means([1, 2, 3, 4, 5], 2).tolist() == [1.5, 3.5, 5.0]


def test_iterations_to_epsilon():
    errors = 0.5 ** np.arange(10)
    assert iterations_to(errors, 0.1) == 4
    assert iterations_to(errors, 0.1, steps=np.arange(10) * 100) == 400
    assert iterations_to(errors, 1e-9) is None


def test_theory_comparison_flags_a_violated_bound():
    steps = np.arange(1, 6)
    assert compare_with_theory(0.9**steps, lambda t: 0.9**t, steps).holds
    comparison = compare_with_theory(0.95**steps, lambda t: 0.9**t, steps)
    assert not comparison.holds and comparison.max_ratio == pytest.approx((0.95 / 0.9) ** 5)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fit_geometric_rate([1.0, 0.0, 0.5]), "errors must be > 0"),
        (lambda: fit_geometric_rate([1.0, 0.5]), "at least 3 points"),
        (lambda: fit_power_rate([1.0, 0.5, 0.2], [0, 1, 2]), "steps t > 0"),
        (lambda: fit_geometric_rate([1.0, 0.5, 0.2], level=1.5), "level must be in"),
        (lambda: curve_band([[1.0, 2.0], [1.0]]), "curves must be"),
        (lambda: curve_band([[1.0, 2.0]], x=[1.0]), "x has 1 points"),
        (lambda: window_means([1.0], 0), "window must be"),
        (lambda: cost_axis(-1.0, 3), "per-step costs"),
        (lambda: on_grid([1, 0], [1, 2], [0.5]), "non-decreasing"),
        (lambda: compare_with_theory([1.0], lambda t: -t, [1]), "positive value"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
