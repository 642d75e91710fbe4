"""Claim A3: counted FLOPs favour ANIL more as N grows, flip with MAML in its place."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.a3_anil_cost import CostConfig, cost_check, cost_experiment
from tests.figures.claims.anil_cases import SMALL, as_reported


def test_a3_flops_favour_anil_increasingly_and_flip_with_maml_in_its_place():
    cells = [CostConfig(setup=SMALL, inner_steps=n, repeats=5) for n in (1, 10)]
    right = [as_reported(cost_experiment(c, 0)) for c in cells]
    assert 1.0 < right[0]["flop_ratio"] < right[1]["flop_ratio"]
    assert right[1]["hvp_dimension"]["anil"] < right[1]["hvp_dimension"]["maml"]
    assert cost_check(right).status in ("PASS", "INCONCLUSIVE")
    wrong = [
        as_reported(cost_experiment(replace(c, algorithms=("maml", "maml")), 0)) for c in cells
    ]
    verdict = cost_check(wrong)
    assert verdict.status == "FAIL" and "does not use fewer FLOPs" in verdict.reason


def cost_result(steps: int, flop_ratio: float, time_ratio: float, half_width: float) -> dict:
    return {
        "inner_steps": steps,
        "flop_ratio": flop_ratio,
        "time_ratio": {"mean": time_ratio, "half_width": half_width},
    }


def test_a3_check_needs_resolved_timings():
    resolved = [cost_result(1, 1.4, 1.5, 0.05), cost_result(20, 2.5, 2.4, 0.1)]
    assert cost_check(resolved).status == "PASS"
    overlapping = [cost_result(1, 1.4, 1.5, 0.5), cost_result(20, 2.5, 1.8, 0.5)]
    assert cost_check(overlapping).status == "INCONCLUSIVE"
    shrinking = [cost_result(1, 1.4, 2.5, 0.05), cost_result(20, 2.5, 1.5, 0.05)]
    assert cost_check(shrinking).status == "FAIL"
