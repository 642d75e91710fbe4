"""S2's step-size sweep: each method's official α × m, scored on meta-validation classes.

For every method of claim S2 (MAML, FO-MAML, Sign-MAML), every multiplier m and every
sweep seed (``figures.claims.s2_step_sizes.SWEEP_SEEDS``, not the claim's seeds), one
meta-training in the claim's set-up at that scale, scored by its mean accuracy on
``--validation-tasks`` tasks of the meta-validation classes (disjoint from meta-train and
meta-test). Each training is one line of ``--out`` (JSON lines) as soon as it ends, so a
killed sweep resumes where it stopped; the table and the multipliers the sweep picks are
printed at the end (``s2_step_sizes.markdown_table``, ``best_multipliers``), for
``s2_sign_maml.RUNS``.

    python -m benchmarks.s2_step_sizes --scale omniglot \\
        --omniglot ../shared/data/omniglot/images_background_small1.zip \\
        --omniglot ../shared/data/omniglot/images_background_small2.zip
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

from tqdm.auto import tqdm

from figures.claims.fewshot import FewShotSetup
from figures.claims.s2_sign_maml import RUNS
from figures.claims.s2_step_sizes import (
    MULTIPLIERS,
    OFFICIAL,
    SWEEP_SEEDS,
    best_multipliers,
    markdown_table,
    validation_accuracy,
)

Key = tuple[str, float, int]


def setup_key(setup: FewShotSetup) -> str:
    """A short hash of everything the set-up fixes (data paths included)."""
    return hashlib.sha256(repr(setup).encode()).hexdigest()[:16]


def recorded(path: Path, setup: FewShotSetup) -> dict[Key, float]:
    """{(method, multiplier, seed): accuracy} of the trainings an earlier run of the same
    set-up finished; records of another set-up are refused, never mixed in."""
    if not path.exists():
        return {}
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    foreign = [r for r in records if r.get("setup") != setup_key(setup)]
    if foreign:
        raise ValueError(
            f"{path} holds {len(foreign)} trainings of another set-up (scale, data or "
            "validation tasks); give another --out or delete it"
        )
    return {(r["algorithm"], r["multiplier"], r["seed"]): r["accuracy"] for r in records}


def sweep(
    setup: FewShotSetup,
    out: Path,
    methods: tuple[str, ...] = tuple(OFFICIAL),
    multipliers: tuple[float, ...] = MULTIPLIERS,
    seeds: tuple[int, ...] = SWEEP_SEEDS,
    progress: bool = True,
) -> dict[str, dict[float, float]]:
    """{method: {m: mean validation accuracy over ``seeds``}}, each training appended to
    ``out`` when it ends and skipped when ``out`` already holds it."""
    done = recorded(out, setup)
    todo = [(a, m, s) for a in methods for m in multipliers for s in seeds if (a, m, s) not in done]
    if todo:
        splits = setup.splits()
        train_tasks, val_tasks = setup.tasks(splits.train), setup.tasks(splits.val)
        out.parent.mkdir(parents=True, exist_ok=True)
        for algorithm, multiplier, seed in tqdm(todo, desc="S2 sweep", disable=not progress):
            start = time.perf_counter()
            accuracy = validation_accuracy(
                setup, algorithm, multiplier, seed, train_tasks, val_tasks
            )
            record = {
                "setup": setup_key(setup),
                "algorithm": algorithm,
                "multiplier": multiplier,
                "seed": seed,
                "accuracy": accuracy,
                "seconds": time.perf_counter() - start,
            }
            with out.open("a") as file:
                file.write(json.dumps(record) + "\n")
            done[algorithm, multiplier, seed] = accuracy
    return {
        a: {m: statistics.mean(done[a, m, s] for s in seeds) for m in multipliers} for a in methods
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("quick", "omniglot"), default="quick")
    parser.add_argument("--omniglot", type=Path, action="append")
    parser.add_argument("--validation-tasks", type=int, default=200)
    parser.add_argument(
        "--multipliers", type=float, nargs="+", default=list(MULTIPLIERS), metavar="M"
    )
    parser.add_argument("--out", type=Path, help="default: results/s2_step_sizes_SCALE.jsonl")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args()
    if args.scale == "omniglot" and not args.omniglot:
        parser.error("--scale omniglot needs the data: give --omniglot PATH (once per zip/folder)")
    paths = tuple(str(path.resolve()) for path in args.omniglot or ()) or None
    setup = replace(RUNS[args.scale].setup, test_tasks=args.validation_tasks).at("cpu", paths, None)
    out = args.out or Path(f"results/s2_step_sizes_{args.scale}.jsonl")
    table = sweep(setup, out, multipliers=tuple(args.multipliers), progress=not args.no_progress)
    print(markdown_table(table))
    print("multipliers picked:", best_multipliers(table))


if __name__ == "__main__":
    main()
