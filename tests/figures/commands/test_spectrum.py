"""``mamlscape spectrum``: the files it writes, its numbers against exact Hessians, bad input."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch

from algorithms import MLP, save_checkpoint
from analysis.flat import ParamLayout
from figures.commands.spectrum import SpectrumConfig, add_spectrum_command, build_setup
from figures.commands.spectrum import run_spectrum_report as run_report

FIGURES = {"eigenvalues.png", "trace.png", "density.png", "slice_1d.png", "slice_2d.png"}
SMALL = {
    "meta_batch": 4,
    "trace_budget": 12,
    "density_probes": 2,
    "density_steps": 10,
    "noise_samples": 4,
    "line_points": 5,
    "plane_points": 3,
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="mamlscape")
    add_spectrum_command(root.add_subparsers(required=True))
    return root


def run_command(*words: str) -> int:
    args = parser().parse_args(["spectrum", *words])
    return args.handler(args)


def exact_eigenvalues(config: SpectrumConfig) -> np.ndarray:
    setup = build_setup(config)
    layout = ParamLayout.of(setup.params)
    flat = layout.flatten(setup.params)
    hessian = torch.func.jacrev(torch.func.jacrev(lambda v: setup.objective(layout.unflatten(v))))
    return torch.linalg.eigvalsh(hessian(flat)).numpy()


def linear_checkpoint(path, scale: float = 1.0):
    model = torch.nn.Linear(10, 1, bias=False)
    params = {"weight": torch.full((1, 10), scale)}
    save_checkpoint(path, model, params, algorithm="maml", inner_lr=0.2, inner_steps=2)
    return path


def test_linear_report_from_a_checkpoint(tmp_path, capsys):
    checkpoint = linear_checkpoint(tmp_path / "theta.pt")
    out = tmp_path / "report"
    words = ["--algo", "maml", "--tasks", "linear", "--checkpoint", str(checkpoint), "--k", "3"]
    assert run_command(*words, "--seed", "1", "--out", str(out)) == 0
    assert "report.html" in capsys.readouterr().out
    assert {p.name for p in out.iterdir() if p.suffix not in (".pdf", ".svg")} == FIGURES | {
        "interpolation.png",
        "spectrum.json",
        "eigenvectors.pt",
        "report.html",
    }
    summary = json.loads((out / "spectrum.json").read_text())
    assert summary["inner_lr"] == 0.2 and summary["inner_steps"] == 2
    assert summary["checkpoint_metadata"]["algorithm"] == "maml"
    config = SpectrumConfig(tasks="linear", k=3, seed=1, checkpoint=checkpoint)
    exact = exact_eigenvalues(config)
    np.testing.assert_allclose(summary["spectrum"]["largest"], exact[::-1][:3], rtol=1e-6)
    np.testing.assert_allclose(summary["spectrum"]["smallest"], exact[:3], rtol=1e-6)
    assert summary["sharpness"]["sam"]["rho"] == 0.05
    assert summary["sharpness"]["average"]["sigma"] == 0.01
    interpolation = summary["slices"]["initialisation_to_checkpoint"]["losses"]
    assert len(interpolation) == 31
    assert "Extreme algebraic eigenvalues" in (out / "report.html").read_text()


@pytest.mark.parametrize("objective", ["task", "nal"])
def test_other_objectives_of_the_linear_model(tmp_path, objective):
    config = SpectrumConfig(algo="maml", tasks="linear", objective=objective, k=2, **SMALL)
    summary = run_report(config, tmp_path)
    exact = exact_eigenvalues(config)
    np.testing.assert_allclose(summary["spectrum"]["largest"], exact[::-1][:2], rtol=1e-6)
    assert min(exact) > 0  # a least-squares loss without adaptation is convex


def test_sinusoid_meta_loss_report(tmp_path):
    config = SpectrumConfig(algo="maml", tasks="sinusoid", k=2, **SMALL)
    summary = run_report(config, tmp_path)
    spectrum = summary["spectrum"]
    assert summary["parameter_count"] == 1761 and spectrum["converged"]
    assert spectrum["largest"][0] >= spectrum["largest"][1] > spectrum["smallest"][1]
    assert summary["trace"]["hutch++"]["hvp_count"] == 12
    assert {p.name for p in tmp_path.iterdir()} >= FIGURES


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--algo", "reptile", "--tasks", "linear"], r"--algo must be one of \['maml'"),
        (["--algo", "maml", "--tasks", "mnist"], r"--tasks must be one of \['sinusoid'"),
        (
            ["--algo", "maml", "--tasks", "omniglot"],
            "--tasks omniglot needs the data: give --omniglot",
        ),
        (["--algo", "maml", "--tasks", "linear", "--objective", "x"], "--objective must be"),
        (["--algo", "maml", "--tasks", "linear", "--k", "0"], "k must be an integer >= 1"),
        (["--algo", "maml", "--tasks", "linear", "--k", "11"], r"k must be <= n = 10"),
        (["--algo", "maml", "--tasks", "linear", "--device", "cuda:99x"], "not a torch device"),
    ],
)
def test_bad_arguments(tmp_path, words, message):
    out = tmp_path / "never"
    with pytest.raises(ValueError, match=message):
        run_command(*words, "--out", str(out))
    if "--k" not in words or words[-1] != "11":
        assert not out.exists()


def test_bad_checkpoints(tmp_path):
    base = ["--algo", "maml", "--out", str(tmp_path / "out")]
    with pytest.raises(ValueError, match="does not exist"):
        run_command(*base, "--tasks", "linear", "--checkpoint", str(tmp_path / "missing.pt"))
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a mamlscape checkpoint or is corrupt"):
        run_command(*base, "--tasks", "linear", "--checkpoint", str(corrupt))
    other_model = linear_checkpoint(tmp_path / "linear.pt")
    with pytest.raises(ValueError, match="holds parameters of a Linear, not of the MLP"):
        run_command(*base, "--tasks", "sinusoid", "--checkpoint", str(other_model))
    narrow = MLP((1, 8, 8, 1))
    save_checkpoint(tmp_path / "narrow.pt", narrow, dict(narrow.named_parameters()))
    with pytest.raises(ValueError, match="expects"):
        run_command(*base, "--tasks", "sinusoid", "--checkpoint", str(tmp_path / "narrow.pt"))


def test_glyph_report_measures_the_conv_net_meta_loss(tmp_path):
    config = SpectrumConfig(tasks="glyphs", k=1, **{**SMALL, "meta_batch": 2})
    summary = run_report(config, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= FIGURES
    assert summary["parameter_count"] == sum(t.numel() for t in build_setup(config).params.values())
    spectrum = summary["spectrum"]
    assert np.isfinite(summary["loss"]) and spectrum["smallest"][0] <= spectrum["largest"][0]


def test_glyph_objective_reads_omniglot_when_given():
    from tests.synthetic.test_omniglot import shared_zip

    zipped = shared_zip("images_background_small1.zip")
    glyphs = build_setup(SpectrumConfig(tasks="glyphs", meta_batch=2))
    omniglot = build_setup(SpectrumConfig(tasks="glyphs", meta_batch=2, omniglot=(zipped,)))
    assert glyphs.params.keys() == omniglot.params.keys()
    assert glyphs.objective(glyphs.params).item() != omniglot.objective(omniglot.params).item()


def test_omniglot_is_refused_for_tasks_without_images(tmp_path):
    with pytest.raises(
        ValueError, match="--omniglot applies to --tasks glyphs or omniglot, not to 'linear'"
    ):
        SpectrumConfig(tasks="linear", omniglot=(tmp_path,))
