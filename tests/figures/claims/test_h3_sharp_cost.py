"""Claim H3: counted passes match the theory and flip with MAML timed in a variant's place."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.h3_sharp_cost import COST_SETUP, CostConfig, cost_check, cost_experiment

TINY_COST_SETUP = replace(
    COST_SETUP, filters=2, queries=1, meta_batch=1, glyph_characters=5, glyph_drawings=3
)


def test_h3_counts_match_the_theory_and_flip_when_maml_is_timed_in_place_of_a_variant():
    right = cost_experiment(CostConfig(replace(TINY_COST_SETUP, inner_steps=2), rounds=1), 0)
    assert "counted" not in cost_check([right]).reason
    roles = (("maml", "maml"), ("sharp-maml-up", "maml"), ("sharp-maml-both", "sharp-maml-both"))
    wrong = cost_experiment(CostConfig(TINY_COST_SETUP, roles=roles, rounds=1), seed=0)
    verdict = cost_check([wrong])
    assert verdict.status == "FAIL" and "sharp-maml-up counted (2, 2), theory 4" in verdict.reason


def test_h3_check_fails_when_a_variant_is_too_slow_or_efficient_is_not_cheaper():
    def result(ratios: dict[str, float]) -> dict:
        return {
            "inner_steps": 1,
            "roles": {
                role: {
                    "seconds_ratio_to_maml": ratio,
                    "loss_evaluations_per_iter": a + b,
                    "backward_passes_per_iter": a + b,
                }
                for role, ratio, (a, b) in (
                    (role, ratio, {"maml": (1, 1), "sharp-maml-both": (4, 2)}.get(role, (3, 2)))
                    for role, ratio in ratios.items()
                )
            },
        }

    good = {"maml": 1.0, "sharp-maml-both": 3.0, "sharp-maml-efficient": 2.0}
    assert cost_check([result(good)]).status == "PASS"
    assert cost_check([result({**good, "sharp-maml-both": 5.0})]).status == "FAIL"
    assert cost_check([result({**good, "sharp-maml-efficient": 3.5})]).status == "FAIL"
