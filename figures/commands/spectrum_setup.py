"""What ``mamlscape spectrum`` measures: its config, and the objective it builds from it.

:class:`SpectrumConfig` holds the command's options and how hard the report
looks; :func:`build_setup` builds the family's model, θ (a checkpoint, or the
seed's initialisation) and the objective on one meta-batch drawn from the
seed, in float64 (an image checkpoint's recorded ways, filters and image size
rebuild its net and tasks); :func:`check_checkpoint` refuses a checkpoint of another
task family or algorithm before any work. ``figures.commands.spectrum`` (one
θ) and ``figures.commands.spectrum_training`` (θ along training) share them.

Example:
    >>> setup = build_setup(SpectrumConfig(algo="maml", tasks="linear", meta_batch=2))
    >>> sorted(setup.params), setup.inner_lr, setup.objective(setup.params).ndim
    (['weight'], 0.25, 0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from algorithms import available, checkpoint_metadata, load_checkpoint, make, mse
from algorithms.params import Params
from analysis.flat import Objective
from figures.commands.task_families import ImageOptions, check_task_family, task_family
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_positive

OBJECTIVES = ("meta", "task", "nal")
SLICE_DIRECTIONS = ("random", "top")
"""Slices along random filter-normalised directions, or along the top Hessian eigenvectors."""


@dataclass(frozen=True)
class SpectrumConfig:
    """What the report measures and how hard it looks; the command sets the fields up to
    ``memory_gb`` (the memory the Hessian's graph may take, default half of what is free)."""

    algo: str = "maml"
    tasks: str = "sinusoid"
    objective: str = "meta"
    k: int = 5
    seed: int = 0
    checkpoint: Path | None = None
    omniglot: tuple[Path, ...] | None = None
    mini_imagenet: Path | None = None
    meta_batch: int = 25
    per_layer: bool = False
    ggn: bool = False
    slice_directions: str = "random"
    memory_gb: float | None = None
    trace_budget: int = 60
    density_probes: int = 4
    density_steps: int = 40
    rho: float = 0.05
    adaptive_rho: float = 0.5
    sigma: float = 0.01
    noise_samples: int = 32
    line_points: int = 41
    plane_points: int = 21
    span: float = 1.0

    def __post_init__(self) -> None:
        choices = (
            ("algo", available()),
            ("objective", OBJECTIVES),
            ("slice_directions", SLICE_DIRECTIONS),
        )
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"--{name.replace('_', '-')} must be one of {list(allowed)}, got "
                    f"{getattr(self, name)!r}"
                )
        if self.ggn and self.objective == "meta":
            raise ValueError(
                "--ggn needs --objective task or nal: the Gauss–Newton matrix is that of a "
                "loss of the model's outputs, and the meta-loss adapts before its loss"
            )
        if self.memory_gb is not None:
            require_positive("--memory-gb", self.memory_gb)
        check_task_family(self.tasks, self.omniglot, mini_imagenet=self.mini_imagenet)
        require_count("k", self.k)
        require_count("seed", self.seed, minimum=0)
        for name in ("meta_batch", "density_probes", "density_steps", "noise_samples"):
            require_count(name, getattr(self, name))
        require_count("trace_budget", self.trace_budget, minimum=6)
        require_count("line_points", self.line_points, minimum=2)
        require_count("plane_points", self.plane_points, minimum=2)
        for name in ("rho", "adaptive_rho", "sigma", "span"):
            require_positive(name, getattr(self, name))


@dataclass(frozen=True)
class Setup:
    """The point θ, the seed's initial point, the objective and what they came from.

    ``objective`` is the mean over the ``tasks`` tasks of ``batch``;
    ``objective_of(chosen)`` is the same mean over the tasks in the slice ``chosen``
    (for a Hessian executed in chunks of tasks, ``analysis.memory_plan``).
    ``loss`` names the task loss (``"mse"`` or ``"cross_entropy"``).
    """

    params: Params
    initial: Params
    objective: Objective
    objective_of: Callable[[slice], Objective]
    tasks: int
    batch: TaskBatch
    loss: str
    model: torch.nn.Module
    inner_lr: float
    inner_steps: int
    checkpoint_metadata: dict | None


def check_checkpoint(config: SpectrumConfig) -> None:
    """Refuse a checkpoint trained on another task family than ``--tasks``, or, for the
    meta-loss, with another algorithm than ``--algo``, before any work."""
    if config.checkpoint is None:
        return
    metadata = checkpoint_metadata(config.checkpoint)
    family, algorithm = metadata.get("task_family"), metadata.get("algorithm")
    if family is not None and family != config.tasks:
        raise ValueError(
            f"{config.checkpoint} was trained on --tasks {family}, not {config.tasks}: "
            f"measure it with --tasks {family}"
        )
    if config.objective == "meta" and algorithm is not None and algorithm != config.algo:
        raise ValueError(
            f"{config.checkpoint} was trained with --algo {algorithm}, not {config.algo}: "
            f"measure its meta-loss with --algo {algorithm}, or its loss without adaptation "
            "with --objective nal"
        )


def build_setup(config: SpectrumConfig, device: str = "cpu") -> Setup:
    """The model, θ (checkpoint or the seed's initialisation) and the objective, in float64."""
    init_generator = torch.Generator().manual_seed(config.seed)
    data_generator = torch.Generator().manual_seed(config.seed + 1)
    recorded = {} if config.checkpoint is None else checkpoint_metadata(config.checkpoint)
    image = ImageOptions(**recorded["image"]) if recorded.get("image") else None
    family = task_family(config.tasks, config.omniglot, image, config.mini_imagenet)
    model = family.model(init_generator)
    batch = family.tasks.sample(config.meta_batch, data_generator, dtype=torch.float64)
    model = model.to(device=device, dtype=torch.float64)
    batch = batch.to(device)
    initial = {name: t.detach().clone() for name, t in model.named_parameters()}
    params, metadata = initial, None
    if config.checkpoint is not None:
        params, metadata = checkpoint_params(config.checkpoint, model, device)
    inner_lr = float((metadata or {}).get("inner_lr", family.inner_lr))
    inner_steps = int((metadata or {}).get("inner_steps", 1))
    algo = "nal" if config.objective != "meta" else config.algo
    learner = make(algo, model, family.loss_fn, inner_lr, inner_steps)
    data = batch.select(slice(0, 1)) if config.objective == "task" else batch

    def objective_of(chosen: slice) -> Objective:
        return lambda p: learner.meta_loss(p, data.select(chosen))

    return Setup(
        params=params,
        initial=initial,
        objective=lambda p: learner.meta_loss(p, data),
        objective_of=objective_of,
        tasks=data.num_tasks,
        batch=data,
        loss="mse" if family.loss_fn is mse else "cross_entropy",
        model=model,
        inner_lr=inner_lr,
        inner_steps=inner_steps,
        checkpoint_metadata=metadata,
    )


def checkpoint_params(
    path: Path, model: torch.nn.Module, device: str = "cpu"
) -> tuple[Params, dict[str, Any]]:
    """θ saved at ``path`` (checked against ``model``) in float64 on ``device``, and its
    metadata."""
    loaded, metadata = load_checkpoint(path, model, device)
    return {name: t.detach().to(torch.float64) for name, t in loaded.items()}, metadata
