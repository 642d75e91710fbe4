"""The preconditioned Hessian against exact matrices, Adam's preconditioner and thresholds."""

from __future__ import annotations

import pytest
import torch

from analysis.hvp import MatrixOperator
from analysis.preconditioned import (
    PreconditionedOperator,
    adam_preconditioner,
    stability_threshold,
)
from analysis.spectrum import extreme_eigenvalues


def symmetric(n: int, seed: int) -> torch.Tensor:
    draws = torch.randn(n, n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (draws + draws.T) / 2


def test_the_operator_is_p_to_the_minus_half_h_p_to_the_minus_half_exactly():
    hessian = symmetric(6, 0)
    diagonal = torch.tensor([4.0, 0.25, 1.0, 16.0, 0.0625, 1.0], dtype=torch.float64)
    operator = PreconditionedOperator(MatrixOperator(hessian), diagonal)
    root = torch.diag(diagonal.rsqrt())
    expected = root @ hessian @ root
    products = torch.stack([operator.hvp(column) for column in torch.eye(6, dtype=torch.float64)])
    assert torch.equal(products.T, expected)  # powers of two: no rounding at all
    assert operator.hvp_count == operator.operator.hvp_count == 6


def test_its_eigenvalues_are_those_of_p_inverse_h():
    hessian, diagonal = symmetric(8, 1), torch.linspace(0.1, 3.0, 8, dtype=torch.float64)
    exact = torch.linalg.eigvals(torch.diag(1 / diagonal) @ hessian).real.sort().values
    result = extreme_eigenvalues(PreconditionedOperator(MatrixOperator(hessian), diagonal), k=2)
    assert result.largest == pytest.approx(exact.flip(0)[:2].tolist(), rel=1e-9)
    assert result.smallest == pytest.approx(exact[:2].tolist(), rel=1e-9)


def test_adams_preconditioner_is_the_step_torch_takes():
    """One Adam step from θ is θ − η P⁻¹ m with m Adam's (uncorrected) first moment."""
    theta = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([theta], lr=0.1, betas=(0.8, 0.99), eps=1e-3)
    for scale in (1.0, 3.0, -2.0):
        before = theta.detach().clone()
        optimizer.zero_grad()
        (scale * (theta**2).sum()).backward()
        optimizer.step()
    state = optimizer.state[theta]
    diagonal = adam_preconditioner(state["exp_avg_sq"], int(state["step"]), (0.8, 0.99), 1e-3)
    expected = before - 0.1 * state["exp_avg"] / diagonal
    assert torch.allclose(theta.detach(), expected, rtol=1e-12, atol=1e-14)


def test_stability_thresholds():
    assert stability_threshold(0.01) == pytest.approx(200.0)
    assert stability_threshold(1e-3, beta1=0.9) == pytest.approx(38000.0)


@pytest.mark.parametrize(
    ("make_it", "message"),
    [
        (lambda: PreconditionedOperator(MatrixOperator(torch.eye(2)), torch.ones(3)), r"\(2,\)"),
        (
            lambda: PreconditionedOperator(MatrixOperator(torch.eye(2)), torch.tensor([1.0, 0])),
            "positive and finite",
        ),
        (lambda: adam_preconditioner(torch.ones(2), 0, (0.9, 0.999), 1e-8), "step must be"),
        (lambda: adam_preconditioner(torch.ones(2), 1, (0.9, 1.0), 1e-8), r"beta2 must be in"),
        (lambda: stability_threshold(-1.0), "lr must be > 0"),
    ],
)
def test_bad_input(make_it, message):
    with pytest.raises(ValueError, match=message):
        make_it()
