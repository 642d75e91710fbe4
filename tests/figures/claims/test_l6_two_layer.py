"""Claim L6: the two-layer gain grows with D and packing, and the check flips for equal hardness."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import product

import pytest

from figures.claims.l6_two_layer import (
    TeacherMixtureSpec,
    TwoLayerGainConfig,
    landscape_check,
    two_layer_gain_experiment,
)

SMALL = TwoLayerGainConfig(iterations=300, test_tasks=5000)


def grid(arm: str, scale_hard: float) -> list[dict]:
    """D ∈ {0, 2} × R_H ∈ {0.01, 0.3}, one seed, after the cache's JSON round trip."""
    results = []
    for distance, spread in product((0.0, 2.0), (0.01, 0.3)):
        mixture = replace(
            SMALL.mixture, distance=distance, spread_hard=spread, scale_hard=scale_hard
        )
        result = two_layer_gain_experiment(replace(SMALL, mixture=mixture, arm=arm), seed=0)
        results.append(json.loads(json.dumps(result)))
    return results


@pytest.fixture(scope="module")
def arms() -> dict[str, list[dict]]:
    return {"landscape": grid("landscape", 0.3), "control": grid("control", 1.0)}


def test_l6_passes_when_hard_tasks_are_hard(arms):
    verdict = landscape_check(arms["landscape"] + arms["control"])
    assert verdict.status == "PASS", verdict.reason
    far = next(r for r in arms["landscape"] if r["distance"] == 2.0 and r["spread_hard"] == 0.01)
    assert (
        far["post_adaptation_mse"]["nal"]["hard"] > 2 * far["post_adaptation_mse"]["maml"]["hard"]
    )


def test_l6_flips_with_equal_hardness(arms):
    equal = [{**result, "arm": "landscape"} for result in arms["control"]]
    verdict = landscape_check(equal + arms["control"])
    assert verdict.status != "PASS", verdict.reason


def gain_cell(distance: float, spread: float, gain: float, arm: str = "landscape") -> dict:
    return {
        "arm": arm,
        "distance": distance,
        "spread_hard": spread,
        "seed": 0,
        "gain": {"mean": gain, "half_width": 0.05},
    }


def test_l6_check_logic():
    growing = [gain_cell(0, 0.01, 1.5), gain_cell(2, 0.01, 3.0), gain_cell(0, 0.3, 1.4)]
    growing += [gain_cell(2, 0.3, 2.0), gain_cell(0, 0.01, 1.2, "control")]
    growing += [gain_cell(2, 0.01, 1.3, "control")]
    assert landscape_check(growing).status == "PASS"
    loose_wins = [*growing[:3], gain_cell(2, 0.3, 3.5), *growing[4:]]
    assert landscape_check(loose_wins).status == "FAIL"
    control_grows_more = [*growing[:5], gain_cell(2, 0.01, 3.5, "control")]
    assert landscape_check(control_grows_more).status == "FAIL"
    noisy = [{**cell, "gain": {**cell["gain"], "half_width": 2.0}} for cell in growing]
    assert landscape_check(noisy).status == "INCONCLUSIVE"
    assert landscape_check([gain_cell(0, 0.01, 1.0)]).status == "INCONCLUSIVE"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TeacherMixtureSpec(p_hard=1.0), "p_hard must be in"),
        (lambda: TeacherMixtureSpec(scale_hard=0.0), "scale_hard must be > 0"),
        (lambda: TeacherMixtureSpec(distance=-1.0), "distance must be >= 0"),
        (lambda: TwoLayerGainConfig(inner_lr=0.0), "inner_lr must be > 0"),
        (lambda: TwoLayerGainConfig(test_tasks=0), "test_tasks must be an integer >= 1"),
        (lambda: TwoLayerGainConfig(init_noise=-0.1), "init_noise must be >= 0"),
        (lambda: TwoLayerGainConfig(arm="treatment"), "arm must be one of"),
    ],
)
def test_bad_config_values_raise_naming_the_field(build, message):
    with pytest.raises(ValueError, match=message):
        build()
