"""Warm-started Lanczos along nearby operators: the cold start's answers, fewer products."""

from __future__ import annotations

import pytest
import torch

from analysis.hvp import MatrixOperator
from analysis.spectrum import extreme_eigenvalues
from analysis.warm_start import WarmStartedEigenvalues


def drifting_matrices(n: int = 120, count: int = 5) -> list[torch.Tensor]:
    """H_t = Q_t diag(λ (1 + t/100)) Q_tᵀ, Q_t a small random rotation of a fixed Q."""
    generator = torch.Generator().manual_seed(3)
    rotation, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    spectrum = 10 * torch.linspace(-1, 1, n, dtype=torch.float64) ** 3
    matrices = []
    for step in range(count):
        noise = 1e-3 * torch.randn(n, n, generator=generator, dtype=torch.float64)
        basis, _ = torch.linalg.qr(rotation + noise)
        matrix = basis @ torch.diag(spectrum * (1 + step / 100)) @ basis.T
        matrices.append((matrix + matrix.T) / 2)
    return matrices


@pytest.mark.parametrize("k", [1, 3])
def test_warm_starts_give_the_cold_answers_with_fewer_products(k):
    track = WarmStartedEigenvalues(k=k, seed=5)
    warm_products = cold_products = 0
    for step, matrix in enumerate(drifting_matrices()):
        exact = torch.linalg.eigvalsh(matrix)
        warm = track(MatrixOperator(matrix))
        cold = extreme_eigenvalues(
            MatrixOperator(matrix), k, generator=torch.Generator().manual_seed(5)
        )
        assert warm.converged and cold.converged
        assert warm.largest == pytest.approx(exact.flip(0)[:k].tolist(), rel=1e-8)
        assert warm.smallest == pytest.approx(exact[:k].tolist(), rel=1e-8)
        assert warm.largest == pytest.approx(cold.largest, rel=1e-8)
        if step == 0:
            assert warm.hvp_count == cold.hvp_count, "the first run is a cold start"
        else:
            assert warm.hvp_count < cold.hvp_count
        warm_products += warm.hvp_count
        cold_products += cold.hvp_count
    assert warm_products <= 0.9 * cold_products


def test_a_new_top_direction_outside_the_guess_is_found():
    """The guess (the old top eigenvector) is orthogonal to the new top one: only the
    random part of the start holds it, and that suffices."""
    diagonal = torch.linspace(-1.0, 5.0, 100, dtype=torch.float64)
    track = WarmStartedEigenvalues(k=1, ends="largest")
    assert track(MatrixOperator(torch.diag(diagonal))).largest[0] == pytest.approx(5.0)
    moved = diagonal.clone()
    moved[40] = 9.0
    assert track(MatrixOperator(torch.diag(moved))).largest[0] == pytest.approx(9.0, rel=1e-8)


def test_operators_of_another_size_are_refused():
    track = WarmStartedEigenvalues(k=1)
    track(MatrixOperator(torch.eye(3, dtype=torch.float64)))
    with pytest.raises(ValueError, match="a sequence of operators of one size"):
        track(MatrixOperator(torch.eye(4, dtype=torch.float64)))
