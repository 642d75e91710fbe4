"""benchmarks/fo_maml_settings.py: every (setting, algorithm, seed) runs seed-paired on real-layout
Omniglot, and "learns" needs the accuracy interval above chance, so a run at chance fails it."""

from __future__ import annotations

from dataclasses import replace

from benchmarks.fo_maml_settings import ALGORITHMS, BASE, SETTINGS, learns, run, summary
from tests.omniglot_zips import write_omniglot_zip


def test_every_setting_and_algorithm_runs_and_reports_its_reading(tmp_path):
    data = write_omniglot_zip(tmp_path / "images_background.zip", alphabets=8, characters=5)
    setup = replace(
        BASE,
        ways=3,
        filters=2,
        blocks=2,
        image_size=8,
        iterations=2,
        meta_batch=2,
        test_tasks=4,
        omniglot=(str(data),),
    )
    report = run(setup, seeds=1)
    assert {(r["setting"], r["algorithm"]) for r in report["runs"]} == {
        (s, a) for s in SETTINGS for a in ALGORITHMS
    }
    assert {r["inner_steps"] for r in report["runs"] if r["setting"] == "finn"} == {5}
    assert len(summary(report)) == len(SETTINGS) * len(ALGORITHMS)


def test_a_run_learns_only_when_its_interval_clears_chance():
    at_chance = {"accuracy": {"mean": 0.06, "half_width": 0.02}}
    above = {"accuracy": {"mean": 0.30, "half_width": 0.02}}
    assert not learns(at_chance, 0.05) and learns(above, 0.05)
