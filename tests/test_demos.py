"""The demos behind `make reproduce`: their checks can fail, and the command writes its files."""

from __future__ import annotations

import json

import pytest
import torch

from figures.cli import main
from figures.linear_demo import LinearDemoConfig, run_linear_demo
from figures.sinusoid_demo import SinusoidDemoConfig, check_maml_beats_nal, run_sinusoid_demo


def scores(mean: float) -> dict:
    return {
        "query_mse_after_steps": {str(s): {"mean": mean, "half_width": 0.05} for s in (0, 1, 5)}
    }


def summary_with(maml: float, nal: float) -> dict:
    return {"algorithms": {"maml": scores(maml), "nal": scores(nal)}}


def test_sinusoid_check_passes_only_when_maml_is_clearly_better():
    assert check_maml_beats_nal(summary_with(0.5, 2.0))["verdict"] == "PASS"
    assert check_maml_beats_nal(summary_with(2.0, 2.0))["verdict"] == "FAIL"
    assert check_maml_beats_nal(summary_with(1.95, 2.0))["verdict"] == "FAIL"


@pytest.mark.slow
def test_sinusoid_demo_maml_beats_nal_after_short_training(tmp_path):
    summary = run_sinusoid_demo(
        SinusoidDemoConfig(iterations=1500, test_tasks=300), tmp_path, progress=False
    )
    assert summary["check"]["verdict"] == "PASS", summary["check"]
    assert {p.name for p in tmp_path.iterdir()} == {
        "summary.json",
        "mse_vs_steps.png",
        "adapted_curves.png",
    }


def test_untrained_maml_does_not_pass_the_sinusoid_check():
    summary = run_sinusoid_demo(
        SinusoidDemoConfig(iterations=1, test_tasks=200), None, progress=False
    )
    assert summary["check"]["verdict"] == "FAIL"


@pytest.mark.slow
def test_linear_demo_gain_needs_a_hardness_difference():
    base = {"support_size": 200, "iterations": 400, "test_tasks": 1000}
    differing = run_linear_demo(LinearDemoConfig(**base), None, progress=False)
    assert differing["check"]["verdict"] == "PASS", differing["check"]
    equal = run_linear_demo(LinearDemoConfig(rho_hard=0.9, **base), None, progress=False)
    assert equal["check"]["verdict"] == "FAIL", equal["check"]
    assert abs(equal["gain_nal_over_maml"]["mean"] - 1.0) < 0.1


def test_reproduce_command_writes_every_demo(tmp_path, capsys):
    assert main(["reproduce", "--scale", "smoke", "--out", str(tmp_path), "--no-progress"]) == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert set(index["demos"]) == {"sinusoid", "linear_mixture"}
    for name in index["demos"]:
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert summary["check"]["verdict"] in {"PASS", "FAIL"}
    assert str(tmp_path.resolve()) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--demos", "nope"], "--demos got ['nope']"),
        pytest.param(
            ["--device", "cuda:0"],
            "no CUDA",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA"),
        ),
        (["--device", "tpu9"], "is not a torch device"),
    ],
)
def test_reproduce_bad_arguments(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--scale", "smoke", "--out", str(tmp_path), *argv])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_reproduce_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit):
        main(["reproduce", "--scale", "smoke", "--out", str(blocker / "sub")])
    assert "cannot write to the output folder" in capsys.readouterr().err
