"""Claim L6: the task landscape decides MAML's gain over NAL for two-layer networks too.

Tasks are ``TeacherStudentTasks.easy_hard`` teachers f(x) = aᵀ relu(W x) with a
shared hidden layer W (d = 8, h = 4): easy tasks take inputs at scale s_E = 1,
hard tasks at s_H = 0.3 (loss curvature ∝ s², ratio 0.09, like ρ_H/ρ_E in
L1–L5); their output weights scatter around centres a_E and a_H = a_E + D·u
with E‖a − a_c‖² = R_c. The student has the teacher's shape (``MLP((8, 4, 1),
bias=False)``) and every parameter adapts (MAML) with one gradient step of
α = 0.4 ≈ 1/λ_max(∇²f_E) at the easy centre (the two-layer analogue of αρ_E = 1).

Both learners start from the probability-weighted centre of the teachers
plus N(0, σ²) noise (σ = 0.05, from the seed): the students begin in the
teachers' basin, where the linear theory's picture holds locally. (From a
random start the two also differ by which basin each one finds, a nonlinear
effect that gives MAML large gains even without any hardness difference.)
MAML and NAL train from the same start on the same task stream; both are then
adapted by one step on K = 100 support points of the same held-out tasks.

The measure is the gain E_NAL / E_MAML of post-adaptation query MSE
(noise-free labels, so MSE is the excess risk), with a paired delta-method
interval over test tasks (``analysis.statistics.paired_ratio``).
Unlike the linear model, a two-layer MAML beats NAL even when every task is
equally hard, and that gain also grows with D (MAML can shape its own
local curvature); so every landscape cell at the smallest and largest D has a
control cell with equal hardness (s_H = s_E). The check, per seed, with
Bonferroni-widened 95% intervals and a signed sum of gains judged by √(Σ hᵢ²):

- growth with D: gain(D_max) − gain(D_min) > 0 for every R_H;
- growth beyond the control: that growth exceeds the equal-hardness growth;
- packing: gain(R_H small) − gain(R_H large) > 0 for every D > 0.

PASS if every comparison is resolved in the claimed direction, FAIL if any is
resolved against it, INCONCLUSIVE otherwise. Run with equal hardness in the
landscape cells, the packing and beyond-control comparisons lose their sign.

Example:
    >>> config = TwoLayerGainConfig(iterations=5, test_tasks=20, support_size=10)
    >>> sorted(two_layer_gain_experiment(config, seed=0)["post_adaptation_mse"])
    ['maml', 'nal']
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from scipy import stats

from algorithms import MLP, Params, make, mse, train
from analysis.statistics import paired_ratio
from figures.engine.claim import Cell, Claim, Results, Verdict
from synthetic.teacher_student import TeacherStudentTasks
from synthetic.validation import require_count, require_non_negative, require_positive

PAPER = "Collins, Mokhtari, Shakkottai 2022 (arXiv 2010.14672)"
TEST_SEED = 1_000_003
ROLES = ("maml", "nal")
ARMS = ("landscape", "control")


@dataclass(frozen=True)
class TeacherMixtureSpec:
    """A JSON-able description of ``TeacherStudentTasks.easy_hard`` with a shared hidden layer."""

    input_dim: int = 8
    hidden: int = 4
    scale_easy: float = 1.0
    scale_hard: float = 0.3
    p_hard: float = 0.5
    distance: float = 2.0
    spread_easy: float = 0.1
    spread_hard: float = 0.01
    noise_std: float = 0.0
    task_seed: int = 0

    def __post_init__(self) -> None:
        require_count("input_dim", self.input_dim)
        require_count("hidden", self.hidden)
        require_count("task_seed", self.task_seed, minimum=0)
        require_positive("scale_easy", self.scale_easy)
        require_positive("scale_hard", self.scale_hard)
        require_non_negative("distance", self.distance)
        require_non_negative("spread_easy", self.spread_easy)
        require_non_negative("spread_hard", self.spread_hard)
        require_non_negative("noise_std", self.noise_std)
        if not 0.0 < self.p_hard < 1.0:
            raise ValueError(f"p_hard must be in (0, 1), got {self.p_hard!r}")

    def build(self) -> TeacherStudentTasks:
        return TeacherStudentTasks.easy_hard(
            self.input_dim,
            self.hidden,
            self.scale_easy,
            self.scale_hard,
            self.p_hard,
            self.distance,
            torch.Generator().manual_seed(self.task_seed),
            self.spread_easy,
            self.spread_hard,
            self.noise_std,
            shared_hidden=True,
        )


@dataclass(frozen=True)
class TwoLayerGainConfig:
    """Train MAML and NAL on one teacher mixture; E_NAL/E_MAML after one adaptation step.

    ``arm`` tells the check what the cell is: ``"landscape"`` cells carry the
    claim; ``"control"`` cells repeat them with equal hardness (s_H = s_E).
    """

    mixture: TeacherMixtureSpec = field(default_factory=TeacherMixtureSpec)
    inner_lr: float = 0.4
    support_size: int = 100
    query_size: int = 50
    meta_batch: int = 32
    iterations: int = 500
    outer_lr: float = 1e-2
    init_noise: float = 0.05
    test_tasks: int = 12000
    arm: str = "landscape"
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.arm not in ARMS:
            raise ValueError(f"arm must be one of {ARMS}, got {self.arm!r}")
        for name in ("support_size", "query_size", "meta_batch", "iterations", "test_tasks"):
            require_count(name, getattr(self, name))
        require_positive("inner_lr", self.inner_lr)
        require_positive("outer_lr", self.outer_lr)
        require_non_negative("init_noise", self.init_noise)

    def run(self, seed: int) -> dict[str, Any]:
        return two_layer_gain_experiment(self, seed)


def student_params(teacher: torch.Tensor, input_dim: int, hidden: int) -> Params:
    """The teacher vector θ = (vec W, a) as ``MLP((d, h, 1), bias=False)`` leaf parameters."""
    split = input_dim * hidden
    return {
        "layers.0.weight": teacher[:split].reshape(hidden, input_dim).clone().requires_grad_(),
        "layers.1.weight": teacher[split:].reshape(1, hidden).clone().requires_grad_(),
    }


def two_layer_gain_experiment(config: TwoLayerGainConfig, seed: int) -> dict[str, Any]:
    spec, device = config.mixture, config.device
    tasks = spec.build()
    model = MLP((spec.input_dim, spec.hidden, 1), bias=False).to(device)
    noise = torch.randn(
        tasks.num_params, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    start = (tasks.probabilities[:, None] * tasks.centres).sum(0) + config.init_noise * noise
    sampler = tasks.sampler(config.support_size, config.query_size)
    test = sampler.sample(config.test_tasks, torch.Generator(device).manual_seed(TEST_SEED))
    hard = test.info["cluster"] == 1
    losses, summary = {}, {}
    for role in ROLES:
        learner = make(role, model, mse, config.inner_lr)
        params = student_params(start.float().to(device), spec.input_dim, spec.hidden)
        train(
            learner,
            params,
            sampler,
            config.iterations,
            torch.Generator(device).manual_seed(seed),
            outer_lr=config.outer_lr,
            progress=False,
            meta_batch=config.meta_batch,
        )
        losses[role] = learner.evaluate(params, test, steps=(1,))[1].double().cpu()
        summary[role] = {
            "all": losses[role].mean().item(),
            "hard": losses[role][hard.cpu()].mean().item(),
            "easy": losses[role][~hard.cpu()].mean().item(),
        }
    return {
        "arm": config.arm,
        "distance": spec.distance,
        "spread_hard": spec.spread_hard,
        "scale_hard": spec.scale_hard,
        "scale_easy": spec.scale_easy,
        "seed": seed,
        "gain": paired_ratio(losses["nal"], losses["maml"]),
        "post_adaptation_mse": summary,
    }


@dataclass(frozen=True)
class Comparison:
    """A signed sum of gains with its half-width; ``direction`` +1, −1 or 0 (unresolved)."""

    label: str
    difference: float
    half_width: float

    @property
    def direction(self) -> int:
        if self.difference - self.half_width > 0:
            return 1
        if self.difference + self.half_width < 0:
            return -1
        return 0

    def __str__(self) -> str:
        return f"{self.label}: {self.difference:+.3f} ± {self.half_width:.3f}"


Key = tuple[str, int, float, float]
"""A cell: (arm, seed, distance D, hard radius R_H)."""


def comparisons(results: Results) -> list[Comparison]:
    """The claimed differences of gains, per seed (module doc), Bonferroni-widened."""
    gains: dict[Key, dict] = {
        (r["arm"], r["seed"], r["distance"], r["spread_hard"]): r["gain"] for r in results
    }
    plans: list[tuple[str, dict[Key, int]]] = []
    for seed in sorted({key[1] for key in gains if key[0] == "landscape"}):
        own = [key for key in gains if key[:2] == ("landscape", seed)]
        distances, spreads = sorted({k[2] for k in own}), sorted({k[3] for k in own})
        near, far = distances[0], distances[-1]
        for spread in spreads if len(distances) > 1 else []:
            growth = {("landscape", seed, far, spread): 1, ("landscape", seed, near, spread): -1}
            plans.append((f"seed {seed}, R_H={spread}: D={far} vs {near}", growth))
            control = {("control", *key[1:]): -sign for key, sign in growth.items()}
            plans.append((f"seed {seed}, R_H={spread}: growth beyond control", growth | control))
        for distance in [d for d in distances if d > 0] if len(spreads) > 1 else []:
            tight = ("landscape", seed, distance, spreads[0])
            packing = {tight: 1, ("landscape", seed, distance, spreads[-1]): -1}
            plans.append((f"seed {seed}, D={distance}: R_H={spreads[0]} vs {spreads[-1]}", packing))
    present = [(label, terms) for label, terms in plans if all(k in gains for k in terms)]
    widen = stats.norm.ppf(1 - 0.025 / max(1, len(present))) / stats.norm.ppf(0.975)
    return [
        Comparison(
            label,
            sum(sign * gains[key]["mean"] for key, sign in terms.items()),
            widen * sum(gains[key]["half_width"] ** 2 for key in terms) ** 0.5,
        )
        for label, terms in present
    ]


def landscape_check(results: Results) -> Verdict:
    found = comparisons(results)
    if not found:
        return Verdict("INCONCLUSIVE", "the grid has no two distances or no two hard radii")
    against = [c for c in found if c.direction < 0]
    unresolved = [c for c in found if c.direction == 0]
    listing = "; ".join(str(c) for c in found)
    if against:
        return Verdict("FAIL", f"gain resolved against the claim at {against[0].label} ({listing})")
    if unresolved:
        return Verdict("INCONCLUSIVE", f"{len(unresolved)} comparisons unresolved ({listing})")
    return Verdict(
        "PASS",
        f"E_NAL/E_MAML grows with D, more than with equal hardness, and as R_H shrinks, in all "
        f"{len(found)} comparisons ({listing})",
    )


def landscape_figure(results: Results) -> Figure:
    figure, (gains, hard) = plt.subplots(1, 2, figsize=(11, 4))
    lines: dict[tuple[str, float, int], list[dict]] = defaultdict(list)
    for result in results:
        lines[(result["arm"], result["spread_hard"], result["seed"])].append(result)
    for index, ((arm, spread, seed), cells) in enumerate(sorted(lines.items(), reverse=True)):
        cells = sorted(cells, key=lambda c: c["distance"])
        distances = [c["distance"] for c in cells]
        colour, control = f"C{index}", arm == "control"
        gains.errorbar(
            distances,
            [c["gain"]["mean"] for c in cells],
            yerr=[c["gain"]["half_width"] for c in cells],
            marker="s" if control else "o",
            linestyle="--" if control else "-",
            capsize=3,
            color=colour,
            label=f"{'s_H = s_E' if control else 's_H < s_E'}, R_H={spread}, seed {seed}",
        )
        if not control:
            for role, style in zip(ROLES, ("-", "--")):
                values = [c["post_adaptation_mse"][role]["hard"] for c in cells]
                hard.plot(distances, values, linestyle=style, marker=".", color=colour)
    gains.axhline(1.0, color="grey", linewidth=0.8)
    gains.set(
        xlabel="hard-centre distance D",
        ylabel="E_NAL / E_MAML (95% CI over test tasks)",
        title="L6: two-layer teacher–student gain",
    )
    hard.set(
        yscale="log",
        xlabel="hard-centre distance D",
        ylabel="hard tasks' post-adaptation MSE",
        title="MAML (solid) vs NAL (dashed) on hard tasks",
    )
    gains.legend(fontsize=6)
    figure.tight_layout()
    return figure


GRID = {
    "smoke": ((0.0, 2.0), (0.01,), 1, 30, 500),
    "quick": ((0.0, 1.0, 2.0), (0.01, 0.3), 2, 500, 12000),
    "paper": ((0.0, 0.5, 1.0, 2.0, 3.0), (0.01, 0.1, 0.3), 3, 3000, 20000),
}
"""(distances, hard radii, seeds, training iterations, test tasks) at each scale."""


def l6_cells(scale: str) -> list[Cell]:
    """The landscape grid, and its equal-hardness control at the smallest and largest D."""
    distances, spreads, seeds, iterations, test_tasks = GRID[scale]
    base = TwoLayerGainConfig(iterations=iterations, test_tasks=test_tasks)
    landscape = [
        replace(base, mixture=replace(base.mixture, distance=d, spread_hard=r))
        for r, d in product(spreads, distances)
    ]
    control = [
        replace(c, arm="control", mixture=replace(c.mixture, scale_hard=c.mixture.scale_easy))
        for c in landscape
        if c.mixture.distance in (distances[0], distances[-1])
    ]
    return [Cell(config, seed) for config in landscape + control for seed in range(seeds)]


L6 = Claim(
    "L6",
    PAPER,
    "Two-layer networks (teacher–student): MAML's gain over NAL grows with the hard-centre "
    "distance D and as the hard tasks are packed more tightly (R_H shrinks)",
    l6_cells,
    landscape_check,
    landscape_figure,
)
