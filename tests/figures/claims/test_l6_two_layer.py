"""Claims L6 and L6i: the trend passes on real runs and fails with MAML and NAL swapped;
insight (i)'s check fails on hardness-discrepant cells and passes when MAML cannot gain."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import product

import matplotlib.pyplot as plt
import pytest

from figures.claims.l6_gain_experiment import TwoLayerGainConfig
from figures.claims.l6_two_layer import (
    L6,
    L6i,
    equal_hardness_check,
    trend_check,
    trend_figure,
)
from figures.engine.claim import Cell
from figures.engine.executors import compute_cell

SMALL = TwoLayerGainConfig(iterations=100, test_tasks=300)
SEEDS = range(3)
SWAPPED = (("maml", "nal"), ("nal", "maml"))
NAL_ONLY = (("maml", "nal"), ("nal", "nal"))


def run(distance: float, spread: float, scale_hard: float, roles=SMALL.roles) -> list[dict]:
    """One small cell per seed, computed as the runner does, after the cache's JSON round trip."""
    mixture = replace(SMALL.mixture, distance=distance, spread_hard=spread, scale_hard=scale_hard)
    config = replace(SMALL, mixture=mixture, roles=roles)
    return [json.loads(json.dumps(compute_cell(Cell(config, seed))[0])) for seed in SEEDS]


def grid(roles=SMALL.roles) -> list[dict]:
    """D ∈ {0, 2} × R_H ∈ {0.01, 0.3} with s_H = 0.3, every seed."""
    return [r for d, s in product((0.0, 2.0), (0.01, 0.3)) for r in run(d, s, 0.3, roles)]


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict]]:
    return {
        "discrepant": grid(),
        "swapped": grid(SWAPPED),
        "equal": [r for d in (0.0, 2.0) for r in run(d, 0.01, 1.0)],
        "nal only": [r for d in (0.0, 2.0) for r in run(d, 0.01, 1.0, NAL_ONLY)],
    }


def test_trend_passes_from_the_centre_and_fails_with_maml_and_nal_swapped(runs):
    verdict = trend_check(runs["discrepant"])
    assert verdict.status == "PASS", verdict.reason
    assert verdict.evidence.seeds == len(SEEDS)
    swapped = trend_check(runs["swapped"])
    assert swapped.status == "FAIL", swapped.reason


def test_insight_i_fails_on_discrepant_cells_and_passes_when_maml_cannot_gain(runs):
    discrepant = [r for r in runs["discrepant"] if r["spread_hard"] == 0.01]
    verdict = equal_hardness_check(discrepant)
    assert verdict.status == "FAIL", verdict.reason
    assert "s_H/s_E=0.3" in verdict.reason
    assert equal_hardness_check(runs["nal only"]).status == "PASS"


def test_two_layer_maml_gains_with_equal_hardness_at_the_larger_distance(runs):
    """The finding the quick scale reports too: insight (i) does not carry over."""
    verdict = equal_hardness_check(runs["equal"])
    assert verdict.status == "FAIL", verdict.reason
    assert "D=2, R_H=0.01, s_H/s_E=1" in verdict.reason


def synthetic(init: str, distance: float, spread: float, gains: list[float]) -> list[dict]:
    """Cells of one (start, D, R_H) with the given per-seed gains."""
    return [
        {
            "init": init,
            "distance": distance,
            "spread_hard": spread,
            "scale_hard": 0.3,
            "scale_easy": 1.0,
            "seed": seed,
            "gain": {"mean": gain, "half_width": 0.05},
        }
        for seed, gain in enumerate(gains)
    ]


def landscape(far_tight: list[float], far_loose: list[float]) -> list[dict]:
    return (
        synthetic("centre", 0.0, 0.01, [1.2, 1.3, 1.25])
        + synthetic("centre", 0.0, 0.3, [1.1, 1.2, 1.15])
        + synthetic("centre", 2.0, 0.01, far_tight)
        + synthetic("centre", 2.0, 0.3, far_loose)
    )


def test_trend_check_logic():
    growing = landscape([2.4, 2.6, 2.5], [2.0, 2.1, 2.05])
    assert trend_check(growing).status == "PASS"
    assert trend_check(landscape([2.0, 2.1, 2.05], [2.4, 2.6, 2.5])).status == "FAIL"
    assert trend_check(landscape([2.4, 1.0, 3.5], [2.0, 2.1, 2.05])).status == "INCONCLUSIVE"
    alone = trend_check(synthetic("centre", 0.0, 0.01, [1.0, 1.1]))
    assert alone.status == "INCONCLUSIVE"
    assert alone.evidence is not None


@pytest.mark.parametrize(
    ("gains", "status", "kind"),
    [
        ([0.98, 1.03, 1.01, 0.99], "PASS", "≈ 1"),
        ([1.30, 1.35, 1.32, 1.28], "FAIL", "above 1"),
        ([0.70, 0.72, 0.71, 0.69], "INCONCLUSIVE", "below 1"),
        ([0.5, 2.0, 0.8, 1.6], "INCONCLUSIVE", "too wide"),
        ([1.0], "INCONCLUSIVE", "one seed"),
    ],
)
def test_equal_hardness_check_logic(gains, status, kind):
    verdict = equal_hardness_check(synthetic("random", 2.0, 0.01, gains))
    assert verdict.status == status, verdict.reason
    assert kind in verdict.reason
    assert verdict.evidence.seeds == len(gains)


def test_a_resolved_gain_anywhere_fails_insight_i():
    cells = synthetic("centre", 0.0, 0.01, [0.98, 1.03, 1.01]) + synthetic(
        "random", 2.0, 0.01, [1.5, 1.6, 1.55]
    )
    verdict = equal_hardness_check(cells)
    assert verdict.status == "FAIL"
    assert "centre start, D=0" in verdict.reason
    assert "random start, D=2, R_H=0.01, s_H/s_E=0.3: gain ×1.549" in verdict.reason


@pytest.mark.parametrize("scale", ["quick", "paper"])
def test_cells_pair_five_or_more_seeds_in_both_starts(scale):
    trend, insight = L6.cells(scale), L6i.cells(scale)
    for cells in (trend, insight):
        assert len({cell.seed for cell in cells}) >= 5
        assert {cell.config.init for cell in cells} == {"centre", "random"}
    assert all(c.config.mixture.scale_hard < c.config.mixture.scale_easy for c in trend)
    assert all(c.config.mixture.scale_hard == c.config.mixture.scale_easy for c in insight)
    assert len({(c.config, c.seed) for c in trend + insight}) == len(trend) + len(insight)


def test_trend_figure_draws_every_start():
    figure = trend_figure(landscape([2.4, 2.6, 2.5], [2.0, 2.1, 2.05]))
    assert len(figure.axes) == 3
    plt.close(figure)
