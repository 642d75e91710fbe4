"""What the ANIL claim tests (A1–A4) share: a small set-up, results as reported, trends in N."""

from __future__ import annotations

import json

import numpy as np

from figures.claims.anil_convergence import STATISTIC, remaining_gap
from figures.claims.anil_setup import AnilSetup

SMALL = AnilSetup(body_widths=(8, 6, 4), head_hidden=3, support_size=3, query_size=4)
GRID = (1, 2, 5, 10, 20)


def as_reported(result: dict) -> dict:
    """A result as the report sees it, after the cache's JSON round trip."""
    return json.loads(json.dumps(result))


def curve_results(
    levels: dict[int, float],
    rates: dict[int, float],
    seeds: int = 5,
    inner_lr: float = 0.075,
    noise: float = 0.05,
) -> list[dict]:
    """Cell results whose held-out curves are F_N(θ_t) = level_N + gap·rate_N^t (seed noise).

    ``level_N`` is F_N*, reached by the long run; ``rate_N`` the per-iteration
    contraction of F_N's own gap, jittered per seed by a factor exp(noise·z).
    The statistic comes from the experiment's own ``remaining_gap``.
    """
    generator = np.random.default_rng(0)
    at = list(range(0, 101, 5))
    results = []
    for steps, level in levels.items():
        for seed in range(seeds):
            rate = rates[steps] ** np.exp(noise * generator.standard_normal())
            curve = [level + (1.0 + 0.1 * seed) * rate**t for t in at]
            _, optimum, mean_fraction = remaining_gap(curve, at, [level])
            results.append(
                {
                    "inner_steps": steps,
                    "seed": seed,
                    "inner_lr": inner_lr,
                    "optimum_objective": optimum,
                    STATISTIC: mean_fraction,
                    "mean_gradient_norm_squared": 0.1 * steps,
                }
            )
    return results


def contractions(half_lives: dict[int, float]) -> dict[int, float]:
    """Per-iteration rates q_N = 2^(−1/h_N) whose gap halves every h_N iterations."""
    return {steps: 0.5 ** (1.0 / half_life) for steps, half_life in half_lives.items()}
