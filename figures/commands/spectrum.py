"""``mamlscape spectrum``: the curvature report of one meta-learning objective.

    mamlscape spectrum --algo maml --tasks sinusoid|linear|glyphs|omniglot|mini-imagenet
                       [--checkpoint PATH | --checkpoints DIR] [--objective meta|task|nal]
                       [--k 5] [--seed 0] [--meta-batch 25] [--device cpu]
                       [--omniglot PATH | --mini-imagenet DIR] [--per-layer]
                       [--ggn] [--slice-directions random|top] [--memory-gb G]
                       [--no-progress] --out DIR

The model, loss and tasks are those of the task family ``--tasks``
(``figures.commands.task_families``: sinusoids, the linear mixture, or few-shot
glyphs, Omniglot with ``--omniglot PATH``, miniImageNet with ``--mini-imagenet DIR``,
each with the family's default image options). θ is the checkpoint
(``algorithms.load_checkpoint``, e.g. from ``mamlscape train``; its inner
step size and step count are used when it records them) or the seed's random
initialisation. One meta-batch of tasks, drawn from the seed, fixes the
objective, in float64:

- ``meta``: the meta-loss F(θ) of ``--algo`` (for ``nal``, the pooled loss);
- ``nal``:  the pooled loss of the whole batch, (1/B) Σ_i L_i(θ), no adaptation;
- ``task``: one task's loss L_1(θ) on its support and query data.

Measured (``analysis``): the k largest and k smallest algebraic Hessian
eigenvalues (Lanczos), the trace by Hutchinson and Hutch++ at the same
budget with 95% intervals, the SLQ spectral density, SAM, adaptive and
average sharpness, 1-D and 2-D slices along filter-normalised directions and,
with a checkpoint, the straight line from the initialisation (a = 0) to it
(a = 1). ``--per-layer`` adds each layer's diagonal Hessian block
(``analysis.blocks``), ``--ggn`` the Gauss–Newton matrix and the model Fisher
beside the Hessian of a task or NAL loss (``analysis.ggn``), and
``--slice-directions top`` takes the slices along the sharpest eigenvectors. The
products run through one kept graph, or in chunks of tasks when the graph would
not fit in ``--memory-gb`` (``analysis.memory_plan``). ``--out`` gets
``spectrum.json`` (every number, with each measurement's products and seconds),
``eigenvectors.pt``, ``report.html`` and the figures (PNG, PDF, SVG).

With ``--checkpoints DIR`` (the ``--out`` of ``mamlscape train --save-every N
--keep-checkpoints``, or its ``checkpoints/``) it measures instead, at every
kept checkpoint in iteration order and on the same batch, λ_max and λ_min of
the Hessian, λ_max(P⁻¹H) with Adam's preconditioner P against Adam's stability
threshold, and the trace: ``figures.commands.spectrum_training``.

Example:
    >>> import argparse, tempfile, pathlib
    >>> parser = argparse.ArgumentParser()
    >>> add_spectrum_command(parser.add_subparsers())
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> args = parser.parse_args(["spectrum", "--algo", "maml", "--tasks", "linear",
    ...                           "--k", "2", "--out", str(out)])
    >>> args.handler(args)  # doctest: +ELLIPSIS
    mamlscape spectrum: meta objective of maml on linear, λ_max = ..., λ_min = ...; report: ...
    0
    >>> sorted(p.name for p in out.iterdir() if p.suffix != ".png")[:3]
    ['density.pdf', 'density.svg', 'eigenvalues.pdf']
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from algorithms.convnet import exact_higher_derivatives
from analysis.blocks import block_spectra, plot_block_spectra
from analysis.density import plot_density, spectral_density
from analysis.flat import ParamLayout, Params
from analysis.ggn import hessian_ggn_gap, model_outputs
from analysis.hvp import HessianOperator
from analysis.memory_plan import plan_hessian
from analysis.sharpness import adaptive_sharpness, average_sharpness, sam_sharpness
from analysis.slices import (
    filter_normalized_direction,
    interpolation,
    loss_line,
    loss_plane,
    plot_line,
    plot_plane,
)
from analysis.spectrum import ExtremeEigenvalues, extreme_eigenvalues
from analysis.trace import hutch_plus_plus, hutchinson
from figures.commands.arguments import DefaultsHelpFormatter, checked_device, checked_output_folder
from figures.commands.spectrum_page import captions, plot_eigenvalues, plot_traces, render_html
from figures.commands.spectrum_setup import (
    OBJECTIVES,
    SLICE_DIRECTIONS,
    Setup,
    SpectrumConfig,
    build_setup,
    check_checkpoint,
)
from figures.commands.spectrum_training import along_training_command
from figures.commands.task_families import add_family_arguments
from figures.engine.files import optional_path, save_figure, write_json
from synthetic.files import write_atomically


def add_spectrum_command(commands: argparse._SubParsersAction) -> None:
    """Register ``spectrum`` on an argparse sub-parsers object (``handler`` → exit code)."""
    parser = commands.add_parser(
        "spectrum",
        formatter_class=DefaultsHelpFormatter,
        help="curvature report of one objective: eigenvalues, trace, density, sharpness, slices",
        description=__doc__.splitlines()[0],
    )
    add_family_arguments(parser)
    parser.add_argument("--checkpoint", type=Path, default=None, help="θ to analyse")
    parser.add_argument(
        "--checkpoints",
        type=Path,
        default=None,
        help="measure every checkpoint kept by `mamlscape train --keep-checkpoints --out DIR`: "
        "give that DIR",
    )
    parser.add_argument("--objective", default="meta", help=f"one of {', '.join(OBJECTIVES)}")
    parser.add_argument("--k", type=int, default=5, help="eigenvalues at each end (>= 1)")
    parser.add_argument("--seed", type=int, default=0, help="initialisation, tasks and probes")
    parser.add_argument(
        "--meta-batch", type=int, default=25, help="tasks in the batch that fixes the objective"
    )
    parser.add_argument(
        "--per-layer",
        action="store_true",
        help="also the eigenvalues and trace of each layer's diagonal Hessian block",
    )
    parser.add_argument(
        "--ggn",
        action="store_true",
        help="also the Gauss–Newton matrix and the model Fisher beside the Hessian, and the "
        "Hessian − GGN gap (--objective task or nal)",
    )
    parser.add_argument(
        "--slice-directions",
        default="random",
        choices=SLICE_DIRECTIONS,
        help="slices along random filter-normalised directions or the top eigenvectors",
    )
    parser.add_argument(
        "--memory-gb",
        type=float,
        default=None,
        help="memory the Hessian's graph may take (default: half of what is free); a batch "
        "whose graph is larger is measured in chunks of tasks",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the report")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=spectrum_command)


def spectrum_command(args: argparse.Namespace) -> int:
    """Check the arguments, run the report (or, with ``--checkpoints``, the measurement along
    training), print where it is."""
    device = checked_device(args.device)
    config = SpectrumConfig(
        algo=args.algo,
        tasks=args.tasks,
        objective=args.objective,
        k=args.k,
        seed=args.seed,
        checkpoint=args.checkpoint,
        omniglot=None if args.omniglot is None else tuple(args.omniglot),
        mini_imagenet=args.mini_imagenet,
        meta_batch=args.meta_batch,
        per_layer=args.per_layer,
        ggn=args.ggn,
        slice_directions=args.slice_directions,
        memory_gb=args.memory_gb,
    )
    if args.checkpoints is not None:
        return along_training_command(config, args.checkpoints, args.out, device, args.no_progress)
    check_checkpoint(config)
    out = checked_output_folder(args.out)
    summary = run_spectrum_report(config, out, device, progress=not args.no_progress)
    spectrum = summary["spectrum"]
    print(
        f"mamlscape spectrum: {config.objective} objective of {config.algo} on {config.tasks}, "
        f"λ_max = {spectrum['largest'][0]:.4g}, λ_min = {spectrum['smallest'][0]:.4g}; "
        f"report: {(out / 'report.html').resolve()}"
    )
    return 0


STAGES = ("eigenvalues", "traces", "density", "layers", "gauss-newton", "sharpness", "slices")
"""The measurements of the report, in order; the progress bar advances after each (``layers``
with ``--per-layer`` and ``gauss-newton`` with ``--ggn`` only)."""
FISHER_NOTE = (
    "the model Fisher of the task loss's likelihood (Gaussian for MSE, categorical for "
    "cross-entropy); for both it equals the Gauss–Newton matrix, which the numbers confirm"
)


def stages(config: SpectrumConfig) -> list[str]:
    """The measurements ``config`` asks for, in ``STAGES`` order."""
    skipped = {"layers": not config.per_layer, "gauss-newton": not config.ggn}
    return [stage for stage in STAGES if not skipped.get(stage, False)]


def run_spectrum_report(
    config: SpectrumConfig, out_dir: Path, device: str = "cpu", progress: bool = False
) -> dict:
    """Measure the objective that ``config`` names; write JSON, PNGs and HTML to ``out_dir``;
    ``progress`` shows a bar over the measurements (:func:`stages`) as they finish."""
    start = time.perf_counter()
    setup = build_setup(config, device)
    bar = tqdm(total=len(stages(config)), desc="spectrum", unit="stage", disable=not progress)
    with exact_higher_derivatives(setup.model), bar:
        return _measured_report(config, setup, out_dir, device, start, bar)


def _measured_report(
    config: SpectrumConfig, setup: Setup, out_dir: Path, device: str, start: float, bar: tqdm
) -> dict:
    """The body of :func:`run_spectrum_report`, with a conv net's batch norm exact to every
    order (its third derivatives enter the meta-loss Hessian)."""
    objective, params = setup.objective, setup.params
    generator = torch.Generator().manual_seed(config.seed)
    budget = None if config.memory_gb is None else int(config.memory_gb * 2**30)
    operator, plan = plan_hessian(setup.objective_of, setup.tasks, params, budget)
    costs: dict[str, dict[str, float]] = {}
    clock = [time.perf_counter(), operator.hvp_count]

    def done(stage: str, products: int | None = None) -> None:
        now = time.perf_counter()
        used = operator.hvp_count - clock[1] if products is None else products
        costs[stage] = {"seconds": now - clock[0], "products": used}
        clock[:] = [now, operator.hvp_count]
        bar.set_postfix_str(f"{stage} done, {operator.hvp_count} Hessian-vector products")
        bar.update()

    spectrum = extreme_eigenvalues(operator, config.k, eigenvectors=True, generator=generator)
    done("eigenvalues")
    traces = {
        "hutchinson": hutchinson(operator, config.trace_budget, generator),
        "hutch++": hutch_plus_plus(operator, config.trace_budget, generator),
    }
    done("traces")
    density = spectral_density(
        operator, config.density_probes, config.density_steps, generator=generator
    )
    traces["slq"] = density.trace_estimate()
    done("density")
    operator.release()
    figures = {
        "eigenvalues.png": plot_eigenvalues(spectrum),
        "trace.png": plot_traces(traces),
        "density.png": plot_density(density),
    }
    extra: dict[str, dict] = {}
    if config.per_layer:
        layers = block_spectra(operator, generator=generator)
        extra["layers"] = layers.as_dict()
        figures["layers.png"] = plot_block_spectra(layers)
        done("layers", layers.hvp_count)
    if config.ggn:
        extra["gauss_newton"] = gauss_newton(setup, config.k, generator)
        done("gauss-newton", extra["gauss_newton"]["products"])
    sharpness = {
        "sam": sam_sharpness(objective, params, config.rho, generator=generator),
        "adaptive": adaptive_sharpness(objective, params, config.adaptive_rho, generator=generator),
        "average": average_sharpness(
            objective, params, config.sigma, config.noise_samples, generator=generator
        ),
    }
    done("sharpness")
    first, second = slice_directions(config.slice_directions, spectrum, params, generator)
    axis = np.linspace(-config.span, config.span, config.line_points)
    grid = np.linspace(-config.span, config.span, config.plane_points)
    line = loss_line(objective, params, first, axis)
    plane = loss_plane(objective, params, first, second, grid, grid)
    done("slices")
    titles = SLICE_TITLES[config.slice_directions]
    figures["slice_1d.png"] = plot_line(line, titles[0])
    figures["slice_2d.png"] = plot_plane(plane, titles[1])
    summary = {
        "config": {
            **asdict(config),
            "checkpoint": optional_path(config.checkpoint),
            "omniglot": [optional_path(path) for path in config.omniglot or ()],
            "mini_imagenet": optional_path(config.mini_imagenet),
        },
        "device": device,
        "dtype": "float64",
        "parameter_count": operator.size,
        "inner_lr": setup.inner_lr,
        "inner_steps": setup.inner_steps,
        "checkpoint_metadata": setup.checkpoint_metadata,
        "loss": objective(params).item(),
        "hessian_execution": plan.as_dict(),
        "spectrum": spectrum.as_dict(),
        "eigenvectors": EIGENVECTORS,
        "trace": {name: estimate.as_dict() for name, estimate in traces.items()},
        "density": density.as_dict(),
        "sharpness": {name: result.as_dict() for name, result in sharpness.items()},
        **extra,
        "slices": {
            f"{config.slice_directions}_1d": line.as_dict(),
            f"{config.slice_directions}_2d": plane.as_dict(),
        },
    }
    if config.checkpoint is not None:
        path = interpolation(objective, setup.initial, params, np.linspace(-0.25, 1.25, 31))
        summary["slices"]["initialisation_to_checkpoint"] = path.as_dict()
        figures["interpolation.png"] = plot_line(path, "from the initialisation to the checkpoint")
    summary["hvp_count"] = operator.hvp_count
    summary["costs"] = costs
    summary["seconds"] = time.perf_counter() - start
    save_eigenvectors(out_dir / EIGENVECTORS, spectrum, params)
    for name, figure in figures.items():
        save_figure(out_dir / name, figure)
    write_json(out_dir / "spectrum.json", summary)
    page = render_html(summary, captions(list(figures), config.slice_directions))
    write_atomically(out_dir / "report.html", lambda stream: stream.write(page.encode()))
    return summary


EIGENVECTORS = "eigenvectors.pt"
"""The report's file of the k largest and k smallest Hessian eigenvectors."""
SLICE_TITLES = {
    "random": ("1-D slice along a filter-normalised direction", "2-D slice (filter-normalised)"),
    "top": (
        "1-D slice along the top Hessian eigenvector",
        "2-D slice along the two sharpest eigenvectors",
    ),
}


def slice_directions(
    kind: str, spectrum: ExtremeEigenvalues, params: Params, generator: torch.Generator
) -> tuple[Params, Params]:
    """Two directions for the slices: random filter-normalised ones, or (``"top"``) the
    eigenvectors of the two largest eigenvalues (the largest and the smallest when k = 1),
    each scaled to ‖θ‖, so that a = 1 is a step as long as θ."""
    if kind == "random":
        return (
            filter_normalized_direction(params, generator),
            filter_normalized_direction(params, generator),
        )
    layout = ParamLayout.of(params)
    length = layout.flatten(params).norm()
    largest, smallest = spectrum.largest_vectors, spectrum.smallest_vectors
    columns = [largest[:, 0], largest[:, 1] if largest.shape[1] > 1 else smallest[:, 0]]
    return tuple(
        layout.unflatten((length * column / column.norm()).to(layout.dtype)) for column in columns
    )


def save_eigenvectors(path: Path, spectrum: ExtremeEigenvalues, params: Params) -> None:
    """``path``: the eigenvalues and unit eigenvectors of both ends (``[n, k]`` float64 in the
    flat layout) with the parameter names and shapes that unflatten them."""
    layout = ParamLayout.of(params)
    payload = {
        "largest": torch.tensor(spectrum.largest),
        "smallest": torch.tensor(spectrum.smallest),
        "largest_vectors": spectrum.largest_vectors,
        "smallest_vectors": spectrum.smallest_vectors,
        "names": list(layout.names),
        "shapes": [list(shape) for shape in layout.shapes],
    }
    write_atomically(path, lambda stream: torch.save(payload, stream))


def gauss_newton(setup: Setup, k: int, generator: torch.Generator) -> dict:
    """The Gauss–Newton matrix G beside the Hessian H of the task or NAL loss: both ends of
    each, the gap ‖(H − G)v‖/‖Hv‖ and tr(H − G), and the model Fisher's top end."""
    x, y = setup.batch.pooled()
    parts = model_outputs(setup.model, x, y, setup.loss)
    fisher = parts.fisher(setup.params)
    gap = hessian_ggn_gap(
        HessianOperator(parts, setup.params), parts.ggn(setup.params), k, generator=generator
    )
    top = extreme_eigenvalues(fisher, k, ends="largest", generator=generator)
    products = gap["hessian_hvp_count"] + gap["ggn_hvp_count"] + fisher.hvp_count
    return {**gap, "fisher_largest": list(top.largest), "fisher": FISHER_NOTE, "products": products}
