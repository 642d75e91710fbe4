"""The peers benchmark's harness, on tiny workloads with the contenders that are always present.

The loop and mamlscape must agree (float64 and float32) on a sinusoid MLP
and on a small conv net with batch norm; a contender with a wrong gradient
must be refused; a contender whose library is missing is reported, not
fatal; the table shows what was measured; the memory child runs. The one
test that needs learn2learn, higher or torchopt skips where the peer is not
installed (they are only in ``.venv-peers``); it asks ``Contender.installed``
rather than ``pytest.importorskip`` because ``import learn2learn`` fails even
where learn2learn is installed (its ``__init__`` needs torchvision).
"""

from __future__ import annotations

import pytest
import torch

from algorithms import ConvNet, cross_entropy
from benchmarks import peers
from benchmarks.peers import (
    SMOKE,
    Contender,
    GradientMismatchError,
    Workload,
    WorkloadResult,
    contenders,
    measure_memory,
    prepare_loop,
    render_table,
    run_workload,
)
from synthetic import FewShotTasks, GlyphAlphabets

ALWAYS = ("loop", "mamlscape")


def always_present() -> dict[str, Contender]:
    return {name: contenders()[name] for name in ALWAYS}


def scaled_loop(factor: float, name: str = "wrong") -> Contender:
    """The loop's meta-gradient times ``factor``: wrong unless factor is 1."""

    def prepare(model, workload):
        meta_gradient = prepare_loop(model, workload)
        return lambda params, batch: [factor * g for g in meta_gradient(params, batch)]

    return Contender(name, prepare)


def tiny_conv_workload() -> Workload:
    glyphs = GlyphAlphabets(alphabets=3, characters=4, drawings=5, supersample=1).render()
    tasks = FewShotTasks(glyphs, ways=3, shots=1, queries=2)
    return Workload(
        "tiny-conv",
        lambda small, generator: ConvNet(3, filters=4, blocks=2, generator=generator),
        lambda n, generator, dtype: tasks.sample(n, generator, dtype=dtype),
        cross_entropy,
        0.4,
        1,
        3,
        check_meta_batch=2,
    )


@pytest.mark.parametrize("workload", [SMOKE, tiny_conv_workload()], ids=lambda w: w.name)
def test_loop_and_mamlscape_agree_and_are_timed(workload):
    result = run_workload(workload, always_present(), rounds=2, memory=False, baseline="loop")
    assert result.float64_relative_difference["mamlscape"] <= peers.FLOAT64_TOLERANCE
    assert result.float32_relative_difference["mamlscape"] <= peers.FLOAT32_TOLERANCE
    assert set(result.median_seconds) == set(ALWAYS)
    assert all(len(rounds) == 2 for rounds in result.seconds_per_round.values())
    assert result.speedup_over_baseline["loop"]["mean"] == pytest.approx(1.0)
    assert result.not_installed == []


@pytest.mark.parametrize("factor", [1.01, 1 + 1e-8])
def test_a_wrong_meta_gradient_is_refused(factor):
    candidates = {**always_present(), "wrong": scaled_loop(factor)}
    with pytest.raises(GradientMismatchError, match="wrong"):
        run_workload(SMOKE, candidates, rounds=1, memory=False)


def test_the_checks_accept_rounding_level_differences():
    candidates = {"loop": contenders()["loop"], "rounded": scaled_loop(1 + 1e-14, "rounded")}
    result = run_workload(SMOKE, candidates, rounds=1, memory=False)
    assert result.float64_relative_difference["rounded"] < 1e-13


def test_a_reduced_precision_contender_is_held_to_its_own_tolerance_in_float32_only():
    """10% off passes a 0.3 float32 tolerance; 2× fails it; the float64 check stays exact."""

    def contender(factor_32: float, factor_64: float) -> Contender:
        def prepare(model, workload):
            meta_gradient = prepare_loop(model, workload)
            factor = factor_64 if next(model.parameters()).dtype == torch.float64 else factor_32
            return lambda params, batch: [factor * g for g in meta_gradient(params, batch)]

        return Contender("reduced", prepare, float32_tolerance=0.3)

    loop = {"loop": contenders()["loop"]}
    result = run_workload(SMOKE, {**loop, "reduced": contender(1.1, 1.0)}, 1, memory=False)
    assert 0.05 < result.float32_relative_difference["reduced"] < 0.3
    for factors in ((2.0, 1.0), (1.1, 1.1)):
        with pytest.raises(GradientMismatchError, match="reduced"):
            run_workload(SMOKE, {**loop, "reduced": contender(*factors)}, 1, memory=False)


def test_a_contender_runs_only_on_its_workloads():
    elsewhere = Contender("elsewhere", prepare_loop, workloads=("conv",))
    result = run_workload(SMOKE, {**always_present(), "elsewhere": elsewhere}, 1, memory=False)
    assert "elsewhere" not in result.median_seconds and not result.not_installed


def test_a_missing_library_is_reported_and_the_run_goes_on():
    absent = Contender("absent", prepare_loop, library="no_such_library_for_mamlscape")
    result = run_workload(SMOKE, {**always_present(), "absent": absent}, rounds=1, memory=False)
    assert result.not_installed == ["absent"]
    assert set(result.median_seconds) == set(ALWAYS)
    assert "| not installed |" in render_table([result], baseline="loop")


def test_without_the_baseline_no_ratio_is_given():
    result = run_workload(SMOKE, always_present(), rounds=1, memory=False)
    assert result.speedup_over_baseline == {}
    assert "×" not in render_table([result]).splitlines()[2]


def test_the_table_shows_time_ratio_interval_and_memory():
    result = WorkloadResult(
        workload="w",
        meta_batch=4,
        inner_steps=1,
        inner_lr=0.1,
        not_installed=["higher"],
        float64_relative_difference={"mamlscape": 2e-16},
        float32_relative_difference={"mamlscape": 3e-7},
        seconds_per_round={"learn2learn": [2.0], "mamlscape": [0.01]},
        median_seconds={"learn2learn": 2.0, "mamlscape": 0.0125},
        speedup_over_baseline={
            "learn2learn": {"mean": 1.0, "half_width": 0.0, "level": 0.95},
            "mamlscape": {"mean": 160.0, "half_width": 4.0, "level": 0.95},
        },
        peak_mb={"learn2learn": 120.4, "mamlscape": 30.6},
    )
    lines = render_table([result]).splitlines()
    assert lines[0] == "| workload | learn2learn | mamlscape | higher | max rel. diff. f64 / f32 |"
    assert lines[2] == (
        "| w | 2 s (×1.00 [1.00, 1.00]), +120 MB | 12.5 ms (×160.00 [156.00, 164.00]), +31 MB "
        "| not installed | 2.0e-16 / 3.0e-07 |"
    )


def test_the_memory_child_measures_a_peak_above_its_start():
    measured = measure_memory("smoke", "loop", threads=1)
    assert measured["peak_mb"] >= 0
    assert measured["before_mb"] > 0
    assert measured["method"] in ("VmHWM after clear_refs", "ru_maxrss")


@pytest.mark.parametrize("peer", ["learn2learn", "higher", "torchopt"])
def test_an_installed_peer_agrees_with_the_loop(peer):
    if not contenders()[peer].installed():
        pytest.skip(f"{peer} is not installed (it is in .venv-peers)")
    candidates = {"loop": contenders()["loop"], peer: contenders()[peer]}
    result = run_workload(SMOKE, candidates, rounds=1, memory=False, baseline="loop")
    assert result.float64_relative_difference[peer] <= peers.FLOAT64_TOLERANCE


def test_the_float64_check_runs_in_float64():
    model, params, batch = peers.setup(SMOKE, True, torch.float64)
    assert all(p.dtype == torch.float64 for p in params.values())
    assert batch.support_x.dtype == torch.float64
    assert batch.num_tasks == SMOKE.check_meta_batch
    assert list(params) == [name for name, _ in model.named_parameters()]
