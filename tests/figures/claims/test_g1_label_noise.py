"""Claim G1: the check flips with swapped roles; no noise or identical methods cannot pass."""

from __future__ import annotations

import json

from figures.claims.g1_label_noise import (
    NoisyLabelConfig,
    noisy_label_check,
    noisy_label_experiment,
)
from tests.figures.claims.sharp_cases import accuracies


def flat_accuracies(values: dict[str, list[float]]) -> list[dict]:
    results = accuracies(values)
    for result in results:
        for numbers in result["roles"].values():
            numbers["clean_test_accuracy"] = numbers.pop("test_accuracy")["mean"]
    return results


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
