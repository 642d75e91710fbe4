"""The task families the commands know by name: a model, its loss and a task sampler.

- ``sinusoid``: Finn et al.'s MLP 1-40-40-1 under squared loss on sinusoid
  tasks (K = 10 support and 10 query points);
- ``linear``: a bias-free linear model y = ⟨θ, x⟩ (d = 10) under squared loss
  on ``LinearTaskMixture.easy_hard`` (ρ_E = 0.9, ρ_H = 0.1, p_H = ½, D = 2,
  ν = 0.1; 20 support and 20 query points);
- ``glyphs``: the 4-block conv net (8 filters) under cross-entropy on 5-way
  1-shot tasks (5 queries per class) of the meta-train alphabets of
  ``figures.claims.fewshot.FewShotSetup``: procedural glyphs, or Omniglot from a path;
- ``omniglot``: the same on real Omniglot (``--omniglot PATH``, repeatable), with
  Finn et al.'s net (64 filters) by default.

The image families take ``ImageOptions`` (ways, shots, queries, filters, image
size, rotations, task mode); a checkpoint records them, so ``mamlscape
evaluate`` rebuilds the same net and the meta-test tasks.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from algorithms import MLP, ConvNet, available, cross_entropy, mse
from algorithms.losses import LossFn
from figures.claims.fewshot import FewShotSetup
from synthetic import LinearTaskMixture, SinusoidTasks, TaskSampler
from synthetic.validation import require_count

TASK_FAMILIES = ("sinusoid", "linear", "glyphs", "omniglot")
IMAGE_FAMILIES = ("glyphs", "omniglot")
LINEAR_DIM = 10
GLYPH_SETUP = FewShotSetup(filters=8)
TASK_MODES = ("any", "within", "between")


@dataclass(frozen=True)
class ImageOptions:
    """N-way K-shot tasks with Q queries per class, the conv net's filters, the image size,
    rotated copies of every class (``rotations``) and how classes are drawn (``mode``);
    ``filters=None`` is the family's own (8 on glyphs, 64 on Omniglot)."""

    ways: int = 5
    shots: int = 1
    queries: int = 5
    filters: int | None = None
    image_size: int = 28
    rotations: bool = False
    mode: str = "any"

    def __post_init__(self) -> None:
        for name in ("ways", "shots", "queries", "image_size"):
            require_count(f"--{name.replace('_', '-')}", getattr(self, name))
        if self.filters is not None:
            require_count("--filters", self.filters)
        if self.mode not in TASK_MODES:
            raise ValueError(f"--mode must be one of {list(TASK_MODES)}, got {self.mode!r}")

    def setup(self, family: str, omniglot: Sequence[Path] | None) -> FewShotSetup:
        """The few-shot set-up of ``family`` with these options."""
        filters = self.filters or (GLYPH_SETUP.filters if family == "glyphs" else 64)
        sources = None if not omniglot else tuple(str(Path(p).resolve()) for p in omniglot)
        return replace(
            GLYPH_SETUP,
            ways=self.ways,
            shots=self.shots,
            queries=self.queries,
            filters=filters,
            image_size=self.image_size,
            rotations=self.rotations,
            omniglot=sources,
        )


@dataclass(frozen=True)
class TaskFamily:
    """A task family: ``model(generator)`` (initialised from it), the loss, the default
    inner step size, and its tasks (which draw in any ``dtype=``, as every distribution
    of ``synthetic`` does)."""

    model: Callable[[torch.Generator], nn.Module]
    loss_fn: LossFn
    inner_lr: float
    tasks: TaskSampler
    setup: FewShotSetup | None = None


def add_family_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a command that runs an algorithm on a task family:
    ``--algo``, ``--tasks``, ``--device`` and ``--omniglot``."""
    parser.add_argument("--algo", required=True, help=f"one of {', '.join(available())}")
    parser.add_argument("--tasks", required=True, help=f"one of {', '.join(TASK_FAMILIES)}")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument(
        "--omniglot",
        type=Path,
        action="append",
        default=None,
        help="Omniglot folder or zip for --tasks omniglot (or glyphs); repeat for more sources",
    )


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``ImageOptions`` of the image families, as command-line options."""
    defaults = ImageOptions()
    parser.add_argument("--ways", type=int, default=defaults.ways, help="N classes per task")
    parser.add_argument("--shots", type=int, default=defaults.shots, help="K shots per class")
    parser.add_argument("--queries", type=int, default=defaults.queries, help="queries per class")
    parser.add_argument(
        "--filters", type=int, default=None, help="conv filters (default 8 glyphs, 64 omniglot)"
    )
    parser.add_argument("--image-size", type=int, default=defaults.image_size, help="pixels")
    parser.add_argument(
        "--rotations", action="store_true", help="add each class rotated by 90°, 180°, 270°"
    )
    parser.add_argument(
        "--mode", default=defaults.mode, help=f"how a task's classes are drawn: {TASK_MODES}"
    )


def image_options(args: argparse.Namespace) -> ImageOptions:
    return ImageOptions(
        args.ways,
        args.shots,
        args.queries,
        args.filters,
        args.image_size,
        args.rotations,
        args.mode,
    )


def check_task_family(
    name: str, omniglot: Sequence[Path] | Path | None = None, image: ImageOptions | None = None
) -> None:
    """Refuse an unknown family name, Omniglot or image options for a family without images,
    and the omniglot family without its data."""
    if name not in TASK_FAMILIES:
        raise ValueError(f"--tasks must be one of {list(TASK_FAMILIES)}, got {name!r}")
    if omniglot and name not in IMAGE_FAMILIES:
        raise ValueError(
            f"--omniglot applies to --tasks glyphs or omniglot, not to {name!r}; drop it or "
            "ask for --tasks omniglot"
        )
    if name == "omniglot" and not omniglot:
        raise ValueError(
            "--tasks omniglot needs the data: give --omniglot PATH (a zip such as "
            "images_background.zip or a folder; repeatable)"
        )
    if image is not None and image != ImageOptions() and name not in IMAGE_FAMILIES:
        raise ValueError(
            f"--ways/--shots/--queries/--filters/--image-size/--rotations/--mode apply to "
            f"--tasks glyphs or omniglot, not to {name!r}; drop them"
        )


def task_family(
    name: str, omniglot: Sequence[Path] | Path | None = None, image: ImageOptions | None = None
) -> TaskFamily:
    """The family called ``name``; an image family is built from ``image`` on ``omniglot``
    (None: the procedural glyphs) and samples the meta-train split."""
    check_task_family(name, omniglot, image)
    if name == "sinusoid":
        return TaskFamily(lambda g: MLP((1, 40, 40, 1), generator=g), mse, 0.01, SinusoidTasks())
    if name == "linear":
        mixture = LinearTaskMixture.easy_hard(
            LINEAR_DIM, rho_easy=0.9, rho_hard=0.1, p_hard=0.5, distance=2.0, noise_std=0.1
        )
        return TaskFamily(_linear_model, mse, 0.25, mixture.sampler(20, 20))
    sources = [omniglot] if isinstance(omniglot, Path | str) else omniglot
    options = image or ImageOptions()
    setup = options.setup(name, sources)
    tasks = setup.tasks(setup.splits().train, options.mode)

    def image_model(generator: torch.Generator) -> nn.Module:
        return ConvNet(
            setup.ways, filters=setup.filters, image_size=setup.image_size, generator=generator
        )

    return TaskFamily(image_model, cross_entropy, 0.4, tasks, setup)


def _linear_model(generator: torch.Generator) -> nn.Module:
    model = nn.Linear(LINEAR_DIM, 1, bias=False)
    with torch.no_grad():
        model.weight.uniform_(-(LINEAR_DIM**-0.5), LINEAR_DIM**-0.5, generator=generator)
    return model
