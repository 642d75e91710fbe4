"""Claim B1: MAML beats NAL on sinusoids after adaptation; the check flips on wrong variants."""

from __future__ import annotations

import json

import pytest

from figures.claims.b1_sinusoid import SinusoidConfig, sinusoid_check, sinusoid_experiment


def run(**settings) -> list[dict]:
    return [json.loads(json.dumps(sinusoid_experiment(SinusoidConfig(**settings), seed=0)))]


@pytest.mark.slow
def test_short_training_passes_and_nal_in_maml_role_fails():
    assert sinusoid_check(run(iterations=1500, test_tasks=300)).status == "PASS"
    wrong = run(iterations=1500, test_tasks=300, roles=(("maml", "nal"), ("nal", "nal")))
    assert sinusoid_check(wrong).status == "FAIL"


def test_untrained_maml_fails():
    assert sinusoid_check(run(iterations=1, test_tasks=200)).status == "FAIL"


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match="iterations must be an integer >= 1"):
        SinusoidConfig(iterations=0)
    with pytest.raises(ValueError, match="inner_lr must be > 0"):
        SinusoidConfig(inner_lr=-0.1)
