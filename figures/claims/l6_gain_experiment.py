"""The experiment of claims L6 and L6i: MAML's gain over NAL on one two-layer teacher mixture.

Tasks are ``TeacherStudentTasks.easy_hard`` teachers f(x) = aᵀ relu(W x) with a
shared hidden layer W (d = 8, h = 4): easy tasks take inputs at scale s_E = 1,
hard tasks at s_H = 0.3 (loss curvature ∝ s², ratio 0.09, like ρ_H/ρ_E in
L1–L5); their output weights scatter around centres a_E and a_H = a_E + D·u
with E‖a − a_c‖² = R_c. The student has the teacher's shape (``MLP((8, 4, 1),
bias=False)``) and every parameter adapts (MAML) with one gradient step of
α = 0.4 ≈ 1/λ_max(∇²f_E) at the easy centre (the two-layer analogue of αρ_E = 1).

Both learners start from the same point, one of two starts (``init``):

- ``"centre"``: the probability-weighted centre of the teachers plus
  N(0, σ²) noise (σ = 0.05), inside the teachers' basin, where the linear
  theory's picture holds locally;
- ``"random"``: PyTorch's default initialisation of the student, so the two
  learners may also end in different basins.

Everything random in a cell comes from its seed, each purpose from its own
generator (``seeded``): the teachers' centres θ_E and direction u, the start,
the training task stream (the same for MAML and NAL) and the held-out test
tasks. Cells with the same seed but another D or R_H share θ_E, u, the start
and the generators, so the claims can pair them by seed. After training, both
learners adapt by one step on K = 100 support points of the same test tasks.
The measure is the gain E_NAL / E_MAML of post-adaptation query MSE
(noise-free labels, so MSE is the excess risk), the ratio of the two means
over the test tasks with its paired delta-method interval
(``analysis.statistics.paired_ratio``).

``roles`` says which algorithm trains in each role; swapping them (NAL in
MAML's role and back) is the tests' wrong variant: it inverts every gain.

Example:
    >>> config = TwoLayerGainConfig(iterations=5, test_tasks=20, support_size=10)
    >>> result = two_layer_gain_experiment(config, seed=0)
    >>> sorted(result["post_adaptation_mse"]), result["init"]
    (['maml', 'nal'], 'centre')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from algorithms import MLP, Params, make, mse, parameters_of, train
from analysis.statistics import paired_ratio
from synthetic.teacher_student import TeacherStudentTasks
from synthetic.validation import require_count, require_non_negative, require_positive

INITS = ("centre", "random")
ROLES = ("maml", "nal")
SEED_OFFSETS = {"teachers": 0, "stream": 1_000_003, "start": 2_000_006, "test": 3_000_009}
"""Each purpose draws from its own generator, seeded with the cell's seed plus its offset."""


def seeded(seed: int, purpose: str, device: str = "cpu") -> torch.Generator:
    """The generator of one ``purpose`` (a key of ``SEED_OFFSETS``) for a cell's ``seed``."""
    return torch.Generator(device).manual_seed(seed + SEED_OFFSETS[purpose])


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

    def __post_init__(self) -> None:
        require_count("input_dim", self.input_dim)
        require_count("hidden", self.hidden)
        require_positive("scale_easy", self.scale_easy)
        require_positive("scale_hard", self.scale_hard)
        require_non_negative("distance", self.distance)
        require_non_negative("spread_easy", self.spread_easy)
        require_non_negative("spread_hard", self.spread_hard)
        require_non_negative("noise_std", self.noise_std)
        if not 0.0 < self.p_hard < 1.0:
            raise ValueError(f"p_hard must be in (0, 1), got {self.p_hard!r}")

    def build(self, seed: int) -> TeacherStudentTasks:
        """The mixture, its centres θ_E and direction u drawn from ``seed``'s teachers generator."""
        return TeacherStudentTasks.easy_hard(
            self.input_dim,
            self.hidden,
            self.scale_easy,
            self.scale_hard,
            self.p_hard,
            self.distance,
            seeded(seed, "teachers"),
            self.spread_easy,
            self.spread_hard,
            self.noise_std,
            shared_hidden=True,
        )


@dataclass(frozen=True)
class TwoLayerGainConfig:
    """Train MAML and NAL on one teacher mixture from ``init``; E_NAL/E_MAML after one step."""

    mixture: TeacherMixtureSpec = field(default_factory=TeacherMixtureSpec)
    init: str = "centre"
    inner_lr: float = 0.4
    support_size: int = 100
    query_size: int = 50
    meta_batch: int = 32
    iterations: int = 250
    outer_lr: float = 1e-2
    init_noise: float = 0.05
    test_tasks: int = 1000
    roles: tuple[tuple[str, str], ...] = (("maml", "maml"), ("nal", "nal"))
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.init not in INITS:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        if sorted(role for role, _ in self.roles) != sorted(ROLES):
            raise ValueError(f"roles must name each of {ROLES} once, got {self.roles!r}")
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


def starting_point(config: TwoLayerGainConfig, tasks: TeacherStudentTasks, seed: int) -> Params:
    """The start both learners train from (module doc), fresh leaves on the config's device."""
    spec, generator = config.mixture, seeded(seed, "start")
    if config.init == "random":
        model = MLP((spec.input_dim, spec.hidden, 1), bias=False, generator=generator)
        return {
            name: p.detach().to(config.device).requires_grad_()
            for name, p in parameters_of(model).items()
        }
    noise = torch.randn(tasks.num_params, generator=generator, dtype=torch.float64)
    start = (tasks.probabilities[:, None] * tasks.centres).sum(0) + config.init_noise * noise
    return student_params(start.float().to(config.device), spec.input_dim, spec.hidden)


def two_layer_gain_experiment(config: TwoLayerGainConfig, seed: int) -> dict[str, Any]:
    spec, device = config.mixture, config.device
    tasks = spec.build(seed)
    model = MLP((spec.input_dim, spec.hidden, 1), bias=False).to(device)
    sampler = tasks.sampler(config.support_size, config.query_size)
    test = sampler.sample(config.test_tasks, seeded(seed, "test", device))
    hard = test.info["cluster"].cpu() == 1
    losses, summary = {}, {}
    for role, algorithm in config.roles:
        learner = make(algorithm, model, mse, config.inner_lr)
        params = starting_point(config, tasks, seed)
        train(
            learner,
            params,
            sampler,
            config.iterations,
            seeded(seed, "stream", device),
            outer_lr=config.outer_lr,
            progress=False,
            meta_batch=config.meta_batch,
        )
        losses[role] = learner.evaluate(params, test, steps=(1,))[1].double().cpu()
        summary[role] = {
            "algorithm": algorithm,
            "all": losses[role].mean().item(),
            "hard": losses[role][hard].mean().item(),
            "easy": losses[role][~hard].mean().item(),
        }
    return {
        "init": config.init,
        "distance": spec.distance,
        "spread_hard": spec.spread_hard,
        "scale_hard": spec.scale_hard,
        "scale_easy": spec.scale_easy,
        "seed": seed,
        "gain": paired_ratio(losses["nal"], losses["maml"]),
        "post_adaptation_mse": summary,
    }
