"""``mamlscape evaluate``: meta-test accuracy of a trained image checkpoint, with its interval.

    mamlscape evaluate --checkpoint DIR [--omniglot PATH ... | --mini-imagenet DIR] [--ways N]
                       [--shots K] [--queries Q] [--steps 0,1,5,10] [--inner-lr α]
                       [--adapt all|head] [--test-tasks 600] [--seed 0] [--mode any|within|between]
                       [--device cpu] [--out FILE.json]

The checkpoint (from ``mamlscape train --tasks glyphs|omniglot|mini-imagenet``) records the
task family, its ``ImageOptions`` and data, so the same conv net is rebuilt
and θ loaded. ``--test-tasks`` tasks are drawn from the meta-**test** split
(alphabets, or miniImageNet's test classes, disjoint from meta-training, asserted by
``ClassSplits``); each is
adapted from θ by the checkpoint's inner rule (plain gradient steps at its α,
or ``--inner-lr``) on its support set and scored on its queries after every
count in ``--steps``. The report is the mean accuracy with its 95% Student-t
interval over tasks, per step count.

``--ways`` other than the trained N re-initialises the head to zeros (Finn et
al.'s code initialises it so; every class then starts at the same logit, and
adaptation alone separates them), keeping the body. ``--adapt head`` adapts
only the head (ANIL's test-time rule), ``all`` every parameter (MAML's).
A checkpoint of ``train --algo nal --labels global`` (supervised pretraining
over all meta-train classes) always gets the fresh zero head: that is the
pretrained baseline, fine-tuned on each test task's support set.

Example:
    >>> parser = argparse.ArgumentParser()
    >>> add_evaluate_arguments(parser)
    >>> parser.parse_args(["--checkpoint", "run"]).steps
    '1,5,10'
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from algorithms import (
    checkpoint_metadata,
    cross_entropy,
    evaluate_accuracy,
    load_checkpoint,
    make,
)
from algorithms.params import Params
from analysis.statistics import mean_interval
from figures.claims.fewshot import FewShotSetup
from figures.commands.arguments import DefaultsHelpFormatter, checked_device
from figures.commands.task_families import IMAGE_FAMILIES, ImageOptions
from figures.engine.files import write_json
from synthetic.class_splits import check_disjoint

ADAPTATIONS = ("all", "head")
TEST_SEED_OFFSET = 2_000_003


def add_evaluate_command(commands: argparse._SubParsersAction) -> None:
    """Register ``evaluate`` on an argparse sub-parsers object (``handler`` → exit code)."""
    parser = commands.add_parser(
        "evaluate",
        formatter_class=DefaultsHelpFormatter,
        help="meta-test accuracy of an image checkpoint with a 95%% interval",
        description=__doc__.splitlines()[0],
    )
    add_evaluate_arguments(parser)
    parser.set_defaults(handler=evaluate_command)


def add_evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True, help="train's --out or file")
    parser.add_argument(
        "--omniglot", type=Path, action="append", default=None, help="data (default: trained)"
    )
    parser.add_argument(
        "--mini-imagenet", type=Path, default=None, metavar="DIR", help="data (default: trained)"
    )
    parser.add_argument("--ways", type=int, default=None, help="N (default: trained)")
    parser.add_argument("--shots", type=int, default=None, help="K (default: trained)")
    parser.add_argument("--queries", type=int, default=None, help="queries per class")
    parser.add_argument("--mode", default=None, help="any, within or between (default: trained)")
    parser.add_argument("--steps", default="1,5,10", help="adaptation step counts, e.g. 0,1,5")
    parser.add_argument("--inner-lr", type=float, default=None, help="α (default: trained)")
    parser.add_argument("--adapt", default="all", help=f"what adapts: {' or '.join(ADAPTATIONS)}")
    parser.add_argument("--test-tasks", type=int, default=600, help="meta-test tasks")
    parser.add_argument("--seed", type=int, default=0, help="which test tasks")
    parser.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--out", type=Path, default=None, help="also write the report as JSON")


def evaluate_command(args: argparse.Namespace) -> int:
    """Check the arguments, evaluate, print one line per step count."""
    report = evaluate_checkpoint(args, checked_device(args.device))
    for steps, summary in report["accuracy"].items():
        print(
            f"after {steps} steps: accuracy {summary['mean']:.4f} ± {summary['half_width']:.4f} "
            f"(95%, {summary['count']} meta-test tasks)"
        )
    print(f"  {report['note']}")
    if args.out is not None:
        write_json(args.out, report)
    return 0


def evaluate_checkpoint(args: argparse.Namespace, device: str) -> dict[str, Any]:
    """The accuracy report of the module docstring, as plain values."""
    steps = _steps(args.steps)
    if args.adapt not in ADAPTATIONS:
        raise ValueError(f"--adapt must be one of {list(ADAPTATIONS)}, got {args.adapt!r}")
    metadata = _metadata(args.checkpoint)
    trained = ImageOptions(**metadata["image"])
    options = replace(
        trained,
        ways=args.ways or trained.ways,
        shots=args.shots or trained.shots,
        queries=args.queries or trained.queries,
        mode=args.mode or trained.mode,
    )
    omniglot = args.omniglot or [Path(path) for path in metadata["omniglot"]] or None
    mini_imagenet = args.mini_imagenet or metadata.get("mini_imagenet")
    setup = options.setup(metadata["task_family"], omniglot, mini_imagenet)
    splits = setup.splits()
    check_disjoint(train=splits.train, test=splits.test)
    tasks = setup.tasks(splits.test.to(device), options.mode)
    head_ways = metadata.get("head_ways") or trained.ways
    params, head_note = _params(args.checkpoint, head_ways, options, setup, device)
    inner_lr = metadata["inner_lr"] if args.inner_lr is None else args.inner_lr
    algorithm = "anil" if args.adapt == "head" else "maml"
    learner = make(algorithm, setup.convnet(ways=options.ways).to(device), cross_entropy, inner_lr)
    generator = torch.Generator(device).manual_seed(args.seed + TEST_SEED_OFFSET)
    accuracy = evaluate_accuracy(learner, params, tasks, generator, args.test_tasks, steps)
    return {
        "checkpoint": str(args.checkpoint),
        "tasks": f"{options.ways}-way {options.shots}-shot, {options.queries} queries per class",
        "adapt": args.adapt,
        "inner_lr": inner_lr,
        "test_alphabets": list(splits.test.group_names),
        "accuracy": {
            str(count): mean_interval(values).as_dict() for count, values in accuracy.items()
        },
        "note": head_note,
    }


def _metadata(checkpoint: Path) -> dict[str, Any]:
    metadata = checkpoint_metadata(checkpoint)
    if metadata.get("task_family") not in IMAGE_FAMILIES:
        raise ValueError(
            f"{checkpoint} is a checkpoint of --tasks {metadata.get('task_family')!r}; evaluate "
            f"scores image checkpoints ({', '.join(IMAGE_FAMILIES)}); use `mamlscape spectrum` "
            "for the others"
        )
    return metadata


def _params(
    checkpoint: Path, head_ways: int, options: ImageOptions, setup: FewShotSetup, device: str
) -> tuple[Params, str]:
    """θ from the checkpoint (a head of ``head_ways`` outputs); with other ways, the head
    re-initialised to zeros."""
    params, _ = load_checkpoint(checkpoint, setup.convnet(ways=head_ways).to(device), device)
    if options.ways == head_ways:
        return params, f"the trained {head_ways}-way head"
    fresh = dict(setup.convnet(ways=options.ways).to(device).named_parameters())
    head = [name for name in fresh if name.startswith("head.")]
    for name in head:
        params[name] = torch.zeros_like(fresh[name]).requires_grad_(True)
    return params, (
        f"the head is re-initialised to zeros for {options.ways} ways (trained with "
        f"{head_ways} outputs); the body is the checkpoint's"
    )


def _steps(text: str) -> tuple[int, ...]:
    try:
        steps = tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError as error:
        raise ValueError(
            f"--steps must be comma-separated counts, e.g. 0,1,5; got {text!r}"
        ) from error
    if not steps or steps[0] < 0:
        raise ValueError(f"--steps must be counts ≥ 0, e.g. 0,1,5; got {text!r}")
    return steps
