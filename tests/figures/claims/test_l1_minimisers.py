"""Claim L1: the check passes for MAML and flips when NAL or FO-MAML stands in."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.l1_minimisers import MinimiserConfig, minimiser_check
from tests.figures.claims.linear_cases import FAST, results


def test_l1_passes_for_maml_and_flips_when_nal_or_fo_maml_stands_in():
    right = MinimiserConfig(training=FAST)
    assert minimiser_check(results(right)).status == "PASS"
    nal_as_maml = replace(right, roles=(("maml", "nal"), ("nal", "nal"), ("fo-maml", "fo-maml")))
    assert minimiser_check(results(nal_as_maml)).status == "FAIL"
    maml_as_fo = replace(right, roles=(("maml", "maml"), ("nal", "nal"), ("fo-maml", "maml")))
    assert minimiser_check(results(maml_as_fo)).status == "FAIL"
