"""Claim H1: ρ = 0 is MAML and fails; flatter solutions pass only at matched loss."""

from __future__ import annotations

import json

from figures.claims.h1_sharp_flatness import FlatnessConfig, flatness_check, flatness_experiment


def test_h1_with_rho_zero_reproduces_maml_and_fails():
    """The negative control: ρ = 0 is MAML bit for bit, so it cannot be flatter."""
    config = FlatnessConfig(
        rho=0.0, iterations=20, snapshot_every=10, hidden=8, measure_tasks=10, slice_points=3
    )
    result = json.loads(json.dumps(flatness_experiment(config, seed=0)))
    assert result["sharp"]["meta_loss"] == result["maml_final"]["meta_loss"]
    assert result["matched_iteration"] == 20
    verdict = flatness_check([result])
    assert verdict.status == "FAIL" and "not lower on average" in verdict.reason


def h1_result(sharp_lambda: float, sharp_loss: float = 1.0) -> dict:
    maml = {"meta_loss": 1.0, "largest_eigenvalue": 10.0, "sam_sharpness": 0.1}
    sharp = {"meta_loss": sharp_loss, "largest_eigenvalue": sharp_lambda, "sam_sharpness": 0.05}
    return {
        "algorithm": "sharp-maml-up",
        "rho": 0.05,
        "loss_tolerance": 0.1,
        "sharp": sharp,
        "maml_matched": maml,
    }


def test_h1_check_passes_flatter_solutions_and_refuses_unmatched_losses():
    assert flatness_check([h1_result(6.0), h1_result(7.0), h1_result(6.5)]).status == "PASS"
    assert flatness_check([h1_result(12.0), h1_result(13.0)]).status == "FAIL"
    unmatched = [h1_result(6.0, sharp_loss=1.5), h1_result(7.0)]
    assert flatness_check(unmatched).status == "INCONCLUSIVE"
