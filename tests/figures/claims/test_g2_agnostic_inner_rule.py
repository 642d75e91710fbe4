"""Claim G2: the check compares the inner rules; SAM's rule in Agnostic-SAM's role cannot pass."""

from __future__ import annotations

from figures.claims.g2_agnostic_inner_rule import inner_rule_check
from figures.claims.h2_sharp_accuracy import (
    AccuracyConfig,
    accuracy_experiment,
)
from tests.figures.claims.sharp_cases import TINY_SETUP, accuracies


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
