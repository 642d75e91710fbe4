"""``mamlscape spectrum --checkpoints DIR``: the curvature along training, against Adam's edge.

    mamlscape spectrum --algo maml --tasks linear --checkpoints DIR [--objective meta]
                       [--k 5] [--seed 0] [--meta-batch 25] [--device cpu] [--memory-gb G]
                       [--no-progress] --out REPORT

``DIR`` is the ``--out`` of ``mamlscape train --save-every N --keep-checkpoints``
(or its ``checkpoints/``). At every kept checkpoint θ_t, in iteration order,
the objective of ``mamlscape spectrum`` on one batch drawn from ``--seed`` (the
same for all) is measured, in float64 (``figures.commands.spectrum_setup``):

- λ_max(H) and λ_min(H), the algebraic ends of the Hessian's spectrum
  (``analysis.spectrum``, the ``--k`` largest and smallest as the one-θ report);
- λ_max(P⁻¹H) for Adam's preconditioner at θ_t,
  P = (1 − β₁ᵗ) · diag(√(v_t / (1 − β₂ᵗ)) + ε) from the state kept beside the
  checkpoint, through the symmetric P^{-1/2} H P^{-1/2}
  (``analysis.preconditioned``), against Adam's stability threshold
  (2 + 2β₁)/((1 − β₁)η), 38/η at β₁ = 0.9 (Cohen et al. 2022); Adam's steps are
  stable while λ_max(P⁻¹H) stays below it, and at the edge of stability it
  hovers there. (2/η, gradient descent's threshold for λ_max(H), does not
  apply to Adam.)
- tr(H) by Hutch++ at the report's budget, with its 95% interval, from the
  same probes at every checkpoint, so that its changes along training are not
  probe noise.

The products run as the one-θ report's do: one kept graph, or task chunks when
the graph would not fit in ``--memory-gb`` (``analysis.memory_plan``; the plan
is recorded per checkpoint).

Lanczos at θ_{t+1} starts from θ_t's Ritz vectors (``analysis.warm_start``):
fewer products, the same answers; the first checkpoint's eigenvalues are the
one-θ report's exactly. The cost grows linearly with the checkpoints. ``--out``
gets ``along_training.json`` (per checkpoint: the iteration, the eigenvalues
with their error bounds, the threshold, the trace with its interval, products
and seconds), ``along_training.png`` (and PDF, SVG) and ``report.html``.
Everything is checked before any work: ``--checkpoint`` is not given too,
there are kept checkpoints, all of one run (task family, algorithm, inner step
size and steps), of ``--tasks`` and ``--algo``, each with Adam's state.

Example:
    >>> import tempfile, pathlib
    >>> from figures.commands.train import TrainConfig, run_training
    >>> trained, out = (pathlib.Path(tempfile.mkdtemp()) for _ in range(2))
    >>> _ = run_training(TrainConfig("maml", "linear", iterations=4, meta_batch=2,
    ...                              save_every=2, keep_checkpoints=True), trained)
    >>> config = SpectrumConfig(algo="maml", tasks="linear", k=1, meta_batch=2, trace_budget=6)
    >>> summary = run_along_training(config, checked_run(config, trained), out)
    >>> [point["iteration"] for point in summary["checkpoints"]]
    [2, 4]
    >>> sorted(path.name for path in out.iterdir() if path.suffix != ".png")[:2]
    ['along_training.json', 'along_training.pdf']
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
from tqdm.auto import tqdm

from algorithms import checkpoint_metadata
from algorithms.convnet import exact_higher_derivatives
from analysis.flat import ParamLayout
from analysis.memory_plan import plan_hessian
from analysis.preconditioned import (
    PreconditionedOperator,
    adam_preconditioner,
    stability_threshold,
)
from analysis.trace import hutch_plus_plus
from analysis.warm_start import WarmStartedEigenvalues
from figures.commands.arguments import checked_output_folder
from figures.commands.kept_checkpoints import (
    AdamState,
    KeptCheckpoint,
    adam_state,
    kept_checkpoints,
)
from figures.commands.spectrum_setup import (
    Setup,
    SpectrumConfig,
    build_setup,
    check_checkpoint,
    checkpoint_params,
)
from figures.commands.spectrum_training_page import plot_along_training, render_along_training
from figures.engine.files import optional_path, save_figure, write_json
from synthetic.files import write_atomically

RUN_IDENTITY = ("task_family", "algorithm", "inner_lr", "inner_steps")
"""The metadata every checkpoint of one run shares."""
STABILITY = {
    "optimizer": "Adam",
    "plotted": "λ_max(P⁻¹H) against (2 + 2β₁)/((1 − β₁)η)",
    "preconditioner": "P = (1 − β₁ᵗ)·diag(√(v_t/(1 − β₂ᵗ)) + ε), v_t Adam's exp_avg_sq "
    "after its t steps, as torch.optim.Adam steps θ ← θ − η P⁻¹ m_t",
    "threshold_formula": "(2 + 2β₁)/((1 − β₁)η)",
    "reference": "Cohen et al. 2022, Adaptive gradient methods at the edge of stability, §3",
}
"""What the stability panel shows, for the JSON and the page."""
WARM_START = (
    "Lanczos at each checkpoint after the first starts from g/‖g‖ + 10·Y1/‖Y1‖, g the cold "
    "start's Gaussian vector and Y the previous checkpoint's Ritz vectors (analysis.warm_start)"
)


@dataclass(frozen=True)
class KeptRun:
    """The kept checkpoints of one training run, in iteration order, with Adam's states."""

    checkpoints: tuple[KeptCheckpoint, ...]
    states: tuple[AdamState, ...]
    folder: Path


def along_training_command(
    config: SpectrumConfig, folder: Path, out: Path, device: str, no_progress: bool
) -> int:
    """``spectrum --checkpoints``: check everything, measure, print where the report is."""
    if config.checkpoint is not None:
        raise ValueError(
            "--checkpoints measures every checkpoint a run kept and --checkpoint one θ: "
            "give one of them, not both"
        )
    run = checked_run(config, folder)
    out = checked_output_folder(out)
    summary = run_along_training(config, run, out, device, progress=not no_progress)
    first, last = summary["checkpoints"][0], summary["checkpoints"][-1]
    print(
        f"mamlscape spectrum: {config.objective} objective of {config.algo} on {config.tasks} "
        f"at {len(summary['checkpoints'])} checkpoints, λ_max {first['lambda_max']:.4g} → "
        f"{last['lambda_max']:.4g}, λ_max(P⁻¹H) {first['preconditioned_lambda_max']:.4g} → "
        f"{last['preconditioned_lambda_max']:.4g} (Adam's threshold "
        f"{last['stability_threshold']:.4g}); report: {(out / 'report.html').resolve()}"
    )
    return 0


def checked_run(config: SpectrumConfig, folder: Path) -> KeptRun:
    """The kept checkpoints in ``folder`` with their Adam states, after refusing a folder
    without them, checkpoints of several runs, of another family or algorithm than
    ``config``'s, or without the optimiser's state."""
    checkpoints = kept_checkpoints(folder)
    identities = {
        tuple(checkpoint_metadata(kept.path).get(key) for key in RUN_IDENTITY)
        for kept in checkpoints
    }
    if len(identities) > 1:
        listed = "; ".join(
            ", ".join(f"{key} {value}" for key, value in zip(RUN_IDENTITY, identity))
            for identity in sorted(identities, key=str)
        )
        raise ValueError(
            f"{folder} holds checkpoints of different runs ({listed}); give a folder with the "
            "checkpoints of one `mamlscape train --keep-checkpoints` run"
        )
    check_checkpoint(replace(config, checkpoint=checkpoints[0].path))
    states = tuple(adam_state(kept) for kept in checkpoints)
    return KeptRun(tuple(checkpoints), states, Path(folder))


def run_along_training(
    config: SpectrumConfig, run: KeptRun, out_dir: Path, device: str = "cpu", progress: bool = False
) -> dict:
    """Measure every checkpoint of ``run`` as the module says; write the JSON, the figure and
    the page to ``out_dir``; ``progress`` shows a bar over the checkpoints."""
    start = time.perf_counter()
    setup = build_setup(replace(config, checkpoint=run.checkpoints[0].path), device)
    hessian = WarmStartedEigenvalues(config.k, seed=config.seed)
    preconditioned = WarmStartedEigenvalues(1, ends="largest", seed=config.seed)
    bar = tqdm(total=len(run.checkpoints), desc="spectrum", unit="checkpoint", disable=not progress)
    partial = out_dir / PARTIAL
    identity = {
        "config": json.loads(json.dumps(asdict(config), default=str)),
        "checkpoints": [[str(kept.path), kept.path.stat().st_mtime_ns] for kept in run.checkpoints],
    }
    done = _done_points(partial, identity)
    points = []
    with exact_higher_derivatives(setup.model), bar:
        for kept, state in zip(run.checkpoints, run.states):
            point = done.get(str(kept.path))
            if point is None:
                point = _measured(config, setup, kept, state, hessian, preconditioned, device)
                write_json(partial, {**identity, "points": [*points, point]})
            points.append(point)
            bar.set_postfix_str(
                f"iteration {kept.iteration}, λ_max {point['lambda_max']:.4g}, "
                f"{point['hvp_count']['total']} Hessian-vector products"
            )
            bar.update()
    summary = {
        "config": {
            **asdict(config),
            "checkpoint": None,
            "checkpoints": str(run.folder),
            "omniglot": [optional_path(path) for path in config.omniglot or ()],
            "mini_imagenet": optional_path(config.mini_imagenet),
        },
        "run": {key: (setup.checkpoint_metadata or {}).get(key) for key in RUN_IDENTITY},
        "device": device,
        "dtype": "float64",
        "parameter_count": sum(t.numel() for t in setup.params.values()),
        "stability": STABILITY,
        "warm_start": WARM_START,
        "checkpoints": points,
        "hvp_count": sum(point["hvp_count"]["total"] for point in points),
        "seconds": time.perf_counter() - start,
    }
    save_figure(out_dir / "along_training.png", plot_along_training(summary))
    write_json(out_dir / "along_training.json", summary)
    partial.unlink(missing_ok=True)
    page = render_along_training(summary, ["along_training.png"])
    write_atomically(out_dir / "report.html", lambda stream: stream.write(page.encode()))
    return summary


PARTIAL = "along_training.partial.json"
"""The checkpoints measured so far, kept in ``--out`` while the run goes on: a stopped run
rerun with the same command measures only the rest (their Lanczos starts cold, so their
product counts may differ; the values agree to the error bounds)."""


def _done_points(partial: Path, identity: dict) -> dict[str, dict]:
    """The points an earlier, stopped run of the same measurement left, by checkpoint path."""
    if not partial.exists():
        return {}
    try:
        saved = json.loads(partial.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    if {key: saved.get(key) for key in identity} != identity:
        return {}
    return {point["checkpoint"]: point for point in saved.get("points", [])}


def _measured(
    config: SpectrumConfig,
    setup: Setup,
    kept: KeptCheckpoint,
    state: AdamState,
    hessian: WarmStartedEigenvalues,
    preconditioned: WarmStartedEigenvalues,
    device: str,
) -> dict:
    """The numbers of one checkpoint (see the module docstring)."""
    start = time.perf_counter()
    params, _ = checkpoint_params(kept.path, setup.model, device)
    budget = None if config.memory_gb is None else int(config.memory_gb * 2**30)
    operator, plan = plan_hessian(setup.objective_of, setup.tasks, params, budget)
    layout = ParamLayout.of(params)
    ends = hessian(operator)
    after_ends = operator.hvp_count
    exp_avg_sq = {
        name: v.to(device=device, dtype=torch.float64) for name, v in state.exp_avg_sq.items()
    }
    diagonal = adam_preconditioner(layout.flatten(exp_avg_sq), state.step, state.betas, state.eps)
    top = preconditioned(PreconditionedOperator(operator, diagonal))
    after_top = operator.hvp_count
    trace = hutch_plus_plus(
        operator, config.trace_budget, torch.Generator().manual_seed(config.seed)
    )
    operator.release()
    return {
        "iteration": kept.iteration,
        "checkpoint": str(kept.path),
        "loss": setup.objective(params).item(),
        "lambda_max": ends.largest[0],
        "lambda_min": ends.smallest[0],
        "lambda_max_error_bound": ends.largest_error_bounds[0],
        "lambda_min_error_bound": ends.smallest_error_bounds[0],
        "converged": ends.converged,
        "preconditioned_lambda_max": top.largest[0],
        "preconditioned_error_bound": top.largest_error_bounds[0],
        "preconditioned_converged": top.converged,
        "adam": state.as_dict(),
        "hessian_execution": plan.as_dict(),
        "stability_threshold": stability_threshold(state.lr, state.betas[0]),
        "trace": trace.as_dict(),
        "hvp_count": {
            "eigenvalues": after_ends,
            "preconditioned": after_top - after_ends,
            "trace": operator.hvp_count - after_top,
            "total": operator.hvp_count,
        },
        "seconds": time.perf_counter() - start,
    }
