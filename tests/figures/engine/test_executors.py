"""Sweeps on every executor: the same cells give bit-identical results serially, in a local
process pool and on a loopback Dask cluster; a lost Dask worker's cell is rescheduled; a
failing cell leaves the other cells stored."""

from __future__ import annotations

import json

import pytest
import torch
from sweep_claims import (
    DieOnceConfig,
    FailConfig,
    PauseConfig,
    claim_of,
    pause_claim,
)

from figures.claims.l4_finite_samples import SampleSweepConfig
from figures.claims.linear_gains import GainGridConfig
from figures.commands.cli import main
from figures.engine.cache import CellCache
from figures.engine.claim import Cell
from figures.engine.dask_executor import DaskExecutor
from figures.engine.executors import ProcessExecutor, SerialExecutor
from figures.engine.runner import CellFailuresError, run_claims
from figures.engine.sweep import Sweep

GRID = Sweep.over(
    GainGridConfig(distances=(0.0, 2.0), hard_spreads=(0.01, 0.1)),
    seeds=(0,),
    alpha=(0.5, 1.0),
    **{"mixture.distance": (1.0, 2.0), "samples": (50, float("inf"))},
)
CLAIMS = [
    claim_of("G0", [*GRID.cells(), Cell(SampleSweepConfig(), 0)]),
    pause_claim(Sweep.over(PauseConfig(), seeds=range(3), scale=(1.0, 3.0)), "P0"),
]


@pytest.fixture(scope="module")
def dask():
    with DaskExecutor(local_workers=2) as executor:
        yield executor


@pytest.fixture(scope="module")
def pool():
    with ProcessExecutor(2) as executor:
        yield executor


def stored_results(cache_dir) -> dict[str, str]:
    """Every cache file's result, as canonical JSON text, by file name."""
    return {
        path.name: json.dumps(json.loads(path.read_text())["result"], sort_keys=True)
        for path in sorted(cache_dir.rglob("*.json"))
    }


def test_sweep_expands_base_times_axes_times_seeds():
    cells = GRID.cells()
    assert len(cells) == 2 * 2 * 2
    assert [(c.config.alpha, c.config.mixture.distance, c.config.samples) for c in cells[:3]] == [
        (0.5, 1.0, 50),
        (0.5, 1.0, float("inf")),
        (0.5, 2.0, 50),
    ]
    assert len({cell.config for cell in cells}) == len(cells)


def test_serial_process_pool_and_dask_give_identical_results(tmp_path, pool, dask):
    runs = {}
    batched = DaskExecutor(address=dask.scheduler_address, cells_per_task=4)
    executors = {"serial": SerialExecutor(), "pool": pool, "dask": dask, "batched": batched}
    for name, executor in executors.items():
        outcomes = run_claims(CLAIMS, "smoke", tmp_path / name, progress=False, executor=executor)
        assert not any(o.cached for claim in outcomes.values() for o in claim)
        assert all(
            o.environment["torch"] == torch.__version__ and o.environment["torch_threads"] == 1
            for claim in outcomes.values()
            for o in claim
        )
        runs[name] = {
            claim: [json.dumps(o.result, sort_keys=True) for o in claim_outcomes]
            for claim, claim_outcomes in outcomes.items()
        }
    assert runs["serial"] == runs["pool"] == runs["dask"] == runs["batched"]
    assert len(runs["serial"]["G0"]) == 9 and len(runs["serial"]["P0"]) == 6
    stored = stored_results(tmp_path / "serial")
    assert stored == stored_results(tmp_path / "pool") == stored_results(tmp_path / "dask")
    again = run_claims(CLAIMS, "smoke", tmp_path / "dask", progress=False, executor=dask)
    assert all(o.cached for claim in again.values() for o in claim)


def test_a_lost_dask_worker_has_its_cell_rescheduled(tmp_path, dask):
    marker = tmp_path / "died"
    claim = claim_of("D0", [Cell(DieOnceConfig(str(marker)), 7)])
    (outcome,) = run_claims([claim], "smoke", tmp_path / "cache", progress=False, executor=dask)[
        "D0"
    ]
    assert outcome.result["seed"] == 7 and not outcome.cached
    assert outcome.result["died_in"] != outcome.result["ran_in"]


@pytest.mark.parametrize("where", ["serial", "pool", "dask", "batched"])
def test_a_failing_cell_leaves_the_others_stored(tmp_path, where, pool, dask):
    executor = {
        "serial": SerialExecutor(),
        "pool": pool,
        "dask": dask,
        "batched": DaskExecutor(address=dask.scheduler_address, cells_per_task=3),
    }[where]
    cells = [Cell(FailConfig(fail=seed == 1), seed) for seed in range(4)]
    claim = claim_of("F0", cells)
    with pytest.raises(CellFailuresError, match=r"F0 seed 1 .*FloatingPointError: .*NaN") as error:
        run_claims([claim], "smoke", tmp_path, progress=False, executor=executor)
    assert error.value.summary.computed == 3 and error.value.summary.failed == 1
    assert len(list(tmp_path.rglob("*.json"))) == 3
    assert not CellCache(tmp_path).problems


def without_timings(claims: list[dict]) -> list[list[dict]]:
    return [[{k: v for k, v in c.items() if k != "seconds"} for c in cl["cells"]] for cl in claims]


def test_reproduce_on_a_running_scheduler_matches_the_serial_run(tmp_path, dask, capsys):
    results = {}
    for name, where in {
        "serial": ["--serial"],
        "dask": ["--scheduler", dask.scheduler_address, "--cells-per-task", "2"],
    }.items():
        out = tmp_path / name
        argv = ["reproduce", "--claims", "L5", "--scale", "smoke", "--out", str(out)]
        assert main([*argv, "--no-progress", *where]) == 0
        results[name] = without_timings(json.loads((out / "results.json").read_text())["claims"])
    assert "executor=dask" in capsys.readouterr().out
    assert results["serial"] == results["dask"]


def test_cuda_cells_ask_each_dask_worker_for_one_gpu(tmp_path):
    from figures.commands.arguments import DASK_GPU, checked_executor

    executor = checked_executor(False, None, None, 1, device="cuda:0")
    assert executor.resources == DASK_GPU == {"GPU": 1}
    assert checked_executor(False, None, None, 1, device="cpu").resources is None
    cells = [Cell(PauseConfig(), seed) for seed in range(2)]
    with executor:
        outcomes = run_claims(
            [claim_of("R0", cells)], "smoke", tmp_path, progress=False, executor=executor
        )
    assert len(outcomes["R0"]) == 2 and all(o.result for o in outcomes["R0"]), (
        "the cells ran on the worker that holds the GPU resource"
    )
