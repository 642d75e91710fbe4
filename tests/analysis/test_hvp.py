"""Hessian-vector products against exact Hessians; counting, graph lifetime and bad input."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import torch

from analysis.flat import ParamLayout
from analysis.hvp import HessianOperator, MatrixOperator
from tests.curvature_cases import meta_loss_case


def random_vector(size: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("keep_graph", [True, False])
def test_meta_loss_products_match_the_exact_hessian(keep_graph):
    case = meta_loss_case()
    operator = HessianOperator(case.objective, case.params, keep_graph=keep_graph)
    vector = random_vector(operator.size)
    expected = case.hessian @ vector
    assert torch.allclose(operator.hvp(vector), expected, rtol=1e-10, atol=1e-10)
    direction = operator.layout.unflatten(vector)
    as_dict = operator.hvp_params(direction)
    assert torch.allclose(operator.layout.flatten(as_dict), expected, rtol=1e-10, atol=1e-10)
    assert operator.hvp_count == 2


def test_scipy_view_is_float64_numpy_and_counts_every_column():
    case = meta_loss_case()
    operator = HessianOperator(case.objective, case.params)
    block = np.random.default_rng(0).standard_normal((operator.size, 3))
    product = operator @ block
    assert product.dtype == np.float64 and product.shape == block.shape
    np.testing.assert_allclose(product, case.hessian.numpy() @ block, rtol=1e-10, atol=1e-10)
    assert operator.hvp_count == 3
    operator.matvec(block[:, 0])
    assert operator.hvp_count == 4


def test_float32_operator_serves_float64_vectors():
    matrix = torch.tensor([[2.0, 1.0], [1.0, 3.0]])
    operator = MatrixOperator(matrix)
    product = operator.hvp(torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert product.dtype == torch.float64 and product.tolist() == [3.0, 4.0]


def test_kept_graph_is_the_only_graph_and_a_rebuilt_one_does_not_outlive_its_product():
    """Each graph of ∇L hangs from the flat leaf the objective is called with; watch the leaves."""
    case = meta_loss_case()
    leaves: list[weakref.ref] = []

    def watched(params):
        leaves.append(weakref.ref(next(iter(params.values()))._base))
        return case.objective(params)

    def alive() -> int:
        gc.collect()
        return sum(leaf() is not None for leaf in leaves)

    kept = HessianOperator(watched, case.params, keep_graph=True)
    for seed in range(3):
        kept.hvp(random_vector(kept.size, seed))
        assert len(leaves) == 1 and alive() == 1
    kept.release()
    assert alive() == 0

    rebuilt = HessianOperator(watched, case.params, keep_graph=False)
    for seed in range(3):
        rebuilt.hvp(random_vector(rebuilt.size, seed))
        assert alive() == 0
    assert len(leaves) == 4


def test_operator_is_fixed_at_the_point_it_was_built():
    params = {"w": torch.tensor([1.0, 2.0], dtype=torch.float64)}
    operator = HessianOperator(lambda p: (p["w"] ** 3).sum(), params)
    params["w"] += 10.0
    assert operator.hvp(torch.ones(2, dtype=torch.float64)).tolist() == [6.0, 12.0]


def test_linear_objective_has_a_zero_hessian():
    operator = HessianOperator(lambda p: p["w"].sum(), {"w": torch.ones(3)})
    assert operator.hvp(torch.ones(3)).tolist() == [0.0, 0.0, 0.0]


def test_flat_layout_round_trip():
    params = {"a": torch.arange(6.0).view(2, 3), "b": torch.tensor([7.0])}
    layout = ParamLayout.of(params)
    back = layout.unflatten(layout.flatten(params))
    assert all(torch.equal(back[name], params[name]) for name in params)


@pytest.mark.parametrize(
    ("objective", "params", "message"),
    [
        (lambda p: p["w"], {"w": torch.ones(2)}, "scalar"),
        (lambda p: torch.tensor(1.0), {"w": torch.ones(2)}, "does not depend on params"),
        (lambda p: p["w"].sum(), {"w": torch.ones(2, dtype=torch.int64)}, "floating point"),
        (lambda p: p["w"].sum(), {}, "non-empty dict"),
        (
            lambda p: p["w"].sum(),
            {"w": torch.ones(2), "v": torch.ones(2, dtype=torch.float64)},
            "one dtype",
        ),
    ],
)
def test_bad_objectives_and_params(objective, params, message):
    with pytest.raises(ValueError, match=message):
        HessianOperator(objective, params)


def test_bad_vectors_and_matrices():
    operator = MatrixOperator(torch.eye(3))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        operator.hvp(torch.ones(4))
    with pytest.raises(ValueError, match="symmetric"):
        MatrixOperator(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="square"):
        MatrixOperator(torch.ones(2, 3))
