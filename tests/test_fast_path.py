"""The MLP's batched-matmul path gives the generic vmap path's outputs and meta-gradients."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse, parameters_of
from algorithms.forward import batched_forward


@pytest.mark.parametrize("algorithm", ["maml", "fo-maml", "anil", "nal", "sign-maml"])
def test_fast_and_generic_paths_agree(sinusoid_batch64, algorithm):
    torch.manual_seed(0)
    model = MLP((1, 16, 16, 1)).double()
    assert batched_forward(model) == model.batched_forward
    fast = make(algorithm, model, mse, 0.05, 2)
    generic = make(algorithm, model, mse, 0.05, 2, forward_path="vmap")
    params = parameters_of(model)
    grads_fast = torch.autograd.grad(
        fast.meta_loss(params, sinusoid_batch64), list(params.values())
    )
    grads_generic = torch.autograd.grad(
        generic.meta_loss(params, sinusoid_batch64), list(params.values())
    )
    for a, b in zip(grads_fast, grads_generic):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
