"""Claim H2: three outcomes; meta-test alphabets never meta-trained; ρ = 0 cannot pass."""

from __future__ import annotations

import json

from figures.claims.h2_sharp_accuracy import (
    AccuracyConfig,
    accuracy_check,
    accuracy_experiment,
)
from tests.figures.claims.sharp_cases import TINY_SETUP, accuracies


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
