"""Closed forms of analysis.linear_theory against simulation with the algorithms code."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from analysis.linear_theory import (
    check_step_size,
    excess_risk,
    fo_maml_solution,
    gain_of_maml,
    maml_solution,
    nal_solution,
    post_adaptation_curvature,
)
from figures.claims.linear_experiments import MixtureSpec, simulated_excess_risk
from synthetic import LinearTaskMixture, TaskCluster


def anisotropic_mixture() -> LinearTaskMixture:
    """Two clusters with full (non-diagonal) covariances, different centres, spreads and noise."""
    generator = torch.Generator().manual_seed(3)
    clusters = []
    for probability, scale, noise in ((0.3, 0.8, 0.2), (0.7, 0.15, 0.05)):
        basis, _ = torch.linalg.qr(torch.randn(5, 5, generator=generator, dtype=torch.float64))
        eigenvalues = scale * torch.linspace(0.4, 1.0, 5, dtype=torch.float64)
        covariance = basis @ torch.diag(eigenvalues) @ basis.T
        centre = torch.randn(5, generator=generator, dtype=torch.float64)
        clusters.append(TaskCluster(probability, covariance, centre, spread=0.5, noise_std=noise))
    return LinearTaskMixture(clusters)


POINTS = {
    "isotropic, m=20": (MixtureSpec(dim=10).build(), 1.0, 20),
    "isotropic, m=500": (MixtureSpec(dim=10, distance=1.0, spread_hard=0.1).build(), 1.0, 500),
    "anisotropic, m=8": (anisotropic_mixture(), 0.9, 8),
    "anisotropic, m=100": (anisotropic_mixture(), 0.9, 100),
}


@pytest.mark.parametrize("name", list(POINTS))
def test_excess_risk_matches_simulation(name):
    """E(θ) in closed form lies inside the simulation's interval, for several θ (Bonferroni 95%)."""
    mixture, alpha, m = POINTS[name]
    thetas = [
        maml_solution(mixture, alpha, m),
        nal_solution(mixture),
        torch.randn(mixture.dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64),
    ]
    z = stats.norm.ppf(1 - 0.025 / (len(POINTS) * len(thetas)))
    for index, theta in enumerate(thetas):
        risks = simulated_excess_risk(
            mixture, theta, alpha, m, 6000, torch.Generator().manual_seed(10 + index)
        )
        half_width = z * risks.std().item() / math.sqrt(risks.numel())
        predicted = excess_risk(mixture, theta, alpha, m)
        assert abs(risks.mean().item() - predicted) <= half_width, (index, predicted, risks.mean())


def test_simulation_rejects_the_exact_gradient_formula_at_small_m():
    """Negative control: the m = ∞ formula is outside the interval when the step sees 20 samples."""
    mixture, alpha, m = POINTS["isotropic, m=20"]
    theta = nal_solution(mixture)
    risks = simulated_excess_risk(mixture, theta, alpha, m, 20000, torch.Generator().manual_seed(0))
    half_width = 3 * risks.std().item() / math.sqrt(risks.numel())
    assert abs(risks.mean().item() - excess_risk(mixture, theta, alpha, math.inf)) > half_width


@pytest.mark.parametrize("samples", [math.inf, 50])
def test_maml_solution_minimises_the_post_adaptation_risk(samples):
    mixture = anisotropic_mixture()
    theta = maml_solution(mixture, 0.9, samples)
    best = excess_risk(mixture, theta, 0.9, samples)
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        nudge = 1e-3 * torch.randn(mixture.dim, generator=generator, dtype=torch.float64)
        assert excess_risk(mixture, theta + nudge, 0.9, samples) > best
    assert excess_risk(mixture, nal_solution(mixture), 0.9, samples) > best


def test_nal_solution_minimises_the_pooled_population_loss():
    mixture = anisotropic_mixture()
    theta = nal_solution(mixture)
    gradient = sum(
        p * cov @ (theta - centre)
        for p, cov, centre in zip(mixture.probabilities, mixture.covariances, mixture.centres)
    )
    assert gradient.norm() < 1e-12


def test_k_exact_steps_match_iterating_the_step():
    mixture = anisotropic_mixture()
    covariance, alpha, steps = mixture.covariances[0], 0.9, 3
    error = torch.randn(
        mixture.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    adapted = error.clone()
    for _ in range(steps):
        adapted = adapted - alpha * covariance @ adapted
    curvature = post_adaptation_curvature(covariance, alpha, math.inf, steps)
    torch.testing.assert_close(error @ curvature @ error, adapted @ covariance @ adapted)


def test_finite_training_tasks_average_matches_the_formula_on_those_tasks():
    mixture = anisotropic_mixture()
    cluster, optima = mixture.sample_optima(7, torch.Generator().manual_seed(0))
    theta = maml_solution(mixture, 0.9, 30, tasks=(cluster, optima))
    curvature = post_adaptation_curvature(mixture.covariances, 0.9, 30)[cluster]
    gradient = torch.einsum("nij,nj->i", curvature, theta - optima)
    assert gradient.norm() < 1e-10


def test_fo_maml_fixed_point_differs_from_maml_only_with_different_hardness():
    differing = MixtureSpec().build()
    equal = MixtureSpec(rho_hard=0.9).build()
    assert (fo_maml_solution(differing, 1.0) - maml_solution(differing, 1.0)).norm() > 0.5
    assert (fo_maml_solution(equal, 1.0) - maml_solution(equal, 1.0)).norm() < 1e-12


def test_reference_table_and_finite_sample_values():
    """REFERENCE.md §1's numbers, from the closed form alone."""
    assert gain_of_maml(MixtureSpec(distance=2.0, spread_hard=0.01).build(), 1.0) == pytest.approx(
        6.458, abs=5e-4
    )
    assert gain_of_maml(MixtureSpec(distance=1.0, spread_hard=1.0).build(), 1.0) == pytest.approx(
        1.59, abs=5e-3
    )
    assert gain_of_maml(MixtureSpec().build(), 1.0, 1000) == pytest.approx(3.790, abs=5e-4)
    assert gain_of_maml(MixtureSpec().build(), 1.0, 5) == pytest.approx(1.009, abs=5e-4)


def test_step_size_at_or_past_two_over_lambda_max_is_refused():
    mixture = MixtureSpec().build()
    check_step_size(mixture, 2.0 / 0.9 - 1e-6)
    with pytest.raises(ValueError, match=r"alpha=2.3 is at least 2/λ_max = 2.222"):
        maml_solution(mixture, 2.3)
    with pytest.raises(ValueError, match="alpha must be > 0"):
        excess_risk(mixture, torch.zeros(10), -1.0)


def test_finite_samples_with_several_steps_is_refused():
    with pytest.raises(ValueError, match="covers one inner step"):
        maml_solution(MixtureSpec().build(), 1.0, samples=50, steps=2)


def test_tasks_of_the_wrong_shape_are_refused():
    mixture = MixtureSpec(dim=3).build()
    with pytest.raises(ValueError, match=r"tasks must be \(cluster \[n\], theta_star \[n, 3\]\)"):
        nal_solution(mixture, tasks=(torch.zeros(2, dtype=torch.long), torch.zeros(2, 4)))
    with pytest.raises(ValueError, match="cluster indices must lie in"):
        nal_solution(mixture, tasks=(torch.tensor([0, 5]), torch.zeros(2, 3)))
