"""Claim L3: passes, flips with FO-MAML or equal hardness; the table is an implementation check."""

from __future__ import annotations

from figures.claims.l3_gain_growth import L3_TABLE, growth_check, table_check
from figures.claims.linear_experiments import MixtureSpec
from figures.claims.linear_gains import GainGridConfig
from tests.figures.claims.linear_cases import results, simulated


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


def test_l3_table_is_an_implementation_check_that_flips_with_equal_hardness():
    assert L3_TABLE.kind == "implementation check"
    assert table_check(results(GainGridConfig())).status == "PASS"
    equal = table_check(results(GainGridConfig(mixture=MixtureSpec(rho_hard=0.9))))
    assert equal.status == "FAIL" and "reference table" in equal.reason
