"""bfloat16 against float32 meta-training of the few-shot conv net: accuracy and speed, seed-paired.

On the image claims' few-shot set-up (``figures.claims.fewshot.FewShotSetup``:
5-way 1-shot glyph tasks, meta-test alphabets disjoint from meta-train), each
seed meta-trains MAML twice from the same initialisation on the same task
stream, once with float32 meta-gradients and once with
``precision="bfloat16"`` (``algorithms.reduced_precision``), and evaluates both
the same way (float32, the same held-out tasks). Per seed s,

    d_s = accuracy_bf16(s) − accuracy_f32(s),    r_s = seconds_f32(s) / seconds_bf16(s),

and the report gives the mean of d with its 95% Student-t interval over the
seeds. The accuracy counts as unchanged when that interval lies inside
±``--tolerance`` (an equivalence statement: the interval, not a p-value,
bounds the effect), and as changed when it excludes 0; otherwise the run
cannot tell. The speed-up is the median of r over seeds (training wall
time, the same machine, interleaved seed by seed).

    python -m benchmarks.precision --seeds 5 --out results/bench_precision.json
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import replace
from pathlib import Path

import torch

from analysis.statistics import mean_interval
from figures.claims.fewshot import FewShotSetup
from figures.engine.files import write_json

SETUP = FewShotSetup(filters=32, meta_batch=8, iterations=300, test_tasks=300, eval_steps=(1,))
INNER_LR = 0.4
PRECISIONS = ("float32", "bfloat16")


def run(setup: FewShotSetup, seeds: int, tolerance: float) -> dict:
    """Train and evaluate both precisions for seeds 0…``seeds``−1; the paired summary."""
    splits = setup.splits()
    train_tasks, test_tasks = setup.tasks(splits.train), setup.tasks(splits.test)
    per_seed = []
    for seed in range(seeds):
        row = {"seed": seed}
        for precision in PRECISIONS:
            learner = setup.learner("maml", INNER_LR, seed, precision=precision)
            result = setup.meta_train(learner, train_tasks, seed)
            accuracy = setup.accuracy(learner, result.params, test_tasks, seed)
            row[precision] = {
                "accuracy": accuracy[setup.eval_steps[-1]].mean().item(),
                "seconds_per_iteration": result.seconds / setup.iterations,
            }
        per_seed.append(row)
        print(
            f"seed {seed}: accuracy f32 {row['float32']['accuracy']:.3f}, "
            f"bf16 {row['bfloat16']['accuracy']:.3f}; s/it f32 "
            f"{row['float32']['seconds_per_iteration']:.3f}, "
            f"bf16 {row['bfloat16']['seconds_per_iteration']:.3f}"
        )
    return summarise(per_seed, tolerance) | {"setup": repr(setup), "inner_lr": INNER_LR}


def summarise(per_seed: list[dict], tolerance: float) -> dict:
    """The paired accuracy difference with its interval, its reading, and the speed-up."""
    differences = [row["bfloat16"]["accuracy"] - row["float32"]["accuracy"] for row in per_seed]
    interval = mean_interval(differences)
    if interval.low > -tolerance and interval.high < tolerance:
        reading = f"unchanged: the interval lies inside ±{tolerance:g}"
    elif interval.low > 0 or interval.high < 0:
        reading = "changed: the interval excludes 0"
    else:
        reading = f"cannot tell: the interval is wider than ±{tolerance:g} and includes 0"
    speedups = [
        row["float32"]["seconds_per_iteration"] / row["bfloat16"]["seconds_per_iteration"]
        for row in per_seed
    ]
    return {
        "per_seed": per_seed,
        "accuracy_difference": {
            "mean": interval.mean,
            "low": interval.low,
            "high": interval.high,
            "seeds": interval.count,
        },
        "tolerance": tolerance,
        "reading": reading,
        "median_speedup": statistics.median(speedups),
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--filters", type=int, default=SETUP.filters)
    parser.add_argument("--iterations", type=int, default=SETUP.iterations)
    parser.add_argument("--tolerance", type=float, default=0.02, help="accuracy, absolute")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path, default=Path("results/bench_precision.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    setup = replace(SETUP, filters=args.filters, iterations=args.iterations)
    results = run(setup, args.seeds, args.tolerance)
    difference = results["accuracy_difference"]
    print(
        f"accuracy bf16 − f32: {difference['mean']:+.4f} [{difference['low']:+.4f}, "
        f"{difference['high']:+.4f}] over {difference['seeds']} seeds: {results['reading']}; "
        f"median speed-up ×{results['median_speedup']:.2f}"
    )
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
