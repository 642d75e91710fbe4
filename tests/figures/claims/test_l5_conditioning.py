"""Claim L5: the check passes and flips when each objective is predicted from the other's κ."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.l5_conditioning import ConditioningConfig, conditioning_check
from figures.claims.linear_experiments import MixtureSpec
from tests.figures.claims.linear_cases import results


def test_l5_passes_and_flips_when_predicting_from_the_other_objective():
    configs = [ConditioningConfig(mixture=MixtureSpec(condition=c)) for c in (2.0, 4.0)]
    assert conditioning_check(results(*configs)).status == "PASS"
    swapped = [replace(c, predict_with="swapped") for c in configs]
    assert conditioning_check(results(*swapped)).status == "FAIL"


def test_l5_reports_the_conditioning_gap_between_objectives():
    objectives = results(ConditioningConfig())[0]["objectives"]
    assert objectives["maml"]["condition_number"] > 2 * objectives["nal"]["condition_number"]
    assert objectives["maml"]["measured_iterations"] > objectives["nal"]["measured_iterations"]
