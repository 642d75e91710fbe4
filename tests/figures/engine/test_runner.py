"""The claim frame: registry, cell cache, runner reuse, corrupt caches, the report and the CLI."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import matplotlib.pyplot as plt
import pytest
import torch

from figures.claims.catalogue import REGISTRY, select
from figures.commands.cli import main
from figures.engine.cache import CacheEntry, CellCache
from figures.engine.claim import Cell, Claim, Verdict
from figures.engine.report import write_report
from figures.engine.runner import entry_of, pending_cells, run_claims

CALLS: list[int] = []


@dataclass(frozen=True)
class CountingConfig:
    value: float = 2.0

    def run(self, seed: int) -> dict:
        return counting_experiment(self, seed)


def counting_experiment(config: CountingConfig, seed: int) -> dict:
    CALLS.append(seed)
    return {"value": config.value * (seed + 1)}


def counting_figure(results) -> plt.Figure:
    figure, axis = plt.subplots()
    axis.plot([r["value"] for r in results])
    return figure


COUNTING = Claim(
    "T0",
    "a test paper",
    "values are positive",
    lambda scale: [Cell(CountingConfig(), seed) for seed in range(3)],
    lambda results: Verdict.from_condition(all(r["value"] > 0 for r in results), "all positive"),
    counting_figure,
)


def test_rerun_reuses_every_cell_and_writes_the_same_report(tmp_path):
    CALLS.clear()
    first = run_claims([COUNTING], "quick", tmp_path / "cache", progress=False)
    write_report(tmp_path, [COUNTING], first, "quick", "cpu")
    report = (tmp_path / "report.md").read_text()
    results = json.loads((tmp_path / "results.json").read_text())
    assert CALLS == [0, 1, 2]
    second = run_claims([COUNTING], "quick", tmp_path / "cache", progress=False)
    write_report(tmp_path, [COUNTING], second, "quick", "cpu")
    assert CALLS == [0, 1, 2]
    assert all(outcome.cached for outcome in second["T0"])
    assert [o.result for o in second["T0"]] == [o.result for o in first["T0"]]
    rerun = json.loads((tmp_path / "results.json").read_text())
    assert [cell["cached"] for cell in rerun["claims"][0]["cells"]] == [True] * 3
    assert rerun["claims"][0]["cells_from_cache"] == 3
    assert without_cache_marks(rerun) == without_cache_marks(results)
    assert "from cache" in (tmp_path / "report.md").read_text() and "from cache" not in report


def test_published_numbers_are_labelled_as_published_in_every_report(tmp_path):
    published = replace(COUNTING, published=("MAML, Omniglot 5-way 1-shot 98.7% (Finn et al.)",))
    outcomes = run_claims([published], "quick", tmp_path / "cache", progress=False)
    write_report(tmp_path, [published], outcomes, "quick", "cpu")
    (claim,) = json.loads((tmp_path / "results.json").read_text())["claims"]
    assert claim["published"] == list(published.published)
    label = "Published (the papers' numbers on their protocols, not measured by this run):"
    markdown = (tmp_path / "report.md").read_text()
    assert f"{label}\n- MAML, Omniglot 5-way 1-shot 98.7% (Finn et al.)" in markdown
    page = (tmp_path / "report.html").read_text()
    assert "<ul class='published'><li>MAML, Omniglot 5-way 1-shot 98.7% (Finn et al.)" in page
    write_report(tmp_path, [COUNTING], outcomes, "quick", "cpu")
    assert "Published (" not in (tmp_path / "report.md").read_text(), "none: no section"


def without_cache_marks(document: dict) -> dict:
    """``results.json`` without what says how each cell was obtained (cache, seconds) or
    when the run was (its provenance)."""

    def unmarked(claim: dict) -> dict:
        cells = [{**cell, "cached": None, "seconds": None} for cell in claim["cells"]]
        return {**claim, "cells_from_cache": None, "cells": cells}

    sections = ("claims", "implementation_checks")
    unmarked_sections = {key: [unmarked(c) for c in document[key]] for key in sections}
    return {**document, "provenance": None, **unmarked_sections}


def test_a_cell_two_claims_share_is_computed_once(tmp_path):
    CALLS.clear()
    twin = replace(COUNTING, id="T1")
    assert pending_cells([COUNTING, twin], "quick", tmp_path) == {
        "T0": COUNTING.cells("quick"),
        "T1": [],
    }, "listed once, under the first claim"
    outcomes = run_claims([COUNTING, twin], "quick", tmp_path, progress=False)
    assert CALLS == [0, 1, 2], "one computation per cell, not per claim"
    assert [o.result for o in outcomes["T1"]] == [o.result for o in outcomes["T0"]]
    assert run_claims([twin], "quick", tmp_path, progress=False)["T1"][0].cached
    assert CALLS == [0, 1, 2]


def test_a_changed_config_is_a_new_cell():
    a = CacheEntry.for_cell("x.f", CountingConfig(2.0), 0, code="c1")
    assert a.key == CacheEntry.for_cell("x.f", CountingConfig(2.0), 0, code="c1").key
    assert a.key != CacheEntry.for_cell("x.f", CountingConfig(3.0), 0, code="c1").key
    assert a.key != CacheEntry.for_cell("x.f", CountingConfig(2.0), 1, code="c1").key
    assert a.key != CacheEntry.for_cell("x.g", CountingConfig(2.0), 0, code="c1").key
    assert a.key != CacheEntry.for_cell("x.f", CountingConfig(2.0), 0, code="c2").key


@pytest.mark.parametrize("damage", ["truncate", "garbage", "other cell"])
def test_a_corrupt_cache_file_is_reported_and_recomputed(tmp_path, damage, capsys):
    CALLS.clear()
    run_claims([COUNTING], "quick", tmp_path, progress=False)
    entry = entry_of(Cell(CountingConfig(), 1))
    path = CellCache(tmp_path).path(entry)
    text = path.read_text()
    damaged = {
        "truncate": text[: len(text) // 2],
        "garbage": "\x00\x01 not json",
        "other cell": json.dumps({"key": "0" * 64, "result": {"value": -1}}),
    }[damage]
    path.write_text(damaged)
    CALLS.clear()
    outcomes = run_claims([COUNTING], "quick", tmp_path, progress=False)
    assert CALLS == [1]
    assert outcomes["T0"][1].result == {"value": 4.0}
    assert str(path) in capsys.readouterr().out
    assert json.loads(path.read_text())["result"] == {"value": 4.0}


def test_registry_has_every_family_and_refuses_unknown_ids():
    assert {"B1", "L1", "L2", "L3", "L4", "L5"} <= set(REGISTRY)
    with pytest.raises(ValueError, match=r"unknown claim ids \['L9'\]"):
        select(["L1", "L9"])


def test_reproduce_writes_the_report_and_reuses_cells_on_rerun(tmp_path, capsys):
    argv = [
        "reproduce",
        "--claims",
        "L2-closed-form,L5",
        "--scale",
        "smoke",
        "--out",
        str(tmp_path),
        "--no-progress",
    ]
    assert main(argv) == 0
    first = capsys.readouterr().out
    assert "0/2 cells from cache" in first and str(tmp_path.resolve()) in first
    assert "implementation checks:" in first and "Pipeline check, not results" in first
    assert {p.name for p in tmp_path.iterdir()} >= {
        "report.html",
        "report.md",
        "results.json",
        "figures",
        "cache",
    }
    html = (tmp_path / "report.html").read_text()
    assert "data:image/png;base64," in html and "L5" in html
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["environment"]["torch"] == torch.__version__
    assert all(len(cell["config_hash"]) == 64 for c in results["claims"] for cell in c["cells"])
    assert results["pipeline_check"] is True
    assert [c["id"] for c in results["implementation_checks"]] == ["L2-closed-form"]
    assert results["claims"][0]["verdict"]["evidence"]["seeds"] == 1
    assert main(argv) == 0
    assert "2/2 cells from cache" in capsys.readouterr().out
    rerun = json.loads((tmp_path / "results.json").read_text())
    assert without_cache_marks(rerun) == without_cache_marks(results)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--claims", "L1,X9"], "unknown claim ids ['X9']"),
        pytest.param(
            ["--device", "cuda:0"],
            "no CUDA",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA"),
        ),
        (["--device", "tpu9"], "is not a torch device"),
    ],
)
def test_reproduce_bad_arguments(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--scale", "smoke", "--out", str(tmp_path), *argv])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_reproduce_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit):
        main(["reproduce", "--scale", "smoke", "--out", str(blocker / "sub")])
    assert "cannot write to the output folder" in capsys.readouterr().err


def test_report_md_never_cuts_a_cell_result_mid_number():
    from figures.engine.report import brief_json

    result = {"short": 1, "values": [0.123456789] * 60, "last": 2}
    text = brief_json(result, limit=100)
    assert text == '{"short": 1, … 2 more entries in results.json}'
    assert brief_json({"a": 1}) == '{"a": 1}'
    assert brief_json({"values": [0.5] * 200}, 50) == "{… 1 more entries in results.json}"
