"""The task families the commands know by name: a model, its loss and a task sampler.

- ``sinusoid``: Finn et al.'s MLP 1-40-40-1 under squared loss on sinusoid
  tasks (K = 10 support and 10 query points);
- ``linear``: a bias-free linear model y = ⟨θ, x⟩ (d = 10) under squared loss
  on ``LinearTaskMixture.easy_hard`` (ρ_E = 0.9, ρ_H = 0.1, p_H = ½, D = 2,
  ν = 0.1; 20 support and 20 query points);
- ``glyphs``: the 4-block conv net (8 filters) under cross-entropy on 5-way
  1-shot tasks (5 queries per class) of the meta-train alphabets of
  ``figures.claims.fewshot.FewShotSetup``: procedural glyphs, or Omniglot from a path.

``mamlscape train`` meta-trains on a family and ``mamlscape spectrum`` measures
one of its objectives; a checkpoint from the first loads in the second.

Example:
    >>> import torch
    >>> family = task_family("linear")
    >>> model = family.model(torch.Generator().manual_seed(0))
    >>> batch = family.tasks.sample(3, torch.Generator().manual_seed(1), dtype=torch.float32)
    >>> tuple(model(batch.query_x).shape), family.inner_lr
    ((3, 20, 1), 0.25)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from algorithms import MLP, ConvNet, available, cross_entropy, mse
from algorithms.losses import LossFn
from figures.claims.fewshot import FewShotSetup
from synthetic import LinearTaskMixture, SinusoidTasks, TaskSampler

TASK_FAMILIES = ("sinusoid", "linear", "glyphs")
LINEAR_DIM = 10
GLYPH_SETUP = FewShotSetup(filters=8)


@dataclass(frozen=True)
class TaskFamily:
    """A task family: ``model(generator)`` (initialised from it), the loss, the default
    inner step size, and its tasks (which draw in any ``dtype=``, as every distribution
    of ``synthetic`` does)."""

    model: Callable[[torch.Generator], nn.Module]
    loss_fn: LossFn
    inner_lr: float
    tasks: TaskSampler


def add_family_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a command that runs an algorithm on a task family:
    ``--algo``, ``--tasks``, ``--device`` and ``--omniglot``."""
    parser.add_argument("--algo", required=True, help=f"one of {', '.join(available())}")
    parser.add_argument("--tasks", required=True, help=f"one of {', '.join(TASK_FAMILIES)}")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument(
        "--omniglot", type=Path, default=None, help="Omniglot folder or zip for --tasks glyphs"
    )


def check_task_family(name: str, omniglot: Path | None = None) -> None:
    """Refuse an unknown family name, or ``omniglot`` for a family without images."""
    if name not in TASK_FAMILIES:
        raise ValueError(f"--tasks must be one of {list(TASK_FAMILIES)}, got {name!r}")
    if omniglot is not None and name != "glyphs":
        raise ValueError(
            f"--omniglot applies to --tasks glyphs, not to {name!r}; drop it or ask for "
            "--tasks glyphs"
        )


def task_family(name: str, omniglot: Path | None = None) -> TaskFamily:
    """The family called ``name``; ``omniglot`` (glyphs only) replaces the procedural glyphs."""
    check_task_family(name, omniglot)
    if name == "sinusoid":
        return TaskFamily(lambda g: MLP((1, 40, 40, 1), generator=g), mse, 0.01, SinusoidTasks())
    if name == "linear":
        mixture = LinearTaskMixture.easy_hard(
            LINEAR_DIM, rho_easy=0.9, rho_hard=0.1, p_hard=0.5, distance=2.0, noise_std=0.1
        )
        return TaskFamily(_linear_model, mse, 0.25, mixture.sampler(20, 20))
    setup = GLYPH_SETUP.at("cpu", None if omniglot is None else str(omniglot))
    tasks = setup.tasks(setup.splits().train)

    def glyph_model(generator: torch.Generator) -> nn.Module:
        return ConvNet(setup.ways, filters=setup.filters, generator=generator)

    return TaskFamily(glyph_model, cross_entropy, 0.4, tasks)


def _linear_model(generator: torch.Generator) -> nn.Module:
    model = nn.Linear(LINEAR_DIM, 1, bias=False)
    with torch.no_grad():
        model.weight.uniform_(-(LINEAR_DIM**-0.5), LINEAR_DIM**-0.5, generator=generator)
    return model
