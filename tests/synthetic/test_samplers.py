"""Task distributions: shapes, ranges, moments, and same seed ⇒ same tasks."""

from __future__ import annotations

import math

import pytest
import torch

from synthetic import LinearTaskMixture, SinusoidTasks, TaskCluster


def test_sinusoid_ranges_and_targets():
    batch = SinusoidTasks(support_size=10, query_size=15).sample(
        500, torch.Generator().manual_seed(0)
    )
    amplitude, phase = batch.info["amplitude"], batch.info["phase"]
    assert batch.support_x.shape == (500, 10, 1) and batch.query_y.shape == (500, 15, 1)
    assert amplitude.min() >= 0.1 and amplitude.max() <= 5.0
    assert phase.min() >= 0.0 and phase.max() <= math.pi
    assert batch.support_x.min() >= -5.0 and batch.support_x.max() <= 5.0
    expected = amplitude[:, None, None] * torch.sin(batch.query_x - phase[:, None, None])
    torch.testing.assert_close(batch.query_y, expected)


def test_same_generator_state_gives_identical_tasks():
    tasks = SinusoidTasks()
    a = tasks.sample(8, torch.Generator().manual_seed(7))
    b = tasks.sample(8, torch.Generator().manual_seed(7))
    c = tasks.sample(8, torch.Generator().manual_seed(8))
    assert torch.equal(a.support_x, b.support_x) and torch.equal(a.query_y, b.query_y)
    assert not torch.equal(a.support_x, c.support_x)


def test_linear_mixture_exposes_its_parameters():
    mixture = LinearTaskMixture.easy_hard(
        4,
        rho_easy=0.9,
        rho_hard=0.1,
        p_hard=0.25,
        distance=3.0,
        spread_easy=1.0,
        spread_hard=0.01,
        noise_std=0.1,
    )
    assert mixture.dim == 4 and mixture.num_clusters == 2
    torch.testing.assert_close(
        mixture.probabilities, torch.tensor([0.75, 0.25], dtype=torch.float64)
    )
    torch.testing.assert_close(mixture.covariances[1], 0.1 * torch.eye(4, dtype=torch.float64))
    assert (mixture.centres[1] - mixture.centres[0]).norm().item() == pytest.approx(3.0)
    torch.testing.assert_close(mixture.spreads, torch.tensor([1.0, 0.01], dtype=torch.float64))


def test_linear_mixture_moments_match_its_parameters():
    """Cluster frequencies, E‖θ*−θ_c‖² = R_c, Cov(x) = Σ_c and the label noise, by sampling."""
    covariance = torch.tensor([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
    mixture = LinearTaskMixture(
        [
            TaskCluster(0.3, covariance, torch.tensor([1.0, 0.0, -1.0]), spread=2.0, noise_std=0.5),
            TaskCluster(0.7, 0.2, torch.zeros(3), spread=0.5, noise_std=0.0),
        ]
    )
    generator = torch.Generator().manual_seed(0)
    batch = mixture.sampler(50, 1).sample(4000, generator, dtype=torch.float64)
    cluster, theta_star = batch.info["cluster"], batch.info["theta_star"]
    first = cluster == 0
    assert first.double().mean().item() == pytest.approx(0.3, abs=0.03)
    spread = (theta_star[first] - mixture.centres[0]).square().sum(1).mean().item()
    assert spread == pytest.approx(2.0, rel=0.1)
    x = batch.support_x[first].reshape(-1, 3)
    torch.testing.assert_close(x.T @ x / x.shape[0], covariance.double(), atol=0.05, rtol=0.05)
    residual = batch.support_y[first][..., 0] - torch.einsum(
        "bkd,bd->bk", batch.support_x[first], theta_star[first]
    )
    assert residual.std().item() == pytest.approx(0.5, rel=0.05)
    assert (
        batch.support_y[~first][..., 0]
        .sub(torch.einsum("bkd,bd->bk", batch.support_x[~first], theta_star[~first]))
        .abs()
        .max()
        < 1e-12
    )
