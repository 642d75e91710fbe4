"""FO-MAML on real Omniglot 20-way 1-shot: at one inner step with α = 0.4, and at Finn et al.'s
settings for it.

Issue #14 saw FO-MAML stay at chance (meta-loss ≈ ln 20) on 20-way 1-shot with one inner
step at α = 0.4 while MAML learnt. This asks whether that is the settings or a defect: MAML
and FO-MAML train seed-paired (same initialisation, task stream and test tasks) under

- ``one-step``: 1 inner step, α = 0.4 (the failing trial's settings);
- ``finn``: 5 inner steps, α = 0.1 (Finn et al.'s 20-way protocol; meta-batch 16 there,
  ``--meta-batch`` here),

and each run reports the mean meta-loss of its first and last ``WINDOW`` iterations and its
meta-test accuracy on held-out alphabets after its training step count, with the 95%
interval over test tasks. A run *learns* when that interval lies above chance (1/N); an
FO-MAML whose outer step did nothing would stay at chance and fail it.

    python -m benchmarks.fo_maml_settings --omniglot images_background_small1.zip \\
        --omniglot images_background_small2.zip --out results/fo_maml_settings.json
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.statistics import mean_interval
from figures.claims.fewshot import FewShotSetup
from figures.engine.files import write_json

SETTINGS = {"one-step": (1, 0.4), "finn": (5, 0.1)}
"""Each setting's (inner steps, α)."""
ALGORITHMS = ("maml", "fo-maml")
WINDOW = 10
BASE = FewShotSetup(ways=20, shots=1, queries=1, filters=16, meta_batch=8, iterations=150)


def run(setup: FewShotSetup, seeds: int) -> dict[str, Any]:
    """Every (setting, algorithm, seed) run on ``setup``: meta-loss and meta-test accuracy."""
    splits = setup.splits()
    train_tasks, test_tasks = setup.tasks(splits.train), setup.tasks(splits.test)
    runs = []
    for name, (steps, inner_lr) in SETTINGS.items():
        stepped = replace(setup, inner_steps=steps, eval_steps=(steps,))
        for seed in range(seeds):
            for algorithm in ALGORITHMS:
                learner = stepped.learner(algorithm, inner_lr, seed)
                trained = stepped.meta_train(learner, train_tasks, seed)
                accuracy = stepped.accuracy(learner, trained.params, test_tasks, seed)[steps]
                window = min(WINDOW, len(trained.losses))
                runs.append(
                    {
                        "setting": name,
                        "inner_steps": steps,
                        "inner_lr": inner_lr,
                        "algorithm": algorithm,
                        "seed": seed,
                        "first_loss": statistics.fmean(trained.losses[:window]),
                        "last_loss": statistics.fmean(trained.losses[-window:]),
                        "accuracy": mean_interval(accuracy).as_dict(),
                        "seconds": trained.seconds,
                    }
                )
    return {"chance": 1 / setup.ways, "setup": repr(setup), "runs": runs}


def learns(run_record: dict[str, Any], chance: float) -> bool:
    """Whether a run's meta-test accuracy interval lies above chance."""
    accuracy = run_record["accuracy"]
    return accuracy["mean"] - accuracy["half_width"] > chance


def summary(report: dict[str, Any]) -> list[str]:
    """One line per (setting, algorithm): losses, accuracy and whether every seed learns."""
    lines = []
    for name in SETTINGS:
        for algorithm in ALGORITHMS:
            chosen = [
                r for r in report["runs"] if r["setting"] == name and r["algorithm"] == algorithm
            ]
            verdict = all(learns(r, report["chance"]) for r in chosen)
            first = statistics.fmean(r["first_loss"] for r in chosen)
            last = statistics.fmean(r["last_loss"] for r in chosen)
            accuracy = statistics.fmean(r["accuracy"]["mean"] for r in chosen)
            lines.append(
                f"{name:8} {algorithm:8} meta-loss {first:.2f} → {last:.2f}, meta-test accuracy "
                f"{accuracy:.3f} (chance {report['chance']:.3f}) over {len(chosen)} seeds: "
                + ("learns on every seed" if verdict else "does not learn on every seed")
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--omniglot", type=Path, action="append", required=True)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=BASE.iterations)
    parser.add_argument("--meta-batch", type=int, default=BASE.meta_batch)
    parser.add_argument("--test-tasks", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("results/fo_maml_settings.json"))
    args = parser.parse_args()
    setup = replace(
        BASE,
        omniglot=tuple(str(path.resolve()) for path in args.omniglot),
        iterations=args.iterations,
        meta_batch=args.meta_batch,
        test_tasks=args.test_tasks,
    )
    report = run(setup, args.seeds)
    report["summary"] = summary(report)
    write_json(args.out, report)
    print("\n".join(report["summary"]))


if __name__ == "__main__":
    main()
