"""Seconds per meta-iteration of each Sharp-MAML variant relative to MAML, in one run.

Setting: the 4-block ConvNet on 5-way 1-shot glyph tasks (3 queries per class),
meta-batch 4, CPU. For each case every algorithm's outer step is counted (loss
evaluations, backward passes) and timed in interleaved rounds (each round
times every algorithm once, in turn, so machine load hits all alike; the median
is reported), with ``figures.claims.h3_sharp_cost.cost_experiment``, the measurement of
claim H3. The bounds checked: low and up ≤ 2.5× MAML, both ≤ 4.5×, efficient
cheaper than both.

    python -m benchmarks.sharp_maml --out results/bench_sharp_maml.json
"""

from __future__ import annotations

import argparse
import platform
from dataclasses import replace
from pathlib import Path

import torch

from figures.claims.h3_sharp_cost import COST_SETUP, CostConfig, cost_check, cost_experiment
from figures.engine.files import write_json


def run(filters: list[int], inner_steps: list[int], rounds: int) -> dict:
    results = {
        "torch": torch.__version__,
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "cases": [],
    }
    for width in filters:
        for steps in inner_steps:
            setup = replace(COST_SETUP, filters=width, inner_steps=steps)
            config = CostConfig(setup, rounds=rounds)
            case = {"filters": width, **cost_experiment(config, seed=0)}
            verdict = cost_check([case])
            case["within_bounds"] = verdict.status == "PASS"
            case["verdict"] = verdict.reason
            results["cases"].append(case)
            print(f"filters={width:3d} inner_steps={steps}: {verdict.status}: {verdict.reason}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filters", type=int, nargs="+", default=[32])
    parser.add_argument("--inner-steps", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved timing rounds")
    parser.add_argument("--out", type=Path, default=Path("results/bench_sharp_maml.json"))
    args = parser.parse_args()
    write_json(args.out, run(args.filters, args.inner_steps, args.rounds))


if __name__ == "__main__":
    main()
