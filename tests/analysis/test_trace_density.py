"""Trace estimators (coverage of their intervals, Hutch++ vs Hutchinson) and the SLQ density."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from analysis.density import plot_density, spectral_density
from analysis.hvp import HessianOperator, MatrixOperator
from analysis.trace import hutch_plus_plus, hutchinson
from tests.curvature_cases import meta_loss_case, quadratic_case

ESTIMATORS = {"hutchinson": hutchinson, "hutch++": hutch_plus_plus}


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("method", list(ESTIMATORS))
def test_hessian_operator_and_its_exact_matrix_give_the_same_estimate(method):
    case = meta_loss_case()
    estimate = ESTIMATORS[method]
    through_autograd = estimate(HessianOperator(case.objective, case.params), 30, seeded(7))
    through_matrix = estimate(MatrixOperator(case.hessian), 30, seeded(7))
    assert through_autograd.trace == pytest.approx(through_matrix.trace, rel=1e-10)
    assert through_autograd.half_width == pytest.approx(through_matrix.half_width, rel=1e-8)
    assert through_autograd.hvp_count == 30


@pytest.mark.parametrize("method", list(ESTIMATORS))
def test_meta_loss_trace_lies_in_its_95_percent_interval_in_90_percent_of_trials(method):
    """200 seeded trials on the exact meta-loss Hessian (indefinite; the test above ties the
    matrix to the autograd operator)."""
    case = meta_loss_case()
    exact = torch.trace(case.hessian).item()
    operator = MatrixOperator(case.hessian)
    estimates = [ESTIMATORS[method](operator, 30, seeded(seed)) for seed in range(200)]
    assert np.mean([e.low <= exact <= e.high for e in estimates]) >= 0.90


def test_intervals_are_not_vacuous():
    """Negative control: the same intervals around a wrong centre miss the trace most times."""
    case = meta_loss_case()
    exact = torch.trace(case.hessian).item()
    operator = MatrixOperator(case.hessian)
    estimates = [hutchinson(operator, 30, seeded(seed)) for seed in range(50)]
    shifted = [e.low + 2 * e.half_width <= exact <= e.high + 2 * e.half_width for e in estimates]
    assert np.mean(shifted) < 0.5


def test_hutch_plus_plus_beats_hutchinson_on_a_decaying_spectrum():
    spectrum = tuple(float(i) ** -2 for i in range(1, 201))
    operator = MatrixOperator(quadratic_case(spectrum).hessian)
    exact = sum(spectrum)
    errors = {
        name: np.mean([abs(estimate(operator, 45, seeded(s)).trace - exact) for s in range(20)])
        for name, estimate in ESTIMATORS.items()
    }
    assert errors["hutchinson"] >= 3 * errors["hutch++"]


def test_known_spectrum_trace_is_exact_once_the_sketch_spans_everything():
    case = quadratic_case((4.0, -1.0, 0.5, 2.0, 0.0))
    estimate = hutch_plus_plus(HessianOperator(case.objective, case.params), 17, seeded(0))
    assert estimate.sketch_size == 5 and estimate.residual_probes == 7
    assert estimate.trace == pytest.approx(5.5, abs=1e-12)
    assert estimate.half_width == pytest.approx(0.0, abs=1e-12)


def test_density_of_a_diagonal_hessian_integrates_to_one_with_exact_moments():
    """Rademacher probes make vᵀHv and vᵀH²v exact for a diagonal H, so the moments are too."""
    eigenvalues = torch.tensor([-2.0, -0.5, 0.0, 1.0, 1.0, 3.0, 6.0], dtype=torch.float64)
    params = {"theta": torch.zeros(7, dtype=torch.float64)}
    operator = HessianOperator(lambda p: 0.5 * (eigenvalues * p["theta"] ** 2).sum(), params)
    density = spectral_density(operator, probes=3, steps=7, generator=seeded(0))
    grid = density.grid(4000)
    values = density.evaluate(grid)
    assert np.trapezoid(values, grid) == pytest.approx(1.0, abs=1e-6)
    first = np.trapezoid(grid * values, grid)
    second = np.trapezoid(grid**2 * values, grid) - density.sigma**2
    assert first == pytest.approx(eigenvalues.mean().item(), abs=1e-6)
    assert second == pytest.approx((eigenvalues**2).mean().item(), abs=1e-6)
    assert density.moment(1) == pytest.approx(first, abs=1e-6)
    assert density.hvp_count == 21


def test_density_nodes_are_the_known_spectrum():
    spectrum = (-3.0, -1.0, 0.5, 2.0, 7.0)
    case = quadratic_case(spectrum)
    density = spectral_density(HessianOperator(case.objective, case.params), 2, 5, seeded(1))
    for nodes, weights in zip(density.nodes, density.weights):
        np.testing.assert_allclose(np.sort(nodes[weights > 1e-12]), spectrum, atol=1e-10)
        assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_density_moments_of_a_rotated_hessian_match_within_their_noise():
    case = quadratic_case(tuple(np.linspace(-2.0, 5.0, 40)))
    density = spectral_density(MatrixOperator(case.hessian), 60, 10, seeded(3))
    per_probe = {order: (density.weights * density.nodes**order).sum(axis=1) for order in (1, 2)}
    for order, exact in ((1, torch.trace(case.hessian)), (2, (case.hessian**2).sum())):
        samples = per_probe[order]
        noise = 4 * samples.std(ddof=1) / np.sqrt(samples.size)
        assert density.moment(order) == pytest.approx(exact.item() / 40, abs=noise)


def test_density_plot_and_json(tmp_path):
    case = quadratic_case((1.0, 2.0, 3.0))
    density = spectral_density(MatrixOperator(case.hessian), 2, 3, seeded(0), sigma=0.1)
    figure = plot_density(density)
    figure.savefig(tmp_path / "density.png")
    assert (tmp_path / "density.png").stat().st_size > 0
    record = density.as_dict()
    assert record["sigma"] == 0.1 and record["hvp_count"] == 6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda op: hutchinson(op, 1), "probes must be an integer >= 2"),
        (lambda op: hutch_plus_plus(op, 3), "hvp_budget must be an integer >= 4"),
        (lambda op: hutchinson(op, 10, level=1.5), "level must be in"),
        (lambda op: spectral_density(op, probes=0), "probes must be an integer >= 1"),
        (lambda op: spectral_density(op, sigma=-1.0), "sigma must be > 0"),
        (lambda op: hutchinson(np.eye(2), 4), "CurvatureOperator"),
    ],
)
def test_bad_requests(call, message):
    with pytest.raises(ValueError, match=message):
        call(MatrixOperator(torch.eye(4, dtype=torch.float64)))


def test_slq_trace_has_an_interval_over_probes_that_covers_the_exact_trace():
    from analysis.trace import disagreements

    torch.manual_seed(0)
    basis = torch.linalg.qr(torch.randn(40, 40, dtype=torch.float64)).Q
    matrix = basis @ torch.diag(torch.linspace(-3.0, 9.0, 40, dtype=torch.float64)) @ basis.T
    operator = MatrixOperator(matrix)
    density = spectral_density(operator, 12, 20, generator=torch.Generator().manual_seed(1))
    slq = density.trace_estimate()
    exact = torch.trace(matrix).item()
    assert slq.method == "slq" and slq.residual_probes == 12 and slq.half_width > 0
    assert slq.low <= exact <= slq.high
    assert slq.trace == pytest.approx(density.moment(1) * density.dimension)
    off = dataclasses.replace(slq, method="shifted", trace=slq.high + 2 * slq.half_width + 1)
    assert disagreements({"slq": slq, "shifted": off}) == [("slq", "shifted")]
    assert disagreements({"slq": slq, "same": slq}) == []


def smoothed_spectrum(eigenvalues: torch.Tensor, points: np.ndarray, sigma: float) -> np.ndarray:
    """The exact φ_σ(t) = (1/n) Σ_i N(t; λ_i, σ²)."""
    offsets = (points[:, None] - eigenvalues.numpy()[None, :]) / sigma
    return (np.exp(-0.5 * offsets**2) / (sigma * np.sqrt(2 * np.pi))).mean(axis=1)


def test_the_density_band_is_exact_where_every_probe_sees_the_whole_spectrum():
    eigenvalues = torch.linspace(-2.0, 5.0, 12, dtype=torch.float64)
    density = spectral_density(
        MatrixOperator(torch.diag(eigenvalues)), probes=3, steps=12, sigma=0.3
    )
    points = density.grid(50)
    low, high = density.band(points)
    exact = smoothed_spectrum(eigenvalues, points, 0.3)
    np.testing.assert_allclose(density.evaluate(points), exact, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(high - low, 0.0, atol=1e-8)  # Rademacher weights: all 1/n


def test_the_density_band_covers_the_exact_smoothed_spectrum():
    generator = torch.Generator().manual_seed(3)
    eigenvalues = torch.linspace(-2.0, 5.0, 40, dtype=torch.float64)
    rotation, _ = torch.linalg.qr(torch.randn(40, 40, dtype=torch.float64, generator=generator))
    matrix = rotation @ torch.diag(eigenvalues) @ rotation.T
    density = spectral_density(MatrixOperator(matrix), 30, 40, generator=generator, sigma=0.5)
    points = density.grid(200)
    low, high = density.band(points)
    inside = (low <= smoothed_spectrum(eigenvalues, points, 0.5) + 1e-12) & (
        smoothed_spectrum(eigenvalues, points, 0.5) <= high + 1e-12
    )
    assert (high - low).max() > 0 and inside.mean() >= 0.8, inside.mean()
    assert set(density.as_dict()["curve"]) == {"points", "density", "low", "high", "level"}
