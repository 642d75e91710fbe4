"""MAML's meta-gradient against finite differences, a per-task loop, and a closed form."""

from __future__ import annotations

import pytest
import torch

from algorithms import make, mse, parameters_of
from algorithms.reference import looped_meta_loss
from tests.conftest import smooth_mlp


def flat_grad(learner, params, batch) -> torch.Tensor:
    gradients = torch.autograd.grad(learner.meta_loss(params, batch), list(params.values()))
    return torch.cat([g.reshape(-1) for g in gradients])


def central_differences(learner, params, batch, step=1e-5) -> torch.Tensor:
    values = []
    with torch.no_grad():
        base = {name: tensor.detach().clone() for name, tensor in params.items()}
    for name, tensor in base.items():
        for index in range(tensor.numel()):
            shifted = []
            for sign in (1.0, -1.0):
                moved = {k: v.clone() for k, v in base.items()}
                moved[name].view(-1)[index] += sign * step
                shifted.append(learner.meta_loss(moved, batch).item())
            values.append((shifted[0] - shifted[1]) / (2 * step))
    return torch.tensor(values, dtype=torch.float64)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("inner_steps", [1, 2])
def test_maml_gradient_matches_central_differences(sinusoid_batch64, inner_steps):
    model = smooth_mlp()
    learner = make("maml", model, mse, inner_lr=0.05, inner_steps=inner_steps)
    params = parameters_of(model)
    autograd = flat_grad(learner, params, sinusoid_batch64)
    numeric = central_differences(learner, params, sinusoid_batch64)
    assert relative_error(autograd, numeric) <= 1e-6


def test_fo_maml_fails_the_finite_difference_check(sinusoid_batch64):
    """The negative control: the check above can fail, and does for a first-order gradient."""
    model = smooth_mlp()
    params = parameters_of(model)
    first_order = flat_grad(make("fo-maml", model, mse, 0.05), params, sinusoid_batch64)
    numeric = central_differences(make("maml", model, mse, 0.05), params, sinusoid_batch64)
    assert relative_error(first_order, numeric) > 1e-3


@pytest.mark.parametrize("inner_steps", [1, 3])
def test_maml_gradient_matches_per_task_loop(sinusoid_batch64, inner_steps):
    model = smooth_mlp()
    params = parameters_of(model)
    learner = make("maml", model, mse, inner_lr=0.05, inner_steps=inner_steps)
    vectorised = flat_grad(learner, params, sinusoid_batch64)
    loss = looped_meta_loss(
        model, torch.nn.functional.mse_loss, params, sinusoid_batch64, 0.05, inner_steps
    )
    looped = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(params.values()))])
    assert relative_error(vectorised, looped) <= 1e-12


def test_fo_maml_drops_exactly_the_second_order_term(generator):
    """Linear model, L(w) = mean((Xw − y)²): H_S = 2XᵀX/K is known, so is the dropped term.

    MAML:    (1/B) Σ_i (I − α H_S,i) ∇L_Q,i(w'_i)
    FO-MAML: (1/B) Σ_i ∇L_Q,i(w'_i)
    difference = −(α/B) Σ_i H_S,i ∇L_Q,i(w'_i)
    """
    from synthetic import LinearTaskMixture

    dim, alpha = 4, 0.3
    mixture = LinearTaskMixture.easy_hard(
        dim, rho_easy=0.9, rho_hard=0.1, p_hard=0.5, distance=1.0, noise_std=0.1
    )
    batch = mixture.sampler(5, 8).sample(6, generator, dtype=torch.float64)
    model = torch.nn.Linear(dim, 1, bias=False).double()
    params = parameters_of(model)
    maml = flat_grad(make("maml", model, mse, alpha), params, batch)
    fo_maml = flat_grad(make("fo-maml", model, mse, alpha), params, batch)

    w = params["weight"].detach().reshape(dim)
    xs, ys, xq, yq = batch.support_x, batch.support_y[..., 0], batch.query_x, batch.query_y[..., 0]
    hessian_support = 2 * xs.transpose(1, 2) @ xs / xs.shape[1]
    grad_support = 2 * torch.einsum("bkd,bk->bd", xs, xs @ w - ys) / xs.shape[1]
    w_adapted = w - alpha * grad_support
    residual = torch.einsum("bqd,bd->bq", xq, w_adapted) - yq
    grad_query = 2 * torch.einsum("bqd,bq->bd", xq, residual) / xq.shape[1]
    dropped = -alpha * torch.einsum("bij,bj->bi", hessian_support, grad_query).mean(0)

    assert relative_error(fo_maml, grad_query.mean(0)) <= 1e-12
    assert relative_error(maml - fo_maml, dropped) <= 1e-10
    assert dropped.norm() > 1e-2 * fo_maml.norm()
