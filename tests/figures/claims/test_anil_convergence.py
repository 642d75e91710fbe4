"""The A1/A2 convergence runs carry their curves, with units in the keys."""

from __future__ import annotations


def test_convergence_results_carry_curves_and_units(trained):
    result = trained["convex"][0]
    assert len(result["meta_loss_curve"]) == len(result["meta_gradient_norm_curve"]) > 10
    assert result["seconds_per_iteration"] > 0 and result["gradient_evaluations_per_iteration"] == 2
