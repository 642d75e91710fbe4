"""Second-order MAML meta-gradients per second on sinusoids, against a per-task loop.

Setting (Finn et al.): MLP 1-40-40-1, K = 10 support and 10 query points, one
inner step, meta-batch B ∈ {25, 128}, CPU. Three ways to compute the same
meta-gradient, timed in one run:

- ``loop``: the baseline, one task at a time with ``autograd.grad(create_graph=True)``
  over cloned parameters (how learn2learn and higher work);
- ``vmap``: mamlscape's generic path, any ``nn.Module``: autograd through
  ``vmap(functional_call)`` (``forward_path="vmap"``);
- ``batched``: autograd through the MLP's batched-matmul forward;
- ``hand-written``: ``MetaLearner.meta_gradient``, which for the MLP under
  squared loss runs the forward, backward and Hessian-vector passes itself
  (``algorithms.mlp_meta_gradient``).

Before timing, the four meta-gradients are compared in float64. Results are
reported as speed-ups over the loop and written to ``--out`` as JSON.

    python -m benchmarks.maml_sinusoid --out results/bench_maml_sinusoid.json
"""

from __future__ import annotations

import argparse
import platform
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

from algorithms import MLP, make, mse, parameters_of
from algorithms.params import Params
from algorithms.reference import looped_meta_loss
from figures.engine.files import write_json
from figures.engine.timing import interleaved_seconds
from synthetic import SinusoidTasks, TaskBatch

INNER_LR = 0.01
MetaGradient = Callable[[MLP, Params, TaskBatch], list[torch.Tensor]]


def loop_meta_gradient(model: MLP, params: Params, batch: TaskBatch) -> list[torch.Tensor]:
    """The baseline: a Python loop over tasks, autograd through cloned parameters."""
    loss = looped_meta_loss(model, torch.nn.functional.mse_loss, params, batch, INNER_LR)
    return list(torch.autograd.grad(loss, list(params.values())))


def learner_meta_gradient(forward_path: str, hand_written: bool) -> MetaGradient:
    """mamlscape's MAML on one of its paths (the learner is built once per model)."""
    learners = {}

    def meta_gradient(model: MLP, params: Params, batch: TaskBatch) -> list[torch.Tensor]:
        if id(model) not in learners:
            learners[id(model)] = make("maml", model, mse, INNER_LR, 1, forward_path=forward_path)
        learner = learners[id(model)]
        if hand_written:
            return list(learner.meta_gradient(params, batch)[1].values())
        loss = learner.meta_loss(params, batch)
        return list(torch.autograd.grad(loss, list(params.values())))

    return meta_gradient


METHODS: dict[str, MetaGradient] = {
    "loop": loop_meta_gradient,
    "vmap": learner_meta_gradient("vmap", hand_written=False),
    "batched": learner_meta_gradient("auto", hand_written=False),
    "hand-written": learner_meta_gradient("auto", hand_written=True),
}


def max_relative_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    return max(((x - y).norm() / y.norm()).item() for x, y in zip(a, b))


def run(meta_batches: list[int], rounds: int) -> dict:
    results = {
        "torch": torch.__version__,
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "cases": [],
    }
    for meta_batch in meta_batches:
        generator = torch.Generator().manual_seed(meta_batch)
        batch64 = SinusoidTasks().sample(meta_batch, generator, dtype=torch.float64)
        model64 = MLP((1, 40, 40, 1)).double()
        params64 = parameters_of(model64)
        reference = loop_meta_gradient(model64, params64, batch64)
        agreement = {
            name: max_relative_difference(method(model64, params64, batch64), reference)
            for name, method in METHODS.items()
            if name != "loop"
        }

        batch = SinusoidTasks().sample(meta_batch, generator)
        model = MLP((1, 40, 40, 1))
        params = parameters_of(model)
        seconds = interleaved_seconds(
            {name: partial(method, model, params, batch) for name, method in METHODS.items()},
            rounds,
        )
        case = {
            "meta_batch": meta_batch,
            "seconds_per_meta_gradient": seconds,
            "meta_gradients_per_second": {k: 1.0 / v for k, v in seconds.items()},
            "speedup_over_loop": {k: seconds["loop"] / v for k, v in seconds.items()},
            "float64_max_relative_difference_to_loop": agreement,
        }
        results["cases"].append(case)
        speedups = ", ".join(f"{k} ×{v:.1f}" for k, v in case["speedup_over_loop"].items())
        print(f"B={meta_batch:4d}: {speedups}; float64 agreement {agreement}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meta-batches", type=int, nargs="+", default=[25, 128])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved timing rounds")
    parser.add_argument("--out", type=Path, default=Path("results/bench_maml_sinusoid.json"))
    args = parser.parse_args()
    results = run(args.meta_batches, args.rounds)
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
