"""Fixtures of the claim tests: real ANIL convergence runs for A1, A2 and their shared module."""

from __future__ import annotations

from dataclasses import replace

import pytest

from figures.claims.anil_convergence import ConvergenceConfig
from tests.figures.claims.anil_cases import SMALL, as_reported


@pytest.fixture(scope="session")
def trained() -> dict[str, list[dict]]:
    """Both heads of the small net at their stable steps, N ∈ {1, 4, 16}, three seeds,
    T = 40 and a long run of 60: small but real runs (once)."""
    heads = {
        "convex": replace(SMALL, head="linear"),
        "nonconvex": replace(SMALL, head="mlp", ridge=0.0, step_scale=0.15),
    }
    return {
        name: [
            as_reported(
                ConvergenceConfig(
                    setup, steps, 40, checkpoints=8, optimum_iterations=60, eval_tasks=16
                ).run(seed)
            )
            for steps in (1, 4, 16)
            for seed in range(3)
        ]
        for name, setup in heads.items()
    }
