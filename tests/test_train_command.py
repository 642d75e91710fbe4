"""``mamlscape train``: the checkpoint ``spectrum`` reads, determinism, and bad input."""

from __future__ import annotations

import json

import pytest
import torch

from algorithms import load_checkpoint
from figures.cli import main
from figures.task_families import task_family

TINY = ["--tasks", "linear", "--iterations", "6", "--meta-batch", "4"]


def test_train_then_spectrum_of_the_checkpoint(tmp_path, capsys):
    trained = tmp_path / "trained"
    assert main(["train", "--algo", "maml", *TINY, "--inner-lr", "0.2", "--out", str(trained)]) == 0
    assert "checkpoint:" in capsys.readouterr().out
    training = json.loads((trained / "training.json").read_text())
    assert len(training["meta_loss"]) == 6 and training["inner_lr"] == 0.2
    report = tmp_path / "report"
    words = ["spectrum", "--algo", "maml", "--tasks", "linear", "--k", "1"]
    assert main([*words, "--checkpoint", str(trained / "checkpoint.pt"), "--out", str(report)]) == 0
    summary = json.loads((report / "spectrum.json").read_text())
    assert summary["inner_lr"] == 0.2 and summary["checkpoint_metadata"]["algorithm"] == "maml"


def test_the_same_command_gives_the_same_checkpoint(tmp_path):
    runs = []
    for name in ("a", "b"):
        assert main(["train", "--algo", "fo-maml", *TINY, "--out", str(tmp_path / name)]) == 0
        model = task_family("linear").model(torch.Generator())
        runs.append(load_checkpoint(tmp_path / name / "checkpoint.pt", model)[0])
    assert all(torch.equal(runs[0][name], runs[1][name]) for name in runs[0])


def test_a_diverging_run_names_the_iteration_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "diverged"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--algo", "maml", *TINY, "--inner-lr", "1e20", "--out", str(out)])
    assert exit_info.value.code == 2
    assert "became NaN/Inf at iteration" in capsys.readouterr().err
    assert not list(out.iterdir())


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--algo", "mamll", "--tasks", "linear"], "--algo must be one of"),
        (["--algo", "maml", "--tasks", "cifar"], "--tasks must be one of"),
        (["--algo", "maml", *TINY, "--omniglot", "x"], "--omniglot applies to --tasks glyphs"),
        (["--algo", "maml", *TINY[:2], "--iterations", "0"], "--iterations must be an integer"),
        (["--algo", "maml", *TINY, "--outer-lr", "-1"], "--outer-lr must be > 0"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(tmp_path, capsys, words, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *words, "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
