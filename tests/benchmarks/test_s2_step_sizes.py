"""benchmarks/s2_step_sizes.py: one training per (method, multiplier, seed), kept as it ends, so
a second run trains nothing; the table marks each method's best multiplier."""

from __future__ import annotations

from dataclasses import replace

import pytest

import benchmarks.s2_step_sizes as bench
from figures.claims.s2_sign_maml import RUNS
from figures.claims.s2_step_sizes import OFFICIAL, best_multipliers, markdown_table

TINY = replace(RUNS["smoke"].setup, iterations=2, test_tasks=4, filters=2, inner_steps=1)


def test_the_sweep_resumes_from_its_records_and_trains_nothing_twice(tmp_path, monkeypatch):
    out = tmp_path / "sweep.jsonl"
    first = bench.sweep(TINY, out, multipliers=(0.5, 2.0), seeds=(0,), progress=False)
    assert set(first) == set(OFFICIAL) and all(set(row) == {0.5, 2.0} for row in first.values())
    assert len(out.read_text().splitlines()) == len(OFFICIAL) * 2
    calls = []
    monkeypatch.setattr(bench, "validation_accuracy", lambda *a: calls.append(a) or 0.0)
    again = bench.sweep(TINY, out, multipliers=(0.5, 2.0), seeds=(0,), progress=False)
    assert again == first and calls == []
    bench.sweep(TINY, out, multipliers=(0.5, 2.0, 4.0), seeds=(0,), progress=False)
    assert len(calls) == len(OFFICIAL), "only the new multiplier is trained"
    with pytest.raises(ValueError, match="another set-up"):
        bench.sweep(replace(TINY, filters=3), out, seeds=(0,), progress=False)


def test_the_table_bolds_the_best_multiplier_and_marks_missing_runs():
    table = {"maml": {0.5: 0.7, 1.0: 0.8}, "sign-maml": {1.0: 0.6, 2.0: 0.65}}
    assert best_multipliers(table) == {"maml": 1.0, "sign-maml": 2.0}
    rows = markdown_table(table).splitlines()
    assert rows[2] == "| 0.5 | 0.700 | — |"
    assert rows[3] == "| 1 | **0.800** | 0.600 |"
    assert rows[4] == "| 2 | — | **0.650** |"
