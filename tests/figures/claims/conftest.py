"""Fixtures of the claim tests: the ANIL convergence runs A1, A2 and their shared module read."""

from __future__ import annotations

import pytest

from figures.claims.anil_convergence import ConvergenceConfig, convergence_experiment
from figures.claims.anil_setup import CONVEX, NONCONVEX
from tests.figures.claims.anil_cases import as_reported


@pytest.fixture(scope="session")
def trained() -> dict[str, list[dict]]:
    """Both heads, N ∈ {1, 10, 20}, three seeds, 150 iterations: small but real runs (once)."""
    return {
        name: [
            as_reported(
                convergence_experiment(
                    ConvergenceConfig(setup, n, iterations=150, eval_tasks=16), seed
                )
            )
            for n in (1, 10, 20)
            for seed in range(3)
        ]
        for name, setup in (("convex", CONVEX), ("nonconvex", NONCONVEX))
    }
