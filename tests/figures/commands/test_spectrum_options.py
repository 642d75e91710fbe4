"""``mamlscape spectrum``'s options for a landscape report: per-layer blocks, Gauss–Newton
beside the Hessian, saved eigenvectors and slices along them, a Hessian in task chunks sized
to memory, an image checkpoint rebuilt from what it records; each against an exact answer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analysis.flat import ParamLayout
from figures.commands.spectrum import SpectrumConfig, build_setup
from figures.commands.spectrum import run_spectrum_report as run_report
from figures.commands.task_families import ImageOptions
from figures.commands.train import TrainConfig, run_training
from figures.engine.page_figures import page_problems
from tests.figures.commands.test_spectrum import SMALL


def exact_hessian(config: SpectrumConfig) -> torch.Tensor:
    setup = build_setup(config)
    layout = ParamLayout.of(setup.params)
    objective = lambda flat: setup.objective(layout.unflatten(flat))  # noqa: E731
    return torch.func.jacrev(torch.func.jacrev(objective))(layout.flatten(setup.params))


def test_per_layer_blocks_are_the_exact_diagonal_blocks(tmp_path):
    config = SpectrumConfig(tasks="sinusoid", k=1, per_layer=True, **SMALL)
    summary = run_report(config, tmp_path)
    hessian, start = exact_hessian(config), 0
    for block in summary["layers"]["blocks"]:
        end = start + block["size"]
        exact = torch.linalg.eigvalsh(hessian[start:end, start:end])
        assert block["largest"][0] == pytest.approx(exact[-1].item(), rel=1e-6)
        assert block["smallest"][0] == pytest.approx(exact[0].item(), rel=1e-6, abs=1e-9)
        trace = block["trace"]
        assert abs(trace["trace"] - hessian[start:end, start:end].trace().item()) <= max(
            trace["half_width"], 1e-8
        )
        start = end
    assert start == summary["parameter_count"], "the blocks cover every parameter once"
    assert "Per layer: diagonal Hessian blocks" in (tmp_path / "report.html").read_text()
    assert page_problems(tmp_path / "report.html") == []


def test_the_gauss_newton_of_a_linear_model_is_its_hessian(tmp_path):
    config = SpectrumConfig(tasks="linear", objective="nal", k=2, ggn=True, **SMALL)
    gap = run_report(config, tmp_path)["gauss_newton"]
    assert gap["ggn_largest"] == pytest.approx(gap["hessian_largest"], rel=1e-9)
    assert gap["fisher_largest"] == pytest.approx(gap["ggn_largest"], rel=1e-9)
    assert gap["relative_frobenius_gap"] < 1e-10
    exact = torch.linalg.eigvalsh(exact_hessian(config))
    assert gap["hessian_largest"][0] == pytest.approx(exact[-1].item(), rel=1e-9)


def test_the_gauss_newton_of_a_network_differs_from_its_hessian(tmp_path):
    config = SpectrumConfig(tasks="sinusoid", objective="task", k=1, ggn=True, **SMALL)
    gap = run_report(config, tmp_path)["gauss_newton"]
    assert gap["ggn_smallest"][0] > -1e-8, "G is positive semi-definite"
    assert gap["hessian_smallest"][0] < -1e-3 and gap["relative_frobenius_gap"] > 0.01


def test_ggn_of_the_meta_loss_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="--ggn needs --objective task or nal"):
        SpectrumConfig(tasks="sinusoid", ggn=True)


def test_saved_eigenvectors_are_eigenvectors_and_the_top_slice_follows_the_sharpest(tmp_path):
    config = SpectrumConfig(tasks="linear", k=2, slice_directions="top", **SMALL)
    summary = run_report(config, tmp_path)
    saved = torch.load(tmp_path / "eigenvectors.pt", weights_only=True)
    hessian = exact_hessian(config)
    for end in ("largest", "smallest"):
        for value, vector in zip(saved[end], saved[f"{end}_vectors"].T):
            assert torch.linalg.norm(hessian @ vector - value * vector) < 1e-6 * abs(value)
    assert saved["names"] == ["weight"] and saved["shapes"] == [[1, 10]]
    line = summary["slices"]["top_1d"]
    step = line["coordinates"][1] - line["coordinates"][0]
    middle = len(line["losses"]) // 2
    curvature = np.diff(line["losses"], 2)[middle - 1] / step**2
    length = ParamLayout.of(build_setup(config).params).flatten(build_setup(config).params).norm()
    assert curvature == pytest.approx(saved["largest"][0].item() * length.item() ** 2, rel=1e-6)


def test_a_small_memory_budget_runs_the_hessian_in_task_chunks_with_the_same_numbers(tmp_path):
    kept = run_report(SpectrumConfig(tasks="sinusoid", k=2, **SMALL), tmp_path / "kept")
    config = SpectrumConfig(tasks="sinusoid", k=2, memory_gb=2.5e-4 / 2**10, **SMALL)
    chunked = run_report(config, tmp_path / "chunked")
    plan = chunked["hessian_execution"]
    assert (plan["execution"], plan["tasks"]) == ("chunks rebuilt per product", 4)
    assert plan["chunks"] > 1 and plan["budget_bytes"] < 4 * plan["graph_bytes_per_task"]
    for end in ("largest", "smallest"):
        assert chunked["spectrum"][end] == pytest.approx(kept["spectrum"][end], rel=1e-8)
    assert "chunks of ≤" in (tmp_path / "chunked" / "report.html").read_text()


def test_an_image_checkpoint_is_measured_with_the_net_it_records(tmp_path):
    image = ImageOptions(ways=3, filters=4, image_size=16)
    train = TrainConfig(algo="maml", tasks="glyphs", iterations=2, meta_batch=2, image=image)
    run_training(train, tmp_path / "run")
    config = SpectrumConfig(
        tasks="glyphs", k=1, checkpoint=tmp_path / "run", **{**SMALL, "meta_batch": 2}
    )
    summary = run_report(config, tmp_path / "report")
    params = build_setup(config).params
    assert tuple(params["head.weight"].shape) == (3, 4), "3 ways from 4 filters, as trained"
    assert tuple(params["features.0.0.weight"].shape) == (4, 1, 3, 3)
    assert summary["parameter_count"] == sum(t.numel() for t in params.values())
    assert summary["checkpoint_metadata"]["image"]["image_size"] == 16
