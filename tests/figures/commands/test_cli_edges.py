"""Rough edges of the command line: an empty claim list, ``--cells-per-task`` without Dask,
``--version``."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

import pytest

from figures.commands.cli import main


def test_an_empty_claim_list_is_an_error_that_says_what_to_do(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--claims", "", "--scale", "smoke", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "no claim ids given; name at least one of" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_version_names_the_installed_package(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mamlscape {metadata.version('mamlscape')}"


def test_cells_per_task_without_dask_is_refused(tmp_path, capsys):
    words = ["reproduce", "--claims", "L2", "--scale", "smoke", "--out", str(tmp_path)]
    with pytest.raises(SystemExit) as exit_info:
        main([*words, "--cells-per-task", "4"])
    assert exit_info.value.code == 2
    assert "--cells-per-task 4 applies to Dask only" in capsys.readouterr().err


def test_the_report_records_version_commit_command_time_and_data(tmp_path):
    data = tmp_path / "omniglot.zip"
    data.write_bytes(b"stand-in bytes")
    other = tmp_path / "images_evaluation.zip"
    other.write_bytes(b"other bytes")
    out = tmp_path / "run"
    words = ["reproduce", "--claims", "L2-closed-form", "--scale", "smoke", "--serial"]
    sources = ["--omniglot", str(data), "--omniglot", str(other)]
    assert main([*words, *sources, "--out", str(out)]) == 0
    record = json.loads((out / "results.json").read_text())["provenance"]
    assert record["mamlscape"] == metadata.version("mamlscape")
    assert record["command"].startswith("mamlscape reproduce --claims L2-closed-form")
    assert record["started"].endswith("+00:00") and record["seconds"] >= 0
    datasets = record["datasets"]
    assert (
        datasets["omniglot omniglot.zip"]["sha256"] == hashlib.sha256(b"stand-in bytes").hexdigest()
    )
    assert datasets["omniglot images_evaluation.zip"]["path"] == str(other.resolve())
    assert f"`{record['command']}`" in (out / "report.md").read_text()


def test_a_failed_cell_still_leaves_a_report_of_the_claims_that_ran(tmp_path, capsys, monkeypatch):
    from sweep_claims import FailConfig, claim_of

    from figures.commands import cli
    from figures.engine.claim import Cell

    ran = claim_of("T1", [Cell(FailConfig(), 0)])
    broken = claim_of("T2", [Cell(FailConfig(), 1), Cell(FailConfig(fail=True), 2)])
    monkeypatch.setattr(cli, "select", lambda ids: [ran, broken])
    status = main(["reproduce", "--scale", "smoke", "--serial", "--out", str(tmp_path)])
    assert status == 1
    error = capsys.readouterr().err
    assert "report of the 1 claims whose cells all finished (T1)" in error
    assert "1 cells failed" in error and "T2 seed 2" in error
    document = json.loads((tmp_path / "results.json").read_text())
    assert [claim["id"] for claim in document["claims"]] == ["T1"]
