"""Both ends of the spectrum by Lanczos against exact Hessians, with negative controls."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.sparse.linalg import eigsh

from analysis.hvp import HessianOperator, MatrixOperator
from analysis.lanczos import Lanczos
from analysis.spectrum import extreme_eigenvalues
from tests.curvature_cases import meta_loss_case, quadratic_case


def relative_errors(measured, exact) -> np.ndarray:
    exact = np.asarray(exact, dtype=np.float64)
    return np.abs(np.asarray(measured) - exact) / np.abs(exact)


def test_meta_loss_both_ends_match_the_exact_hessian():
    case = meta_loss_case()
    exact = case.eigenvalues.numpy()
    operator = HessianOperator(case.objective, case.params)
    result = extreme_eigenvalues(operator, k=5, eigenvectors=True)
    assert result.converged
    assert relative_errors(result.largest, exact[::-1][:5]).max() <= 1e-6
    assert relative_errors(result.smallest, exact[:5]).max() <= 1e-6
    assert result.hvp_count == result.lanczos_steps == operator.hvp_count
    for values, vectors in (
        (result.largest, result.largest_vectors),
        (result.smallest, result.smallest_vectors),
    ):
        residual = case.hessian @ vectors - vectors * torch.tensor(values, dtype=torch.float64)
        assert residual.norm(dim=0).max() <= 1e-3 * abs(exact).max()
        assert torch.allclose(vectors.T @ vectors, torch.eye(5, dtype=torch.float64), atol=1e-8)


def test_largest_by_magnitude_is_not_the_largest_algebraic_eigenvalue_here():
    """Negative control: on this indefinite Hessian "top by magnitude" is the wrong number."""
    case = meta_loss_case()
    exact = case.eigenvalues.numpy()
    operator = HessianOperator(case.objective, case.params)
    by_magnitude = eigsh(operator, k=1, which="LM", v0=np.ones(operator.size))[0][0]
    result = extreme_eigenvalues(operator, k=1)
    assert by_magnitude == pytest.approx(exact[0], rel=1e-6) and by_magnitude < 0
    assert relative_errors(result.largest, exact[-1:]).max() <= 1e-6
    assert relative_errors([by_magnitude], exact[-1:]).max() > 1.0


def test_scipy_lanczos_on_the_operator_agrees():
    case = meta_loss_case()
    operator = HessianOperator(case.objective, case.params)
    scipy_top = np.sort(eigsh(operator, k=3, which="LA", v0=np.ones(operator.size))[0])[::-1]
    ours = extreme_eigenvalues(operator, k=3, ends="largest")
    assert relative_errors(ours.largest, scipy_top).max() <= 1e-8
    assert ours.smallest == ()


def test_known_spectrum_with_repeated_eigenvalues_is_recovered_in_full():
    spectrum = (-3.0, -3.0, -1.0, 0.0, 0.5, 2.0, 2.0, 2.0, 7.0)
    case = quadratic_case(spectrum)
    operator = HessianOperator(case.objective, case.params)
    result = extreme_eigenvalues(operator, k=4)
    np.testing.assert_allclose(result.largest, [7.0, 2.0, 2.0, 2.0], rtol=1e-10)
    np.testing.assert_allclose(result.smallest, [-3.0, -3.0, -1.0, 0.0], atol=1e-10)
    assert result.converged and result.hvp_count <= len(spectrum)


def test_lanczos_keeps_its_basis_orthonormal_without_ghosts():
    """Plain Lanczos would repeat a converged eigenvalue; full re-orthogonalisation does not."""
    values = torch.cat([torch.tensor([100.0]), torch.linspace(0.0, 1.0, 199)]).double()
    operator = MatrixOperator(torch.diag(values))
    process = Lanczos(operator, torch.ones(200).double(), torch.Generator(), capacity=120)
    process.run(120)
    basis = process.basis[: process.steps]
    assert torch.allclose(basis @ basis.T, torch.eye(process.steps).double(), atol=1e-10)
    ritz = process.ritz().values
    assert np.sum(np.abs(ritz - 100.0) < 1e-6) == 1


def test_not_converging_within_the_budget_is_reported():
    case = meta_loss_case()
    result = extreme_eigenvalues(
        HessianOperator(case.objective, case.params), k=3, tol=1e-14, max_steps=8
    )
    assert not result.converged and result.hvp_count == 8
    assert max(result.largest_error_bounds) > 1e-14 * max(map(abs, result.largest))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"k": 0}, "k must be an integer >= 1"),
        ({"k": 10}, r"k must be <= n = 9"),
        ({"ends": "magnitude"}, "ends must be one of"),
        ({"tol": 0.0}, "tol must be > 0"),
        ({"k": 3, "max_steps": 2}, "max_steps must be an integer >= 3"),
    ],
)
def test_bad_requests(options, message):
    operator = MatrixOperator(torch.eye(9, dtype=torch.float64))
    with pytest.raises(ValueError, match=message):
        extreme_eigenvalues(operator, **options)


def test_not_an_operator():
    with pytest.raises(ValueError, match="CurvatureOperator"):
        extreme_eigenvalues(np.eye(3))
