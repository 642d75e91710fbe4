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
  Finn et al.'s net (64 filters) by default;
- ``mini-imagenet``: the same on miniImageNet's meta-train classes
  (``--mini-imagenet DIR``, RGB), with Finn et al.'s net for it (32 filters, 84 px).

The image families take ``ImageOptions`` (ways, shots, queries, filters, image
size, rotations, task mode, labels); a checkpoint records them, so ``mamlscape
evaluate`` rebuilds the same net and the meta-test tasks. With
``labels="global"`` the tasks carry the meta-train classes' own indices and the
net's head has one output per meta-train class: ``--algo nal`` on them is
supervised pretraining over all classes, the baseline that ``mamlscape
evaluate`` then fine-tunes on each test task (a fresh zero head of N ways).

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
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from algorithms import MLP, available, cross_entropy, mse
from algorithms.losses import LossFn
from figures.claims.fewshot import FewShotSetup
from synthetic import LinearTaskMixture, SinusoidTasks, TaskSampler
from synthetic.episodes import LABELS, TASK_MODES
from synthetic.validation import require_count

TASK_FAMILIES = ("sinusoid", "linear", "glyphs", "omniglot", "mini-imagenet")
IMAGE_FAMILIES = ("glyphs", "omniglot", "mini-imagenet")
DEFAULT_FILTERS = {"glyphs": 8, "omniglot": 64, "mini-imagenet": 32}
DEFAULT_IMAGE_SIZE = {"glyphs": 28, "omniglot": 28, "mini-imagenet": 84}
LINEAR_DIM = 10


@dataclass(frozen=True)
class ImageOptions:
    """N-way K-shot tasks with Q queries per class, the conv net's filters, the image size,
    rotated copies of every class (``rotations``), how classes are drawn (``mode``) and
    labelled (``labels``: per task, or the meta-train classes' own, ``synthetic.FewShotTasks``);
    ``filters=None`` and ``image_size=None`` are the family's own (``DEFAULT_FILTERS``,
    ``DEFAULT_IMAGE_SIZE``: 8 filters on glyphs, 64 on Omniglot at 28 px, 32 on miniImageNet
    at 84 px)."""

    ways: int = 5
    shots: int = 1
    queries: int = 5
    filters: int | None = None
    image_size: int | None = None
    rotations: bool = False
    mode: str = "any"
    labels: str = "task"

    def __post_init__(self) -> None:
        for name in ("ways", "shots", "queries"):
            require_count(f"--{name}", getattr(self, name))
        for name in ("filters", "image_size"):
            if getattr(self, name) is not None:
                require_count(f"--{name.replace('_', '-')}", getattr(self, name))
        if self.mode not in TASK_MODES:
            raise ValueError(f"--mode must be one of {list(TASK_MODES)}, got {self.mode!r}")
        if self.labels not in LABELS:
            raise ValueError(f"--labels must be one of {list(LABELS)}, got {self.labels!r}")

    def setup(
        self,
        family: str,
        omniglot: Sequence[Path] | None,
        mini_imagenet: Path | None = None,
    ) -> FewShotSetup:
        """The few-shot set-up of ``family`` with these options, on its data."""
        sources = None if not omniglot else tuple(str(Path(p).resolve()) for p in omniglot)
        return FewShotSetup(
            ways=self.ways,
            shots=self.shots,
            queries=self.queries,
            filters=self.filters or DEFAULT_FILTERS[family],
            image_size=self.image_size or DEFAULT_IMAGE_SIZE[family],
            rotations=self.rotations,
            omniglot=sources,
            mini_imagenet=None if mini_imagenet is None else str(Path(mini_imagenet).resolve()),
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
    ``--algo``, ``--tasks``, ``--device``, ``--omniglot`` and ``--mini-imagenet``."""
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
    parser.add_argument(
        "--mini-imagenet",
        type=Path,
        default=None,
        metavar="DIR",
        help="miniImageNet folder (train/val/test.csv with images/, or the split pickles) "
        "for --tasks mini-imagenet",
    )


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``ImageOptions`` of the image families, as command-line options."""
    defaults = ImageOptions()
    parser.add_argument("--ways", type=int, default=defaults.ways, help="N classes per task")
    parser.add_argument("--shots", type=int, default=defaults.shots, help="K shots per class")
    parser.add_argument("--queries", type=int, default=defaults.queries, help="queries per class")
    parser.add_argument(
        "--filters",
        type=int,
        default=None,
        help="conv filters (default 8 glyphs, 64 omniglot, 32 mini-imagenet)",
    )
    parser.add_argument(
        "--image-size", type=int, default=None, help="pixels (default 28, mini-imagenet 84)"
    )
    parser.add_argument(
        "--rotations", action="store_true", help="add each class rotated by 90°, 180°, 270°"
    )
    parser.add_argument(
        "--mode", default=defaults.mode, help=f"how a task's classes are drawn: {TASK_MODES}"
    )
    parser.add_argument(
        "--labels",
        default=defaults.labels,
        help="task: 0..N-1 per task; global: the meta-train classes' own labels, a head over "
        "all of them (with --algo nal: the pretrained baseline)",
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
        args.labels,
    )


def check_task_family(
    name: str,
    omniglot: Sequence[Path] | Path | None = None,
    image: ImageOptions | None = None,
    mini_imagenet: Path | None = None,
) -> None:
    """Refuse an unknown family name, data or image options for a family that does not read
    them, and the omniglot and mini-imagenet families without their data."""
    if name not in TASK_FAMILIES:
        raise ValueError(f"--tasks must be one of {list(TASK_FAMILIES)}, got {name!r}")
    if omniglot and name not in ("glyphs", "omniglot"):
        raise ValueError(
            f"--omniglot applies to --tasks glyphs or omniglot, not to {name!r}; drop it or "
            "ask for --tasks omniglot"
        )
    if mini_imagenet is not None and name != "mini-imagenet":
        raise ValueError(
            f"--mini-imagenet applies to --tasks mini-imagenet, not to {name!r}; drop it or "
            "ask for --tasks mini-imagenet"
        )
    if name == "omniglot" and not omniglot:
        raise ValueError(
            "--tasks omniglot needs the data: give --omniglot PATH (a zip such as "
            "images_background.zip or a folder; repeatable)"
        )
    if name == "mini-imagenet" and mini_imagenet is None:
        raise ValueError(
            "--tasks mini-imagenet needs the data: give --mini-imagenet DIR (the folder with "
            "train.csv, val.csv, test.csv and images/, or the split pickles)"
        )
    if image is not None and image != ImageOptions() and name not in IMAGE_FAMILIES:
        raise ValueError(
            f"--ways/--shots/--queries/--filters/--image-size/--rotations/--mode/--labels apply to "
            f"--tasks {', '.join(IMAGE_FAMILIES)}, not to {name!r}; drop them"
        )


def task_family(
    name: str,
    omniglot: Sequence[Path] | Path | None = None,
    image: ImageOptions | None = None,
    mini_imagenet: Path | None = None,
) -> TaskFamily:
    """The family called ``name``; an image family is built from ``image`` on ``omniglot``
    or ``mini_imagenet`` (None for both: the procedural glyphs) and samples the meta-train
    split."""
    check_task_family(name, omniglot, image, mini_imagenet)
    if name == "sinusoid":
        return TaskFamily(lambda g: MLP((1, 40, 40, 1), generator=g), mse, 0.01, SinusoidTasks())
    if name == "linear":
        mixture = LinearTaskMixture.easy_hard(
            LINEAR_DIM, rho_easy=0.9, rho_hard=0.1, p_hard=0.5, distance=2.0, noise_std=0.1
        )
        return TaskFamily(_linear_model, mse, 0.25, mixture.sampler(20, 20))
    sources = [omniglot] if isinstance(omniglot, Path | str) else omniglot
    options = image or ImageOptions()
    setup = options.setup(name, sources, mini_imagenet)
    tasks = setup.tasks(setup.splits().train, options.mode, options.labels)

    def image_model(generator: torch.Generator) -> nn.Module:
        return setup.convnet(generator, ways=tasks.num_labels)

    return TaskFamily(image_model, cross_entropy, 0.4, tasks, setup)


def _linear_model(generator: torch.Generator) -> nn.Module:
    model = nn.Linear(LINEAR_DIM, 1, bias=False)
    with torch.no_grad():
        model.weight.uniform_(-(LINEAR_DIM**-0.5), LINEAR_DIM**-0.5, generator=generator)
    return model
