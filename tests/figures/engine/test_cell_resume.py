"""A long cell killed mid-training (SIGKILL) resumes inside itself and ends as if never killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from algorithms import MLP, make, mse, parameters_of
from algorithms.probed_meta_gradient import _PLANS, chunk_plans
from algorithms.resumable_training import load_progress, train_resumably
from synthetic import SinusoidTasks
from tests.figures.claims.sharp_cases import TINY_SETUP

REPO = Path(__file__).resolve().parents[3]
LONG_CELL = Path(__file__).with_name("long_cell.py")


def run_long_cell(cache: Path) -> subprocess.Popen:
    path = os.pathsep.join([str(REPO), str(REPO / "tests")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.Popen([sys.executable, str(LONG_CELL), str(cache)], env=env)


def stored_records(cache: Path) -> list[Path]:
    """The cell results stored under ``cache`` (not the partial state of running cells)."""
    return [path for path in cache.glob("*/*.json") if path.parent.name != "partial"]


def stored_result(cache: Path) -> dict:
    (record,) = stored_records(cache)
    result = json.loads(record.read_text())["result"]
    for role in result["roles"].values():
        del role["train_seconds"]
    return result


def test_a_killed_cell_resumes_where_it_stopped_and_ends_as_an_uninterrupted_run(tmp_path):
    from tests.figures.engine.long_cell import ITERATIONS

    reference = run_long_cell(tmp_path / "reference")
    killed_cache = tmp_path / "killed"
    killed = run_long_cell(killed_cache)
    deadline = time.monotonic() + 120
    state = None
    while state is None and time.monotonic() < deadline:
        saved = list((killed_cache / "partial").glob("*/*.pt"))
        done = torch.load(saved[0], weights_only=True)["done"] if saved else 0
        state = saved[0] if ITERATIONS // 4 <= done < ITERATIONS // 2 else None
        time.sleep(0.01)
    assert state is not None, "the cell never saved its state mid-training"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    done_at_kill = torch.load(state, weights_only=True)["done"]
    assert 0 < done_at_kill < ITERATIONS, "killed mid-training, not before or after"
    assert not stored_records(killed_cache), "no result was stored before the kill"
    assert run_long_cell(killed_cache).wait() == 0 and reference.wait() == 0
    assert stored_result(killed_cache) == stored_result(tmp_path / "reference")
    assert not list((killed_cache / "partial").glob("*")), "the partial state is removed"


def sinusoid_run(state_path: Path, iterations: int) -> tuple[dict, list[float]]:
    model = MLP((1, 8, 8, 1), generator=torch.Generator().manual_seed(0))
    params = parameters_of(model)
    result = train_resumably(
        make("maml", model, mse, 0.01),
        params,
        SinusoidTasks(),
        iterations,
        torch.Generator().manual_seed(1),
        torch.optim.Adam(params.values(), lr=1e-2),
        meta_batch=5,
        state_path=state_path,
        run_key={"test": "sinusoid"},
        save_every=7,
    )
    return {name: t.detach().clone() for name, t in params.items()}, result.losses


def test_a_stopped_run_resumed_equals_an_uninterrupted_one_bit_for_bit(tmp_path):
    whole_params, whole_losses = sinusoid_run(tmp_path / "whole.pt", 30)
    sinusoid_run(tmp_path / "parts.pt", 14)
    assert load_progress(tmp_path / "parts.pt", {"test": "sinusoid"}).done == 14
    parts_params, parts_losses = sinusoid_run(tmp_path / "parts.pt", 30)
    assert parts_losses == whole_losses
    assert all(torch.equal(parts_params[n], whole_params[n]) for n in whole_params)


def conv_run(state_path: Path, iterations: int) -> None:
    setup = TINY_SETUP
    learner = replace(setup, meta_gradient_path="auto").learner("maml", 0.4, 0)
    params = parameters_of(learner.model)
    train_resumably(
        learner,
        params,
        setup.tasks(setup.splits().train),
        iterations,
        torch.Generator().manual_seed(1),
        torch.optim.Adam(params.values()),
        meta_batch=setup.meta_batch,
        state_path=state_path,
        run_key={"test": "conv"},
        save_every=2,
    )


def test_a_resumed_run_takes_the_saved_chunk_plans(tmp_path):
    conv_run(tmp_path / "state.pt", 2)
    payload = torch.load(tmp_path / "state.pt", weights_only=True)
    keys = [key for key, _ in payload["plans"]]
    assert keys, "the run's plan is saved"
    payload["plans"] = [(key, 3) for key in keys]
    torch.save(payload, tmp_path / "state.pt")
    for key in keys:
        del _PLANS[key]
    conv_run(tmp_path / "state.pt", 4)
    plans = chunk_plans()
    assert all(plans[key] == 3 for key in keys), "the saved plans (3: never a probe's pick)"
