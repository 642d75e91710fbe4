"""``mamlscape train``: the checkpoint ``spectrum`` reads, determinism, and bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from algorithms import load_checkpoint
from figures.commands.cli import main
from figures.commands.task_families import task_family
from synthetic import SamplerFunction

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


@pytest.mark.parametrize("words", [["--meta-gradient", "autograd"], ["--precision", "bfloat16"]])
def test_the_execution_options_train_the_glyph_conv_net(tmp_path, words):
    out = tmp_path / "run"
    glyphs = ["--tasks", "glyphs", "--iterations", "2", "--meta-batch", "2"]
    assert main(["train", "--algo", "maml", *glyphs, *words, "--out", str(out)]) == 0
    training = json.loads((out / "training.json").read_text())
    assert training["config"][words[0][2:].replace("-", "_")] == words[1]
    assert all(loss == loss for loss in training["meta_loss"])


def test_a_diverging_run_names_the_iteration_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "diverged"
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--algo", "maml", *TINY, "--inner-lr", "1e20", "--out", str(out)])
    assert exit_info.value.code == 2
    assert "became NaN/Inf at iteration 0 with --inner-lr 1e+20" in capsys.readouterr().err
    assert not list(out.iterdir())


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--algo", "mamll", "--tasks", "linear"], "--algo must be one of"),
        (["--algo", "maml", "--tasks", "cifar"], "--tasks must be one of"),
        (
            ["--algo", "maml", *TINY, "--omniglot", "x"],
            "--omniglot applies to --tasks glyphs or omniglot",
        ),
        (["--algo", "maml", *TINY[:2], "--iterations", "0"], "--iterations must be an integer"),
        (["--algo", "maml", *TINY, "--outer-lr", "-1"], "--outer-lr must be > 0"),
        (["--algo", "maml", *TINY, "--meta-gradient", "fast"], "--meta-gradient must be one of"),
        (["--algo", "maml", *TINY, "--precision", "fp16"], "--precision must be one of"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(tmp_path, capsys, words, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", *words, "--out", str(tmp_path)])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def stopping_at_eighth_draw(family, calls: list):
    """``family`` whose sampler counts its draws in ``calls`` and stops the run (as Ctrl-C
    would) at the eighth."""

    def stopping(num_tasks, generator, dtype=torch.float32):
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return family.tasks.sample(num_tasks, generator, dtype=dtype)

    return replace(family, tasks=SamplerFunction(stopping))


def test_a_stopped_run_resumes_to_the_uninterrupted_result(tmp_path, monkeypatch):
    import figures.commands.train as command

    config = command.TrainConfig("maml", "linear", iterations=10, meta_batch=4, save_every=3)
    whole = command.run_training(config, tmp_path / "whole")
    family, calls = task_family("linear"), []
    monkeypatch.setattr(command, "task_family", lambda *_: stopping_at_eighth_draw(family, calls))
    with pytest.raises(KeyboardInterrupt):
        command.run_training(config, tmp_path / "resumed")
    assert (tmp_path / "resumed" / "progress.pt").is_file()
    assert not (tmp_path / "resumed" / "checkpoint.pt").exists()
    resumed = command.run_training(config, tmp_path / "resumed")
    # the 8th draw stopped the run; 6 iterations were saved, so the rerun draws the 7th–10th
    assert len(calls) == 8 + 4
    assert resumed["meta_loss"] == whole["meta_loss"]
    model = family.model(torch.Generator())
    final = [
        load_checkpoint(tmp_path / run / "checkpoint.pt", model)[0] for run in ("whole", "resumed")
    ]
    assert all(torch.equal(final[0][name], final[1][name]) for name in final[0])
    assert not (tmp_path / "resumed" / "progress.pt").exists()


def test_progress_of_another_config_or_a_corrupt_file_is_refused(tmp_path):
    from algorithms.resumable_training import Progress, save_progress
    from figures.commands.train import TrainConfig, _run_key, run_training

    config = TrainConfig("maml", "linear", iterations=4, meta_batch=2, save_every=2)
    other = replace(config, algo="fo-maml")
    state = Progress(2, {}, {}, torch.Generator().get_state(), [0.0, 0.0], 0.0)
    save_progress(tmp_path / "progress.pt", _run_key(other), state)
    with pytest.raises(ValueError, match="holds an unfinished run of another config"):
        run_training(config, tmp_path)
    (tmp_path / "progress.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="not a readable training progress file"):
        run_training(config, tmp_path)


def test_ctrl_c_says_how_to_resume(tmp_path, monkeypatch, capsys):
    import figures.commands.train as command

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "run_training", interrupted)
    assert main(["train", "--algo", "maml", *TINY, "--out", str(tmp_path)]) == 130
    assert "the same command resumes from there" in capsys.readouterr().err


def test_a_glyph_checkpoint_is_the_point_the_glyph_spectrum_measures(tmp_path):
    from figures.commands.spectrum import SpectrumConfig, build_setup

    words = ["--tasks", "glyphs", "--iterations", "2", "--meta-batch", "2", "--inner-lr", "0.3"]
    assert main(["train", "--algo", "anil", *words, "--out", str(tmp_path)]) == 0
    checkpoint = tmp_path / "checkpoint.pt"
    setup = build_setup(SpectrumConfig("anil", "glyphs", meta_batch=2, checkpoint=checkpoint))
    saved = torch.load(checkpoint, weights_only=True)["params"]
    assert setup.inner_lr == 0.3
    assert all(torch.equal(setup.params[name], saved[name].double()) for name in saved)


def test_a_finished_checkpoint_is_not_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "run"
    words = ["train", "--algo", "maml", *TINY, "--out", str(out)]
    assert main(words) == 0
    first = (out / "checkpoint.pt").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main([*words, "--seed", "3"])
    assert exit_info.value.code == 2
    assert "already holds a finished checkpoint" in capsys.readouterr().err
    assert (out / "checkpoint.pt").read_bytes() == first
    assert main([*words, "--seed", "3", "--force"]) == 0
    assert (out / "checkpoint.pt").read_bytes() != first


def test_spectrum_reads_the_checkpoint_from_trains_folder_and_refuses_garbage(tmp_path, capsys):
    trained = tmp_path / "trained"
    assert main(["train", "--algo", "maml", *TINY, "--out", str(trained)]) == 0
    words = ["spectrum", "--algo", "maml", "--tasks", "linear", "--k", "1"]
    assert main([*words, "--checkpoint", str(trained), "--out", str(tmp_path / "r")]) == 0
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit):
        main([*words, "--checkpoint", str(garbage), "--out", str(tmp_path / "g")])
    error = capsys.readouterr().err
    assert "is not a mamlscape checkpoint" in error and "file an issue" not in error


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (
            ["--algo", "maml", "--tasks", "sinusoid"],
            "was trained on --tasks linear, not sinusoid: measure it with --tasks linear",
        ),
        (
            ["--algo", "fo-maml", "--tasks", "linear"],
            "was trained with --algo maml, not fo-maml: measure its meta-loss with --algo maml",
        ),
    ],
)
def test_spectrum_refuses_a_checkpoint_of_another_family_or_algorithm(
    tmp_path, capsys, words, message
):
    trained = tmp_path / "trained"
    assert main(["train", "--algo", "maml", *TINY, "--no-progress", "--out", str(trained)]) == 0
    report = tmp_path / "report"
    with pytest.raises(SystemExit) as stop:
        main(["spectrum", *words, "--checkpoint", str(trained), "--out", str(report)])
    assert stop.value.code == 2 and message in capsys.readouterr().err
    assert not report.exists(), "refused before any work"
    nal = ["spectrum", "--algo", "fo-maml", "--tasks", "linear", "--objective", "nal", "--k", "1"]
    assert main([*nal, "--checkpoint", str(trained), "--out", str(report)]) == 0


def test_the_bar_shows_the_meta_loss_and_no_progress_hides_it(tmp_path, capsys):
    words = ["train", "--algo", "maml", *TINY, "--save-every", "2"]
    assert main([*words, "--out", str(tmp_path / "shown")]) == 0
    assert "meta_loss=" in capsys.readouterr().err
    assert main([*words, "--no-progress", "--out", str(tmp_path / "hidden")]) == 0
    assert "train:" not in capsys.readouterr().err


def test_a_run_that_makes_the_meta_loss_worse_is_warned_about(tmp_path, monkeypatch, capsys):
    import figures.commands.train as train_module

    rising = {"meta_loss": [1.0, 1.2] * 25 + [13.0, 13.2] * 25, "seconds": 0.1}
    monkeypatch.setattr(train_module, "run_training", lambda *args, **kwargs: rising)
    assert main(["train", "--algo", "maml", *TINY, "--out", str(tmp_path / "run")]) == 0
    error = capsys.readouterr().err
    assert "warning: training made the meta-loss worse (1.1 over the first 10% of iterations, " in (
        error
    )
    assert "13.1 over the last); the step sizes may be too large" in error
    noisy = {"meta_loss": [1.0, 9.0] * 25 + [2.0, 9.0] * 25, "seconds": 0.1}
    monkeypatch.setattr(train_module, "run_training", lambda *args, **kwargs: noisy)
    assert main(["train", "--algo", "maml", *TINY, "--out", str(tmp_path / "other")]) == 0
    assert "warning" not in capsys.readouterr().err, "a rise within the noise is not warned of"


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (
            "train",
            ["--iterations ITERATIONS", "(default: 1000)", "(default: 0)", "(default: task)"],
        ),
        ("reproduce", ["(default: quick)", "(default: results/quick)"]),
        ("evaluate", ["(default: 1,5,10)", "(default: 600)"]),
    ],
)
def test_help_shows_the_defaults(command, shown, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in shown:
        assert " ".join(words.split()) in text, words
    assert "(default: None)" not in text and "(default: False)" not in text


def test_spectrum_shows_its_progress_and_no_progress_hides_it(tmp_path, capsys):
    words = ["spectrum", "--algo", "maml", "--tasks", "linear", "--k", "1", "--meta-batch", "2"]
    assert main([*words, "--out", str(tmp_path / "shown")]) == 0
    error = capsys.readouterr().err
    assert (
        "spectrum: 100%" in error and "slices done" in error and "Hessian-vector products" in error
    )
    assert main([*words, "--no-progress", "--out", str(tmp_path / "hidden")]) == 0
    assert "spectrum:" not in capsys.readouterr().err


def test_the_spectrum_page_captions_its_figures_and_weighs_the_trace_estimates(tmp_path):
    words = ["spectrum", "--algo", "maml", "--tasks", "linear", "--k", "1", "--meta-batch", "2"]
    assert main([*words, "--no-progress", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    summary = json.loads((tmp_path / "spectrum.json").read_text())
    assert set(summary["trace"]) == {"hutchinson", "hutch++", "slq"}
    assert summary["trace"]["slq"]["half_width"] > 0, "SLQ's trace has its interval"
    assert "<figcaption>slice_2d.png</figcaption>" not in page
    assert "<figcaption>The loss on a plane of two random filter-normalised directions" in page
    assert "trust the narrowest interval" in page and ("they agree" in page or "disagree" in page)


KEPT = ["--iterations", "7", "--save-every", "3", "--keep-checkpoints", "--no-progress"]


def kept_files(out) -> list[str]:
    return sorted(path.name for path in (out / "checkpoints").iterdir())


def test_keep_checkpoints_keeps_every_save_and_the_last_with_adams_state(tmp_path):
    from figures.commands.kept_checkpoints import adam_state, kept_checkpoints

    out = tmp_path / "run"
    assert (
        main(["train", "--algo", "maml", *TINY[:2], "--meta-batch", "4", *KEPT, "--out", str(out)])
        == 0
    )
    assert kept_files(out) == [
        f"iteration-{i:06d}{suffix}.pt" for i in (3, 6, 7) for suffix in (".optimizer", "")
    ]
    final = torch.load(out / "checkpoint.pt", weights_only=True)
    model = task_family("linear").model(torch.Generator())
    for kept in kept_checkpoints(out):
        params, metadata = load_checkpoint(kept.path, model)
        assert metadata == {**final["metadata"], "iterations": kept.iteration}
        state = adam_state(kept)
        assert state.step == kept.iteration and state.lr == 1e-3 and state.betas == (0.9, 0.999)
        assert state.exp_avg_sq.keys() == params.keys()
    last = torch.load(out / "checkpoints" / "iteration-000007.pt", weights_only=True)
    assert all(torch.equal(last["params"][name], final["params"][name]) for name in final["params"])
    plain = tmp_path / "plain"
    assert main(["train", "--algo", "maml", *TINY, "--no-progress", "--out", str(plain)]) == 0
    assert not (plain / "checkpoints").exists(), "without --keep-checkpoints nothing is kept"


def test_a_stopped_run_that_keeps_checkpoints_resumes_and_keeps_them_all(tmp_path, monkeypatch):
    import figures.commands.train as command

    config = command.TrainConfig(
        "maml", "linear", iterations=10, meta_batch=4, save_every=3, keep_checkpoints=True
    )
    command.run_training(config, tmp_path / "whole")
    family, calls = task_family("linear"), []
    monkeypatch.setattr(command, "task_family", lambda *_: stopping_at_eighth_draw(family, calls))
    resumed = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        command.run_training(config, resumed)
    assert kept_files(resumed) == [
        f"iteration-{i:06d}{suffix}.pt" for i in (3, 6) for suffix in (".optimizer", "")
    ]
    written = {
        name: (resumed / "checkpoints" / name).stat().st_mtime_ns for name in kept_files(resumed)
    }
    command.run_training(config, resumed)
    assert kept_files(resumed) == kept_files(tmp_path / "whole")
    assert all(
        (resumed / "checkpoints" / name).stat().st_mtime_ns == time
        for name, time in written.items()
    ), "the checkpoints kept before the stop are kept, not rewritten"
    for name in kept_files(resumed):
        ours, theirs = (
            torch.load(run / "checkpoints" / name, weights_only=True)
            for run in (resumed, tmp_path / "whole")
        )
        if name.endswith(".optimizer.pt"):
            ours, theirs = ours["state_dict"]["state"], theirs["state_dict"]["state"]
            assert all(torch.equal(ours[i][key], theirs[i][key]) for i in ours for key in ours[i])
        else:
            assert all(
                torch.equal(ours["params"][key], theirs["params"][key]) for key in ours["params"]
            )


def test_a_run_that_keeps_checkpoints_resumes_only_as_it_was_started(tmp_path):
    from algorithms.resumable_training import Progress, save_progress
    from figures.commands.train import TrainConfig, _run_key, run_training

    kept = TrainConfig(
        "maml", "linear", iterations=4, meta_batch=2, save_every=2, keep_checkpoints=True
    )
    state = Progress(2, {}, {}, torch.Generator().get_state(), [0.0, 0.0], 0.0)
    for other in (replace(kept, save_every=1), replace(kept, keep_checkpoints=False)):
        save_progress(tmp_path / "progress.pt", _run_key(kept), state)
        with pytest.raises(ValueError, match="holds an unfinished run of another config"):
            run_training(other, tmp_path)
    plain = replace(kept, keep_checkpoints=False)
    assert _run_key(plain) == _run_key(replace(plain, save_every=7)), (
        "without kept checkpoints --save-every may change on resuming, as before"
    )


def test_retraining_with_force_removes_the_checkpoints_kept_before(tmp_path):
    out = tmp_path / "run"
    words = ["train", "--algo", "maml", *TINY[:2], "--meta-batch", "2", *KEPT, "--out", str(out)]
    assert main(words) == 0
    (out / "checkpoints" / "notes.txt").write_text("mine")
    assert main([*words, "--iterations", "4", "--save-every", "2", "--force"]) == 0
    assert kept_files(out) == [
        "iteration-000002.optimizer.pt",
        "iteration-000002.pt",
        "iteration-000004.optimizer.pt",
        "iteration-000004.pt",
        "notes.txt",
    ]
