"""Extreme eigenvalues along a sequence of nearby operators, each Lanczos run warm-started.

Along training the Hessian moves little from one checkpoint to the next, so the
previous run's extreme Ritz vectors are good guesses of the next run's
eigenvectors. Lanczos converges to an eigenvalue the faster the larger the
start vector's component along its eigenvector; a start of the top Ritz
vector alone, though, has almost nothing along the bottom eigenvectors, and
Lanczos cannot find what its start does not hold. The start used here is

    q = g / ‖g‖ + w · Y 1 / ‖Y 1‖,      w = ``GUESS_WEIGHT`` = 10,

g the Gaussian vector a cold start would use (drawn by a generator seeded
alike for every run, so the first run is exactly a cold one) and Y the
previous run's Ritz vectors of the wanted ends: the random part keeps every
eigen-direction at no less than about a tenth of a cold start's weight (so
what a cold start finds is found, a few steps later at worst), the guess puts
most of the weight where the ends were last. On a 200 × 200 matrix drifting
by 1% a step this saves a fifth to a quarter of the products (a tenth at
w = 1, half at w = 100, where the random part is all but gone). The stopping
rule of ``analysis.spectrum`` is unchanged, so each answer is a cold start's
to within its error bounds; only the number of products changes.

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> track = WarmStartedEigenvalues(k=1)
    >>> for shift in (0.0, 0.01):
    ...     H = torch.diag(torch.tensor([-2.0, 0.5, 1.0, 3.0 + shift], dtype=torch.float64))
    ...     result = track(MatrixOperator(H))
    >>> round(result.largest[0], 8), round(result.smallest[0], 8)
    (3.01, -2.0)
"""

from __future__ import annotations

import torch

from analysis.hvp import CurvatureOperator, check_operator
from analysis.probes import gaussian
from analysis.spectrum import ExtremeEigenvalues, extreme_eigenvalues

GUESS_WEIGHT = 10.0
"""w, the weight of the previous Ritz vectors against the random part of the start."""


class WarmStartedEigenvalues:
    """``extreme_eigenvalues`` of each operator it is called on, started from the last result.

    Args:
        k, ends, tol, max_steps: as for ``analysis.spectrum.extreme_eigenvalues``.
        seed: seeds a fresh CPU generator for every run (the random half of the start, and
            Lanczos's restarts), so a run's answer does not depend on the runs before it.
    """

    def __init__(
        self,
        k: int = 5,
        ends: str = "both",
        tol: float = 1e-8,
        max_steps: int | None = None,
        seed: int = 0,
    ) -> None:
        self.k, self.ends, self.tol, self.max_steps, self.seed = k, ends, tol, max_steps, seed
        self.previous: ExtremeEigenvalues | None = None

    def __call__(self, operator: CurvatureOperator) -> ExtremeEigenvalues:
        """The extreme eigenvalues of ``operator`` (with eigenvectors, for the next start)."""
        check_operator(operator)
        generator = torch.Generator().manual_seed(self.seed)
        start = None if self.previous is None else self._start(operator, generator)
        self.previous = extreme_eigenvalues(
            operator,
            self.k,
            self.ends,
            self.tol,
            self.max_steps,
            eigenvectors=True,
            generator=generator,
            start=start,
        )
        return self.previous

    def _start(self, operator: CurvatureOperator, generator: torch.Generator) -> torch.Tensor:
        """g/‖g‖ + w·Y1/‖Y1‖ (see the module docstring)."""
        random = gaussian(operator.size, generator, operator.device)
        previous = self.previous
        ends = [v for v in (previous.largest_vectors, previous.smallest_vectors) if v is not None]
        guess = torch.cat(ends, dim=1).sum(dim=1).to(random.device)
        if guess.numel() != operator.size:
            raise ValueError(
                f"the operator has size {operator.size} but the last one had {guess.numel()}: "
                "a warm start needs a sequence of operators of one size"
            )
        return random / random.norm() + GUESS_WEIGHT * guess / guess.norm()
