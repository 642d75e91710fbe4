"""Claims L1–L5: each check passes on the right variant and flips on a deliberately wrong one."""

from __future__ import annotations

import math
from dataclasses import replace

from figures.claims.l1_minimisers import MinimiserConfig, minimiser_check
from figures.claims.l2_equal_hardness import equal_hardness_check
from figures.claims.l3_gain_growth import growth_check
from figures.claims.l4_finite_samples import SampleSweepConfig, collapse_check
from figures.claims.l5_conditioning import ConditioningConfig, conditioning_check
from figures.claims.linear_experiments import LinearTraining, MixtureSpec
from figures.claims.linear_gains import GainGridConfig, SimulatedGainConfig
from figures.engine.claim import Cell, Results

FAST = LinearTraining(support_size=500, iterations=250)


def results(*configs) -> Results:
    """Experiment results as the report sees them (after a JSON round trip)."""
    return Results.computed(Cell(config, 0) for config in configs)


def simulated(**overrides) -> SimulatedGainConfig:
    return replace(SimulatedGainConfig(test_tasks=1500, training=FAST), **overrides)


def test_l1_passes_for_maml_and_flips_when_nal_or_fo_maml_stands_in():
    right = MinimiserConfig(training=FAST)
    assert minimiser_check(results(right)).status == "PASS"
    nal_as_maml = replace(right, roles=(("maml", "nal"), ("nal", "nal"), ("fo-maml", "fo-maml")))
    assert minimiser_check(results(nal_as_maml)).status == "FAIL"
    maml_as_fo = replace(right, roles=(("maml", "maml"), ("nal", "nal"), ("fo-maml", "maml")))
    assert minimiser_check(results(maml_as_fo)).status == "FAIL"


def test_l2_passes_for_equal_hardness_and_flips_when_hardness_differs():
    equal = MixtureSpec(rho_hard=0.9)
    right = results(GainGridConfig(mixture=equal), simulated(mixture=equal))
    assert equal_hardness_check(right).status == "PASS"
    differing = results(GainGridConfig(), simulated())
    verdict = equal_hardness_check(differing)
    assert verdict.status == "FAIL" and "differs from 1" in verdict.reason


def test_l3_passes_and_flips_with_fo_maml():
    right = results(GainGridConfig(), simulated())
    assert growth_check(right).status == "PASS", growth_check(right).reason
    wrong = results(GainGridConfig(), simulated(maml_algorithm="fo-maml"))
    verdict = growth_check(wrong)
    assert verdict.status == "FAIL" and "did not reach the minimisers' gain" in verdict.reason


def test_l3_flips_when_hardness_is_equal():
    equal = results(GainGridConfig(mixture=MixtureSpec(rho_hard=0.9)))
    verdict = growth_check(equal)
    assert verdict.status == "FAIL" and "does not grow" in verdict.reason


def test_l3_is_inconclusive_without_the_reference_grid():
    assert growth_check(results(simulated())).status == "INCONCLUSIVE"


def test_l4_passes_and_flips_with_the_exact_gradient_theory():
    cells = [SampleSweepConfig(), simulated(trained=False, support_size=20)]
    assert collapse_check(results(*cells)).status == "PASS"
    wrong = [
        replace(cells[0], finite_sample_theory=False),
        replace(cells[1], finite_sample_theory=False),
    ]
    verdict = collapse_check(results(*wrong))
    assert verdict.status == "FAIL"
    assert "with m ≤ 2d the gain is still" in verdict.reason
    assert "closed form outside the simulation's interval" in verdict.reason


def test_l5_passes_and_flips_when_predicting_from_the_other_objective():
    configs = [ConditioningConfig(mixture=MixtureSpec(condition=c)) for c in (2.0, 4.0)]
    assert conditioning_check(results(*configs)).status == "PASS"
    swapped = [replace(c, predict_with="swapped") for c in configs]
    assert conditioning_check(results(*swapped)).status == "FAIL"


def test_l5_reports_the_conditioning_gap_between_objectives():
    objectives = results(ConditioningConfig())[0]["objectives"]
    assert objectives["maml"]["condition_number"] > 2 * objectives["nal"]["condition_number"]
    assert objectives["maml"]["measured_iterations"] > objectives["nal"]["measured_iterations"]


def test_infinite_samples_round_trip_through_json():
    grid = results(GainGridConfig(samples=math.inf, distances=(0.0,), hard_spreads=(1.0,)))[0]
    assert grid["samples"] == "inf"
