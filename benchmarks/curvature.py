"""Curvature tools against PyHessian 0.1 and plain Hutchinson, measured in one run.

1. Top-5 algebraic eigenvalues of the cross-entropy Hessian of a small CNN
   (``nn.Sequential``: conv 3×3 ×16, max-pool, conv 3×3 ×32, max-pool,
   linear 800→40→10, ReLU; 37,250 parameters) on 128 random 28×28 images with
   random labels, float64, CPU, at its initialisation and after 100 Adam steps:

   - mamlscape: ``extreme_eigenvalues(HessianOperator(...), k=5, ends="largest")``
     (Lanczos, fully re-orthogonalised, stopping on its error bounds);
   - PyHessian 0.1: ``hessian.eigenvalues(top_n=5)`` with its defaults
     (power iteration with deflation, maxIter=100, tol=1e-3), via the adapter;
   - reference: scipy ``eigsh(which="LA", tol=0)`` on the same operator (not timed).

   Reported: Hessian-vector products, wall time (median of ``--repeats``,
   operator/graph construction included for both), relative errors against
   the reference, and the ratios mamlscape / PyHessian.

2. Trace at an equal budget of products: Hutch++ against Hutchinson, RMS
   relative error over ``--trials`` seeded trials, on a matrix with a
   decaying spectrum λ_i = i⁻² (n = 1000, random rotation), and on the exact
   Hessian of the sinusoid MAML meta-loss (MLP 1-40-40-1, 25 tasks, float64,
   random initialisation) for comparison.

    python -m benchmarks.curvature --out results/bench_curvature.json
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyhessian
import torch
from scipy.sparse.linalg import eigsh
from torch import nn

from algorithms import MLP, make, mse
from algorithms.params import Params
from analysis.flat import Objective
from analysis.hvp import HessianOperator, MatrixOperator
from analysis.pyhessian_adapter import pyhessian_eigenvalues
from analysis.spectrum import extreme_eigenvalues
from analysis.trace import hutch_plus_plus, hutchinson
from figures.engine.files import write_json
from synthetic import SinusoidTasks

TOP = 5


def small_cnn(generator: torch.Generator) -> nn.Sequential:
    """The benchmark CNN, float64, initialised U(±1/√fan_in) from ``generator``."""
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 5 * 5, 40),
        nn.ReLU(),
        nn.Linear(40, 10),
    ).double()
    with torch.no_grad():
        for tensor in model.parameters():
            fan_in = tensor[0].numel() if tensor.ndim > 1 else tensor.numel()
            tensor.uniform_(-(fan_in**-0.5), fan_in**-0.5, generator=generator)
    return model


def cnn_objective(train_steps: int, seed: int = 0) -> tuple[Objective, Params]:
    """The CNN's cross-entropy on 128 random images and labels after ``train_steps`` Adam steps."""
    generator = torch.Generator().manual_seed(seed)
    model = small_cnn(generator)
    images = torch.randn(128, 1, 28, 28, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 10, (128,), generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(train_steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    params = {name: tensor.detach().clone() for name, tensor in model.named_parameters()}

    def objective(p: Params) -> torch.Tensor:
        return nn.functional.cross_entropy(torch.func.functional_call(model, p, (images,)), labels)

    return objective, params


def median_run(run: Callable[[], dict], repeats: int) -> dict:
    """The first run's numbers with the median wall time of ``repeats`` runs."""
    runs = [run() for _ in range(repeats)]
    return {**runs[0], "seconds": statistics.median(r["seconds"] for r in runs)}


def top_eigenvalues_case(train_steps: int, tol: float, repeats: int) -> dict:
    objective, params = cnn_objective(train_steps)
    reference_operator = HessianOperator(objective, params)
    start = np.ones(reference_operator.size)
    reference = np.sort(eigsh(reference_operator, k=TOP + 2, which="LA", tol=0, v0=start)[0])
    reference = reference[::-1][:TOP]

    def ours() -> dict:
        started = time.perf_counter()
        result = extreme_eigenvalues(HessianOperator(objective, params), TOP, "largest", tol)
        seconds = time.perf_counter() - started
        return {"values": list(result.largest), "hvp_count": result.hvp_count, "seconds": seconds}

    def theirs() -> dict:
        run = pyhessian_eigenvalues(objective, params, top_n=TOP)
        return {"values": list(run.values), "hvp_count": run.hvp_count, "seconds": run.seconds}

    measured = {"mamlscape_lanczos": median_run(ours, repeats)}
    measured["pyhessian_power_iteration"] = median_run(theirs, repeats)
    for record in measured.values():
        errors = np.abs(np.array(record["values"]) - reference) / np.abs(reference)
        record["relative_errors"] = errors.tolist()
        record["max_relative_error"] = float(errors.max())
    ours_record, their_record = measured["mamlscape_lanczos"], measured["pyhessian_power_iteration"]
    return {
        "train_steps": train_steps,
        "parameter_count": reference_operator.size,
        "reference_top5": reference.tolist(),
        "reference_hvp_count": reference_operator.hvp_count,
        "lanczos_tol": tol,
        **measured,
        "hvp_ratio_ours_over_pyhessian": ours_record["hvp_count"] / their_record["hvp_count"],
        "seconds_ratio_ours_over_pyhessian": ours_record["seconds"] / their_record["seconds"],
    }


def decaying_matrix(size: int, power: float, seed: int = 0) -> torch.Tensor:
    """Q diag(i^-power) Qᵀ for a random rotation Q."""
    generator = torch.Generator().manual_seed(seed)
    rotation, _ = torch.linalg.qr(torch.randn(size, size, generator=generator, dtype=torch.float64))
    spectrum = torch.arange(1, size + 1, dtype=torch.float64) ** -power
    matrix = rotation @ torch.diag(spectrum) @ rotation.T
    return (matrix + matrix.T) / 2


def meta_loss_hessian(seed: int = 0) -> torch.Tensor:
    """The exact Hessian of the sinusoid MAML meta-loss, column by column from products."""
    model = MLP((1, 40, 40, 1), generator=torch.Generator().manual_seed(seed)).double()
    batch = SinusoidTasks().sample(25, torch.Generator().manual_seed(seed), dtype=torch.float64)
    learner = make("maml", model, mse, inner_lr=0.01)
    params = {name: t.detach() for name, t in model.named_parameters()}
    operator = HessianOperator(lambda p: learner.meta_loss(p, batch), params)
    identity = torch.eye(operator.size, dtype=torch.float64)
    columns = torch.stack([operator.hvp(column) for column in identity], dim=1)
    return (columns + columns.T) / 2


def trace_case(name: str, matrix: torch.Tensor, budget: int, trials: int) -> dict:
    operator = MatrixOperator(matrix)
    exact = torch.trace(matrix).item()
    record: dict = {"case": name, "size": matrix.shape[0], "exact_trace": exact}
    record["hvp_budget"] = budget
    for method, estimate in (("hutchinson", hutchinson), ("hutch++", hutch_plus_plus)):
        results = [
            estimate(operator, budget, torch.Generator().manual_seed(s)) for s in range(trials)
        ]
        errors = np.array([(r.trace - exact) / exact for r in results])
        record[method] = {
            "rms_relative_error": float(np.sqrt(np.mean(errors**2))),
            "mean_relative_half_width": float(
                np.mean([r.half_width for r in results]) / abs(exact)
            ),
            "interval_coverage": float(np.mean([r.low <= exact <= r.high for r in results])),
            "hvp_count": results[0].hvp_count,
        }
    record["error_ratio_hutchinson_over_hutchplusplus"] = (
        record["hutchinson"]["rms_relative_error"] / record["hutch++"]["rms_relative_error"]
    )
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/bench_curvature.json"))
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--tol", type=float, default=1e-8, help="Lanczos stopping tolerance")
    parser.add_argument("--budget", type=int, default=60, help="products per trace estimate")
    parser.add_argument("--trials", type=int, default=100, help="seeded trace trials")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict = {
        "torch": torch.__version__,
        "pyhessian": getattr(pyhessian, "__version__", "0.1"),
        "machine": platform.machine(),
        "threads": torch.get_num_threads(),
        "top_eigenvalues": [],
        "trace": [],
    }
    for train_steps in (0, 100):
        case = top_eigenvalues_case(train_steps, args.tol, args.repeats)
        results["top_eigenvalues"].append(case)
        ours, theirs = case["mamlscape_lanczos"], case["pyhessian_power_iteration"]
        print(
            f"CNN after {train_steps} steps: Lanczos {ours['hvp_count']} HVPs "
            f"{ours['seconds']:.2f} s max rel err {ours['max_relative_error']:.1e}; PyHessian "
            f"{theirs['hvp_count']} HVPs {theirs['seconds']:.2f} s max rel err "
            f"{theirs['max_relative_error']:.1e}; ratios HVP "
            f"{case['hvp_ratio_ours_over_pyhessian']:.2f}, time "
            f"{case['seconds_ratio_ours_over_pyhessian']:.2f}"
        )
    for name, matrix in (
        ("decaying spectrum i^-2, n=1000", decaying_matrix(1000, 2.0)),
        ("sinusoid MAML meta-loss Hessian, n=1761", meta_loss_hessian()),
    ):
        case = trace_case(name, matrix, args.budget, args.trials)
        results["trace"].append(case)
        print(
            f"trace, {name}: RMS rel err Hutchinson {case['hutchinson']['rms_relative_error']:.2e}"
            f", Hutch++ {case['hutch++']['rms_relative_error']:.2e}, ratio "
            f"{case['error_ratio_hutchinson_over_hutchplusplus']:.1f}"
        )
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
