"""benchmarks/precision.py: the paired reading can say unchanged, changed or cannot tell."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.precision import SETUP, run, summarise


def rows(differences: list[float]) -> list[dict]:
    return [
        {
            "seed": seed,
            "float32": {"accuracy": 0.6, "seconds_per_iteration": 0.2},
            "bfloat16": {"accuracy": 0.6 + d, "seconds_per_iteration": 0.1},
        }
        for seed, d in enumerate(differences)
    ]


@pytest.mark.parametrize(
    ("differences", "reading"),
    [
        ([0.001, -0.002, 0.0, 0.002, -0.001], "unchanged"),
        ([-0.05, -0.06, -0.04, -0.05, -0.055], "changed"),
        ([0.08, -0.09, 0.1, -0.07, 0.02], "cannot tell"),
    ],
)
def test_the_reading_follows_the_paired_interval(differences, reading):
    summary = summarise(rows(differences), tolerance=0.02)
    assert summary["reading"].startswith(reading)
    assert summary["median_speedup"] == pytest.approx(2.0)
    assert summary["accuracy_difference"]["seeds"] == 5


def test_a_tiny_run_pairs_both_precisions_per_seed():
    tiny = replace(SETUP, filters=2, iterations=2, test_tasks=4, image_size=8, blocks=1, queries=1)
    results = run(tiny, seeds=2, tolerance=0.5)
    assert [row["seed"] for row in results["per_seed"]] == [0, 1]
    assert all(set(row) == {"seed", "float32", "bfloat16"} for row in results["per_seed"])
