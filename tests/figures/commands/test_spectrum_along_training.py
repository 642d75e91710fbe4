"""``mamlscape spectrum --checkpoints``: the one-θ spectrum at every kept checkpoint, Adam's
threshold, the files it writes, and the input it refuses before any work."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
import torch

from analysis.flat import ParamLayout
from analysis.hvp import HessianOperator
from analysis.preconditioned import adam_preconditioner
from analysis.spectrum import extreme_eigenvalues
from analysis.trace import hutch_plus_plus
from figures.commands.cli import main
from figures.commands.kept_checkpoints import adam_state, kept_checkpoints
from figures.commands.spectrum import run_spectrum_report
from figures.commands.spectrum_setup import SpectrumConfig, build_setup
from tests.figures.commands.test_spectrum import SMALL

TRAIN = ["train", "--tasks", "linear", "--iterations", "6", "--meta-batch", "4", "--no-progress"]
KEEP = ["--save-every", "2", "--keep-checkpoints"]
SPECTRUM = ["spectrum", "--algo", "maml", "--tasks", "linear", "--k", "2", "--meta-batch", "4"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("trained")
    assert main([*TRAIN, "--algo", "maml", "--inner-lr", "0.2", *KEEP, "--out", str(out)]) == 0
    return out


def exact_hessian(setup, params) -> torch.Tensor:
    layout = ParamLayout.of(params)
    objective = lambda v: setup.objective(layout.unflatten(v))  # noqa: E731
    return torch.func.hessian(objective)(layout.flatten(params))


def test_each_checkpoint_gets_the_one_theta_spectrum_and_adams_threshold(trained, tmp_path):
    out = tmp_path / "report"
    budget = ["--seed", "1"]
    assert (
        main(
            [*SPECTRUM, *budget, "--checkpoints", str(trained), "--no-progress", "--out", str(out)]
        )
        == 0
    )
    assert {p.name for p in out.iterdir()} == {
        "along_training.json",
        "along_training.png",
        "along_training.pdf",
        "along_training.svg",
        "report.html",
    }
    summary = json.loads((out / "along_training.json").read_text())
    points = summary["checkpoints"]
    assert [point["iteration"] for point in points] == [2, 4, 6]
    assert summary["run"]["inner_lr"] == 0.2 and summary["stability"]["optimizer"] == "Adam"
    config = SpectrumConfig(algo="maml", tasks="linear", k=2, seed=1, **SMALL)  # the CLI's but
    # the trace budget (60 at the CLI) and the report's other measurements
    for point, kept in zip(points, kept_checkpoints(trained)):
        one = SpectrumConfig(**{**config.__dict__, "checkpoint": kept.path})
        single = run_spectrum_report(one, tmp_path / f"single-{kept.iteration}")["spectrum"]
        assert point["lambda_max"] == pytest.approx(single["largest"][0], rel=1e-6)
        assert point["lambda_min"] == pytest.approx(single["smallest"][0], rel=1e-6)
        setup = build_setup(one)
        hessian = exact_hessian(setup, setup.params)
        exact = torch.linalg.eigvalsh(hessian)
        assert [point["lambda_min"], point["lambda_max"]] == pytest.approx(
            [exact[0].item(), exact[-1].item()], rel=1e-6
        )
        state = adam_state(kept)
        layout = ParamLayout.of(setup.params)
        v = layout.flatten({name: t.double() for name, t in state.exp_avg_sq.items()})
        root = torch.diag(adam_preconditioner(v, state.step, state.betas, state.eps).rsqrt())
        top = torch.linalg.eigvalsh(root @ hessian @ root)[-1].item()
        assert point["preconditioned_lambda_max"] == pytest.approx(top, rel=1e-6)
        assert point["adam"]["step"] == kept.iteration
        assert point["stability_threshold"] == pytest.approx(38 / 1e-3)
        trace = hutch_plus_plus(
            HessianOperator(setup.objective, setup.params), 60, torch.Generator().manual_seed(1)
        )
        assert point["trace"] == pytest.approx(
            trace.as_dict() | {"seconds": point["trace"]["seconds"]}
        )
        assert abs(point["trace"]["trace"] - torch.trace(hessian).item()) <= max(
            point["trace"]["half_width"], 1e-9
        )
        counts = point["hvp_count"]
        assert counts["total"] == counts["eigenvalues"] + counts["preconditioned"] + counts["trace"]
        assert counts["trace"] == 60 and point["seconds"] > 0
    assert summary["hvp_count"] == sum(point["hvp_count"]["total"] for point in points)
    page = (out / "report.html").read_text()
    assert "38/η at β₁ = 0.9" in page and "λ_max(P⁻¹H)" in page and page.count("<tr>") == 4


def test_warm_starts_give_the_cold_eigenvalues_for_fewer_products(tmp_path):
    """On the sinusoid MLP (1761 parameters), along 8 iterations: the same λ_max and λ_min
    as a cold start at every checkpoint, for fewer products in all (64 against 77 here; at
    one checkpoint a warm start may cost a product more, where the stopping rule's checks
    fall differently)."""
    trained, out = tmp_path / "trained", tmp_path / "report"
    sinusoid = ["--tasks", "sinusoid", "--iterations", "8", "--meta-batch", "4"]
    assert (
        main(["train", "--algo", "maml", *sinusoid, *KEEP, "--no-progress", "--out", str(trained)])
        == 0
    )
    words = ["spectrum", "--algo", "maml", "--tasks", "sinusoid", "--k", "1", "--meta-batch", "4"]
    assert main([*words, "--checkpoints", str(trained), "--no-progress", "--out", str(out)]) == 0
    points = json.loads((out / "along_training.json").read_text())["checkpoints"]
    warm = cold = 0
    for point, kept in zip(points, kept_checkpoints(trained)):
        config = SpectrumConfig(tasks="sinusoid", k=1, meta_batch=4, checkpoint=kept.path)
        setup = build_setup(config)
        operator = HessianOperator(setup.objective, setup.params)
        ends = extreme_eigenvalues(operator, 1, generator=torch.Generator().manual_seed(0))
        assert point["lambda_max"] == pytest.approx(ends.largest[0], rel=1e-6)
        assert point["lambda_min"] == pytest.approx(ends.smallest[0], rel=1e-6)
        warm += point["hvp_count"]["eigenvalues"]
        cold += ends.hvp_count
    assert warm < cold


def test_the_checkpoints_subfolder_works_and_the_bar_shows_the_checkpoints(
    trained, tmp_path, capsys
):
    words = [*SPECTRUM, "--checkpoints", str(trained / "checkpoints")]
    assert main([*words, "--out", str(tmp_path / "shown")]) == 0
    captured = capsys.readouterr()
    assert (
        "spectrum: 100%" in captured.err and "3/3" in captured.err and "checkpoint" in captured.err
    )
    assert "at 3 checkpoints" in captured.out and "Adam's threshold 3.8e+04" in captured.out
    assert main([*words, "--no-progress", "--out", str(tmp_path / "hidden")]) == 0
    assert "spectrum:" not in capsys.readouterr().err


def refused(capsys, out, *words: str) -> str:
    with pytest.raises(SystemExit) as stop:
        main([*words, "--out", str(out)])
    assert stop.value.code == 2
    assert not out.exists(), "refused before any work"
    return capsys.readouterr().err


def test_bad_input_is_refused_before_any_work(trained, tmp_path, capsys):
    out = tmp_path / "never"
    both = [*SPECTRUM, "--checkpoints", str(trained), "--checkpoint", str(trained)]
    assert "give one of them, not both" in refused(capsys, out, *both)
    plain = tmp_path / "plain"
    assert main([*TRAIN, "--algo", "maml", "--out", str(plain)]) == 0
    message = refused(capsys, out, *SPECTRUM, "--checkpoints", str(plain))
    assert "holds no kept checkpoints" in message
    assert "`mamlscape train --save-every N --keep-checkpoints --out DIR`" in message
    other = [*SPECTRUM[:4], "sinusoid", "--checkpoints", str(trained)]
    assert "was trained on --tasks linear, not sinusoid" in refused(capsys, out, *other)


def test_checkpoints_of_several_runs_or_without_adams_state_are_refused(trained, tmp_path, capsys):
    out, mixed = tmp_path / "never", tmp_path / "mixed"
    shutil.copytree(trained, mixed)
    fo = tmp_path / "fo"
    assert main([*TRAIN, "--algo", "fo-maml", *KEEP, "--out", str(fo)]) == 0
    for suffix in (".pt", ".optimizer.pt"):
        shutil.copy(
            fo / "checkpoints" / f"iteration-000002{suffix}",
            mixed / "checkpoints" / f"iteration-000100{suffix}",
        )
    message = refused(capsys, out, *SPECTRUM, "--checkpoints", str(mixed))
    assert "holds checkpoints of different runs" in message
    assert "algorithm fo-maml" in message and "algorithm maml" in message
    stateless = tmp_path / "stateless"
    shutil.copytree(trained, stateless)
    (stateless / "checkpoints" / "iteration-000004.optimizer.pt").unlink()
    message = refused(capsys, out, *SPECTRUM, "--checkpoints", str(stateless))
    assert "iteration-000004.pt has no outer optimiser state beside it" in message
    assert "retrain with `mamlscape train --save-every N --keep-checkpoints" in message


def test_a_stopped_measurement_resumes_at_the_first_checkpoint_not_measured(tmp_path, monkeypatch):
    from figures.commands import spectrum_training
    from figures.commands.spectrum_setup import SpectrumConfig
    from figures.commands.train import TrainConfig, run_training

    train = TrainConfig("maml", "linear", iterations=6, meta_batch=2, save_every=2)
    run_training(replace(train, keep_checkpoints=True), tmp_path / "run")
    config = SpectrumConfig(algo="maml", tasks="linear", k=1, meta_batch=2, trace_budget=6)
    run = spectrum_training.checked_run(config, tmp_path / "run")
    whole = spectrum_training.run_along_training(config, run, tmp_path / "whole")
    measure, measured = spectrum_training._measured, []

    def dying(*args):
        if len(measured) == 2:
            raise KeyboardInterrupt("stopped at the third checkpoint")
        measured.append(args[2].iteration)
        return measure(*args)

    monkeypatch.setattr(spectrum_training, "_measured", dying)
    with pytest.raises(KeyboardInterrupt):
        spectrum_training.run_along_training(config, run, tmp_path / "resumed")
    assert (tmp_path / "resumed" / spectrum_training.PARTIAL).exists()
    measured.clear()
    monkeypatch.setattr(
        spectrum_training, "_measured", lambda *a: measured.append(0) or measure(*a)
    )
    resumed = spectrum_training.run_along_training(config, run, tmp_path / "resumed")
    assert len(measured) == 1, "only the checkpoint the stop left"
    for a, b in zip(whole["checkpoints"], resumed["checkpoints"]):
        assert b["lambda_max"] == pytest.approx(a["lambda_max"], rel=1e-8)
    assert not (tmp_path / "resumed" / spectrum_training.PARTIAL).exists()
