"""What a Hessian-vector product of the meta-loss costs, in meta-gradients: eager and compiled.

The unit is one meta-gradient ∇F(θ) of the same learner on the same batch,
computed two ways: eager autograd (``algorithms.meta_gradient.Autograd``) and
the compiled mechanism (``algorithms.compiled_meta_gradient.Compiled``,
``torch.compile(torch.func.grad_and_value(learner.meta_loss))``). Each product
H v, H = ∇²F(θ), is timed four ways:

- ``eager_keep``: ``HessianOperator(keep_graph=True)``, one backward through
  the kept graph of ∇F;
- ``eager_rebuild``: ``HessianOperator(keep_graph=False)``, forward and two
  backward passes per product;
- ``compiled_forward_over_reverse`` and ``compiled_reverse_over_reverse``:
  ``analysis.compiled_hvp.CompiledHessianOperator`` in each mode.

Workloads (second-order MAML, one inner step, float32, CPU):
``mlp-sinusoid-B25`` (``algorithms.MLP((1, 40, 40, 1))``) and
``sequential-sinusoid-B25`` (a user's ``nn.Sequential`` 1-40-40-1), 25
sinusoid tasks, α = 0.01, squared loss; ``conv16-glyphs-B4`` and
``conv32-glyphs-B4``, ``algorithms.ConvNet(5, filters=16 or 32)``, 5-way
1-shot with 15 queries on the procedural glyphs, B = 4, α = 0.4, cross-entropy.

Before anything is timed, every product of one random v and both compiled
gradients are compared with the eager ones as flat vectors, ‖a − b‖ / ‖b‖
≤ 1e-4 (float32), else :class:`MismatchError`; a compile that falls back to
eager raises too (the point is to time the compiled programs). Times are
medians of interleaved rounds (``figures.engine.timing.interleaved_seconds``);
compile seconds are each compiled program's build and first call, with
inductor's on-disk cache as the process finds it (``--cold`` disables it).

    python -m benchmarks.hvp_cost --out results/bench_hvp_cost.json
    python -m benchmarks.hvp_cost --workloads mlp-sinusoid-B25 --rounds 5
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch._inductor.config

from algorithms import MLP, ConvNet, cross_entropy, make, mse, parameters_of
from algorithms.compiled_meta_gradient import Compiled
from algorithms.learner import MetaLearner
from algorithms.losses import TaskLoss
from algorithms.meta_gradient import Autograd
from algorithms.params import Params
from analysis.compiled_hvp import MODES, CompiledHessianOperator
from analysis.flat import ParamLayout
from analysis.hvp import HessianOperator
from benchmarks.peers import glyph_tasks, sequential_model
from figures.engine.files import write_json
from figures.engine.timing import interleaved_seconds
from synthetic import SinusoidTasks, TaskBatch

TOLERANCE = 1e-4
GRADIENTS = ("gradient_eager", "gradient_compiled")
PRODUCTS = (
    "eager_keep",
    "eager_rebuild",
    *(f"compiled_{mode.replace('-', '_')}" for mode in MODES),
)


class MismatchError(RuntimeError):
    """A product or gradient that disagrees with its eager reference."""


@dataclass(frozen=True)
class Workload:
    name: str
    build: Callable[[torch.Generator], torch.nn.Module]
    sample: Callable[[int, torch.Generator], TaskBatch]
    loss: TaskLoss
    inner_lr: float
    meta_batch: int


def sinusoids(num_tasks: int, generator: torch.Generator) -> TaskBatch:
    return SinusoidTasks().sample(num_tasks, generator)


def glyphs(num_tasks: int, generator: torch.Generator) -> TaskBatch:
    return glyph_tasks().sample(num_tasks, generator)


WORKLOADS = {
    workload.name: workload
    for workload in (
        Workload(
            "mlp-sinusoid-B25", lambda g: MLP((1, 40, 40, 1), generator=g), sinusoids, mse, 0.01, 25
        ),
        Workload(
            "sequential-sinusoid-B25",
            lambda g: sequential_model(False, g),
            sinusoids,
            mse,
            0.01,
            25,
        ),
        Workload(
            "conv16-glyphs-B4",
            lambda g: ConvNet(5, filters=16, generator=g),
            glyphs,
            cross_entropy,
            0.4,
            4,
        ),
        Workload(
            "conv32-glyphs-B4",
            lambda g: ConvNet(5, filters=32, generator=g),
            glyphs,
            cross_entropy,
            0.4,
            4,
        ),
    )
}


def relative_difference(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm()).item()


def timed(build: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    built = build()
    return built, time.perf_counter() - started


def gradient_calls(
    learner: MetaLearner, params: Params, batch: TaskBatch, layout: ParamLayout
) -> tuple[dict[str, Callable[[], torch.Tensor]], float]:
    """Flat ∇F(θ) eagerly and compiled (the compiled one built and run once, timed)."""
    compiled = Compiled(fallback=Autograd())
    calls = {
        name: lambda method=method: layout.flatten(method(learner, params, batch)[1])
        for name, method in zip(GRADIENTS, (Autograd(), compiled), strict=True)
    }
    _, compile_seconds = timed(calls["gradient_compiled"])
    return calls, compile_seconds


def product_operators(
    objective: Callable[[Params], torch.Tensor], params: Params
) -> tuple[dict[str, HessianOperator], dict[str, float]]:
    """The four operators of ``PRODUCTS`` at θ, and each compiled one's compile seconds."""
    operators: dict[str, HessianOperator] = {
        "eager_keep": HessianOperator(objective, params, keep_graph=True),
        "eager_rebuild": HessianOperator(objective, params, keep_graph=False),
    }
    for name, mode in zip(PRODUCTS[2:], MODES, strict=True):
        operators[name] = CompiledHessianOperator(objective, params, mode=mode)
    seconds = {name: operators[name].compile_seconds for name in PRODUCTS[2:]}
    return operators, seconds


def check_agreement(
    gradients: dict[str, Callable[[], torch.Tensor]],
    operators: dict[str, HessianOperator],
    generator: torch.Generator,
) -> dict[str, float]:
    """‖a − b‖/‖b‖ of each compiled gradient and every product against the eager ones.

    Double backward gives Jᵀv and forward over reverse Jv for J, the Jacobian
    of the computed gradient: H when its derivatives are exact, so H = Hᵀ. Where
    the eager products are not symmetric (``asymmetry`` = |uᵀHv − vᵀHu| / |vᵀHu|
    above the tolerance: batch norm's third derivatives, pytorch/pytorch#186256),
    forward over reverse is checked against the transpose, uᵀ(Jv) = vᵀ(Jᵀu).
    """
    size = operators["eager_keep"].size
    u, v = (torch.randn(size, generator=generator) for _ in range(2))
    reference_gradient = gradients["gradient_eager"]()
    eager_u, eager_v = (operators["eager_keep"].hvp(w) for w in (u, v))
    asymmetry = abs(((u @ eager_v - v @ eager_u) / (v @ eager_u)).item())
    differences = {
        "asymmetry": asymmetry,
        "gradient_compiled": relative_difference(
            gradients["gradient_compiled"](), reference_gradient
        ),
    }
    for name in PRODUCTS[1:]:
        product = operators[name].hvp(v)
        if name == "compiled_forward_over_reverse" and asymmetry > TOLERANCE:
            differences[f"{name}_transposed"] = abs(
                ((u @ product - v @ eager_u) / (v @ eager_u)).item()
            )
        else:
            differences[name] = relative_difference(product, eager_v)
    bad = {
        name: value
        for name, value in differences.items()
        if name != "asymmetry" and not value <= TOLERANCE
    }
    if bad:
        raise MismatchError(f"relative differences above {TOLERANCE:g}: {bad}")
    return differences


def run_workload(workload: Workload, rounds: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    model = workload.build(generator)
    batch = workload.sample(workload.meta_batch, generator)
    learner = make("maml", model, workload.loss, workload.inner_lr, 1)
    params = {name: tensor.detach() for name, tensor in parameters_of(model).items()}
    layout = ParamLayout.of(params)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "torch.compile could not compile")
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        gradients, gradient_compile = gradient_calls(learner, params, batch, layout)
        operators, product_compile = product_operators(
            lambda p: learner.meta_loss(p, batch), params
        )
    agreement = check_agreement(gradients, operators, generator)
    vector = torch.randn(layout.size, generator=generator)
    calls = {**gradients, **{name: lambda o=o: o.hvp(vector) for name, o in operators.items()}}
    seconds = interleaved_seconds(calls, rounds)
    in_gradients = {
        unit: {name: seconds[name] / seconds[unit] for name in PRODUCTS} for unit in GRADIENTS
    }
    return {
        "workload": workload.name,
        "parameters": layout.size,
        "meta_batch": workload.meta_batch,
        "inner_lr": workload.inner_lr,
        "relative_difference": agreement,
        "seconds": seconds,
        "products_in_gradients": in_gradients,
        "compile_seconds": {"gradient_compiled": gradient_compile, **product_compile},
    }


def report_line(result: dict) -> str:
    seconds, units = result["seconds"], result["products_in_gradients"]
    cells = ", ".join(
        f"{name} {seconds[name] * 1e3:.2f} ms = {units['gradient_eager'][name]:.2f} / "
        f"{units['gradient_compiled'][name]:.2f}"
        for name in PRODUCTS
    )
    compile_cells = ", ".join(f"{k} {v:.1f} s" for k, v in result["compile_seconds"].items())
    return (
        f"{result['workload']} (n = {result['parameters']}): gradient eager "
        f"{seconds['gradient_eager'] * 1e3:.2f} ms, compiled "
        f"{seconds['gradient_compiled'] * 1e3:.2f} ms; HVP (ms = eager / compiled gradients): "
        f"{cells}; compile {compile_cells}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench_hvp_cost.json"))
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--cold", action="store_true", help="disable inductor's on-disk caches")
    args = parser.parse_args()
    torch._inductor.config.force_disable_caches = args.cold
    torch.set_num_threads(args.threads)
    results = []
    for name in args.workloads:
        result = run_workload(WORKLOADS[name], args.rounds)
        results.append(result)
        print(report_line(result), flush=True)
    write_json(
        args.out,
        {
            "torch": torch.__version__,
            "machine": platform.machine(),
            "threads": torch.get_num_threads(),
            "rounds": args.rounds,
            "cold_compile": args.cold,
            "tolerance": TOLERANCE,
            "workloads": results,
        },
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
