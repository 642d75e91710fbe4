"""Claim L7: the check is three-valued and cannot pass on glyphs that share no strokes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from figures.claims.l7_fewshot_landscape import HardnessConfig, hardness_check, hardness_experiment
from tests.figures.claims.fewshot_cases import SMALL, run


def l7_result(gain_difference: float, hard_training: float) -> dict:
    return {
        "differences": {
            "gain_hard_minus_gain_easy": {"mean": gain_difference, "half_width": 0.02},
            "hard_trained_minus_easy_trained": {"mean": hard_training, "half_width": 0.02},
        }
    }


def test_l7_check_is_three_valued():
    assert hardness_check([l7_result(0.1, 0.05)]).status == "PASS"
    assert hardness_check([l7_result(0.01, 0.05)]).status == "INCONCLUSIVE"
    assert hardness_check([l7_result(-0.1, 0.05)]).status == "FAIL"
    assert hardness_check([l7_result(0.1, -0.05)]).status == "FAIL"


@pytest.mark.slow
def test_l7_does_not_pass_when_alphabets_share_no_strokes():
    """Without shared strokes within- and between-alphabet tasks are alike: no PASS."""
    config = HardnessConfig(setup=replace(SMALL, glyph_sharing=0.0))
    assert hardness_check(run(hardness_experiment, config)).status != "PASS"
