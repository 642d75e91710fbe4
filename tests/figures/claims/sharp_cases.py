"""What the sharpness claim tests (H1, H2, G2) share: a tiny glyph set-up, per-seed accuracies,
and H1's arm results (MAML's trajectory, each variant's last snapshot)."""

from __future__ import annotations

import json
from dataclasses import replace

from figures.claims.h2_sharp_accuracy import QUICK_SETUP
from figures.engine.claim import Cell, Results
from figures.engine.executors import compute_cell

TINY_GLYPHS = {"glyph_alphabets": 4, "glyph_characters": 5, "glyph_drawings": 4}


TINY_SETUP = replace(
    QUICK_SETUP,
    iterations=2,
    test_tasks=4,
    filters=2,
    meta_gradient_path="autograd",
    **TINY_GLYPHS,
)
"""A tiny set-up whose learners all execute their meta-gradients the same way (no timing
probe), so the ρ = 0 controls are bit for bit MAML."""


def seeded_accuracies(values: dict[str, list[float]]) -> list[dict]:
    """Results as H2's cells make them: one role per result, with its seed and class lists."""
    return [
        {
            "seed": seed,
            "roles": {role: {"test_accuracy": {"mean": accuracy}}},
            "train_classes": ["alphabet0/character0"],
            "test_classes": ["alphabet1/character0"],
        }
        for role, per_seed in values.items()
        for seed, accuracy in enumerate(per_seed)
    ]


def flatness_arm(
    objective: str, algorithm: str, seed: int, snapshots: list[tuple[float, float, float]]
) -> dict:
    """An H1 arm's result; each snapshot (F, λ_max, SAM sharpness) measured and converged."""
    return {
        "seed": seed,
        "objective": objective,
        "algorithm": algorithm,
        "rho": 0.05,
        "snapshots": [
            {
                "iteration": 10 * (index + 1),
                "meta_loss": loss,
                "largest_eigenvalue": largest,
                "smallest_eigenvalue": -1.0,
                "eigenvalues_converged": True,
                "sam_sharpness": sharpness,
            }
            for index, (loss, largest, sharpness) in enumerate(snapshots)
        ],
    }


def flatness_results(
    factors: dict[str, list[float]], objective: str = "sinusoid", loss_factor: float = 1.0
) -> list[dict]:
    """H1 results over len(factors[v]) seeds: MAML's run passes F = 2 (λ_max 12) and ends at
    F = 1 (λ_max 10 + s, SAM 0.1 + s/100); variant v ends at F = ``loss_factor`` with λ_max
    and SAM sharpness ``factors[v][s]`` times MAML's at F = 1."""
    seeds = len(next(iter(factors.values())))
    results = []
    for seed in range(seeds):
        largest, sharpness = 10.0 + seed, 0.1 + seed / 100
        trajectory = [(2.0, 12.0, 0.2), (1.0, largest, sharpness)]
        results.append(flatness_arm(objective, "maml", seed, trajectory))
        for variant, per_seed in factors.items():
            factor = per_seed[seed]
            final = (loss_factor, factor * largest, factor * sharpness)
            results.append(flatness_arm(objective, variant, seed, [final]))
    return results


def run_cells(cells: list[Cell]) -> Results:
    """Run ``cells`` as the runner does (``CELL_THREADS`` torch threads) and keep their results
    as the report sees them (JSON round trip)."""
    return Results(
        (type(cell.config), json.loads(json.dumps(compute_cell(cell)[0]))) for cell in cells
    )
