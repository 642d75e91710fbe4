"""Claim S1: autograd through sign inner steps leaves exactly ∇L_query(θ')."""

from __future__ import annotations

import pytest
import torch

from algorithms import make, mse, parameters_of
from algorithms.adapted_gradient import flat_meta_gradient, query_gradient_at_adapted
from tests.conftest import smooth_mlp


@pytest.mark.parametrize("inner_steps", [1, 3])
def test_second_order_autograd_through_sign_steps_equals_query_gradient(
    sinusoid_batch64, inner_steps
):
    model = smooth_mlp()
    params = parameters_of(model)
    exact = make("sign-maml", model, mse, 0.01, inner_steps, first_order=False)
    full = flat_meta_gradient(exact, params, sinusoid_batch64)
    reference = query_gradient_at_adapted(exact, params, sinusoid_batch64)
    torch.testing.assert_close(full, reference, rtol=1e-13, atol=1e-15)


def test_registered_sign_maml_is_the_exact_gradient(sinusoid_batch64):
    model = smooth_mlp()
    params = parameters_of(model)
    cheap = flat_meta_gradient(make("sign-maml", model, mse, 0.01, 2), params, sinusoid_batch64)
    exact = flat_meta_gradient(
        make("sign-maml", model, mse, 0.01, 2, first_order=False), params, sinusoid_batch64
    )
    torch.testing.assert_close(cheap, exact, rtol=1e-13, atol=1e-15)


def test_the_same_identity_fails_for_gradient_steps(sinusoid_batch64):
    """Negative control: with gradient steps a second-order term survives and the check flips."""
    model = smooth_mlp()
    params = parameters_of(model)
    maml = make("maml", model, mse, 0.05, 2)
    full = flat_meta_gradient(maml, params, sinusoid_batch64)
    reference = query_gradient_at_adapted(maml, params, sinusoid_batch64)
    assert (full - reference).norm() > 1e-3 * reference.norm()
