"""The inner step rules as units: each step on a quadratic equals its formula, per task."""

from __future__ import annotations

import torch

from algorithms.inner_rules import gradient_step, ridge_step, sign_step

THETA = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
"""Two tasks, two coordinates each."""
SCALES = torch.tensor([[2.0, 1.0], [1.0, 4.0]], dtype=torch.float64)


def quadratic(params):
    """L_i(θ) = ½ Σ_j s_ij θ_ij², so ∇L_i = s_i ⊙ θ_i (per task, no coupling)."""
    return 0.5 * (SCALES * params["w"].square()).sum(dim=1)


def leaves():
    return {"w": THETA.clone().requires_grad_(True), "fixed": THETA.clone()}


def test_gradient_step_is_theta_minus_alpha_gradient_per_task():
    stepped = gradient_step(quadratic, leaves(), ("w",), 0.25, create_graph=False)
    assert torch.equal(stepped["w"].detach(), THETA - 0.25 * SCALES * THETA)


def test_sign_step_moves_by_alpha_along_the_gradient_sign():
    stepped = sign_step(quadratic, leaves(), ("w",), 0.1, create_graph=False)
    assert torch.equal(stepped["w"].detach(), THETA - 0.1 * torch.sign(SCALES * THETA))


def test_ridge_step_adds_lambda_theta_to_the_gradient():
    stepped = ridge_step(0.5)(quadratic, leaves(), ("w",), 0.25, create_graph=False)
    assert torch.allclose(stepped["w"].detach(), THETA - 0.25 * (SCALES * THETA + 0.5 * THETA))


def test_only_the_named_parameters_move():
    params = leaves()
    stepped = gradient_step(quadratic, params, ("w",), 0.25, create_graph=False)
    assert stepped["fixed"] is params["fixed"]


def test_create_graph_keeps_the_step_jacobian():
    """Kept graph: ∂θ'/∂θ = I − α diag(s) (MAML); without it the direction is a constant: I."""
    params = leaves()
    stepped = gradient_step(quadratic, params, ("w",), 0.25, create_graph=True)
    (jacobian_diagonal,) = torch.autograd.grad(stepped["w"].sum(), params["w"])
    assert torch.allclose(jacobian_diagonal, 1 - 0.25 * SCALES)
    params = leaves()
    first_order = gradient_step(quadratic, params, ("w",), 0.25, create_graph=False)
    (identity_diagonal,) = torch.autograd.grad(first_order["w"].sum(), params["w"])
    assert torch.equal(identity_diagonal, torch.ones_like(THETA))
