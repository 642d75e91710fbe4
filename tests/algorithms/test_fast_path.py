"""The MLP's batched-matmul path gives the generic vmap path's outputs and meta-gradients."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse, parameters_of
from algorithms.forward import batched_forward, vmap_forward


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


@pytest.mark.parametrize(("widths", "bias"), [((3, 1), False), ((1, 4), True), ((3, 5, 2), False)])
def test_every_layer_shape_matches_the_generic_path(widths, bias):
    """Width-1 layers run as broadcasts, the others as batched matrix products: same numbers."""
    model = MLP(widths, bias=bias, generator=torch.Generator().manual_seed(0)).double()
    params = {k: v.expand(4, *v.shape) for k, v in parameters_of(model).items()}
    x = torch.randn(
        4, 6, widths[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    torch.testing.assert_close(
        model.batched_forward(params, x), vmap_forward(model)(params, x), rtol=1e-13, atol=1e-14
    )
