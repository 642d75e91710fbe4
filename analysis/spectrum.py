"""The k largest and k smallest algebraic eigenvalues of a Hessian, by Lanczos.

Away from a minimum the Hessian of a meta-loss is indefinite, and "the top
eigenvalue by magnitude" (power iteration) then reports a large negative
eigenvalue as the sharpness (REFERENCE.md §7). This module asks for what is
meant: the algebraically largest λ₁ ≥ … ≥ λ_k and smallest λ_n ≤ … ≤ λ_{n−k+1},
both ends from one Lanczos run (``analysis.lanczos``, fully
re-orthogonalised), never "largest by magnitude".

Stopping rule. For a Ritz value θ_i with residual r_i (one Lanczos product
gives both ends' residuals for free) and gap δ_i to the nearest other Ritz
value, the eigenvalue error is at most r_i and, once θ_i is isolated, about
r_i²/δ_i (Kato–Temple; the Ritz gap stands in for the unknown true gap).
The run stops when every wanted Ritz value has

    min(r_i, r_i²/δ_i) ≤ tol · max_j |θ_j|,

a bound relative to the spectral norm estimate ‖T_m‖, and the Krylov block
since the last restart (``analysis.lanczos``) has taken k steps per wanted
end (or spans what is left of ℝⁿ), so that copies of repeated eigenvalues
are not missed; or when ``max_steps`` products are spent (then
``converged`` is false and the bounds say how far it got).

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> H = torch.diag(torch.tensor([-4.0, -1.0, 0.5, 2.0, 3.0], dtype=torch.float64))
    >>> result = extreme_eigenvalues(MatrixOperator(H), k=2)
    >>> [round(v, 8) for v in result.largest], [round(v, 8) for v in result.smallest]
    ([3.0, 2.0], [-4.0, -1.0])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from analysis.hvp import CurvatureOperator, check_operator
from analysis.lanczos import Lanczos, RitzPairs
from analysis.probes import default_generator, gaussian
from synthetic.validation import require_count, require_positive

ENDS = ("both", "largest", "smallest")
DEFAULT_MAX_STEPS = 500


@dataclass(frozen=True)
class ExtremeEigenvalues:
    """Both ends of a spectrum: values, error bounds, cost; eigenvectors if asked for.

    ``largest`` is descending, ``smallest`` ascending; an end not asked for is
    empty. ``largest_vectors`` / ``smallest_vectors`` are ``[n, k]`` float64
    tensors (unit columns, in the flat layout of the parameters) or ``None``.
    """

    largest: tuple[float, ...]
    smallest: tuple[float, ...]
    largest_error_bounds: tuple[float, ...]
    smallest_error_bounds: tuple[float, ...]
    converged: bool
    tolerance: float
    lanczos_steps: int
    hvp_count: int
    seconds: float
    largest_vectors: torch.Tensor | None = field(default=None, repr=False, compare=False)
    smallest_vectors: torch.Tensor | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The plain numbers (no eigenvectors), for JSON."""
        return {
            "largest": list(self.largest),
            "smallest": list(self.smallest),
            "largest_error_bounds": list(self.largest_error_bounds),
            "smallest_error_bounds": list(self.smallest_error_bounds),
            "converged": self.converged,
            "tolerance": self.tolerance,
            "lanczos_steps": self.lanczos_steps,
            "hvp_count": self.hvp_count,
            "seconds": self.seconds,
        }


def extreme_eigenvalues(
    operator: CurvatureOperator,
    k: int = 5,
    ends: str = "both",
    tol: float = 1e-8,
    max_steps: int | None = None,
    eigenvectors: bool = False,
    generator: torch.Generator | None = None,
    start: torch.Tensor | None = None,
) -> ExtremeEigenvalues:
    """The ``k`` largest and/or smallest algebraic eigenvalues of ``operator``.

    Args:
        operator: a symmetric curvature operator, e.g. ``HessianOperator(objective, params)``.
        k: how many eigenvalues at each end (1 ≤ k ≤ n).
        ends: ``"both"``, ``"largest"`` or ``"smallest"``.
        tol: the error bound to reach, relative to the spectral norm (see the module docstring).
        max_steps: the most Lanczos steps (Hessian-vector products); default min(n, 500).
        eigenvectors: also return the Ritz vectors of the returned values.
        generator: draws the start vector (and restarts); ``None`` means a
            fresh CPU generator seeded with 0, so results are reproducible.
        start: the Lanczos start vector (any non-zero length-n tensor) instead of a Gaussian
            one, e.g. a guess from a nearby operator (``analysis.warm_start``); the stopping
            rule is the same, so it changes the cost, not the answer.
    """
    check_operator(operator)
    size = operator.size
    require_count("k", k)
    if k > size:
        raise ValueError(f"k must be <= n = {size} (the operator's dimension), got {k}")
    if ends not in ENDS:
        raise ValueError(f"ends must be one of {ENDS}, got {ends!r}")
    require_positive("tol", tol)
    max_steps = min(size, DEFAULT_MAX_STEPS) if max_steps is None else max_steps
    require_count("max_steps", max_steps, minimum=k)
    wanted_ends = ("largest", "smallest") if ends == "both" else (ends,)
    generator = default_generator(generator)

    start_time, start_count = time.perf_counter(), operator.hvp_count
    if start is None:
        start = gaussian(size, generator, operator.device)
    process = Lanczos(operator, start, generator, max_steps)
    minimal_steps = k * len(wanted_ends)
    process.run(min(minimal_steps, process.capacity))
    while True:
        ritz = process.ritz()
        indices = {end: _end_indices(end, k, process.steps) for end in wanted_ends}
        bounds = error_bounds(ritz)
        threshold = tol * np.abs(ritz.values).max()
        explored = process.block_steps >= min(minimal_steps, size - process.block_start)
        converged = explored and all(bool((bounds[i] <= threshold).all()) for i in indices.values())
        if converged or process.exhausted:
            break
        process.run(1)

    def end_values(end: str, array: np.ndarray) -> tuple[float, ...]:
        return tuple(float(v) for v in array[indices[end]]) if end in indices else ()

    def end_vectors(end: str) -> torch.Tensor | None:
        if not eigenvectors or end not in indices:
            return None
        return process.ritz_vectors(ritz.vectors[:, indices[end]])

    return ExtremeEigenvalues(
        largest=end_values("largest", ritz.values),
        smallest=end_values("smallest", ritz.values),
        largest_error_bounds=end_values("largest", bounds),
        smallest_error_bounds=end_values("smallest", bounds),
        converged=converged,
        tolerance=tol,
        lanczos_steps=process.steps,
        hvp_count=operator.hvp_count - start_count,
        seconds=time.perf_counter() - start_time,
        largest_vectors=end_vectors("largest"),
        smallest_vectors=end_vectors("smallest"),
    )


def error_bounds(ritz: RitzPairs) -> np.ndarray:
    """min(r_i, r_i²/δ_i) for each Ritz value, δ_i the gap to its nearest neighbour."""
    values, residuals = ritz.values, ritz.residuals
    if values.size == 1:
        return residuals.copy()
    spacing = np.diff(values)
    gaps = np.minimum(np.append(spacing, np.inf), np.insert(spacing, 0, np.inf))
    with np.errstate(divide="ignore", invalid="ignore"):
        quadratic = np.where(gaps > 0, residuals**2 / gaps, np.inf)
    return np.minimum(residuals, quadratic)


def _end_indices(end: str, k: int, steps: int) -> np.ndarray:
    """Indices into the ascending Ritz values: the top k descending, or the bottom k ascending."""
    count = min(k, steps)
    return np.arange(steps - 1, steps - 1 - count, -1) if end == "largest" else np.arange(count)
