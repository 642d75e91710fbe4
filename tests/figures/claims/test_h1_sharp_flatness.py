"""Claim H1: seed-paired relative reductions, symmetric rule, matched losses; ρ = 0 cannot pass."""

from __future__ import annotations

import json
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest

from figures.claims.h1_flatness_arms import FlatnessProbe, GlyphFlatnessArm, SinusoidFlatnessArm
from figures.claims.h1_sharp_flatness import (
    GLYPH_ARMS,
    SINUSOID_ARMS,
    flatness_cells,
    flatness_check,
    flatness_figure,
)
from figures.claims.sharp_family import VARIANTS
from figures.engine.claim import Cell
from tests.figures.claims.sharp_cases import TINY_SETUP, flatness_results, run_cells

FLATTER = [0.70, 0.72, 0.68, 0.75, 0.71]
SHARPER = [1.30, 1.28, 1.32, 1.25, 1.29]
NOISY_FLATTER = [0.60, 1.20, 0.70, 1.10, 0.90]
NOISY_SHARPER = [1.40, 0.80, 1.30, 0.90, 1.10]


def test_h1_with_rho_zero_takes_maml_steps_on_both_meta_losses_and_cannot_pass():
    """The negative control: at ρ = 0 every variant is MAML bit for bit, so every r_s is 0."""
    arms = (
        SinusoidFlatnessArm(
            rho=0.0, iterations=6, snapshot_every=3, hidden=4, probe=FlatnessProbe(measure_tasks=3)
        ),
        GlyphFlatnessArm(
            TINY_SETUP, rho=0.0, snapshot_every=1, probe=FlatnessProbe(measure_tasks=2)
        ),
    )
    results = run_cells(
        [
            Cell(replace(arm, algorithm=algorithm), seed)
            for arm in arms
            for seed in range(2)
            for algorithm in ("maml", *VARIANTS)
        ]
    )
    last = {
        (r["objective"], r["seed"]): r["snapshots"][-1]["iteration"]
        for r in results
        if r["algorithm"] != "maml"
    }
    finals = {}
    for result in results:
        key = (result["objective"], result["seed"])
        at_end = next(s for s in result["snapshots"] if s["iteration"] == last[key])
        finals.setdefault(key, set()).add(
            json.dumps({k: v for k, v in at_end.items() if k != "measure_seconds"})
        )
    assert all(len(distinct) == 1 for distinct in finals.values())
    assert all(
        r["snapshots"][-1]["iteration"] > last[r["objective"], r["seed"]]
        for r in results
        if r["algorithm"] == "maml"
    ), "MAML's reference arm runs past the variants' last snapshot"

    verdict = flatness_check(results)
    assert verdict.status == "INCONCLUSIVE"
    assert verdict.explanation.count("Δ = 0 ± 0 (unresolved)") == 2 * len(VARIANTS) * 2
    assert verdict.evidence.seeds == 2


def test_h1_passes_flatter_variants_and_the_reversed_variants_fail_through_the_same_check():
    factors = {variant: FLATTER for variant in VARIANTS}
    results = flatness_results(factors) + flatness_results(factors, objective="glyph")
    verdict = flatness_check(results)
    assert verdict.status == "PASS", verdict.explanation
    assert verdict.evidence.seeds == 5 and "fraction of MAML's value" in verdict.evidence.resolvable
    reversed_ = {variant: SHARPER for variant in VARIANTS}
    results = flatness_results(reversed_) + flatness_results(reversed_, objective="glyph")
    assert flatness_check(results).status == "FAIL"


def test_h1_rule_is_symmetric_a_point_estimate_neither_passes_nor_fails():
    """PASS and FAIL both need a resolved interval; a mean on one side of 0 is not enough."""
    assert flatness_check(flatness_results({"sharp-maml-up": NOISY_FLATTER})).status == (
        "INCONCLUSIVE"
    )
    assert flatness_check(flatness_results({"sharp-maml-up": NOISY_SHARPER})).status == (
        "INCONCLUSIVE"
    )
    resolved = flatness_results({"sharp-maml-up": SHARPER})
    assert flatness_check(resolved).status == "FAIL"


def test_h1_needs_every_variant_on_every_meta_loss():
    """One variant sharper on one meta-loss fails the claim, whatever the others do."""
    factors = {variant: FLATTER for variant in VARIANTS}
    results = flatness_results(factors) + flatness_results(
        {**factors, "sharp-maml-efficient": SHARPER}, objective="glyph"
    )
    verdict = flatness_check(results)
    assert verdict.status == "FAIL"
    assert "glyph sharp-maml-efficient λ_max" in verdict.explanation
    assert [(label, part.status) for label, part in verdict.parts] == [
        ("sinusoid", "PASS"),
        ("glyph", "FAIL"),
    ], "each meta-loss a part with its own status"


def test_h1_leaves_out_comparisons_at_unmatched_losses():
    """A variant at a meta-loss 50% off MAML's snapshots is not compared: no PASS from it,
    while a resolved FAIL of a matched comparison stands."""
    unmatched = flatness_results({"sharp-maml-up": FLATTER}, loss_factor=1.5)
    verdict = flatness_check(unmatched)
    assert verdict.status == "INCONCLUSIVE" and "left out" in verdict.explanation
    matched = flatness_results({"sharp-maml-low": FLATTER})
    assert flatness_check(matched + unmatched[1::2]).status == "INCONCLUSIVE"
    failing = flatness_results({"sharp-maml-low": SHARPER})
    assert flatness_check(failing + unmatched[1::2]).status == "FAIL"


def test_h1_refuses_duplicate_or_unpaired_arms():
    results = flatness_results({"sharp-maml-up": FLATTER})
    with pytest.raises(ValueError, match="two results"):
        flatness_check([*results, results[1]])
    with pytest.raises(ValueError, match="no MAML arm"):
        flatness_check(results[1:])
    empty = flatness_check([])
    assert empty.status == "INCONCLUSIVE" and empty.evidence.seeds == 0


def test_h1_cells_pair_every_variant_with_maml_per_seed_at_every_scale():
    for scale in ("smoke", "quick", "paper"):
        cells = flatness_cells(scale)
        arms = {(type(c.config).__name__, c.config.algorithm, c.seed) for c in cells}
        assert len(arms) == len(cells)
        seeds = {c.seed for c in cells}
        assert len(seeds) >= (2 if scale == "smoke" else 5)
        assert len(cells) == 2 * len(seeds) * (1 + len(VARIANTS))
    assert GLYPH_ARMS["paper"].setup.filters == 64 and SINUSOID_ARMS["paper"].hidden == 40


def test_h1_figure_draws_every_meta_loss_and_measure():
    factors = {variant: FLATTER for variant in VARIANTS}
    figure = flatness_figure(flatness_results(factors) + flatness_results(factors, "glyph"))
    assert len(figure.axes) == 6
    plt.close(figure)


def test_a_killed_arm_resumes_and_measures_no_snapshot_twice(tmp_path, monkeypatch):
    from figures.claims.h1_flatness_arms import FlatnessProbe, SinusoidFlatnessArm, Trajectory
    from figures.engine.cell_state import cell_state

    arm = SinusoidFlatnessArm(
        "maml", iterations=25, snapshot_every=10, hidden=8, probe=FlatnessProbe(measure_tasks=3)
    )
    measure, calls = Trajectory.measure, []

    def without_seconds(result):
        return [{k: v for k, v in s.items() if "seconds" not in k} for s in result["snapshots"]]

    def dying(self, objective, params, seed):
        calls.append(len(calls))
        if len(calls) == 2:
            raise KeyboardInterrupt("killed at the second snapshot")
        return measure(self, objective, params, seed)

    uninterrupted = without_seconds(arm.run(seed=1))
    monkeypatch.setattr(Trajectory, "measure", dying)
    with cell_state(tmp_path), pytest.raises(KeyboardInterrupt):
        arm.run(seed=1)
    calls.clear()
    monkeypatch.setattr(Trajectory, "measure", lambda *a: calls.append(0) or measure(*a))
    with cell_state(tmp_path):
        resumed = without_seconds(arm.run(seed=1))
    assert resumed == uninterrupted
    assert len(calls) == len(resumed) - 1, "the first snapshot's measurement was kept, not redone"
