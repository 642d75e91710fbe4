"""Per-block curvature against the exact diagonal blocks of exact Hessians."""

from __future__ import annotations

import functools
import io
import json

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from analysis.blocks import (
    BlockOperator,
    block_indices,
    block_operator,
    block_spectra,
    layer_blocks,
    plot_block_spectra,
)
from analysis.flat import ParamLayout
from analysis.hvp import HessianOperator, MatrixOperator
from tests.curvature_cases import Case, meta_loss_case


@functools.cache
def mlp_case() -> Case:
    """Cross-entropy of a float64 tanh MLP 3-5-2 (0.*: 20 parameters, 2.*: 12) on 9 points."""
    generator = torch.Generator().manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.normal_(generator=generator)
    x = torch.randn(9, 3, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 2, (9,), generator=generator)
    params = {name: t.detach().clone() for name, t in model.named_parameters()}

    def objective(p):
        return nn.functional.cross_entropy(torch.func.functional_call(model, p, (x,)), labels)

    layout = ParamLayout.of(params)
    hessian = torch.autograd.functional.hessian(
        lambda v: objective(layout.unflatten(v)), layout.flatten(params)
    )
    return Case(objective, params, hessian)


def exact_block(case: Case, names) -> np.ndarray:
    indices = block_indices(ParamLayout.of(case.params), names).numpy()
    return case.hessian.numpy()[np.ix_(indices, indices)]


@pytest.mark.parametrize("case", [mlp_case, meta_loss_case], ids=["mlp", "meta_loss"])
@pytest.mark.parametrize("dense_max_size", [0, 64], ids=["lanczos", "dense"])
def test_block_eigenvalues_are_those_of_the_exact_diagonal_blocks(case, dense_max_size):
    case = case()
    operator = HessianOperator(case.objective, case.params)
    spectra = block_spectra(operator, k=3, dense_max_size=dense_max_size, tol=1e-10)
    assert [block.name for block in spectra.blocks] == list(layer_blocks(case.params))
    full = np.linalg.eigvalsh(case.hessian.numpy())
    for block in spectra.blocks:
        values = np.linalg.eigvalsh(exact_block(case, block.parameter_names))
        count = min(3, block.size)
        np.testing.assert_allclose(block.largest, values[::-1][:count], rtol=0, atol=1e-8)
        np.testing.assert_allclose(block.smallest, values[:count], rtol=0, atol=1e-8)
        assert block.eigenvalue_method == ("dense" if block.size <= dense_max_size else "lanczos")
        assert block.converged
        assert full[0] - 1e-8 <= block.smallest[0] and block.largest[0] <= full[-1] + 1e-8
    assert spectra.hvp_count == sum(b.hvp_count for b in spectra.blocks) > 0


def test_blocks_of_any_operator_are_restrictions_of_full_products():
    """A MatrixOperator has no objective: its blocks embed, multiply and restrict."""
    case = meta_loss_case()
    operator = MatrixOperator(case.hessian)
    layout = ParamLayout.of(case.params)
    spectra = block_spectra(operator, k=2, dense_max_size=16, tol=1e-10, layout=layout)
    assert isinstance(block_operator(operator, layout, ["0.weight"]), BlockOperator)
    for block in spectra.blocks:
        values = np.linalg.eigvalsh(exact_block(case, block.parameter_names))
        np.testing.assert_allclose(block.largest, values[::-1][:2], rtol=0, atol=1e-8)
        np.testing.assert_allclose(block.smallest, values[:2], rtol=0, atol=1e-8)
    assert operator.hvp_count == spectra.hvp_count


def test_a_hessian_block_is_the_hessian_in_the_block_parameters_alone():
    case = mlp_case()
    operator = HessianOperator(case.objective, case.params)
    layout = operator.layout
    block = block_operator(operator, layout, ["2.weight", "2.bias"])
    assert isinstance(block, HessianOperator) and block.size == 12
    vector = torch.randn(12, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = torch.from_numpy(exact_block(case, ["2.weight", "2.bias"])) @ vector
    assert torch.allclose(block.hvp(vector), expected, rtol=0, atol=1e-12)
    assert operator.hvp_count == 0 and block.hvp_count == 1


def test_dense_block_traces_are_exact_and_sum_to_the_full_trace():
    case = mlp_case()
    spectra = block_spectra(HessianOperator(case.objective, case.params))
    for block in spectra.blocks:
        assert block.trace.method == "exact" and block.trace.half_width == 0.0
        exact = np.trace(exact_block(case, block.parameter_names))
        assert block.trace.trace == pytest.approx(exact, abs=1e-10)
        assert block.hvp_count == block.size
    assert spectra.trace == pytest.approx(torch.trace(case.hessian).item(), abs=1e-10)
    assert spectra.hvp_count == 32


@pytest.mark.parametrize("method", ["hutch++", "hutchinson"])
def test_estimated_block_traces_hold_the_full_trace_within_their_intervals(method):
    case = meta_loss_case()
    spectra = block_spectra(
        HessianOperator(case.objective, case.params),
        trace_budget=12,
        trace_method=method,
        dense_max_size=0,
        generator=torch.Generator().manual_seed(1),
    )
    assert all(b.trace.method == method and b.trace.half_width > 0 for b in spectra.blocks)
    exact_total = torch.trace(case.hessian).item()
    assert abs(spectra.trace - exact_total) <= spectra.trace_half_width
    assert spectra.uncovered == ()


def test_custom_blocks_need_not_be_contiguous_or_cover_everything():
    case = mlp_case()
    operator = HessianOperator(case.objective, case.params)
    grouping = {"weights": ["0.weight", "2.weight"], "biases": ["2.bias", "0.bias"]}
    spectra = block_spectra(operator, grouping, k=2, dense_max_size=0)
    assert [(b.name, b.size) for b in spectra.blocks] == [("weights", 25), ("biases", 7)]
    for block, names in zip(spectra.blocks, grouping.values()):
        values = np.linalg.eigvalsh(exact_block(case, names))
        np.testing.assert_allclose(block.largest, values[::-1][:2], atol=1e-8)
        np.testing.assert_allclose(block.smallest, values[:2], atol=1e-8)
    head = block_spectra(operator, {"head": ["2.weight", "2.bias"]})
    assert head.uncovered == ("0.weight", "0.bias")
    assert head.trace == pytest.approx(np.trace(exact_block(case, ["2.weight", "2.bias"])))


def test_block_operator_is_the_restriction_of_the_full_operator():
    matrix = torch.arange(16.0, dtype=torch.float64).view(4, 4)
    matrix = matrix + matrix.T
    full = MatrixOperator(matrix)
    block = BlockOperator(full, torch.tensor([0, 2]))
    vector = torch.tensor([1.0, -1.0], dtype=torch.float64)
    assert block.hvp(vector).tolist() == (matrix[[0, 2]][:, [0, 2]] @ vector).tolist()
    assert block.hvp_count == full.hvp_count == 1


def test_an_operator_without_a_layout_takes_one():
    operator = MatrixOperator(torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
    with pytest.raises(ValueError, match=r"no parameter layout; pass layout=ParamLayout.of"):
        block_spectra(operator)
    layout = ParamLayout.of({"a.w": torch.zeros(2), "b.w": torch.zeros(1)})
    spectra = block_spectra(operator, layout=layout)
    assert [(b.name, b.largest, b.trace.trace) for b in spectra.blocks] == [
        ("a", (2.0,), 3.0),
        ("b", (3.0,), 3.0),
    ]


def test_layer_blocks_group_by_the_prefix_before_the_last_dot():
    names = ["body.0.weight", "body.0.bias", "head.weight", "temperature"]
    assert layer_blocks(names) == {
        "body.0": ("body.0.weight", "body.0.bias"),
        "head": ("head.weight",),
        "temperature": ("temperature",),
    }


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ({}, r"blocks must be a non-empty mapping block name -> list of parameter names"),
        ({"a": []}, r"block 'a' is empty; give it at least one parameter name or remove it"),
        (
            {"a": ["0.weight", "1.weight"]},
            r"block 'a' names \['1.weight'\], which are not parameters of the operator; "
            r"its parameters are \['0.weight', '0.bias', '2.weight', '2.bias'\]",
        ),
        (
            {"a": ["0.weight"], "b": ["0.bias", "0.weight"]},
            r"parameter '0.weight' of block 'b' is also in block 'a'; put each parameter in "
            r"at most one block",
        ),
        ({"a": ["0.bias", "0.bias"]}, r"parameter '0.bias' of block 'a' is twice"),
        ({"a": "0.bias"}, r"block 'a' must list parameter names, got '0.bias'; write \['0.bias'\]"),
    ],
)
def test_bad_blocks_say_what_is_wrong_and_how_to_fix_it(blocks, message):
    case = mlp_case()
    with pytest.raises(ValueError, match=message):
        block_spectra(HessianOperator(case.objective, case.params), blocks)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"k": 0}, "k must be an integer >= 1"),
        ({"trace_method": "exact"}, "trace_method must be one of"),
        ({"dense_max_size": -1}, "dense_max_size must be an integer >= 0"),
    ],
)
def test_bad_settings(keywords, message):
    case = mlp_case()
    with pytest.raises(ValueError, match=message):
        block_spectra(HessianOperator(case.objective, case.params), **keywords)


def test_json_and_plot():
    case = mlp_case()
    spectra = block_spectra(HessianOperator(case.objective, case.params), dense_max_size=12)
    record = json.loads(json.dumps(spectra.as_dict()))
    assert [block["eigenvalue_method"] for block in record["blocks"]] == ["lanczos", "dense"]
    assert record["hvp_count"] == spectra.hvp_count
    assert record["blocks"][1]["trace"]["method"] == "exact"
    figure = plot_block_spectra(spectra)
    assert isinstance(figure, Figure)
    top, bottom = figure.axes
    assert top.get_ylabel() == r"$\lambda_{\max}(H_{BB})$"
    assert bottom.get_ylabel() == r"$\mathrm{tr}(H_{BB})$"
    assert [label.get_text() for label in bottom.get_xticklabels()] == ["0", "2"]
    figure.savefig(io.BytesIO(), format="png")  # the mathtext renders


@pytest.mark.parametrize(
    ("diagonal", "scale"),
    [
        ([3.0, 1.0, 2.0], "linear"),
        ([1000.0, 1.0, 2.0], "log"),
        ([-1.0, 0.0, 200.0], "symlog"),
    ],
)
def test_bars_are_linear_from_zero_unless_they_span_two_decades(diagonal, scale):
    operator = MatrixOperator(torch.diag(torch.tensor(diagonal, dtype=torch.float64)))
    layout = ParamLayout.of({"a.w": torch.zeros(1), "b.w": torch.zeros(2)})
    top, bottom = plot_block_spectra(block_spectra(operator, layout=layout)).axes
    assert top.get_yscale() == bottom.get_yscale() == scale
