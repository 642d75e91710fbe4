"""The ``mamlscape`` command.

    mamlscape reproduce [--scale quick|paper] [--out DIR] [--device cpu|cuda]

``reproduce`` runs the main job: for now the sinusoid demo (MAML vs NAL,
Finn et al.) and the linear-mixture demo (Collins et al.), each writing
``summary.json`` and PNG figures into its own folder under ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from figures import linear_demo, sinusoid_demo
from figures.files import write_json

SCALES = ("smoke", "quick", "paper")
DEMOS = {
    "sinusoid": (sinusoid_demo.SCALES, sinusoid_demo.run_sinusoid_demo),
    "linear_mixture": (linear_demo.SCALES, linear_demo.run_linear_demo),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.exit(2, f"mamlscape: error: {error}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mamlscape", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    reproduce = commands.add_parser("reproduce", help="run the main job and write its results")
    reproduce.add_argument(
        "--scale",
        choices=SCALES,
        default="quick",
        help="smoke: seconds, checks the pipeline only; quick: about a minute "
        "on a laptop CPU; paper: the papers' run lengths",
    )
    reproduce.add_argument(
        "--out",
        type=Path,
        default=Path("results/quick"),
        help="folder for the results (created if missing)",
    )
    reproduce.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    reproduce.add_argument(
        "--demos", default=",".join(DEMOS), help=f"comma-separated subset of {','.join(DEMOS)}"
    )
    reproduce.add_argument("--no-progress", action="store_true", help="hide progress bars")
    reproduce.set_defaults(handler=reproduce_command)
    return parser


def reproduce_command(args: argparse.Namespace) -> int:
    device = checked_device(args.device)
    names = [name.strip() for name in args.demos.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DEMOS))
    if unknown or not names:
        raise ValueError(f"--demos got {unknown or names}; choose from {list(DEMOS)}")
    out = checked_output_folder(args.out)
    print(f"mamlscape reproduce: scale={args.scale}, device={device}, writing to {out.resolve()}")
    index = {"scale": args.scale, "device": device, "demos": {}}
    for name in names:
        scales, run = DEMOS[name]
        start = time.perf_counter()
        summary = run(scales[args.scale], out / name, device=device, progress=not args.no_progress)
        verdict = summary["check"]
        index["demos"][name] = {"folder": name, "seconds": time.perf_counter() - start, **verdict}
        print(f"  {name}: {verdict['verdict']} ({verdict['reason']}) -> {(out / name).resolve()}")
    write_json(out / "index.json", index)
    print(f"done: {out.resolve()}")
    return 0


def checked_device(name: str) -> str:
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise ValueError(f"--device {name!r} is not a torch device: {error}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "--device cuda was asked for but this torch sees no CUDA GPU; use --device cpu"
        )
    return str(device)


def checked_output_folder(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ValueError(
            f"cannot write to the output folder {out}: {error}; pick another --out"
        ) from error
    return out


if __name__ == "__main__":
    sys.exit(main())
