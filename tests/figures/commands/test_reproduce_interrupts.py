"""Crash safety: a sweep SIGKILLed at any point resumes without losing or recomputing a cell,
and its pool workers do not outlive it; Ctrl-C stops with a summary and status 130; a failed
rerun leaves the earlier report and cells intact."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sweep_claims import (
    PAUSE_SWEEP,
    FailConfig,
    claim_of,
    pause_claim,
)

from figures.claims.catalogue import REGISTRY
from figures.commands.cli import main
from figures.engine.claim import Cell
from figures.engine.runner import run_claims

ROOT = Path(__file__).resolve().parents[3]
TOTAL = len(PAUSE_SWEEP.cells())


def start_reproduce(out: Path, *options: str) -> subprocess.Popen:
    """``mamlscape reproduce --claims S0 --out OUT OPTIONS`` in a new process group."""
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
        "OMP_NUM_THREADS": "1",
    }
    command = "import sys, sweep_claims; sys.exit(sweep_claims.main())"
    return subprocess.Popen(
        [sys.executable, "-c", command, "--out", str(out), *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def stored(out: Path) -> dict[Path, tuple[int, bytes]]:
    """Every stored cell file with its modification time and bytes."""
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "cache").rglob("*.json")}


def wait_for_cells(out: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while len(stored(out)) < count:
        if process.poll() is not None:
            pytest.fail(f"the run ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {count} cells were stored within 90 s")
        time.sleep(0.01)


def test_sigkill_at_several_points_then_rerun_loses_and_recomputes_nothing(tmp_path, capsys):
    before: dict[Path, tuple[int, bytes]] = {}
    for kill_after, options in [(1, ["--serial"]), (3, ["--jobs", "2"]), (5, ["--serial"])]:
        process = start_reproduce(tmp_path, *options)
        wait_for_cells(tmp_path, kill_after, process)
        workers = psutil.Process(process.pid).children(recursive=True)
        process.kill()
        process.communicate()
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, "pool workers outlived their killed parent"
        now = stored(tmp_path)
        assert {path: now[path] for path in before} == before, "a finished cell was rewritten"
        assert kill_after <= len(now) < TOTAL
        before = now
    outcomes = run_claims([pause_claim(PAUSE_SWEEP)], "smoke", tmp_path / "cache", progress=False)
    assert "cache:" not in capsys.readouterr().out, "a half-written file was read"
    assert sum(outcome.cached for outcome in outcomes["S0"]) == len(before)
    after = stored(tmp_path)
    assert len(after) == TOTAL and {path: after[path] for path in before} == before
    expected = [
        dataclasses.replace(cell.config, pause_s=0.0).run(cell.seed) for cell in PAUSE_SWEEP.cells()
    ]
    assert [outcome.result for outcome in outcomes["S0"]] == expected


def test_ctrl_c_stops_the_pool_with_a_summary_and_status_130(tmp_path):
    process = start_reproduce(tmp_path, "--jobs", "2")
    wait_for_cells(tmp_path, 2, process)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "mamlscape: interrupted:" in err and "not run" in err and "Traceback" not in err
    done = len(stored(tmp_path))
    assert f"{done} cells computed and stored" in err and done < TOTAL
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("group", [False, True], ids=["parent", "process group"])
def test_sigterm_stops_like_ctrl_c_with_status_143(tmp_path, group):
    process = start_reproduce(tmp_path, "--jobs", "2")
    wait_for_cells(tmp_path, 2, process)
    workers = psutil.Process(process.pid).children(recursive=True)
    if group:
        os.killpg(process.pid, signal.SIGTERM)
    else:
        process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert "mamlscape: terminated (SIGTERM):" in err and "not run" in err
    assert "Traceback" not in err and "leaked semaphore" not in err
    done = len(stored(tmp_path))
    assert f"{done} cells computed and stored" in err and done < TOTAL
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, "pool workers outlived the run"


def test_a_failed_rerun_keeps_the_earlier_report_and_cells(tmp_path, monkeypatch, capsys):
    cells = [Cell(FailConfig(), seed) for seed in range(2)]
    monkeypatch.setitem(REGISTRY, "F1", claim_of("F1", cells))
    argv = ["reproduce", "--claims", "F1", "--out", str(tmp_path), "--serial", "--no-progress"]
    assert main(argv) == 0
    report = {name: (tmp_path / name).read_bytes() for name in ("report.md", "results.json")}
    cells_before = stored(tmp_path)
    broken = [*cells, Cell(FailConfig(fail=True), 2)]
    monkeypatch.setitem(REGISTRY, "F1", claim_of("F1", broken))
    assert main(argv) == 1
    assert "F1 seed 2" in capsys.readouterr().err
    assert {name: (tmp_path / name).read_bytes() for name in report} == report
    assert stored(tmp_path) == cells_before
    assert json.loads(report["results.json"])["claims"][0]["verdict"]["status"] == "PASS"
