"""Claim G1: under label noise, Agnostic-SAM ≥ SAM ≥ plain training (Nguyen et al. 2024).

Data (``figures.claims.g1_noisy_data``): Gaussian classes, symmetric label
noise η on the training pool and on a selection split, clean test labels;
a seed draws the data, the initialisation and the batch order, the same for
every arm. An MLP d-h-C trains with SGD + momentum by one of three rules:
plain steps; SAM, ε = ρ g/‖g‖; Agnostic-SAM,
θ̃ = θ + ρ(λ ĝ_t − ĝ_v) with λ = 2 and a validation batch ¼ of the training
batch. Score: accuracy on the clean test split.

Two confounds are removed, by the cells and by the check:

- *Radius.* Agnostic-SAM steps λρ toward g_t, so at equal ρ it perturbs
  further than SAM, and a larger SAM radius alone may explain a gain. SAM and
  Agnostic-SAM therefore each run over the same sweep of radii
  r ∈ {ρ/2, ρ, λρ, 2λρ} (``radius_sweep``; SAM's radius r, Agnostic-SAM's
  ρ = r), and per seed each is scored at the radius with the best accuracy
  on the noisy *selection* split (never the test split; ties go to the
  smaller radius). Both get the same tuning budget: tuning SAM alone would
  set a tuned method against an untuned one.
- *Data.* Agnostic-SAM's validation batches must come from somewhere: its
  validation part is carved out of the training pool (the last
  ``validation_size`` examples), and plain and SAM train on the whole pool,
  so every arm gets the same labelled examples. Each result records
  ``labelled_examples`` (the examples its batches were drawn from); the
  check refuses (INCONCLUSIVE) a seed whose arms got unequal counts.

Claim, per noise level: Agnostic-SAM ≥ SAM and SAM ≥ plain, decided on the
seed-paired differences of clean test accuracy (``paired_verdict``: PASS if
every 95% t interval lies above 0, FAIL if one lies below). Learning rate,
momentum, batch size and steps are the same for every arm. Without label
noise these classes are separable and every method reaches accuracy ≈ 1,
so the check must then say INCONCLUSIVE (the tests run it).

Example:
    >>> data = NoisyGaussianClasses(pool_size=64, validation_size=16, selection_size=32,
    ...                             test_size=32)
    >>> config = NoisyLabelConfig("agnostic-sam", radius=0.3, data=data, steps=5, hidden=8)
    >>> result = noisy_label_experiment(config, seed=0)
    >>> result["train_examples"], result["validation_examples"], result["labelled_examples"]
    (48, 16, 64)
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from algorithms import MLP, Ascent, SharpOuterStep, agnostic_sam_step, optimizer_step, parameters_of
from figures.claims.g1_noisy_data import NoisyGaussianClasses, Split
from figures.claims.seed_comparison import (
    paired_differences,
    paired_verdict,
    plot_paired_differences,
)
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict
from synthetic.validation import require_count, require_non_negative, require_positive

PAPER = "Nguyen, Tran, Truong, Do, Phung, Le 2024 (Agnostic-SAM, arXiv 2406.07107)"
METHODS = ("plain", "sam", "agnostic-sam")
TUNED = METHODS[1:]
VALIDATION_SHARE = 4
"""Agnostic-SAM's validation batch is 1/4 of the training batch (the paper's ratio)."""
RHO = 0.3
WEIGHT = 2.0
QUICK_DATA = NoisyGaussianClasses()


def radius_sweep(rho: float = RHO, weight: float = WEIGHT) -> tuple[float, ...]:
    """The radii SAM and Agnostic-SAM are tuned over: ρ/2, ρ, λρ, 2λρ (sorted, distinct)."""
    return tuple(sorted({rho / 2, rho, weight * rho, 2 * weight * rho}))


@dataclass(frozen=True)
class NoisyLabelConfig:
    """One arm: ``role`` trained with radius ``radius`` on one seed's draw of ``data``.

    ``method`` is what actually trains in the role (``None``: the role's own
    method); the tests put a wrong one there to check that the verdict moves.
    """

    role: str = "plain"
    radius: float = 0.0
    method: str | None = None
    data: NoisyGaussianClasses = QUICK_DATA
    hidden: int = 128
    batch_size: int = 128
    steps: int = 250
    lr: float = 0.05
    momentum: float = 0.9
    weight: float = WEIGHT
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.role not in METHODS or self.trained_method not in METHODS:
            raise ValueError(
                f"role and method must be from {METHODS}, got {self.role!r}, {self.method!r}"
            )
        for name in ("hidden", "steps"):
            require_count(name, getattr(self, name))
        require_count("batch_size", self.batch_size, minimum=VALIDATION_SHARE)
        require_positive("lr", self.lr)
        for name in ("radius", "momentum", "weight"):
            require_non_negative(name, getattr(self, name))

    @property
    def trained_method(self) -> str:
        return self.role if self.method is None else self.method

    def run(self, seed: int) -> dict[str, Any]:
        return noisy_label_experiment(self, seed)


def training_parts(config: NoisyLabelConfig, pool: Split) -> tuple[Split, Split | None]:
    """(training part, validation part): Agnostic-SAM's validation part is the pool's tail;
    the other methods train on the whole pool and have none."""
    if config.trained_method != "agnostic-sam":
        return pool, None
    x, y = pool
    cut = x.shape[0] - config.data.validation_size
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def noisy_label_experiment(config: NoisyLabelConfig, seed: int) -> dict[str, Any]:
    """Train the arm's MLP on the seed's pool; its noisy selection and clean test accuracy."""
    splits = {
        name: (x.to(config.device), y.to(config.device))
        for name, (x, y) in config.data.draw(seed).items()
    }
    train, validation = training_parts(config, splits["pool"])
    data = config.data
    model = MLP(
        (data.dimension, config.hidden, data.classes), generator=torch.Generator().manual_seed(seed)
    ).to(config.device)
    params = parameters_of(model)
    optimizer = torch.optim.SGD(params.values(), lr=config.lr, momentum=config.momentum)
    batches = torch.Generator().manual_seed(seed)

    def batch_loss(split: Split, size: int):
        x, y = split
        index = torch.randint(x.shape[0], (size,), generator=batches).to(config.device)
        return lambda p: F.cross_entropy(
            torch.func.functional_call(model, p, (x[index],)), y[index]
        )

    method, losses = config.trained_method, []
    for _ in range(config.steps):
        objective = batch_loss(train, config.batch_size)
        if method == "plain":
            loss = optimizer_step(objective, params, optimizer)
        elif method == "sam":
            loss = SharpOuterStep(Ascent(config.radius))(objective, params, optimizer)
        else:
            held_out = batch_loss(validation, config.batch_size // VALIDATION_SHARE)
            loss = agnostic_sam_step(
                objective, held_out, params, optimizer, config.radius, config.weight
            )
        losses.append(loss.item())
    accuracy = {}
    with torch.no_grad():
        for split in ("selection", "test"):
            x, y = splits[split]
            predictions = torch.func.functional_call(model, params, (x,)).argmax(dim=1)
            accuracy[split] = (predictions == y).double().mean().item()
    validation_examples = 0 if validation is None else validation[0].shape[0]
    return {
        "seed": seed,
        "noise": data.noise,
        "role": config.role,
        "method": method,
        "radius": config.radius,
        "train_examples": train[0].shape[0],
        "validation_examples": validation_examples,
        "labelled_examples": train[0].shape[0] + validation_examples,
        "selection_accuracy": accuracy["selection"],
        "clean_test_accuracy": accuracy["test"],
        "final_train_loss": statistics.fmean(losses[-max(1, config.steps // 10) :]),
    }


def arms_by_noise(results: Results) -> dict[float, list[dict[str, Any]]]:
    """The results of each noise level, noise levels in increasing order."""
    grouped: dict[float, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        grouped[result["noise"]].append(result)
    return dict(sorted(grouped.items()))


def selected(arms: list[dict[str, Any]], role: str) -> dict[int, dict[str, Any]]:
    """{seed: the arm of ``role`` with the best selection accuracy (ties: smaller radius)}."""
    best: dict[int, dict[str, Any]] = {}
    for arm in sorted((a for a in arms if a["role"] == role), key=lambda a: a["radius"]):
        current = best.get(arm["seed"])
        if current is None or arm["selection_accuracy"] > current["selection_accuracy"]:
            best[arm["seed"]] = arm
    return best


def clean_accuracy(arms: dict[int, dict[str, Any]]) -> dict[int, float]:
    return {seed: arm["clean_test_accuracy"] for seed, arm in arms.items()}


def unequal_data(arms: list[dict[str, Any]]) -> list[int]:
    """The seeds whose arms drew their batches from different numbers of labelled examples."""
    counts: dict[int, set[int]] = defaultdict(set)
    for arm in arms:
        counts[arm["seed"]].add(arm["labelled_examples"])
    return sorted(seed for seed, seen in counts.items() if len(seen) > 1)


def noisy_label_check(results: Results) -> Verdict:
    """Per noise level, seed-paired: Agnostic-SAM (selected radius) ≥ SAM (selected) ≥ plain."""
    if not results:
        return Verdict("INCONCLUSIVE", "no results", Evidence("none", 0, "nothing (no results)"))
    comparisons, radii, unfair = [], [], []
    for noise, arms in arms_by_noise(results).items():
        level = f"η = {noise:.0%}"
        chosen = {role: selected(arms, role) for role in METHODS}
        plain, sam, agnostic = (clean_accuracy(chosen[role]) for role in METHODS)
        comparisons += [
            (f"{level}: Agnostic-SAM − SAM", agnostic, sam),
            (f"{level}: SAM − plain", sam, plain),
        ]
        for role in TUNED:
            picks = [chosen[role][seed]["radius"] for seed in sorted(chosen[role])]
            radii.append(f"{level} {role} {picks}")
        unfair += [f"{level} seed {seed}" for seed in unequal_data(arms)]
    verdict = paired_verdict(comparisons, "clean test accuracy, each method at its selected radius")
    reason = f"{verdict.reason}; radii selected per seed on the noisy split: {'; '.join(radii)}"
    if unfair:
        return Verdict(
            "INCONCLUSIVE",
            f"{reason}; arms got unequal labelled data ({', '.join(unfair)}): not comparable",
            verdict.evidence,
        )
    return Verdict(verdict.status, reason, verdict.evidence)


def noisy_label_figure(results: Results) -> Figure:
    """Left: the seed-paired differences; right: clean accuracy against radius (seed means)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    differences, grouped = {}, arms_by_noise(results)
    for noise, arms in grouped.items():
        chosen = {role: clean_accuracy(selected(arms, role)) for role in METHODS}
        differences[f"{noise:.0%}: AgSAM − SAM"] = paired_differences(
            chosen["agnostic-sam"], chosen["sam"]
        )
        differences[f"{noise:.0%}: SAM − plain"] = paired_differences(
            chosen["sam"], chosen["plain"]
        )
    if differences:
        plot_paired_differences(left, differences)
    left.tick_params(axis="x", labelrotation=15, labelsize=7)
    left.set(ylabel="clean test accuracy difference (paired by seed)", title="G1: 95% intervals")
    for noise, arms in grouped.items():
        for role in METHODS:
            by_radius: dict[float, list[float]] = defaultdict(list)
            for arm in arms:
                if arm["role"] == role:
                    by_radius[arm["radius"]].append(arm["clean_test_accuracy"])
            radii = sorted(by_radius)
            means = [statistics.fmean(by_radius[r]) for r in radii]
            if role == "plain":
                right.axhline(means[0], linestyle=":", color="grey", label=f"{noise:.0%} plain")
            else:
                right.plot(radii, means, marker="o", label=f"{noise:.0%} {role}")
    right.set(
        xscale="log", xlabel="radius (SAM's r; Agnostic-SAM's ρ)", ylabel="clean test accuracy"
    )
    swept = sorted({arm["radius"] for arm in results if arm["role"] != "plain"})
    right.set_xticks(swept, [f"{r:g}" for r in swept])
    right.minorticks_off()
    right.set_title("mean over seeds at every radius of the sweep", fontsize=9)
    right.legend(fontsize=7)
    figure.tight_layout()
    return figure


def arm_configs(base: NoisyLabelConfig, noises: tuple[float, ...]) -> list[NoisyLabelConfig]:
    """Plain, and SAM and Agnostic-SAM at every radius of the sweep, at each noise level."""
    arms = [replace(base, role="plain", radius=0.0)]
    arms += [
        replace(base, role=role, radius=r) for role in TUNED for r in radius_sweep(RHO, base.weight)
    ]
    return [replace(arm, data=replace(arm.data, noise=noise)) for noise in noises for arm in arms]


SMOKE_DATA = NoisyGaussianClasses(
    pool_size=128, validation_size=32, selection_size=200, test_size=200
)
PAPER_DATA = NoisyGaussianClasses(
    classes=10,
    dimension=50,
    pool_size=5000,
    validation_size=1000,
    selection_size=5000,
    test_size=10000,
)
SCALED = {
    "smoke": (NoisyLabelConfig(data=SMOKE_DATA, steps=20, hidden=16), (0.4,), 2),
    "quick": (NoisyLabelConfig(), (0.4,), 5),
    "paper": (
        NoisyLabelConfig(data=PAPER_DATA, hidden=256, steps=6000),
        (0.2, 0.4, 0.6, 0.8),
        10,
    ),
}
"""Per scale: the base arm, the noise levels (the paper's 20–80% at paper scale) and the seeds."""


def noisy_label_cells(scale: str) -> list[Cell]:
    """One cell per seed and arm."""
    base, noises, seeds = SCALED[scale]
    return [Cell(arm, seed) for seed in range(seeds) for arm in arm_configs(base, noises)]


G1 = Claim(
    "G1",
    PAPER,
    "Under symmetric label noise, clean test accuracy: Agnostic-SAM ≥ SAM ≥ plain SGD "
    "(each sharpness-aware method at its validation-selected radius, equal labelled data)",
    noisy_label_cells,
    noisy_label_check,
    noisy_label_figure,
)
