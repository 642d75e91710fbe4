"""Claim S2: each part flips with a wrong variant through the claim's own check.

Cost: MAML in Sign-MAML's role, or FO-MAML in MAML's, breaks a counted-FLOPs relation
(real counts on a tiny net). Accuracy: a degraded Sign-MAML (a sign step of α = 1)
turns the seed-paired comparison from unresolved to below 0 (real tiny runs). Timing never
decides. The cells of every scale construct, paper cells on the official protocol.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from figures.claims.fewshot import FewShotSetup
from figures.claims.s2_accuracy import AccuracyConfig
from figures.claims.s2_cost import CostConfig, cost_verdict
from figures.claims.s2_sign_maml import RUNS, sign_maml_cells, sign_maml_check, sign_maml_figure
from figures.claims.s2_step_sizes import OFFICIAL, chosen_methods
from figures.engine.claim import Cell, Results
from figures.engine.executors import CELL_THREADS

TINY = FewShotSetup(
    queries=1,
    filters=4,
    meta_batch=2,
    iterations=30,
    test_tasks=50,
    eval_steps=(10,),
    inner_steps=5,
    glyph_alphabets=8,
    glyph_characters=6,
    glyph_drawings=4,
    image_size=14,
    blocks=2,
)
RIGHT = chosen_methods(dict.fromkeys(OFFICIAL, 1.0))
SEEDS = (0, 1, 2)


def played_by(methods: tuple, role: str, algorithm: str) -> tuple:
    """``methods`` with ``role`` played by ``algorithm``."""
    return tuple((r, algorithm if r == role else g, a) for r, g, a in methods)


@pytest.fixture(autouse=True, scope="module")
def cell_threads():
    """Cells run on ``CELL_THREADS`` torch threads in the runner; so do they here."""
    threads = torch.get_num_threads()
    torch.set_num_threads(CELL_THREADS)
    yield
    torch.set_num_threads(threads)


def reported(config, seeds: tuple[int, ...] = (0,)) -> list[dict]:
    """The cells' results as the check sees them (run here, JSON round trip)."""
    return Results.computed([Cell(config, seed) for seed in seeds])[:]


@pytest.fixture(scope="module")
def tiny_cost() -> dict:
    """Real counts and timings of the three methods on the tiny net."""
    return reported(CostConfig(TINY, RIGHT, timing_rounds=1))[0]


def accuracy_results(sign_offset: float) -> list[dict]:
    """Accuracy cells where Sign-MAML beats FO-MAML by ``sign_offset`` ± 0.01 per seed."""
    return [
        {
            "seed": seed,
            "eval_step": 10,
            "roles": {
                "fo-maml": {"accuracy": 0.80 + 0.02 * seed, "inner_lr": 0.1},
                "sign-maml": {
                    "accuracy": 0.80 + 0.02 * seed + sign_offset + 0.01 * (-1) ** seed,
                    "inner_lr": 0.0035,
                },
            },
        }
        for seed in range(5)
    ]


def claim_results(cost: dict, accuracy: list[dict]) -> Results:
    return Results([(CostConfig, cost)] + [(AccuracyConfig, result) for result in accuracy])


def test_right_methods_pass_both_parts_and_carry_evidence(tiny_cost):
    verdict = sign_maml_check(claim_results(tiny_cost, accuracy_results(0.05)))
    assert verdict.status == "PASS", verdict.explanation
    assert verdict.evidence.seeds == 5 and "exact" in verdict.evidence.resolvable
    assert "published" in verdict.explanation and "measured" in verdict.explanation
    sign_maml_figure(claim_results(tiny_cost, accuracy_results(0.05)))


@pytest.mark.parametrize(
    ("role", "algorithm", "broken"),
    [
        ("sign-maml", "maml", "FLOPs_sign = FLOPs_FO"),
        ("maml", "fo-maml", "FLOPs_MAML ≥ FLOPs_FO + S·G_s"),
        ("fo-maml", "maml", "FLOPs_FO = S·G_s + G_q"),
    ],
)
def test_a_wrong_algorithm_in_a_role_flips_the_cost_part(tiny_cost, role, algorithm, broken):
    (wrong,) = reported(CostConfig(TINY, played_by(RIGHT, role, algorithm), timing_rounds=1))
    verdict = sign_maml_check(claim_results(wrong, accuracy_results(0.05)))
    assert verdict.status == "FAIL"
    assert f"{broken}: " in verdict.explanation and "BROKEN" in verdict.explanation
    assert cost_verdict(tiny_cost).status == "PASS"


def test_timing_never_decides(tiny_cost):
    """Sign-MAML timed slower than MAML (a loaded machine) changes nothing: counts decide."""
    roles = {role: dict(numbers) for role, numbers in tiny_cost["roles"].items()}
    roles["sign-maml"]["seconds_per_iteration"] = 10 * roles["maml"]["seconds_per_iteration"]
    assert cost_verdict({**tiny_cost, "roles": roles}).status == "PASS"


def test_sign_maml_below_or_level_with_fo_maml_is_fail_or_inconclusive(tiny_cost):
    below = sign_maml_check(claim_results(tiny_cost, accuracy_results(-0.05)))
    level = sign_maml_check(claim_results(tiny_cost, accuracy_results(0.0)))
    assert below.status == "FAIL" and "(below)" in below.explanation
    assert level.status == "INCONCLUSIVE" and "(unresolved)" in level.explanation


def test_a_degraded_sign_maml_flips_the_accuracy_part(tiny_cost):
    """Real tiny runs. Control: FO-MAML in both roles (Δ = 0 on every seed: unresolved).
    Degraded: a sign step of α = 1 moves every weight by 1 per step (≈300× the official α):
    ten test-time steps scramble the net to chance accuracy."""
    fo = ("fo-maml", "fo-maml", OFFICIAL["fo-maml"])
    control = AccuracyConfig(TINY, (fo, ("sign-maml", "fo-maml", OFFICIAL["fo-maml"])))
    degraded = replace(control, methods=(fo, ("sign-maml", "sign-maml", 1.0)))
    verdicts = {
        name: sign_maml_check(claim_results(tiny_cost, reported(config, SEEDS)))
        for name, config in (("control", control), ("degraded", degraded))
    }
    assert verdicts["control"].status == "INCONCLUSIVE", verdicts["control"].explanation
    assert verdicts["degraded"].status == "FAIL", verdicts["degraded"].explanation
    assert "(below)" in verdicts["degraded"].explanation


@pytest.mark.parametrize("scale", list(RUNS))
def test_cells_construct_with_paired_seeds_and_the_official_settings(scale):
    cells = sign_maml_cells(scale)
    cost = [cell for cell in cells if isinstance(cell.config, CostConfig)]
    accuracy = [cell for cell in cells if isinstance(cell.config, AccuracyConfig)]
    assert len(cost) == 1 and len(cells) == 1 + len(accuracy)
    assert len({cell.seed for cell in accuracy}) == len(accuracy) >= (2 if scale == "smoke" else 5)
    setup = accuracy[0].config.setup
    assert (setup.inner_steps, setup.eval_steps, setup.shots, setup.queries) == (5, (10,), 1, 1)
    if scale == "paper":
        assert {role: lr for role, _, lr in accuracy[0].config.methods} == OFFICIAL
        assert (setup.filters, setup.meta_batch, setup.test_tasks) == (32, 8, 1000)
        assert (setup.dataset, setup.image_size) == ("mini-imagenet", 84)


def test_configs_refuse_methods_without_their_roles():
    with pytest.raises(ValueError, match="fo-maml and sign-maml"):
        AccuracyConfig(TINY, (("fo-maml", "fo-maml", 0.1),))
    with pytest.raises(ValueError, match="once each"):
        CostConfig(TINY, RIGHT[:2])
