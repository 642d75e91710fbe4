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

3. Per-layer curvature of the same CNN: for each layer block B, λ_max(H_BB)
   and tr(H_BB) by ``block_spectra`` (Lanczos and Hutch++ at ``--budget``),
   against PyHessian 0.1 run on the objective as a function of that layer's
   parameters alone (the others fixed, so its Hessian is H_BB; PyHessian has
   no per-layer API); references: λ_max by scipy ``eigsh`` on the block (as
   embedded full products) and, for blocks of at most 500 parameters, the exact
   trace from |B| products.

4. Gauss–Newton: top-5 eigenvalues of the CNN's GGN (``GGNOperator``, via
   ``model_outputs``) against scipy ``eigsh`` on it, seconds per product for
   the GGN and the Hessian, and the Hessian–GGN gap. PyHessian has no
   Gauss–Newton; where the answers must agree, they are compared: the logits
   are affine in the last layer, so that layer's GGN block equals its Hessian
   block, whose top eigenvalue PyHessian computes on the last layer alone.

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
from analysis.blocks import BlockOperator, block_indices, block_spectra, layer_blocks
from analysis.flat import Objective, ParamLayout
from analysis.ggn import OutputObjective, hessian_ggn_gap, model_outputs
from analysis.hvp import CurvatureOperator, HessianOperator, MatrixOperator
from analysis.pyhessian_adapter import pyhessian_eigenvalues, pyhessian_trace
from analysis.spectrum import extreme_eigenvalues
from analysis.trace import hutch_plus_plus, hutchinson
from figures.engine.files import write_json
from synthetic import SinusoidTasks

TOP = 5
EXACT_TRACE_MAX_SIZE = 500


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


def trained_cnn(
    train_steps: int, seed: int = 0
) -> tuple[nn.Module, torch.Tensor, torch.Tensor, Params]:
    """The CNN, 128 random images and labels, and its parameters after ``train_steps`` Adam
    steps on their cross-entropy."""
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
    return model, images, labels, params


def cnn_objective(train_steps: int, seed: int = 0) -> tuple[Objective, Params]:
    """The CNN's cross-entropy on 128 random images and labels after ``train_steps`` Adam steps."""
    model, images, labels, params = trained_cnn(train_steps, seed)

    def objective(p: Params) -> torch.Tensor:
        return nn.functional.cross_entropy(torch.func.functional_call(model, p, (images,)), labels)

    return objective, params


def cnn_outputs(train_steps: int, seed: int = 0) -> tuple[OutputObjective, Params]:
    """That cross-entropy as logits and a loss of them (``model_outputs``, one task)."""
    model, images, labels, params = trained_cnn(train_steps, seed)
    return model_outputs(model, images.unsqueeze(0), labels.unsqueeze(0), "cross_entropy"), params


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


def reference_top(operator: CurvatureOperator, count: int) -> np.ndarray:
    """The ``count`` largest eigenvalues, descending, by scipy ``eigsh(which="LA", tol=0)``."""
    start = np.ones(operator.size)
    values = eigsh(operator, k=min(count + 2, operator.size - 1), which="LA", tol=0, v0=start)[0]
    return np.sort(values)[::-1][:count]


def per_layer_case(train_steps: int, tol: float, budget: int, repeats: int) -> dict:
    objective, params = cnn_objective(train_steps)
    blocks = layer_blocks(params)
    layout = ParamLayout.of(params)
    reference_operator = HessianOperator(objective, params)
    reference = {
        name: reference_top(BlockOperator(reference_operator, block_indices(layout, members)), 1)[0]
        for name, members in blocks.items()
    }
    small = {
        name: members
        for name, members in blocks.items()
        if block_indices(layout, members).numel() <= EXACT_TRACE_MAX_SIZE
    }
    exact = block_spectra(reference_operator, small, dense_max_size=EXACT_TRACE_MAX_SIZE)
    exact_traces = {block.name: block.trace.trace for block in exact.blocks}

    def ours() -> dict:
        started = time.perf_counter()
        spectra = block_spectra(
            HessianOperator(objective, params), trace_budget=budget, dense_max_size=0, tol=tol
        )
        return {
            "blocks": {
                block.name: {
                    "largest": block.largest[0],
                    "trace": block.trace.trace,
                    "trace_half_width": block.trace.half_width,
                    "hvp_count": block.hvp_count,
                }
                for block in spectra.blocks
            },
            "hvp_count": spectra.hvp_count,
            "seconds": time.perf_counter() - started,
        }

    def theirs() -> dict:
        started, records = time.perf_counter(), {}
        for name, members in blocks.items():
            fixed = {key: value for key, value in params.items() if key not in members}
            sub_params = {key: params[key] for key in members}

            def sub_objective(p: Params, fixed: Params = fixed) -> torch.Tensor:
                return objective({**fixed, **p})

            top = pyhessian_eigenvalues(sub_objective, sub_params, top_n=1)
            trace = pyhessian_trace(sub_objective, sub_params)
            records[name] = {
                "largest": top.values[0],
                "trace": trace.mean,
                "hvp_count": top.hvp_count + trace.hvp_count,
            }
        return {
            "blocks": records,
            "hvp_count": sum(r["hvp_count"] for r in records.values()),
            "seconds": time.perf_counter() - started,
        }

    measured = {"mamlscape_blocks": median_run(ours, repeats)}
    measured["pyhessian_per_layer"] = median_run(theirs, repeats)
    for record in measured.values():
        for name, block in record["blocks"].items():
            block["largest_relative_error"] = abs(block["largest"] - reference[name]) / abs(
                reference[name]
            )
    ours_record, their_record = measured["mamlscape_blocks"], measured["pyhessian_per_layer"]
    for name, block in their_record["blocks"].items():
        mine = ours_record["blocks"][name]
        block["trace_in_our_interval"] = (
            abs(block["trace"] - mine["trace"]) <= mine["trace_half_width"]
        )
        if name in exact_traces:
            for record in (mine, block):
                record["trace_relative_error"] = abs(record["trace"] - exact_traces[name]) / abs(
                    exact_traces[name]
                )
    return {
        "train_steps": train_steps,
        "block_sizes": {name: block_indices(layout, m).numel() for name, m in blocks.items()},
        "reference_largest": {name: float(value) for name, value in reference.items()},
        "reference_exact_trace": exact_traces,
        "trace_budget": budget,
        "lanczos_tol": tol,
        **measured,
        "hvp_ratio_ours_over_pyhessian": ours_record["hvp_count"] / their_record["hvp_count"],
        "seconds_ratio_ours_over_pyhessian": ours_record["seconds"] / their_record["seconds"],
    }


def seconds_per_product(operator: CurvatureOperator, products: int = 10) -> float:
    """The median wall time of ``products`` products with one random vector."""
    vector = torch.randn(operator.size, generator=torch.Generator().manual_seed(0))
    vector = vector.to(operator.torch_dtype)
    times = []
    for _ in range(products):
        started = time.perf_counter()
        operator.hvp(vector)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ggn_case(train_steps: int, tol: float, repeats: int) -> dict:
    parts, params = cnn_outputs(train_steps)
    reference = reference_top(parts.ggn(params), TOP)

    def ours() -> dict:
        started = time.perf_counter()
        result = extreme_eigenvalues(parts.ggn(params), TOP, "largest", tol)
        seconds = time.perf_counter() - started
        return {"values": list(result.largest), "hvp_count": result.hvp_count, "seconds": seconds}

    record = median_run(ours, repeats)
    errors = np.abs(np.array(record["values"]) - reference) / np.abs(reference)
    record["max_relative_error"] = float(errors.max())
    head = layer_blocks(params)["9"]
    fixed = {key: value for key, value in params.items() if key not in head}
    head_indices = block_indices(ParamLayout.of(params), head)
    ggn_head = extreme_eigenvalues(
        BlockOperator(parts.ggn(params), head_indices), 1, "largest", tol
    ).largest[0]
    hessian_head = reference_top(BlockOperator(HessianOperator(parts, params), head_indices), 1)[0]
    pyhessian_head = pyhessian_eigenvalues(
        lambda p: parts({**fixed, **p}), {key: params[key] for key in head}, top_n=1
    ).values[0]
    gap = hessian_ggn_gap(HessianOperator(parts, params), parts.ggn(params), probes=4)
    return {
        "train_steps": train_steps,
        "reference_top5": reference.tolist(),
        "mamlscape_ggn_lanczos": record,
        "seconds_per_product": {
            "ggn": seconds_per_product(parts.ggn(params)),
            "hessian": seconds_per_product(HessianOperator(parts, params)),
        },
        "last_layer_largest": {
            "ggn_block": ggn_head,
            "hessian_block_reference": float(hessian_head),
            "pyhessian_hessian_block": pyhessian_head,
            "relative_difference_ggn_vs_reference": abs(ggn_head - hessian_head) / hessian_head,
            "relative_difference_pyhessian_vs_reference": abs(pyhessian_head - hessian_head)
            / hessian_head,
        },
        "hessian_ggn_gap": gap,
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
        "per_layer": [],
        "ggn": [],
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
    for train_steps in (0, 100):
        case = per_layer_case(train_steps, args.tol, args.budget, args.repeats)
        results["per_layer"].append(case)
        ours, theirs = case["mamlscape_blocks"], case["pyhessian_per_layer"]
        errors = [
            max(b["largest_relative_error"] for b in record["blocks"].values())
            for record in (ours, theirs)
        ]
        print(
            f"per layer, CNN after {train_steps} steps: blocks {ours['hvp_count']} HVPs "
            f"{ours['seconds']:.2f} s max rel err {errors[0]:.1e}; PyHessian per layer "
            f"{theirs['hvp_count']} HVPs {theirs['seconds']:.2f} s max rel err {errors[1]:.1e}"
        )
        case = ggn_case(train_steps, args.tol, args.repeats)
        results["ggn"].append(case)
        ours, per_product = case["mamlscape_ggn_lanczos"], case["seconds_per_product"]
        head = case["last_layer_largest"]
        print(
            f"GGN, CNN after {train_steps} steps: Lanczos {ours['hvp_count']} products "
            f"{ours['seconds']:.2f} s max rel err {ours['max_relative_error']:.1e}; "
            f"per product GGN {per_product['ggn'] * 1e3:.1f} ms, Hessian "
            f"{per_product['hessian'] * 1e3:.1f} ms; last layer λ_max rel diff to Hessian "
            f"block: GGN {head['relative_difference_ggn_vs_reference']:.1e}, PyHessian "
            f"{head['relative_difference_pyhessian_vs_reference']:.1e}; ‖H−G‖_F/‖H‖_F ≈ "
            f"{case['hessian_ggn_gap']['relative_frobenius_gap']:.2f}"
        )
    write_json(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
