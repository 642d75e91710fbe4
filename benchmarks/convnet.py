"""Second-order MAML meta-steps per second on the 4-block conv net: grouped-conv path vs vmap.

Setting (Finn et al., Omniglot): ``ConvNet`` with 64 filters on 28×28
grayscale glyphs, 5-way 1-shot with 15 queries per class, one inner step
(α = 0.4), meta-batch B = 32, float32, CPU. Three ways to compute the same
meta-gradient, timed in one run:

- ``loop``: one task at a time (``algorithms.reference.looped_meta_loss``);
- ``vmap``: the generic path, ``vmap(functional_call)`` (``forward_path="vmap"``);
- ``fast``: ``ConvNet.batched_forward``, tasks folded into grouped convolutions.

Before timing, the meta-gradients of the three are compared in float64 on
a smaller net (8 filters, B = 4). Each time is the fastest of ``--repeats``
calls (a busy machine only ever slows a call down); results are speed-ups
over the loop, written to ``--out`` as JSON.

    python -m benchmarks.convnet --threads 2 --out results/bench_convnet.json
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import torch

from algorithms import ConvNet, cross_entropy, make, parameters_of
from algorithms.params import Params
from algorithms.reference import looped_meta_loss
from figures.engine.files import write_json
from synthetic import FewShotTasks, GlyphAlphabets, TaskBatch

INNER_LR = 0.4
WAYS, SHOTS, QUERIES = 5, 1, 15


def loop_meta_gradient(model: ConvNet, params: Params, batch: TaskBatch) -> list[torch.Tensor]:
    """The baseline: a Python loop over tasks, autograd through cloned parameters."""
    loss = looped_meta_loss(model, torch.nn.functional.cross_entropy, params, batch, INNER_LR)
    return list(torch.autograd.grad(loss, list(params.values())))


def learner_meta_gradient(
    forward_path: str, model: ConvNet, params: Params, batch: TaskBatch
) -> list[torch.Tensor]:
    """Second-order MAML through ``MetaLearner`` on one forward path."""
    learner = make("maml", model, cross_entropy, INNER_LR, 1, forward_path=forward_path)
    return list(torch.autograd.grad(learner.meta_loss(params, batch), list(params.values())))


METHODS = {
    "loop": loop_meta_gradient,
    "vmap": partial(learner_meta_gradient, "vmap"),
    "fast": partial(learner_meta_gradient, "auto"),
}


def relative_difference(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """‖a − b‖ / ‖b‖ over all parameters at once (conv biases before batch norm have ∇ = 0)."""
    flat_a = torch.cat([t.detach().flatten() for t in a])
    flat_b = torch.cat([t.detach().flatten() for t in b])
    return ((flat_a - flat_b).norm() / flat_b.norm()).item()


def best_seconds(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, dict]:
    """The fastest of ``repeats`` calls of each, wall and CPU time, after one warm-up each.

    The methods take turns (round robin), so a busy machine slows them alike,
    and the minimum is kept: load only ever adds time. CPU time (all
    threads) measures the work when other processes compete for the cores.
    """
    for fn in calls.values():
        fn()
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            times[name]["wall"].append(time.perf_counter() - wall)
            times[name]["cpu"].append(time.process_time() - cpu)
    return {
        clock: {name: min(values[clock]) for name, values in times.items()}
        for clock in ("wall", "cpu")
    }


def run(meta_batch: int, filters: int, repeats: int) -> dict:
    tasks = FewShotTasks(GlyphAlphabets().render(), WAYS, SHOTS, QUERIES)
    generator = torch.Generator().manual_seed(0)
    small = ConvNet(WAYS, filters=8, generator=generator).double()
    small_params = parameters_of(small)
    small_batch = tasks.sample(4, generator, dtype=torch.float64)
    reference = loop_meta_gradient(small, small_params, small_batch)
    agreement = {
        name: relative_difference(method(small, small_params, small_batch), reference)
        for name, method in METHODS.items()
        if name != "loop"
    }
    model = ConvNet(WAYS, filters=filters, generator=generator)
    params = parameters_of(model)
    batch = tasks.sample(meta_batch, generator)
    seconds = best_seconds(
        {name: partial(method, model, params, batch) for name, method in METHODS.items()}, repeats
    )
    print(
        f"B={meta_batch}, {filters} filters, seconds per meta-gradient (wall / CPU): "
        + ", ".join(
            f"{name} {seconds['wall'][name]:.2f} / {seconds['cpu'][name]:.2f}" for name in METHODS
        )
        + f"; float64 agreement {agreement}"
    )
    return {
        "torch": torch.__version__,
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "meta_batch": meta_batch,
        "filters": filters,
        "ways_shots_queries": [WAYS, SHOTS, QUERIES],
        "seconds_per_meta_gradient_wall": seconds["wall"],
        "seconds_per_meta_gradient_cpu": seconds["cpu"],
        "speedup_over_loop_wall": {
            name: seconds["wall"]["loop"] / value for name, value in seconds["wall"].items()
        },
        "float64_relative_difference_to_loop": agreement,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meta-batch", type=int, default=32)
    parser.add_argument("--filters", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path, default=Path("results/bench_convnet.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = run(args.meta_batch, args.filters, args.repeats)
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
