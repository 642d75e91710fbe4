"""Claim G1: three outcomes through one check; radii chosen off the test split; equal data;
clean labels and identical methods cannot pass."""

from __future__ import annotations

from dataclasses import replace

import pytest

from figures.claims.g1_label_noise import (
    G1,
    METHODS,
    RHO,
    WEIGHT,
    NoisyLabelConfig,
    arm_configs,
    noisy_label_check,
    noisy_label_figure,
    radius_sweep,
    selected,
)
from figures.claims.g1_noisy_data import NoisyGaussianClasses
from figures.engine.claim import Cell, Results

TINY_DATA = NoisyGaussianClasses(
    pool_size=96, validation_size=24, selection_size=100, test_size=200
)
TINY = NoisyLabelConfig(data=TINY_DATA, steps=40, hidden=16, batch_size=32)
POOL = 640


def arm(seed, role, radius, test, selection=None) -> dict:
    """A cell result as ``noisy_label_experiment`` writes it (only the fields the check reads)."""
    return {
        "seed": seed,
        "noise": 0.4,
        "role": role,
        "radius": radius,
        "labelled_examples": POOL,
        "selection_accuracy": test if selection is None else selection,
        "clean_test_accuracy": test,
    }


def ordered_results(plain, sam, agnostic) -> list[dict]:
    """Per seed: plain, SAM and Agnostic-SAM at radius ρ with the given clean accuracies."""
    return [
        arm(seed, role, 0.0 if role == "plain" else RHO, values[seed])
        for seed in range(len(plain))
        for role, values in zip(METHODS, (plain, sam, agnostic))
    ]


def real_results(base: NoisyLabelConfig, noise: float, impostor: str | None = None) -> Results:
    """Three seeds of every arm; ``impostor`` (a method) trains in Agnostic-SAM's role."""
    arms = [
        replace(a, method=impostor) if a.role == "agnostic-sam" else a
        for a in arm_configs(base, (noise,))
    ]
    return Results.computed([Cell(a, seed) for seed in range(3) for a in arms])


def test_g1_check_passes_when_ordered_and_fails_when_swapped():
    plain, sam, agnostic = [0.50, 0.55, 0.52], [0.60, 0.64, 0.63], [0.70, 0.73, 0.71]
    verdict = noisy_label_check(ordered_results(plain, sam, agnostic))
    assert verdict.status == "PASS" and verdict.evidence.seeds == 3
    assert noisy_label_check(ordered_results(agnostic, sam, plain)).status == "FAIL"
    assert noisy_label_check(ordered_results(plain, agnostic, sam)).status == "FAIL"


def test_g1_radius_is_chosen_on_the_selection_split_never_on_the_test_split():
    """The radius best on test (1.2) would PASS; the one best on selection (0.3) decides: FAIL."""
    results = []
    for seed, shift in enumerate((0.0, 0.01, 0.02)):
        results += [
            arm(seed, "plain", 0.0, 0.50 + shift),
            arm(seed, "sam", RHO, 0.80 + shift, selection=0.60),
            arm(seed, "sam", 4 * RHO, 0.60 + shift, selection=0.50),
            arm(seed, "agnostic-sam", RHO, 0.70 + shift),
        ]
    assert selected(results, "sam")[0]["radius"] == RHO
    verdict = noisy_label_check(results)
    assert verdict.status == "FAIL" and "sam [0.3, 0.3, 0.3]" in verdict.reason


def test_g1_check_refuses_arms_that_got_unequal_labelled_data():
    """SAM without the examples Agnostic-SAM holds out for validation: not comparable."""
    fair = ordered_results([0.50, 0.55, 0.52], [0.60, 0.64, 0.63], [0.70, 0.73, 0.71])
    unfair = [{**a, "labelled_examples": POOL - 128} if a["role"] == "sam" else a for a in fair]
    verdict = noisy_label_check(unfair)
    assert verdict.status == "INCONCLUSIVE" and "unequal labelled data" in verdict.reason


def test_g1_every_arm_draws_from_the_same_labelled_pool():
    for role in METHODS:
        result = replace(TINY, role=role, radius=RHO, steps=2).run(seed=0)
        assert result["labelled_examples"] == TINY_DATA.pool_size
    assert result["validation_examples"] == TINY_DATA.validation_size


def test_g1_without_label_noise_every_method_reaches_the_bayes_accuracy_so_none_wins():
    """Theory: the flat-minimum methods help by not fitting flipped labels; with clean labels
    there are none to resist, and these classes (means ~6 apart, spread 0.6) are separable, so
    every method at its selected radius reaches clean accuracy ≈ 1: no ordering, INCONCLUSIVE."""
    results = real_results(TINY, noise=0.0)
    for role in METHODS:
        assert min(a["clean_test_accuracy"] for a in selected(results, role).values()) >= 0.99
    verdict = noisy_label_check(results)
    assert verdict.status == "INCONCLUSIVE"
    assert "Agnostic-SAM − SAM" in verdict.reason and verdict.evidence.seeds == 3


def test_g1_with_sam_in_the_agnostic_role_cannot_pass():
    """The negative control under noise: SAM over the same radii in Agnostic-SAM's role gives
    SAM's accuracies seed by seed, so Agnostic-SAM − SAM is exactly 0 and cannot PASS."""
    results = real_results(TINY, noise=0.4, impostor="sam")
    agnostic, sam = (selected(results, role) for role in ("agnostic-sam", "sam"))
    assert {a["method"] for a in agnostic.values()} == {"sam"}
    assert {s: a["clean_test_accuracy"] for s, a in agnostic.items()} == {
        s: a["clean_test_accuracy"] for s, a in sam.items()
    }
    assert noisy_label_check(results).status == "INCONCLUSIVE"


def test_g1_cells_pair_every_arm_by_seed_at_every_scale():
    assert RHO in radius_sweep() and WEIGHT * RHO in radius_sweep()
    for scale, seeds in (("quick", 5), ("paper", 10)):
        cells = G1.cells(scale)
        arms = {(c.config.role, c.config.radius, c.config.data.noise) for c in cells}
        assert len(cells) == seeds * len(arms) and {c.seed for c in cells} == set(range(seeds))
    assert {c.config.data.noise for c in G1.cells("paper")} == {0.2, 0.4, 0.6, 0.8}


def test_g1_configs_refuse_an_unknown_method_or_uninformative_labels_and_the_figure_draws():
    with pytest.raises(ValueError, match="role and method"):
        NoisyLabelConfig(role="adam")
    with pytest.raises(ValueError, match=r"noise must be in \[0, 1 − 1/C\)"):
        NoisyGaussianClasses(noise=0.75)  # C = 4: a noisy label is then as likely any class
    assert NoisyGaussianClasses(classes=10, noise=0.8).noise == 0.8
    ordered = ordered_results([0.50, 0.55, 0.52], [0.60, 0.64, 0.63], [0.70, 0.73, 0.71])
    assert len(noisy_label_figure(ordered).axes) == 2
