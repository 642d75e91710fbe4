"""Claim H2: seed-paired differences; held-out alphabets (asserted); ρ = 0 cannot pass."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from figures.claims.h2_sharp_accuracy import (
    H2_ROLES,
    AccuracyConfig,
    accuracy_check,
    accuracy_figure,
    arm_cells,
)
from figures.claims.sharp_family import VARIANTS
from figures.engine.claim import Cell
from tests.figures.claims.sharp_cases import TINY_SETUP, run_cells, seeded_accuracies

MAML = [0.40, 0.55, 0.47, 0.62, 0.50]
"""Per-seed accuracies that vary across seeds far more than a variant's paired gain."""


def shifted(values: list[float], by: list[float]) -> list[float]:
    return [value + change for value, change in zip(values, by, strict=True)]


def test_h2_pairs_by_seed_and_flips_when_the_variant_is_reversed():
    """A gain of ~0.02 in every seed resolves though the seeds' accuracies overlap widely;
    the same gain reversed fails through the same check."""
    gain = [0.02, 0.025, 0.015, 0.02, 0.03]
    better = seeded_accuracies({"maml": MAML, "sharp-maml-up": shifted(MAML, gain)})
    verdict = accuracy_check(better)
    assert verdict.status == "PASS" and verdict.evidence.seeds == 5
    worse = seeded_accuracies({"maml": MAML, "sharp-maml-up": shifted(MAML, [-g for g in gain])})
    assert accuracy_check(worse).status == "FAIL"


def test_h2_is_inconclusive_when_the_paired_interval_contains_zero_either_way():
    for noisy in ([0.05, -0.03, 0.04, -0.02, 0.03], [-0.05, 0.03, -0.04, 0.02, -0.03]):
        results = seeded_accuracies({"maml": MAML, "sharp-maml-low": shifted(MAML, noisy)})
        assert accuracy_check(results).status == "INCONCLUSIVE"
    empty = accuracy_check([])
    assert empty.status == "INCONCLUSIVE" and empty.evidence.seeds == 0


def test_h2_needs_every_variant_and_one_loss_fails_it():
    gain = [0.02, 0.025, 0.015, 0.02, 0.03]
    values = {"maml": MAML, **{variant: shifted(MAML, gain) for variant in VARIANTS}}
    assert accuracy_check(seeded_accuracies(values)).status == "PASS"
    values["sharp-maml-both"] = shifted(MAML, [-g for g in gain])
    verdict = accuracy_check(seeded_accuracies(values))
    assert verdict.status == "FAIL" and "sharp-maml-both − maml" in verdict.reason


def test_h2_refuses_leaked_classes_and_duplicate_arms():
    results = seeded_accuracies({"maml": MAML, "sharp-maml-up": MAML})
    with pytest.raises(ValueError, match="two results for seed 0"):
        accuracy_check([*results, results[0]])
    results[3]["test_classes"] = results[3]["train_classes"]
    with pytest.raises(ValueError, match="meta-trained classes"):
        accuracy_check(results)


def test_h2_experiment_scores_on_alphabets_never_meta_trained():
    config = AccuracyConfig(TINY_SETUP, roles=(("sharp-maml-both", "sharp-maml-both"),))
    (result,) = run_cells([Cell(config, 0)])
    assert result["train_classes"] and result["test_classes"]
    assert not set(result["train_classes"]) & set(result["test_classes"])
    assert 0.0 <= result["roles"]["sharp-maml-both"]["test_accuracy"]["mean"] <= 1.0


def test_h2_with_rho_zero_reproduces_maml_per_seed_and_cannot_pass():
    """The negative control, cell by cell as the claim runs it: ρ = 0 makes a variant MAML."""
    roles = (("maml", "maml"), ("sharp-maml-up", "sharp-maml-up"), ("sharp-maml-low",) * 2)
    results = run_cells(
        [Cell(AccuracyConfig(TINY_SETUP, (role,), 0.0), s) for s in range(2) for role in roles]
    )
    for seed in range(2):
        scores = [r["roles"] for r in results if r["seed"] == seed]
        accuracies = {next(iter(s.values()))["test_accuracy"]["mean"] for s in scores}
        assert len(accuracies) == 1
    verdict = accuracy_check(results)
    assert verdict.status == "INCONCLUSIVE" and "unresolved" in verdict.reason


def test_h2_cells_one_arm_per_seed_at_every_scale():
    for scale, minimum in (("smoke", 2), ("quick", 5), ("paper", 5)):
        cells = arm_cells(scale)
        assert all(len(cell.config.roles) == 1 for cell in cells)
        assert {(cell.config.roles, cell.seed) for cell in cells} == {
            ((role,), seed) for role in H2_ROLES for seed in range(len(cells) // len(H2_ROLES))
        }
        assert len(cells) // len(H2_ROLES) >= minimum
    paper = arm_cells("paper")[0].config
    assert (paper.setup.filters, paper.setup.inner_steps, paper.rho) == (64, 5, 0.0005)
    assert (paper.setup.dataset, paper.setup.image_size, paper.setup.queries) == (
        "mini-imagenet",
        84,
        15,
    ), "the official code's miniImageNet 5-way 1-shot protocol"


def test_h2_figure_draws_each_variants_paired_differences():
    figure = accuracy_figure(seeded_accuracies({"maml": MAML, "sharp-maml-up": MAML}))
    assert figure.axes
    plt.close(figure)
