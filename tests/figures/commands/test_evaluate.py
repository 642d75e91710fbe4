"""``mamlscape train --tasks omniglot`` and ``mamlscape evaluate`` on a generated Omniglot zip."""

from __future__ import annotations

import json

import pytest

from figures.commands.cli import main
from tests.omniglot_zips import write_omniglot_zip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("omniglot")
    data = write_omniglot_zip(folder / "images_background.zip", alphabets=8, characters=5)
    out = folder / "run"
    words = ["train", "--algo", "maml", "--tasks", "omniglot", "--omniglot", str(data)]
    options = ["--ways", "3", "--queries", "2", "--filters", "4", "--image-size", "16"]
    assert (
        main([*words, *options, "--iterations", "6", "--meta-batch", "2", "--out", str(out)]) == 0
    )
    return data, out


def evaluate(out, tmp_path, *extra: str) -> dict:
    report = tmp_path / "report.json"
    words = ["evaluate", "--checkpoint", str(out), "--test-tasks", "12", "--out", str(report)]
    assert main([*words, *extra]) == 0
    return json.loads(report.read_text())


def test_evaluate_reports_accuracy_with_an_interval_on_held_out_alphabets(trained, tmp_path):
    _, out = trained
    report = evaluate(out, tmp_path, "--steps", "0,1")
    assert report["tasks"] == "3-way 1-shot, 2 queries per class"
    assert set(report["accuracy"]) == {"0", "1"}
    for summary in report["accuracy"].values():
        assert 0 <= summary["mean"] <= 1 and summary["count"] == 12 and summary["half_width"] > 0
    train_alphabets = {f"Alphabet{a:02d}" for a in range(8)} - set(report["test_alphabets"])
    assert report["test_alphabets"] and train_alphabets


def test_other_ways_reinitialise_the_head_and_head_only_adaptation_runs(trained, tmp_path):
    _, out = trained
    report = evaluate(out, tmp_path, "--ways", "2", "--adapt", "head", "--steps", "0,2")
    assert "re-initialised to zeros for 2 ways" in report["note"]
    assert report["accuracy"]["0"]["mean"] == pytest.approx(0.5), "zero head: ties, chance"
    assert report["adapt"] == "head"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--adapt", "body"], "--adapt must be one of"),
        (["--steps", "a"], "--steps must be comma-separated counts"),
        (["--ways", "40"], "ways = 40 classes per task"),
    ],
)
def test_bad_evaluate_arguments(trained, tmp_path, capsys, extra, message):
    _, out = trained
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--checkpoint", str(out), *extra])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_a_checkpoint_without_images_is_refused(tmp_path, capsys):
    out = tmp_path / "linear"
    assert (
        main(
            [
                "train",
                "--algo",
                "maml",
                "--tasks",
                "linear",
                "--iterations",
                "2",
                "--meta-batch",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    with pytest.raises(SystemExit):
        main(["evaluate", "--checkpoint", str(out)])
    assert "is a checkpoint of --tasks 'linear'" in capsys.readouterr().err


def test_image_options_on_a_family_without_images_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            ["train", "--algo", "maml", "--tasks", "linear", "--ways", "3", "--out", str(tmp_path)]
        )
    assert "apply to --tasks glyphs or omniglot, not to 'linear'" in capsys.readouterr().err
