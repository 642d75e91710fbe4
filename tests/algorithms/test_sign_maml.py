"""Claim S1: autograd through sign inner steps leaves exactly ∇L_query(θ')."""

from __future__ import annotations

import pytest
import torch

from algorithms import make, mse, parameters_of
from tests.conftest import smooth_mlp


def query_gradient_at_adapted(learner, params, batch) -> torch.Tensor:
    """∇L_query(θ'_i) averaged over tasks, with θ'_i computed and then treated as a point."""
    adapted = learner.adapt(params, batch.support_x, batch.support_y, create_graph=False)
    points = {name: tensor.detach().requires_grad_(True) for name, tensor in adapted.items()}
    loss = learner.task_losses(points, batch.query_x, batch.query_y).mean()
    gradients = torch.autograd.grad(loss, list(points.values()))
    return torch.cat([g.sum(0).reshape(-1) for g in gradients])


def autograd_meta_gradient(learner, params, batch) -> torch.Tensor:
    gradients = torch.autograd.grad(learner.meta_loss(params, batch), list(params.values()))
    return torch.cat([g.reshape(-1) for g in gradients])


@pytest.mark.parametrize("inner_steps", [1, 3])
def test_second_order_autograd_through_sign_steps_equals_query_gradient(
    sinusoid_batch64, inner_steps
):
    model = smooth_mlp()
    params = parameters_of(model)
    exact = make("sign-maml", model, mse, 0.01, inner_steps, first_order=False)
    full = autograd_meta_gradient(exact, params, sinusoid_batch64)
    reference = query_gradient_at_adapted(exact, params, sinusoid_batch64)
    torch.testing.assert_close(full, reference, rtol=1e-13, atol=1e-15)


def test_registered_sign_maml_is_the_exact_gradient(sinusoid_batch64):
    model = smooth_mlp()
    params = parameters_of(model)
    cheap = autograd_meta_gradient(make("sign-maml", model, mse, 0.01, 2), params, sinusoid_batch64)
    exact = autograd_meta_gradient(
        make("sign-maml", model, mse, 0.01, 2, first_order=False), params, sinusoid_batch64
    )
    torch.testing.assert_close(cheap, exact, rtol=1e-13, atol=1e-15)


def test_the_same_identity_fails_for_gradient_steps(sinusoid_batch64):
    """Negative control: with gradient steps a second-order term survives and the check flips."""
    model = smooth_mlp()
    params = parameters_of(model)
    maml = make("maml", model, mse, 0.05, 2)
    full = autograd_meta_gradient(maml, params, sinusoid_batch64)
    reference = query_gradient_at_adapted(maml, params, sinusoid_batch64)
    assert (full - reference).norm() > 1e-3 * reference.norm()
