"""Claim G1: under label noise, Agnostic-SAM ≥ SAM ≥ plain training (Nguyen et al. 2024).

A synthetic problem made here: C Gaussian classes in ℝᵈ,
x = μ_y + N(0, σ² I) with class means μ_c ~ N(0, I); the training labels are
corrupted by symmetric noise (with probability ``noise`` a label becomes one
of the other C − 1 classes, uniformly). An MLP d-h-C is trained from one
initialisation with the same base optimiser (SGD with momentum) in three
ways: plain steps, SAM (ε = ρ g/‖g‖), and Agnostic-SAM
(θ̃ = θ + ρ(λ ĝ_t − ĝ_v), λ = 2) whose validation batch (¼ of the training
batch) comes from a held-out part of the same noisy training data, disjoint
from the training part. They are scored by accuracy on clean test labels.
The data set is drawn once (``data_seed``); a seed draws the initialisation and
the batch order, the same for every method. Claim: Agnostic-SAM ≥ SAM ≥ plain.
The unit is the seed (mean and 95% Student-t interval over seeds); each
ordering is PASS only if its intervals are separated the right way, FAIL if
separated the wrong way, else INCONCLUSIVE. Agnostic-SAM's step toward g_t has
radius λρ, twice SAM's ρ at λ = 2, so SAM at radius λρ (``sam-wide``) runs as
a control: reported with the verdict, not part of the claim.

Example:
    >>> config = NoisyLabelConfig(steps=5, train_size=64, test_size=64, hidden=8)
    >>> sorted(noisy_label_experiment(config, seed=0)["roles"])
    ['agnostic-sam', 'plain', 'sam', 'sam-wide']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from algorithms import MLP, Ascent, SharpOuterStep, agnostic_sam_step, optimizer_step, parameters_of
from analysis.statistics import MeanInterval, mean_interval
from figures.claims.seed_comparison import (
    comparison_verdict,
    interval_comparison,
    plot_seed_intervals,
)
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic.validation import require_count, require_non_negative, require_positive

PAPER = "Nguyen, Tran, Truong, Do, Phung, Le 2024 (Agnostic-SAM, arXiv 2406.07107)"
METHODS = ("plain", "sam", "agnostic-sam", "sam-wide")
CLAIMED = METHODS[:3]
VALIDATION_SHARE = 4  # the validation batch is 1/4 of the training batch


@dataclass(frozen=True)
class NoisyLabelConfig:
    """G1: Gaussian classes with symmetric label noise; ``roles`` maps role → method run."""

    roles: tuple[tuple[str, str], ...] = tuple((m, m) for m in METHODS)
    noise: float = 0.4
    classes: int = 4
    dimension: int = 20
    spread: float = 0.6
    train_size: int = 512
    validation_size: int = 128
    test_size: int = 2000
    hidden: int = 128
    batch_size: int = 64
    steps: int = 1000
    lr: float = 0.05
    momentum: float = 0.9
    rho: float = 0.3
    weight: float = 2.0
    data_seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        methods = tuple(m for _, m in self.roles)
        if not methods or any(m not in METHODS for m in methods):
            raise ValueError(f"roles' methods must be from {METHODS}, got {methods!r}")
        if not 0.0 <= self.noise < 1.0:
            raise ValueError(f"noise must be in [0, 1), got {self.noise!r}")
        require_count("classes", self.classes, minimum=2)
        for name in ("dimension", "train_size", "test_size", "hidden", "steps"):
            require_count(name, getattr(self, name))
        require_count("batch_size", self.batch_size, minimum=VALIDATION_SHARE)
        require_count("validation_size", self.validation_size, minimum=VALIDATION_SHARE)
        for name in ("spread", "lr"):
            require_positive(name, getattr(self, name))
        for name in ("momentum", "rho", "weight", "data_seed"):
            require_non_negative(name, getattr(self, name))

    def run(self, seed: int) -> dict[str, Any]:
        return noisy_label_experiment(self, seed)


def gaussian_classes(
    config: NoisyLabelConfig, generator: torch.Generator
) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Train / validation splits with noisy labels and a test split with clean labels."""
    means = torch.randn(config.classes, config.dimension, generator=generator)
    sizes = {
        "train": config.train_size,
        "validation": config.validation_size,
        "test": config.test_size,
    }
    splits = {}
    for split, size in sizes.items():
        labels = torch.randint(config.classes, (size,), generator=generator)
        noise = torch.randn(size, config.dimension, generator=generator)
        x = means[labels] + config.spread * noise
        if split != "test":
            flip = torch.rand(size, generator=generator) < config.noise
            shift = torch.randint(1, config.classes, (size,), generator=generator)
            labels = torch.where(flip, (labels + shift) % config.classes, labels)
        splits[split] = (x.to(config.device), labels.to(config.device))
    return splits


def noisy_label_experiment(config: NoisyLabelConfig, seed: int) -> dict[str, Any]:
    """Train the MLP with each role's method from one initialisation; clean test accuracy.

    The data set is drawn once from ``data_seed``; ``seed`` draws the
    initialisation and the order of the batches, the same for every role.
    """
    data = gaussian_classes(config, torch.Generator().manual_seed(config.data_seed))
    test_x, test_y = data["test"]
    result: dict[str, Any] = {"noise": config.noise, "roles": {}}
    for role, method in config.roles:
        model = MLP(
            (config.dimension, config.hidden, config.classes),
            generator=torch.Generator().manual_seed(seed),
        ).to(config.device)
        params = parameters_of(model)
        optimizer = torch.optim.SGD(params.values(), lr=config.lr, momentum=config.momentum)
        batches = torch.Generator().manual_seed(seed)

        def objective_on(split: str, size: int, model=model, batches=batches):
            x, y = data[split]
            index = torch.randint(x.shape[0], (size,), generator=batches).to(config.device)
            return lambda p: F.cross_entropy(
                torch.func.functional_call(model, p, (x[index],)), y[index]
            )

        losses = torch.empty(config.steps, device=config.device)
        for step in range(config.steps):
            objective = objective_on("train", config.batch_size)
            if method == "plain":
                losses[step] = optimizer_step(objective, params, optimizer)
            elif method in ("sam", "sam-wide"):
                rho = config.rho * (config.weight if method == "sam-wide" else 1.0)
                losses[step] = SharpOuterStep(Ascent(rho))(objective, params, optimizer)
            else:
                validation = objective_on("validation", config.batch_size // VALIDATION_SHARE)
                losses[step] = agnostic_sam_step(
                    objective, validation, params, optimizer, config.rho, config.weight
                )
        with torch.no_grad():
            predictions = torch.func.functional_call(model, params, (test_x,)).argmax(dim=1)
        result["roles"][role] = {
            "method": method,
            "clean_test_accuracy": (predictions == test_y).double().mean().item(),
            "final_train_loss": losses[-50:].mean().item(),
        }
    return result


def clean_accuracies(results: Results, role: str) -> list[float]:
    """Each seed's clean test accuracy of ``role``."""
    return [result["roles"][role]["clean_test_accuracy"] for result in results]


def role_interval(results: Results, role: str) -> MeanInterval:
    return mean_interval(clean_accuracies(results, role))


def noisy_label_check(results: Results) -> Verdict:
    """Agnostic-SAM ≥ SAM ≥ plain in clean test accuracy, by seed intervals."""
    if not results:
        return Verdict("INCONCLUSIVE", "no results")
    plain, sam, agnostic = (role_interval(results, role) for role in CLAIMED)
    verdict = comparison_verdict(
        [("Agnostic-SAM vs SAM", agnostic, sam), ("SAM vs plain", sam, plain)],
        f"clean test accuracy under {results[0]['noise']:.0%} symmetric label noise",
    )
    if "sam-wide" not in results[0]["roles"]:
        return verdict
    _, text = interval_comparison(agnostic, role_interval(results, "sam-wide"))
    return Verdict(verdict.status, f"{verdict.reason}; control, Agnostic-SAM vs SAM at λρ: {text}")


def noisy_label_figure(results: Results) -> Figure:
    """Seed-mean clean test accuracy of each method with its 95% interval and each seed's value."""
    figure, axis = plt.subplots(figsize=(5.5, 3.6))
    roles = results[0]["roles"] if results else {}
    plot_seed_intervals(axis, {role: clean_accuracies(results, role) for role in roles})
    noise = results[0]["noise"] if results else 0.0
    axis.set(
        ylabel="clean test accuracy (95% CI over seeds)",
        title=f"G1: {noise:.0%} symmetric label noise",
    )
    figure.tight_layout()
    return figure


def noisy_label_cells(scale: str) -> list[Cell]:
    settings = {
        "smoke": NoisyLabelConfig(steps=20, train_size=128, test_size=200, hidden=16),
        "quick": NoisyLabelConfig(),
        "paper": NoisyLabelConfig(steps=6000, train_size=2048, hidden=256),
    }
    seeds = {"smoke": 2, "quick": 5, "paper": 10}[scale]
    return [Cell(settings[scale], seed) for seed in range(seeds)]


G1 = Claim(
    "G1",
    PAPER,
    "Under symmetric label noise, clean test accuracy: Agnostic-SAM ≥ SAM ≥ plain SGD",
    noisy_label_cells,
    noisy_label_check,
    noisy_label_figure,
)
