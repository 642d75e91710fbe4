"""ANIL with the body's features computed once per adaptation, against recomputing them.

When only the head adapts, the body does not move in the inner loop, so its
features on the support set are the same at every step. The learner computes
them once when the model splits its forward into features and head
(``algorithms.forward.splits_features``); the baseline is the same network
exposing only its whole batched forward, so every inner step reruns the
body. Set-up: claim A3's (``figures.claims.a3_anil_cost.COST_SETUP``), one
second-order meta-gradient, N inner steps; both give the same gradient
(checked in float64 before timing).

    python -m benchmarks.anil_features --out results/bench_anil_features.json
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import torch
from torch import nn

from algorithms import BodyHead, parameters_of
from figures.claims.a3_anil_cost import COST_SETUP
from figures.claims.anil_setup import meta_gradient
from figures.engine.files import write_json
from figures.engine.timing import interleaved_seconds


class WholeForward(nn.Module):
    """The same body and head (same parameter names), with only the whole batched forward."""

    def __init__(self, model: BodyHead) -> None:
        super().__init__()
        self.body, self.head = model.body, model.head
        self.forward, self.batched_forward = model.forward, model.batched_forward


def run(steps: list[int], rounds: int) -> dict:
    cases = []
    for inner_steps in steps:
        model = COST_SETUP.model(seed=0).double()
        batch = COST_SETUP.sampler().sample(COST_SETUP.meta_batch, torch.Generator().manual_seed(0))
        batch64 = batch.to(dtype=torch.float64)
        learners = {
            "features once": COST_SETUP.learner(model, "anil", inner_steps),
            "body every step": COST_SETUP.learner(WholeForward(model), "anil", inner_steps),
        }
        params = parameters_of(model)
        once, every = (meta_gradient(one, params, batch64) for one in learners.values())
        difference = max(((a - b).norm() / b.norm()).item() for a, b in zip(once, every))
        model.float()
        params = parameters_of(model)
        calls = {name: partial(meta_gradient, one, params, batch) for name, one in learners.items()}
        seconds = interleaved_seconds(calls, rounds)
        speedup = seconds["body every step"] / seconds["features once"]
        cases.append(
            {
                "inner_steps": inner_steps,
                "seconds_per_meta_gradient": seconds,
                "speedup": speedup,
                "float64_max_relative_difference": difference,
            }
        )
        print(f"N={inner_steps:3d}: features once ×{speedup:.2f}, float64 diff {difference:.0e}")
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--rounds", type=int, default=20, help="interleaved timing rounds")
    parser.add_argument("--out", type=Path, default=Path("results/bench_anil_features.json"))
    args = parser.parse_args()
    results = run(args.steps, args.rounds)
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
