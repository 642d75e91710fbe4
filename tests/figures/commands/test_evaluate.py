"""``mamlscape train --tasks omniglot|mini-imagenet`` and ``mamlscape evaluate`` on generated
Omniglot zips and miniImageNet trees."""

from __future__ import annotations

import json

import pytest
import torch

from figures.claims.fewshot import FewShotSetup
from figures.commands.cli import main
from tests.mini_imagenet_tree import write_learnable_mini_imagenet
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
    error = capsys.readouterr().err
    assert "apply to --tasks glyphs, omniglot, mini-imagenet, not to 'linear'" in error


def test_mini_imagenet_trains_rgb_and_evaluates_on_its_test_classes(tmp_path):
    tree = write_learnable_mini_imagenet(tmp_path / "mini")
    out = tmp_path / "run"
    words = ["train", "--algo", "fo-maml", "--tasks", "mini-imagenet", "--mini-imagenet", str(tree)]
    options = ["--filters", "4", "--image-size", "16", "--iterations", "3", "--meta-batch", "2"]
    assert main([*words, *options, "--out", str(out)]) == 0
    report = evaluate(out, tmp_path, "--steps", "0,1")
    test_classes = {line.split(",")[1] for line in (tree / "test.csv").read_text().split()[1:]}
    assert set(report["test_alphabets"]) == test_classes, "miniImageNet's own test classes"
    assert report["accuracy"]["1"]["count"] == 12


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (
            ["--tasks", "mini-imagenet"],
            "--tasks mini-imagenet needs the data: give --mini-imagenet",
        ),
        (
            ["--tasks", "omniglot", "--omniglot", "x.zip", "--mini-imagenet", "."],
            "--mini-imagenet applies to --tasks mini-imagenet, not to 'omniglot'",
        ),
        (
            ["--tasks", "mini-imagenet", "--mini-imagenet", ".", "--omniglot", "x.zip"],
            "--omniglot applies to --tasks glyphs or omniglot, not to 'mini-imagenet'",
        ),
    ],
)
def test_mini_imagenet_data_goes_with_its_family_only(tmp_path, capsys, words, message):
    with pytest.raises(SystemExit) as stop:
        main(["train", "--algo", "maml", *words, "--out", str(tmp_path / "run")])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "run").exists(), "refused before the output folder is made"


def test_the_pretrained_baseline_learns_global_labels_and_is_fine_tuned_per_task(tmp_path):
    data = write_omniglot_zip(tmp_path / "images_background.zip", alphabets=8, characters=5)
    out = tmp_path / "pretrained"
    words = ["train", "--algo", "nal", "--tasks", "omniglot", "--omniglot", str(data)]
    options = ["--labels", "global", "--filters", "4", "--image-size", "16", "--queries", "2"]
    lengths = ["--iterations", "3", "--meta-batch", "2"]
    assert main([*words, *options, *lengths, "--out", str(out)]) == 0
    train_classes = FewShotSetup(omniglot=(str(data),)).splits().train.num_classes
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    assert saved["shapes"]["head.weight"][0] == train_classes, "one output per meta-train class"
    report = evaluate(out, tmp_path, "--steps", "0,1", "--adapt", "head")
    assert (
        f"re-initialised to zeros for 5 ways (trained with {train_classes} outputs)"
        in (report["note"])
    )
    assert report["accuracy"]["0"]["mean"] == pytest.approx(0.2), "zero head: chance"


def test_global_labels_go_with_the_pretraining_baseline_only(tmp_path, capsys):
    words = ["train", "--algo", "maml", "--tasks", "glyphs", "--labels", "global"]
    with pytest.raises(SystemExit) as stop:
        main([*words, "--out", str(tmp_path / "run")])
    assert stop.value.code == 2
    assert "--labels global trains a classifier over all meta-train classes" in (
        capsys.readouterr().err
    )
