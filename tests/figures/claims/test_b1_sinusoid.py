"""Claim B1: MAML beats NAL on sinusoids after tuned fine-tuning, paired by seed; the check
fails when the two swap roles; the step sizes are tuned on validation tasks only."""

from __future__ import annotations

import json
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest
import torch

from figures.claims.b1_sinusoid import (
    B1,
    SinusoidConfig,
    held_out_tasks,
    sinusoid_check,
    sinusoid_figure,
)
from figures.engine.claim import Cell
from figures.engine.executors import compute_cell

SHORT = SinusoidConfig(iterations=400, test_tasks=200, validation_tasks=100)
SWAPPED = (("maml", "nal"), ("nal", "maml"))


def run(config: SinusoidConfig, seeds: range = range(3)) -> list[dict]:
    """Cells computed as the runner does, after the cache's JSON round trip."""
    return [json.loads(json.dumps(compute_cell(Cell(config, seed))[0])) for seed in seeds]


@pytest.fixture(scope="module")
def short() -> list[dict]:
    return run(SHORT)


def test_short_training_passes_and_swapped_roles_fail(short):
    verdict = sinusoid_check(short)
    assert verdict.status == "PASS", verdict.explanation
    assert verdict.evidence.seeds == 3
    assert "published" in verdict.explanation
    swapped = sinusoid_check(run(replace(SHORT, roles=SWAPPED)))
    assert swapped.status == "FAIL", swapped.explanation


def test_each_step_size_is_the_validation_minimiser(short):
    for result in short:
        for numbers in result["algorithms"].values():
            for k, chosen in numbers["tuned_step"].items():
                validation = {
                    float(lr): value
                    for lr, value in numbers["validation_mse"][k].items()
                    if value is not None
                }
                assert chosen == min(validation, key=validation.get)


def test_validation_and_test_tasks_are_different_draws():
    validation, test = held_out_tasks(SHORT, seed=0)
    assert validation.num_tasks == SHORT.validation_tasks
    assert test.num_tasks == SHORT.test_tasks
    shared = min(validation.num_tasks, test.num_tasks)
    first, second = validation.info["amplitude"][:shared], test.info["amplitude"][:shared]
    assert not torch.isclose(first, second).any()


def test_one_seed_is_inconclusive_and_no_steps_are_inconclusive(short):
    assert sinusoid_check(short[:1]).status == "INCONCLUSIVE"
    only_zero = [
        {
            **result,
            "algorithms": {
                role: {**numbers, "query_mse_after_steps": {"0": {"mean": 1.0}}}
                for role, numbers in result["algorithms"].items()
            },
        }
        for result in short
    ]
    verdict = sinusoid_check(only_zero)
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.evidence is not None


def test_figure_shows_ours_published_and_paired_differences(short):
    figure = sinusoid_figure(short)
    labels = figure.axes[0].get_legend_handles_labels()[1]
    assert any("published" in label for label in labels)
    assert len(figure.axes) == 5
    plt.close(figure)


@pytest.mark.parametrize("scale", ["quick", "paper"])
def test_quick_and_paper_scales_run_five_seeds(scale):
    cells = B1.cells(scale)
    assert len({cell.seed for cell in cells}) >= 5
    assert B1.cells("paper")[0].config.iterations == 70000


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match="iterations must be an integer >= 1"):
        SinusoidConfig(iterations=0)
    with pytest.raises(ValueError, match="inner_lr must be > 0"):
        SinusoidConfig(inner_lr=-0.1)
    with pytest.raises(ValueError, match="validation_tasks must be an integer >= 1"):
        SinusoidConfig(validation_tasks=0)
    with pytest.raises(ValueError, match="step_grid must be positive"):
        SinusoidConfig(step_grid=(0.01, 0.0))
