"""``mamlscape train``: meta-train one algorithm on a task family and save θ.

    mamlscape train --algo maml --tasks sinusoid|linear|glyphs|omniglot|mini-imagenet
                    [--iterations 1000] [--meta-batch 25] [--inner-lr α] [--inner-steps 1]
                    [--outer-lr 1e-3] [--seed 0] [--save-every 100] [--keep-checkpoints]
                    [--device cpu] [--omniglot PATH [--omniglot PATH ...] | --mini-imagenet DIR]
                    [--meta-gradient auto|autograd|compiled] [--precision float32|bfloat16]
                    [--ways 5] [--shots 1] [--queries 5] [--filters F] [--image-size S]
                    [--rotations] [--mode any|within|between]
                    --out DIR

The model, loss and tasks are the family's (``figures.commands.task_families``); the
inner step size defaults to the family's. Training is ``algorithms.train``
with Adam at ``--outer-lr`` on fresh tasks every iteration, drawn from a
generator seeded with ``--seed`` (the same command gives the same θ on the
CPU), with a progress bar. Every ``--save-every`` iterations the run's state
goes to ``DIR/progress.pt`` (``algorithms.resumable_training``): a stopped run,
rerun with the same command, goes on from there and ends with the θ an
uninterrupted run would have. ``--meta-gradient`` and ``--precision`` choose how
each meta-gradient is executed (``algorithms.meta_gradient_paths``): ``auto`` picks
batched or per-task execution by a short timing probe, ``compiled`` compiles it
with ``torch.compile`` (worth it on long runs), ``bfloat16`` runs it under
bfloat16 autocast. At the end it writes

- ``DIR/checkpoint.pt``: θ with the algorithm, inner step size and steps, the task
  family and, for images, its ``ImageOptions`` and data paths (``mamlscape spectrum
  --checkpoint``, ``mamlscape evaluate`` and ``algorithms.load_checkpoint`` read it);
- ``DIR/training.json``: the config, the meta-loss of every iteration, seconds.

With ``--keep-checkpoints`` every ``--save-every`` iterations, and at the end,
the run also keeps θ in ``DIR/checkpoints/iteration-000100.pt`` (the final
checkpoint's format and metadata, ``iterations`` being the outer steps taken)
with Adam's state beside it in ``iteration-000100.optimizer.pt``
(``figures.commands.kept_checkpoints``): what ``mamlscape spectrum --checkpoints
DIR`` measures along training, against Adam's stability threshold. A resumed
run keeps the checkpoints written before it stopped and writes the rest; as
the iterations kept hang on ``--save-every``, a run that keeps checkpoints
resumes only with the same ``--save-every`` and ``--keep-checkpoints`` (one
that does not, with any ``--save-every``). A fresh run, with nothing to resume,
first deletes the kept checkpoints an earlier run left in ``DIR/checkpoints``.

An ``--out`` that already holds a finished checkpoint is refused (``--force``
retrains over it); one with a progress file resumes. A NaN/Inf meta-loss
stops with an error naming the iteration and the step sizes, and writes no
checkpoint.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> summary = run_training(TrainConfig("maml", "linear", iterations=5, meta_batch=4), out)
    >>> sorted(p.name for p in out.iterdir()), len(summary["meta_loss"])
    (['checkpoint.pt', 'training.json'], 5)
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from algorithms import DivergenceError, available, make, parameters_of, save_checkpoint
from algorithms.checkpoint import CHECKPOINT_NAME
from algorithms.meta_gradient_paths import META_GRADIENT_PATHS
from algorithms.reduced_precision import PRECISIONS
from algorithms.resumable_training import Progress, train_resumably
from figures.commands.arguments import DefaultsHelpFormatter, checked_device, checked_output_folder
from figures.commands.kept_checkpoints import (
    CHECKPOINTS,
    keep_checkpoint,
    kept_checkpoints,
    remove_kept_checkpoints,
)
from figures.commands.task_families import (
    ImageOptions,
    add_family_arguments,
    add_image_arguments,
    check_task_family,
    image_options,
    task_family,
)
from figures.engine.files import optional_path, write_json
from synthetic import SamplerFunction
from synthetic.validation import require_count, require_positive

CHECKPOINT = CHECKPOINT_NAME
PROGRESS = "progress.pt"


@dataclass(frozen=True)
class TrainConfig:
    """What ``mamlscape train`` runs; ``inner_lr=None`` takes the family's default."""

    algo: str
    tasks: str
    iterations: int = 1000
    meta_batch: int = 25
    inner_lr: float | None = None
    inner_steps: int = 1
    outer_lr: float = 1e-3
    seed: int = 0
    omniglot: tuple[Path, ...] | None = None
    save_every: int = 100
    meta_gradient: str = "auto"
    precision: str = "float32"
    image: ImageOptions = field(default_factory=ImageOptions)
    mini_imagenet: Path | None = None
    keep_checkpoints: bool = False

    def __post_init__(self) -> None:
        if self.algo not in available():
            raise ValueError(f"--algo must be one of {list(available())}, got {self.algo!r}")
        check_task_family(self.tasks, self.omniglot, self.image, self.mini_imagenet)
        if self.image.labels == "global" and self.algo != "nal":
            raise ValueError(
                f"--labels global trains a classifier over all meta-train classes (the "
                f"pretrained baseline, fine-tuned by `mamlscape evaluate`): use it with --algo "
                f"nal, not {self.algo!r}"
            )
        for name in ("iterations", "meta_batch", "inner_steps", "save_every"):
            require_count(f"--{name.replace('_', '-')}", getattr(self, name))
        require_count("--seed", self.seed, minimum=0)
        require_positive("--outer-lr", self.outer_lr)
        if self.inner_lr is not None:
            require_positive("--inner-lr", self.inner_lr)
        if self.meta_gradient not in META_GRADIENT_PATHS:
            raise ValueError(
                f"--meta-gradient must be one of {list(META_GRADIENT_PATHS)}, "
                f"got {self.meta_gradient!r}"
            )
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"--precision must be one of {list(PRECISIONS)}, got {self.precision!r}"
            )


WORSENING_WINDOW = 5
"""The fewest iterations per tenth of a run for the worsening warning to judge."""


def add_train_command(commands: argparse._SubParsersAction) -> None:
    """Register ``train`` on an argparse sub-parsers object (``handler`` → exit code)."""
    parser = commands.add_parser(
        "train",
        formatter_class=DefaultsHelpFormatter,
        help="meta-train one algorithm on a task family and save the checkpoint",
        description=__doc__.splitlines()[0],
    )
    add_family_arguments(parser)
    add_image_arguments(parser)
    parser.add_argument("--iterations", type=int, default=1000, help="outer steps")
    parser.add_argument("--meta-batch", type=int, default=25, help="tasks per outer step")
    parser.add_argument("--inner-lr", type=float, default=None, help="α (default: the family's)")
    parser.add_argument("--inner-steps", type=int, default=1, help="inner steps in training")
    parser.add_argument("--outer-lr", type=float, default=1e-3, help="Adam's step size")
    parser.add_argument("--seed", type=int, default=0, help="initialisation and tasks")
    parser.add_argument(
        "--save-every",
        type=int,
        default=100,
        help="iterations between saves of the progress (and of kept checkpoints)",
    )
    parser.add_argument(
        "--keep-checkpoints",
        action="store_true",
        help="keep a checkpoint with Adam's state at every save in DIR/checkpoints/ "
        "(for `mamlscape spectrum --checkpoints DIR`)",
    )
    parser.add_argument(
        "--meta-gradient",
        default="auto",
        help=f"how each meta-gradient runs: one of {', '.join(META_GRADIENT_PATHS)}",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        help=f"arithmetic of the meta-gradient: one of {', '.join(PRECISIONS)}",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the checkpoint")
    parser.add_argument(
        "--force",
        action="store_true",
        help="retrain over a finished checkpoint in --out (default: refuse)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=train_command)


def train_command(args: argparse.Namespace) -> int:
    """Check the arguments, train, print where θ is."""
    device = checked_device(args.device)
    config = TrainConfig(
        args.algo,
        args.tasks,
        args.iterations,
        args.meta_batch,
        args.inner_lr,
        args.inner_steps,
        args.outer_lr,
        args.seed,
        None if args.omniglot is None else tuple(args.omniglot),
        args.save_every,
        args.meta_gradient,
        args.precision,
        image_options(args),
        args.mini_imagenet,
        args.keep_checkpoints,
    )
    out = checked_output_folder(args.out)
    if (out / CHECKPOINT).exists() and not (out / PROGRESS).exists() and not args.force:
        raise ValueError(
            f"{out} already holds a finished checkpoint ({out / CHECKPOINT}); train into a new "
            "--out, or pass --force to retrain and overwrite it"
        )
    try:
        summary = run_training(config, out, device, progress=not args.no_progress)
    except KeyboardInterrupt:
        print(
            f"mamlscape train: interrupted; the run up to its last save is in {out / PROGRESS} "
            "and the same command resumes from there",
            file=sys.stderr,
        )
        return 130
    first, last, worse = worsening(summary["meta_loss"])
    print(
        f"mamlscape train: {config.algo} on {config.tasks}, {config.iterations} iterations in "
        f"{summary['seconds']:.1f} s, meta-loss over the last 10% {last:.4g}; "
        f"checkpoint: {(out / CHECKPOINT).resolve()}"
    )
    if config.keep_checkpoints:
        print(
            f"mamlscape train: {len(kept_checkpoints(out))} checkpoints kept in "
            f"{(out / CHECKPOINTS).resolve()}; measure them with `mamlscape spectrum "
            f"--checkpoints {out}`"
        )
    if worse:
        print(
            f"mamlscape train: warning: training made the meta-loss worse ({first:.4g} over the "
            f"first 10% of iterations, {last:.4g} over the last); the step sizes may be too "
            f"large: try a smaller --inner-lr or --outer-lr",
            file=sys.stderr,
        )
    return 0


def worsening(losses: list[float]) -> tuple[float, float, bool]:
    """The mean meta-loss over the first and the last 10% of iterations, and whether the
    last exceeds the first by more than twice the standard error of their difference (each
    iteration sees other tasks, so single values are noisy); fewer than ``WORSENING_WINDOW``
    iterations per tenth cannot tell."""
    count = max(1, len(losses) // 10)
    head, tail = losses[:count], losses[-count:]
    first, last = statistics.fmean(head), statistics.fmean(tail)
    if count < WORSENING_WINDOW:
        return first, last, False
    error = math.sqrt((statistics.variance(head) + statistics.variance(tail)) / count)
    return first, last, last - first > 2 * error


def run_training(
    config: TrainConfig, out_dir: Path, device: str = "cpu", progress: bool = False
) -> dict:
    """Meta-train as ``config`` says, resuming from ``out_dir``'s progress file if there is
    one; write the checkpoint and ``training.json`` to ``out_dir`` (and, with
    ``keep_checkpoints``, the kept checkpoints to ``out_dir/checkpoints``)."""
    family = task_family(config.tasks, config.omniglot, config.image, config.mini_imagenet)
    model = family.model(torch.Generator().manual_seed(config.seed)).to(device)
    inner_lr = family.inner_lr if config.inner_lr is None else config.inner_lr
    learner = make(
        config.algo,
        model,
        family.loss_fn,
        inner_lr,
        config.inner_steps,
        meta_gradient_path=config.meta_gradient,
        precision=config.precision,
    )
    params = parameters_of(model)
    optimizer = torch.optim.Adam(params.values(), lr=config.outer_lr)
    generator = torch.Generator().manual_seed(config.seed + 1)
    run = _run_key(config)
    metadata = {
        "algorithm": learner.name,
        "inner_lr": inner_lr,
        "inner_steps": config.inner_steps,
        "task_family": config.tasks,
        "image": asdict(config.image),
        "head_ways": None if family.setup is None else family.tasks.num_labels,
        "omniglot": [str(Path(path).resolve()) for path in config.omniglot or ()],
        "mini_imagenet": optional_path(config.mini_imagenet and config.mini_imagenet.resolve()),
    }

    def keep(state: Progress) -> None:
        if state.done % config.save_every == 0 or state.done == config.iterations:
            keep_checkpoint(out_dir, state.done, model, params, optimizer, **metadata)

    if not (out_dir / PROGRESS).exists():
        remove_kept_checkpoints(out_dir)
    bar = tqdm(total=config.iterations, desc="train", disable=not progress)
    try:
        result = train_resumably(
            learner,
            params,
            SamplerFunction(lambda n, g: family.tasks.sample(n, g).to(device)),
            config.iterations,
            generator,
            optimizer,
            meta_batch=config.meta_batch,
            state_path=out_dir / PROGRESS,
            run_key=run,
            save_every=config.save_every,
            progress=bar,
            on_save=keep if config.keep_checkpoints else None,
        )
    except DivergenceError as error:
        raise _diverged(error, inner_lr, config, out_dir) from error
    bar.close()
    save_checkpoint(out_dir / CHECKPOINT, model, params, iterations=config.iterations, **metadata)
    summary = {
        "config": run,
        "inner_lr": inner_lr,
        "device": device,
        "seconds": result.seconds,
        "meta_loss": result.losses,
    }
    write_json(out_dir / "training.json", summary)
    (out_dir / PROGRESS).unlink()
    return summary


def _diverged(
    error: DivergenceError, inner_lr: float, config: TrainConfig, out_dir: Path
) -> ValueError:
    """The divergence in the command's terms: the run's iteration and its options."""
    saved = out_dir / PROGRESS
    kept = f"; the last saved state stays in {saved}" if saved.exists() else ""
    return ValueError(
        f"the meta-loss became NaN/Inf at iteration {error.iteration} with --inner-lr "
        f"{inner_lr:g} and --outer-lr {config.outer_lr:g}; lower them and train into a new "
        f"--out{kept}"
    )


def _run_key(config: TrainConfig) -> dict:
    """What identifies a run for resuming: the config as plain values, less ``save_every`` and
    ``keep_checkpoints`` when no checkpoints are kept (the key of such a run is as it was
    before checkpoints could be kept); a run that keeps them keeps both, as the iterations it
    keeps hang on ``save_every`` and a resumed run must keep the same ones, before and after."""
    key = {
        **asdict(config),
        "omniglot": [optional_path(path) for path in config.omniglot or ()],
        "mini_imagenet": optional_path(config.mini_imagenet),
    }
    if not config.keep_checkpoints:
        del key["save_every"], key["keep_checkpoints"]
    return key
