"""Claim L7: the seed-paired check flips with hard and easy swapped, cannot pass with NAL in
MAML's role, refuses leaked alphabets, and its cells pair four arms on five seeds."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import pytest
import torch

from figures.claims.fewshot import FewShotSetup
from figures.claims.l7_fewshot_landscape import (
    ARMS,
    L7,
    QUICK_SETUP,
    HalfHardMixture,
    LandscapeArm,
    arm_experiment,
    landscape_check,
    landscape_figure,
    log_odds,
)
from figures.engine.claim import Cell, Results
from synthetic import FewShotTasks, GlyphAlphabets

TINY = replace(
    QUICK_SETUP,
    ways=2,
    filters=2,
    iterations=2,
    test_tasks=4,
    glyph_alphabets=8,
    glyph_characters=4,
    glyph_drawings=6,
)
SEED_NOISE = (0.00, 0.12, -0.08, 0.05, -0.10)
"""Per-seed offsets of the synthetic log-odds (seed-to-seed spread as measured at quick)."""


def arm_result(seed: int, algorithm: str, training: str, hard: float, easy: float) -> dict:
    """One cell's result as ``arm_experiment`` reports it, with log-odds ``hard`` and ``easy``."""
    return {
        "seed": seed,
        "algorithm": algorithm,
        "training": training,
        "eval_step": 1,
        "log_odds": {"hard": hard, "easy": easy},
        "accuracy": {"hard": 1 / (1 + math.exp(-hard)), "easy": 1 / (1 + math.exp(-easy))},
        "train_alphabets": ["alphabet00", "alphabet01"],
        "test_alphabets": ["alphabet02", "alphabet03"],
    }


def world(scores: dict[tuple[str, str], tuple[float, float]]) -> list[dict]:
    """Five seeds of every arm: ``scores[(algorithm, training)] = (hard, easy)`` plus seed noise,
    its offsets rotated from arm to arm so that no paired difference is noise-free."""
    seeds = len(SEED_NOISE)
    return [
        arm_result(
            seed,
            algorithm,
            training,
            hard + SEED_NOISE[(seed + arm) % seeds],
            easy + 2 * SEED_NOISE[(seed + 2 * arm) % seeds],
        )
        for seed in range(seeds)
        for arm, ((algorithm, training), (hard, easy)) in enumerate(scores.items())
    ]


CLAIMED = world(
    {
        ("maml", "mixture"): (0.70, 2.80),
        ("nal", "mixture"): (0.10, 2.55),
        ("maml", "hard"): (0.90, 2.60),
        ("maml", "easy"): (0.45, 2.90),
    }
)
"""The paper's picture: MAML gains 0.6 log-odds on hard tasks, 0.25 on easy; hard training helps."""

MEASURED = world(
    {
        ("maml", "mixture"): (0.66, 2.83),
        ("nal", "mixture"): (0.16, 1.47),
        ("maml", "hard"): (0.65, 2.66),
        ("maml", "easy"): (0.53, 2.73),
    }
)
"""Like the quick scale's measurement: the gain is larger on easy tasks (+1.35 vs +0.50)."""


def swapped(results: list[dict]) -> list[dict]:
    """The wrong variant: hard and easy exchanged, in the test tasks and in the training."""
    other = {"hard": "easy", "easy": "hard", "mixture": "mixture"}
    return [
        {
            **result,
            "training": other[result["training"]],
            "log_odds": {other[kind]: value for kind, value in result["log_odds"].items()},
        }
        for result in results
    ]


def test_check_passes_on_the_claimed_picture_and_fails_with_hard_and_easy_swapped():
    verdict = landscape_check(CLAIMED)
    assert verdict.status == "PASS", verdict.reason
    assert landscape_check(swapped(CLAIMED)).status == "FAIL"


def gain_difference_outcome(reason: str) -> str:
    """The outcome the verdict's reason gives the gain difference d: above, below or unresolved."""
    (part,) = [p for p in reason.split("; ") if "gain on hard − gain on easy" in p]
    return part.rsplit("(", 1)[1].rstrip(")")


def test_check_fails_on_the_measured_picture_and_not_with_hard_and_easy_swapped():
    verdict = landscape_check(MEASURED)
    assert verdict.status == "FAIL" and gain_difference_outcome(verdict.reason) == "below"
    flipped = landscape_check(swapped(MEASURED))
    assert flipped.status != "FAIL" and gain_difference_outcome(flipped.reason) == "above"


def test_nal_in_mamls_role_cannot_pass():
    nal = {r["seed"]: r["log_odds"] for r in CLAIMED if r["algorithm"] == "nal"}
    imposter = [
        {**r, "log_odds": nal[r["seed"]]}
        if (r["algorithm"], r["training"]) == ("maml", "mixture")
        else r
        for r in CLAIMED
    ]
    verdict = landscape_check(imposter)
    assert verdict.status == "INCONCLUSIVE"
    assert "gain on hard − gain on easy Δ = 0 ± 0 (unresolved)" in verdict.reason


def test_verdict_states_its_evidence():
    evidence = landscape_check(MEASURED).evidence
    assert evidence.seeds == len(SEED_NOISE)
    assert "log-odds of meta-test accuracy" in evidence.statistic
    assert evidence.resolvable.startswith("±") and evidence.resolvable.endswith("log-odds")


def test_check_refuses_leaked_alphabets_and_an_arm_twice_for_a_seed():
    leaked = [{**CLAIMED[0], "test_alphabets": ["alphabet01"]}, *CLAIMED[1:]]
    with pytest.raises(ValueError, match="meta-trained alphabets"):
        landscape_check(leaked)
    with pytest.raises(ValueError, match="two results for seed 0"):
        landscape_check([*CLAIMED, CLAIMED[0]])


def test_log_odds_has_no_ceiling_and_is_symmetric():
    perfect, near = torch.ones(200), torch.full((200,), 0.96)
    assert math.isfinite(log_odds(perfect, 25)) and log_odds(perfect, 25) > log_odds(near, 25)
    accuracy = torch.tensor([0.2, 0.6, 1.0])
    assert log_odds(accuracy, 5) == pytest.approx(-log_odds(1 - accuracy, 5))


def test_mixture_draws_half_hard_half_easy_tasks():
    data = GlyphAlphabets(alphabets=4, characters=3, drawings=2).render()
    mixture = HalfHardMixture(
        *(FewShotTasks(data, 3, 1, 1, mode) for mode in ("within", "between"))
    )
    batch = mixture.sample(5, torch.Generator().manual_seed(0))
    groups = data.group_index()[batch.info["classes"]]
    alphabets_per_task = [len(set(task.tolist())) for task in groups]
    assert batch.num_tasks == 5 and alphabets_per_task == [1, 1, 1, 3, 3]


def test_meta_test_alphabets_are_disjoint_and_an_overlap_is_refused(monkeypatch):
    result = arm_experiment(LandscapeArm(TINY, "maml", "hard"), seed=0)
    assert set(result["train_alphabets"]).isdisjoint(result["test_alphabets"])
    assert result["train_alphabets"] and result["test_alphabets"]
    data = TINY.splits().train
    monkeypatch.setattr(
        FewShotSetup, "splits", lambda self: SimpleNamespace(train=data, val=data, test=data)
    )
    with pytest.raises(ValueError, match="meta-test classes must be unseen"):
        arm_experiment(LandscapeArm(TINY, "maml", "hard"), seed=0)


def test_real_cells_reach_a_verdict_with_evidence_and_a_figure():
    cells = [Cell(LandscapeArm(TINY, a, t), seed) for seed in range(2) for a, t in ARMS]
    results = Results.computed(cells)
    verdict = L7.check(results)
    assert verdict.status in ("PASS", "FAIL", "INCONCLUSIVE") and verdict.evidence.seeds == 2
    assert len(landscape_figure(results).axes) == 2


@pytest.mark.parametrize("scale", ["quick", "paper"])
def test_cells_pair_the_four_arms_on_five_seeds_on_one_setup(scale):
    cells = L7.cells(scale)
    by_seed: dict[int, set] = {}
    for cell in cells:
        by_seed.setdefault(cell.seed, set()).add((cell.config.algorithm, cell.config.training))
    assert by_seed == {seed: set(ARMS) for seed in range(5)}
    assert len({cell.config.setup for cell in cells}) == 1


def test_paper_cells_follow_finns_omniglot_protocol():
    setup = L7.cells("paper")[0].config.setup
    assert (setup.filters, setup.meta_batch, setup.iterations) == (64, 32, 60000)
    assert (setup.image_size, setup.blocks, setup.ways, setup.shots, setup.inner_steps) == (
        28,
        4,
        5,
        1,
        1,
    )
    assert L7.cells("paper")[0].config.inner_lr == 0.4
    assert (setup.dataset, setup.rotations) == ("omniglot", True), "real Omniglot, rotated"
