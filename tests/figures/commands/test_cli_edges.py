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
