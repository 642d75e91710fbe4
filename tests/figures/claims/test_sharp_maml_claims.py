"""Claims H1–H3, G1–G2: each check passes on the right numbers and flips on a wrong variant."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from figures.claims.catalogue import REGISTRY
from figures.claims.fewshot import FewShotSetup
from figures.claims.g1_label_noise import (
    NoisyLabelConfig,
    noisy_label_check,
    noisy_label_experiment,
)
from figures.claims.g2_agnostic_inner_rule import inner_rule_check
from figures.claims.h1_sharp_flatness import FlatnessConfig, flatness_check, flatness_experiment
from figures.claims.h2_sharp_accuracy import (
    QUICK_SETUP,
    AccuracyConfig,
    accuracy_check,
    accuracy_experiment,
)
from figures.claims.h3_sharp_cost import COST_SETUP, CostConfig, cost_check, cost_experiment
from figures.engine.claim import SCALES

TINY_COST_SETUP = replace(
    COST_SETUP, filters=2, queries=1, meta_batch=1, glyph_characters=5, glyph_drawings=3
)
TINY_GLYPHS = {"glyph_alphabets": 4, "glyph_characters": 5, "glyph_drawings": 4}
TINY_SETUP = replace(QUICK_SETUP, iterations=2, test_tasks=4, filters=2, **TINY_GLYPHS)


def accuracies(values: dict[str, list[float]], key: str = "test_accuracy") -> list[dict]:
    """Results of len(seeds) seeds with the given per-seed accuracy of each role."""
    seeds = len(next(iter(values.values())))
    return [
        {"noise": 0.4, "roles": {role: {key: {"mean": v[s]}} for role, v in values.items()}}
        for s in range(seeds)
    ]


def flat_accuracies(values: dict[str, list[float]]) -> list[dict]:
    results = accuracies(values)
    for result in results:
        for numbers in result["roles"].values():
            numbers["clean_test_accuracy"] = numbers.pop("test_accuracy")["mean"]
    return results


def test_every_claim_is_registered_with_cells_at_every_scale():
    for claim_id in ("H1", "H2", "H3", "G1", "G2"):
        claim = REGISTRY[claim_id]
        for scale in SCALES:
            assert claim.cells(scale)


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


def test_h2_check_is_inconclusive_when_intervals_overlap_and_flips_when_reversed():
    separated = {"maml": [0.50, 0.51, 0.52], "sharp-maml-up": [0.60, 0.61, 0.62]}
    assert accuracy_check(accuracies(separated)).status == "PASS"
    overlapping = {"maml": [0.50, 0.60, 0.52], "sharp-maml-up": [0.55, 0.61, 0.50]}
    assert accuracy_check(accuracies(overlapping)).status == "INCONCLUSIVE"
    reversed_ = {"maml": [0.60, 0.61, 0.62], "sharp-maml-up": [0.50, 0.51, 0.52]}
    assert accuracy_check(accuracies(reversed_)).status == "FAIL"
    one_seed = {"maml": [0.5], "sharp-maml-up": [0.9]}
    assert accuracy_check(accuracies(one_seed)).status == "INCONCLUSIVE"


def test_h2_experiment_scores_on_alphabets_never_meta_trained():
    config = AccuracyConfig(
        TINY_SETUP, roles=(("maml", "maml"), ("sharp-maml-both", "sharp-maml-both"))
    )
    result = json.loads(json.dumps(accuracy_experiment(config, seed=0)))
    assert not set(result["train_classes"]) & set(result["test_classes"])
    assert 0.0 <= result["roles"]["sharp-maml-both"]["test_accuracy"]["mean"] <= 1.0


def test_h2_with_rho_zero_reproduces_maml_and_cannot_pass():
    """The negative control: ρ = 0 makes every variant MAML, seed by seed."""
    roles = (("maml", "maml"), ("sharp-maml-up", "sharp-maml-up"))
    config = AccuracyConfig(TINY_SETUP, roles=roles, rho=0.0)
    results = [accuracy_experiment(config, seed) for seed in range(2)]
    for result in results:
        numbers = result["roles"]
        assert numbers["sharp-maml-up"]["test_accuracy"] == numbers["maml"]["test_accuracy"]
    assert accuracy_check(results).status == "INCONCLUSIVE"


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


def test_g1_check_flips_when_the_roles_are_swapped():
    ordered = {
        "plain": [0.50, 0.51, 0.52],
        "sam": [0.60, 0.61, 0.62],
        "agnostic-sam": [0.70, 0.71, 0.72],
    }
    assert noisy_label_check(flat_accuracies(ordered)).status == "PASS"
    swapped = {**ordered, "agnostic-sam": ordered["plain"], "plain": ordered["agnostic-sam"]}
    assert noisy_label_check(flat_accuracies(swapped)).status == "FAIL"
    noiseless = {role: [1.0, 1.0, 1.0] for role in ordered}
    assert noisy_label_check(flat_accuracies(noiseless)).status == "INCONCLUSIVE"
    controlled = noisy_label_check(flat_accuracies({**ordered, "sam-wide": [0.7, 0.72, 0.71]}))
    assert controlled.status == "PASS" and "Agnostic-SAM vs SAM at λρ" in controlled.reason


def test_g1_experiment_without_label_noise_or_with_identical_methods_cannot_pass():
    tiny = {"steps": 10, "train_size": 64, "test_size": 64, "hidden": 8}
    same = NoisyLabelConfig(
        roles=(("plain", "sam"), ("sam", "sam"), ("agnostic-sam", "sam")), **tiny
    )
    results = [noisy_label_experiment(same, seed) for seed in range(2)]
    assert noisy_label_check(results).status == "INCONCLUSIVE"
    clean = noisy_label_experiment(NoisyLabelConfig(noise=0.0, **tiny), seed=0)
    assert json.loads(json.dumps(clean))["noise"] == 0.0


def test_g2_check_compares_the_agnostic_inner_rule_with_sharp_maml_low():
    better = {"sharp-maml-low": [0.50, 0.51, 0.52], "sharp-maml-agnostic": [0.60, 0.61, 0.62]}
    assert inner_rule_check(accuracies(better)).status == "PASS"
    worse = {"sharp-maml-low": [0.60, 0.61, 0.62], "sharp-maml-agnostic": [0.50, 0.51, 0.52]}
    assert inner_rule_check(accuracies(worse)).status == "FAIL"


def test_g2_with_the_sam_rule_in_the_agnostic_role_cannot_pass():
    """The negative control: Sharp-MAML_low timed in its own and in Agnostic's role."""
    roles = (("sharp-maml-low", "sharp-maml-low"), ("sharp-maml-agnostic", "sharp-maml-low"))
    results = [accuracy_experiment(AccuracyConfig(TINY_SETUP, roles=roles), s) for s in range(2)]
    for result in results:
        numbers = result["roles"]
        assert (
            numbers["sharp-maml-agnostic"]["test_accuracy"]
            == (numbers["sharp-maml-low"]["test_accuracy"])
        )
    assert inner_rule_check(results).status == "INCONCLUSIVE"


@pytest.mark.parametrize(
    ("make_config", "message"),
    [
        (lambda: FlatnessConfig(algorithm="maml"), "algorithm must be a non-empty tuple from"),
        (lambda: FlatnessConfig(rho=-1.0), "rho must be"),
        (lambda: FewShotSetup(iterations=0), "iterations must be an integer >= 1"),
        (lambda: FewShotSetup(glyph_drawings=0), "glyph_drawings must be an integer >= 1"),
        (lambda: AccuracyConfig(rho=-1.0), "rho must be"),
        (lambda: AccuracyConfig(roles=(("maml", "sam"),)), "roles' algorithms must be"),
        (lambda: CostConfig(roles=(("x", "sam"),)), "roles' algorithms must be"),
        (lambda: NoisyLabelConfig(noise=1.0), r"noise must be in \[0, 1\)"),
        (lambda: NoisyLabelConfig(roles=(("plain", "adam"),)), "roles' methods must be from"),
    ],
)
def test_bad_configs_name_the_field(make_config, message):
    with pytest.raises(ValueError, match=message):
        make_config()
