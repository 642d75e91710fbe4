"""Lanczos with full re-orthogonalisation: the Krylov process behind the spectrum and the density.

For a symmetric H ∈ ℝⁿˣⁿ and a unit vector q₁, m Lanczos steps build an
orthonormal basis Q_m = [q₁ … q_m] of the Krylov space span{q₁, Hq₁, …, H^{m−1}q₁}
and the tridiagonal T_m = Q_mᵀ H Q_m from the three-term recurrence

    H q_j = β_{j−1} q_{j−1} + α_j q_j + β_j q_{j+1},      α_j = q_jᵀ H q_j,

one Hessian-vector product per step. In floating point plain Lanczos loses
orthogonality and T_m grows spurious copies ("ghosts") of converged
eigenvalues; here each new vector is orthogonalised twice against all
previous ones (classical Gram–Schmidt, twice), which keeps Q_m orthonormal to
working precision. If β_j vanishes (q₁ lies in an invariant subspace, as
with repeated eigenvalues), the process continues from a fresh random vector
orthogonal to Q (β_j = 0 in T), so it can still reach all of ℝⁿ; the
Ritz values of the finished blocks are then exact eigenvalues, and further
copies of them can only come from the new block (``block_steps``).

An eigenpair (θ_i, s_i) of T_m is a Ritz pair with Ritz vector y_i = Q_m s_i
and residual ‖H y_i − θ_i y_i‖ = β_m |s_i[m]|, known without another product;
some eigenvalue of H lies within that residual of θ_i.

Vectors are float64 on the operator's device (the basis grows by doubling,
up to ``capacity`` rows); one scalar pair (α_j, β_j) is read back to the
host per step.

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> operator = MatrixOperator(torch.diag(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)))
    >>> process = Lanczos(operator, torch.ones(3, dtype=torch.float64), torch.Generator())
    >>> process.run(3)
    >>> process.ritz().values.round(10).tolist()
    [1.0, 2.0, 3.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal

from analysis.hvp import CurvatureOperator, check_operator
from analysis.probes import gaussian
from synthetic.validation import require_count

BREAKDOWN_TOLERANCE = 1e-10
INITIAL_ROWS = 64


@dataclass(frozen=True)
class RitzPairs:
    """Eigenpairs of T_m, ascending: ``values [m]``, ``vectors [m, m]`` (columns s_i), residuals."""

    values: np.ndarray
    vectors: np.ndarray
    residuals: np.ndarray


class Lanczos:
    """Lanczos on ``operator`` from ``start``, fully re-orthogonalised; grows on :meth:`run`.

    Args:
        operator: a symmetric ``CurvatureOperator``.
        start: the start vector (any non-zero length-n tensor; it is normalised).
        generator: draws the fresh vectors after a breakdown.
        capacity: the most steps this process may take (at most n, the default).
    """

    def __init__(
        self,
        operator: CurvatureOperator,
        start: torch.Tensor,
        generator: torch.Generator,
        capacity: int | None = None,
    ) -> None:
        check_operator(operator)
        size = operator.size
        capacity = size if capacity is None else capacity
        require_count("capacity", capacity)
        self.operator = operator
        self.generator = generator
        self.capacity = min(capacity, size)
        rows = min(self.capacity, INITIAL_ROWS)
        self.basis = torch.empty(rows, size, dtype=torch.float64, device=operator.device)
        first = start.to(device=operator.device, dtype=torch.float64).reshape(-1)
        norm = first.norm()
        if first.numel() != size or not bool(norm > 0):
            raise ValueError(f"start must be a non-zero vector of length {size}")
        self.basis[0] = first / norm
        self.alphas: list[float] = []
        self.betas: list[float] = []
        self.block_start = 0

    @property
    def steps(self) -> int:
        """m, the number of steps (Hessian-vector products) taken."""
        return len(self.alphas)

    @property
    def block_steps(self) -> int:
        """Steps since the last restart (all steps if there was none)."""
        return self.steps - self.block_start

    @property
    def exhausted(self) -> bool:
        """No more steps: the capacity is reached (at capacity n, Q spans ℝⁿ and T is exact)."""
        return self.steps == self.capacity

    def run(self, steps: int) -> None:
        """Take up to ``steps`` more steps (fewer when the process is exhausted)."""
        require_count("steps", steps, minimum=0)
        for _ in range(steps):
            if self.exhausted:
                return
            self._step()

    def tridiagonal(self) -> tuple[np.ndarray, np.ndarray]:
        """The diagonal α ``[m]`` and off-diagonal β ``[m − 1]`` of T_m."""
        return np.array(self.alphas), np.array(self.betas[: self.steps - 1])

    def ritz(self) -> RitzPairs:
        """The Ritz values (ascending), T_m's eigenvectors and the residual norms β_m |s_i[m]|."""
        if self.steps == 0:
            raise ValueError("no Lanczos steps taken yet; call run() first")
        values, vectors = eigh_tridiagonal(*self.tridiagonal())
        residuals = abs(self.betas[-1]) * np.abs(vectors[-1, :])
        return RitzPairs(values, vectors, residuals)

    def ritz_vectors(self, coefficients: np.ndarray) -> torch.Tensor:
        """Ritz vectors Q_m S ``[n, k]`` for columns S ``[m, k]`` of T_m's eigenvectors."""
        weights = torch.as_tensor(coefficients, dtype=torch.float64, device=self.basis.device)
        return self.basis[: self.steps].T @ weights

    def _step(self) -> None:
        j = self.steps
        current = self.basis[j]
        product = self.operator.hvp(current)
        alpha = current @ product
        residual = product - alpha * current
        if j > 0:
            residual = residual - self.betas[j - 1] * self.basis[j - 1]
        residual = self._orthogonalised(residual, j + 1)
        alpha_value, beta = torch.stack([alpha, residual.norm()]).tolist()
        self.alphas.append(alpha_value)
        scale = max(max(abs(a) for a in self.alphas), max(self.betas, default=0.0), beta)
        if j + 1 == self.capacity:
            self.betas.append(beta)
            return
        if j + 1 == self.basis.shape[0]:
            more = min(j + 1, self.capacity - j - 1)
            self.basis = torch.cat([self.basis, self.basis.new_empty(more, self.operator.size)])
        if beta > BREAKDOWN_TOLERANCE * scale:
            self.basis[j + 1] = residual / beta
            self.betas.append(beta)
        else:
            fresh = gaussian(self.operator.size, self.generator, self.basis.device)
            fresh = self._orthogonalised(fresh, j + 1)
            self.basis[j + 1] = fresh / fresh.norm()
            self.betas.append(0.0)
            self.block_start = j + 1

    def _orthogonalised(self, vector: torch.Tensor, count: int) -> torch.Tensor:
        """``vector`` with its components along q₁ … q_count removed (Gram–Schmidt, twice)."""
        basis = self.basis[:count]
        for _ in range(2):
            vector = vector - basis.T @ (basis @ vector)
        return vector
