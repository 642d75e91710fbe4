"""Claim H1: Sharp-MAML reaches flatter meta-solutions than MAML at comparable loss (Abbas et al.).

MAML and a Sharp-MAML variant train from the same initialisation on the same
stream of sinusoid tasks (MLP 1-h-h-1, Finn et al.'s tasks). Flatness is
measured on one fixed batch of tasks, on the MAML meta-loss

    F(θ) = (1/B) Σ_i L_i^Q(θ − α∇L_i^S(θ)):

the largest and smallest algebraic Hessian eigenvalues of F (Lanczos on
``HessianOperator``), the SAM sharpness max_{‖ε‖≤ρ} F(θ+ε) − F(θ), and the
1-D slice of F along the line between the two solutions. "At comparable
meta-training loss": MAML is snapshotted along its run, and the snapshot whose
F is closest to Sharp-MAML's final F is the one compared.

The check: INCONCLUSIVE when a seed's matched losses differ by more than
``loss_tolerance`` (relative); FAIL when the mean relative change of λ_max is
≥ 0; PASS when every seed is flatter on both measures (λ_max and SAM
sharpness) and the seed interval of the relative change of λ_max lies below
0; INCONCLUSIVE otherwise. ρ = 0 reproduces MAML bit for bit (both train with
autograd meta-gradients, ``meta_gradient_path="autograd"``), so it FAILS:

Example:
    >>> config = FlatnessConfig(rho=0.0, iterations=4, snapshot_every=2, hidden=4,
    ...                         measure_tasks=2, slice_points=2)
    >>> result = flatness_experiment(config, seed=0)
    >>> result["matched_iteration"], flatness_check([result]).status
    (4, 'FAIL')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from algorithms import MLP, make, mse, parameters_of, train
from algorithms.train import detached_copy
from analysis import HessianOperator, extreme_eigenvalues, interpolation, sam_sharpness
from analysis.statistics import mean_interval
from figures.claims.sharp_family import PAPER, VARIANTS, require_algorithms
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic import SinusoidTasks
from synthetic.validation import require_count, require_non_negative, require_positive

MEASURE_SEED_OFFSET = 7_919
LANCZOS_TOLERANCE = 1e-3
LANCZOS_STEPS = 100
SHARPNESS_STEPS = 20


@dataclass(frozen=True)
class FlatnessConfig:
    """H1: MAML vs one Sharp-MAML variant on sinusoids (MLP 1-h-h-1, Finn et al.'s tasks)."""

    algorithm: str = "sharp-maml-up"
    rho: float = 0.05
    iterations: int = 1500
    snapshot_every: int = 100
    meta_batch: int = 25
    hidden: int = 40
    inner_lr: float = 0.01
    outer_lr: float = 1e-3
    measure_tasks: int = 100
    sharpness_rho: float = 0.05
    loss_tolerance: float = 0.1
    slice_points: int = 21
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_algorithms("algorithm", (self.algorithm,), VARIANTS)
        for name in ("iterations", "snapshot_every", "meta_batch", "hidden", "measure_tasks"):
            require_count(name, getattr(self, name))
        require_count("slice_points", self.slice_points, minimum=2)
        require_non_negative("rho", self.rho)
        for name in ("inner_lr", "outer_lr", "sharpness_rho", "loss_tolerance"):
            require_positive(name, getattr(self, name))

    def run(self, seed: int) -> dict[str, Any]:
        return flatness_experiment(self, seed)


def _flatness(objective, params: dict, seed: int, sharpness_rho: float) -> dict[str, Any]:
    point = {name: tensor.detach().clone() for name, tensor in params.items()}
    spectrum = extreme_eigenvalues(
        HessianOperator(objective, point),
        k=1,
        tol=LANCZOS_TOLERANCE,
        max_steps=LANCZOS_STEPS,
        generator=torch.Generator().manual_seed(seed),
    )
    sharpness = sam_sharpness(
        objective,
        point,
        rho=sharpness_rho,
        max_steps=SHARPNESS_STEPS,
        generator=torch.Generator().manual_seed(seed),
    )
    return {
        "meta_loss": objective(point).item(),
        "largest_eigenvalue": spectrum.largest[0],
        "smallest_eigenvalue": spectrum.smallest[0],
        "eigenvalues_converged": spectrum.converged,
        "sam_sharpness": sharpness.sharpness,
        "hvp_count": spectrum.hvp_count,
    }


def flatness_experiment(config: FlatnessConfig, seed: int) -> dict[str, Any]:
    """Train MAML (snapshotted) and the variant; measure both ends of flatness at matched loss."""
    device = config.device
    tasks = SinusoidTasks()
    fixed = tasks.sample(
        config.measure_tasks, torch.Generator(device).manual_seed(seed + MEASURE_SEED_OFFSET)
    )

    def build(name: str, **options: float):
        widths = (1, config.hidden, config.hidden, 1)
        model = MLP(widths, generator=torch.Generator().manual_seed(seed)).to(device)
        learner = make(name, model, mse, config.inner_lr, meta_gradient_path="autograd", **options)
        return learner, parameters_of(model)

    maml, maml_params = build("maml")
    objective = lambda p: maml.meta_loss(p, fixed)  # noqa: E731
    optimizer = torch.optim.Adam(maml_params.values(), lr=config.outer_lr)
    generator = torch.Generator(device).manual_seed(seed)
    snapshots, done = [], 0
    while done < config.iterations:
        chunk = min(config.snapshot_every, config.iterations - done)
        train(
            maml,
            maml_params,
            tasks,
            chunk,
            generator,
            optimizer=optimizer,
            progress=False,
            meta_batch=config.meta_batch,
        )
        done += chunk
        snapshots.append((done, detached_copy(maml_params)))
    snapshot_losses = [objective(params).item() for _, params in snapshots]

    sharp, sharp_params = build(config.algorithm, rho=config.rho)
    trained = train(
        sharp,
        sharp_params,
        tasks,
        config.iterations,
        torch.Generator(device).manual_seed(seed),
        outer_lr=config.outer_lr,
        progress=False,
        meta_batch=config.meta_batch,
    )
    sharp_numbers = _flatness(objective, sharp_params, seed, config.sharpness_rho)
    gaps = [abs(loss - sharp_numbers["meta_loss"]) for loss in snapshot_losses]
    matched = gaps.index(min(gaps))
    line = interpolation(
        objective,
        snapshots[matched][1],
        detached_copy(sharp_params),
        np.linspace(-0.5, 1.5, config.slice_points).tolist(),
    )
    return {
        "algorithm": config.algorithm,
        "rho": config.rho,
        "loss_tolerance": config.loss_tolerance,
        "maml_snapshots": [
            {"iteration": iteration, "meta_loss": loss}
            for (iteration, _), loss in zip(snapshots, snapshot_losses, strict=True)
        ],
        "matched_iteration": snapshots[matched][0],
        "maml_matched": _flatness(objective, snapshots[matched][1], seed, config.sharpness_rho),
        "maml_final": _flatness(objective, snapshots[-1][1], seed, config.sharpness_rho),
        "sharp": sharp_numbers,
        "sharp_train_seconds": trained.seconds,
        "slice": line.as_dict(),
    }


def flatness_check(results: Results) -> Verdict:
    """PASS if Sharp-MAML is flatter (λ_max and SAM sharpness) than MAML at matched loss."""
    changes, flatter, unmatched = [], [], []
    for index, result in enumerate(results):
        sharp, maml = result["sharp"], result["maml_matched"]
        if abs(sharp["meta_loss"] / maml["meta_loss"] - 1.0) > result["loss_tolerance"]:
            unmatched.append(f"seed {index}: {sharp['meta_loss']:.3g} vs {maml['meta_loss']:.3g}")
        changes.append(
            (sharp["largest_eigenvalue"] - maml["largest_eigenvalue"])
            / abs(maml["largest_eigenvalue"])
        )
        flatter.append(
            sharp["largest_eigenvalue"] < maml["largest_eigenvalue"]
            and sharp["sam_sharpness"] < maml["sam_sharpness"]
        )
    if not results:
        return Verdict("INCONCLUSIVE", "no results")
    change = mean_interval(changes)
    summary = (
        f"{results[0]['algorithm']} (ρ = {results[0]['rho']:g}) vs MAML at matched meta-loss: "
        f"relative change of λ_max {change}, flatter on both measures in "
        f"{sum(flatter)}/{len(flatter)} seeds"
    )
    if unmatched:
        return Verdict("INCONCLUSIVE", f"{summary}; meta-losses not comparable ({unmatched})")
    if change.mean >= 0.0:
        return Verdict("FAIL", f"{summary}; λ_max is not lower on average")
    if all(flatter) and change.high < 0.0:
        return Verdict("PASS", summary)
    return Verdict("INCONCLUSIVE", f"{summary}; not flatter in every seed or interval overlaps 0")


def flatness_figure(results: Results) -> Figure:
    """λ_max and SAM sharpness per seed (MAML matched / final vs Sharp-MAML), and the slices."""
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    roles = (("maml_matched", "MAML (matched loss)"), ("maml_final", "MAML (final)"))
    roles += (("sharp", results[0]["algorithm"] if results else "sharp"),)
    seeds = np.arange(len(results))
    for offset, (key, label) in enumerate(roles):
        for axis, measure in zip(axes[:2], ("largest_eigenvalue", "sam_sharpness"), strict=True):
            axis.bar(seeds + 0.27 * (offset - 1), [r[key][measure] for r in results], 0.27,
                     label=label)  # fmt: skip
    axes[0].set(xlabel="seed", ylabel="largest Hessian eigenvalue", title="H1: λ_max of F")
    axes[1].set(xlabel="seed", ylabel="SAM sharpness", title="H1: max_{‖ε‖≤ρ} F(θ+ε) − F(θ)")
    axes[0].legend(fontsize=7)
    for axis in axes[:2]:
        axis.set_xticks(seeds)
    for index, result in enumerate(results):
        line = result["slice"]
        axes[2].plot(line["coordinates"], line["losses"], label=f"seed {index}")
    axes[2].axvline(0.0, color="grey", lw=0.5)
    axes[2].axvline(1.0, color="grey", lw=0.5)
    axes[2].set(
        xlabel="a (0: MAML at matched loss, 1: Sharp-MAML)",
        ylabel="meta-loss F",
        title="H1: slice between the solutions",
    )
    axes[2].legend(fontsize=7)
    figure.tight_layout()
    return figure


def flatness_cells(scale: str) -> list[Cell]:
    settings = {
        "smoke": FlatnessConfig(iterations=30, snapshot_every=10, measure_tasks=10, hidden=10),
        "quick": FlatnessConfig(),
        "paper": FlatnessConfig(iterations=20000, snapshot_every=500),
    }
    seeds = {"smoke": 1, "quick": 3, "paper": 5}[scale]
    return [Cell(settings[scale], seed) for seed in range(seeds)]


H1 = Claim(
    "H1",
    PAPER,
    "Sharp-MAML reaches flatter meta-solutions than MAML: smaller largest (algebraic) Hessian "
    "eigenvalue of the meta-loss and smaller SAM sharpness, at comparable training loss",
    flatness_cells,
    flatness_check,
    flatness_figure,
)
