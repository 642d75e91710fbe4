"""The compiled Hessian-vector product: agreement with double backward, one compile, fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from analysis.compiled_hvp import MODES, CompiledHessianOperator, hessian_vector_product
from analysis.flat import ParamLayout
from analysis.hvp import HessianOperator
from tests.curvature_cases import meta_loss_case


def random_vector(size: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def cubic(scale: float):
    """L(w) = s Σ w³ + w₀ w₁, H = diag(6 s w) + the swap of w₀, w₁: a closure over a tensor."""
    weight = torch.tensor(scale, dtype=torch.float64)

    def objective(p):
        return weight * (p["w"] ** 3).sum() + p["w"][0] * p["w"][1]

    return objective


def cubic_hessian(scale: float, point: torch.Tensor) -> torch.Tensor:
    hessian = torch.diag(6 * scale * point)
    hessian[0, 1] = hessian[1, 0] = 1.0
    return hessian


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_meta_loss_products_agree_with_double_backward(mode):
    case = meta_loss_case()
    operator = CompiledHessianOperator(case.objective, case.params, mode=mode)
    assert operator.compiled and operator.hvp_count == 0
    reference = HessianOperator(case.objective, case.params)
    for seed in range(2):
        vector = random_vector(operator.size, seed)
        product = operator.hvp(vector)
        assert torch.allclose(product, reference.hvp(vector), rtol=1e-10, atol=1e-10)
        assert torch.allclose(product, case.hessian @ vector, rtol=1e-10, atol=1e-10)
    block = np.random.default_rng(0).standard_normal((operator.size, 2))
    np.testing.assert_allclose(operator @ block, case.hessian.numpy() @ block, atol=1e-10)
    vector = random_vector(operator.size)
    as_dict = operator.hvp_params(operator.layout.unflatten(vector))
    expected = case.hessian @ vector
    assert torch.allclose(operator.layout.flatten(as_dict), expected, rtol=1e-10, atol=1e-10)
    assert operator.hvp_count == 5


@pytest.mark.slow
def test_compiles_once_per_operator_and_reuses_the_program_for_a_like_objective(monkeypatch):
    compiles = []
    compile_ = torch.compile
    monkeypatch.setattr(
        torch, "compile", lambda fn, **options: compiles.append(fn) or compile_(fn, **options)
    )
    counters = torch._dynamo.utils.counters["stats"]
    point = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    first = CompiledHessianOperator(cubic(1.0), {"w": point})
    graphs = counters["unique_graphs"]
    for seed in range(3):
        vector = random_vector(3, seed)
        assert torch.allclose(first.hvp(vector), cubic_hessian(1.0, point) @ vector)
    second = CompiledHessianOperator(cubic(3.0), {"w": 2 * point})
    vector = random_vector(3)
    assert torch.allclose(second.hvp(vector), cubic_hessian(3.0, 2 * point) @ vector)
    assert torch.allclose(first.hvp(vector), cubic_hessian(1.0, point) @ vector)
    assert counters["unique_graphs"] == graphs and len(compiles) == 2
    assert (first.hvp_count, second.hvp_count) == (4, 1)


def raising_compile(*args, **options):
    raise RuntimeError("no compiler here\nsecond line")


def compile_raising_when_run(fn, **options):
    def run(*args):
        raise RuntimeError("backend failed")

    return run


@pytest.mark.parametrize("failing", [raising_compile, compile_raising_when_run])
@pytest.mark.parametrize("keep_graph", [True, False])
def test_a_failed_compile_warns_once_and_falls_back_to_double_backward(
    monkeypatch, failing, keep_graph
):
    monkeypatch.setattr(torch, "compile", failing)
    case = meta_loss_case()
    with pytest.warns(UserWarning, match="could not compile") as caught:
        operator = CompiledHessianOperator(case.objective, case.params, keep_graph=keep_graph)
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert not operator.compiled and operator.keep_graph == keep_graph
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(2):
            vector = random_vector(operator.size, seed)
            expected = case.hessian @ vector
            assert torch.allclose(operator.hvp(vector), expected, rtol=1e-10, atol=1e-10)
    assert operator.hvp_count == 2


def test_bad_input_is_refused_before_compiling(monkeypatch):
    monkeypatch.setattr(torch, "compile", raising_compile)
    point = {"w": torch.ones(2, dtype=torch.float64)}
    with pytest.raises(ValueError, match="mode must be one of"):
        CompiledHessianOperator(cubic(1.0), point, mode="reverse-over-forward")
    with pytest.raises(ValueError, match="scalar"):
        CompiledHessianOperator(lambda p: p["w"] * 2, point)
    with pytest.raises(ValueError, match="does not depend on params"):
        CompiledHessianOperator(lambda p: torch.tensor(1.0), point)
    with pytest.raises(ValueError, match="callable"):
        CompiledHessianOperator("loss", point)


@pytest.mark.parametrize("mode", MODES)
def test_uncompiled_products_match_the_exact_hessian(mode):
    point = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    product = hessian_vector_product(cubic(2.0), ParamLayout.of({"w": point}), mode)
    vector = random_vector(3)
    assert torch.allclose(product(point, vector), cubic_hessian(2.0, point) @ vector)
