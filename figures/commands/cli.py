"""The ``mamlscape`` command.

    mamlscape reproduce [--claims L1,L3] [--scale smoke|quick|omniglot|paper] [--out DIR]
                        [--device cpu|cuda] [--omniglot PATH [--omniglot PATH ...]]
                        [--mini-imagenet DIR] [--dry-run]
                        [--jobs N | --serial | --scheduler tcp://HOST:8786 | --dask-local N]
                        [--cells-per-task N]
    mamlscape spectrum --algo maml --tasks sinusoid [--checkpoint PATH | --checkpoints DIR]
                       [--per-layer] [--ggn] --out DIR
    mamlscape train --algo maml --tasks sinusoid [--iterations 1000] --out DIR
    mamlscape evaluate --checkpoint DIR [--ways N] [--steps 1,5,10] [--adapt all|head]
    mamlscape readme --verdicts OUT/verdicts.json [--verdicts ...] [--readme README.md]

``reproduce`` runs the experiment cells of the selected claims (all by
default; at ``--scale omniglot`` the image claims, on the Omniglot sources
given; at ``--scale paper`` each paper's protocol on its own dataset, so the
Sign-MAML and Sharp-MAML claims need ``--mini-imagenet`` and L7 ``--omniglot``),
reusing every cell already in ``OUT/cache``, checks each claim and
writes ``report.html``, ``report.md``, ``results.json`` and ``figures/`` into
``--out``. Cells run in a local process pool (one worker per core, or
``--jobs N``), one after another (``--serial``), on a running Dask scheduler
(``--scheduler``) or on a Dask cluster of N workers started on loopback
(``--dask-local N``); each result is stored as it finishes, so a killed run
loses only the cells in flight. A failed cell exits with status 1 after the
other cells are stored; Ctrl-C exits with status 130 and a summary of what is
done; a bad argument exits with status 2. ``spectrum`` writes a
Hessian-spectrum report of one objective (see ``figures.commands.spectrum``);
``train`` meta-trains one algorithm and saves the checkpoint that
``spectrum --checkpoint`` reads (see ``figures.commands.train``). ``readme``
rewrites the README's verdict tables from a run's ``verdicts.json`` and keeps a
copy of it beside the README (see ``figures.engine.verdict_summary``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from figures.claims.catalogue import claim_ids, select
from figures.commands.arguments import (
    DefaultsHelpFormatter,
    checked_data_paths,
    checked_device,
    checked_executor,
    checked_mini_imagenet,
    checked_output_folder,
)
from figures.commands.evaluate import add_evaluate_command
from figures.commands.run_plan import ESTIMATED_SCALES, run_plan
from figures.commands.spectrum import add_spectrum_command
from figures.commands.train import add_train_command
from figures.engine.claim import PIPELINE_SCALES, SCALES, Claim
from figures.engine.files import write_json
from figures.engine.provenance import provenance, run_commit
from figures.engine.report import PIPELINE_NOTE, write_report
from figures.engine.runner import CellFailuresError, SweepInterrupted, run_claims
from figures.engine.verdict_summary import (
    merge_summaries,
    render_summary,
    replace_block,
    summary_copy,
)
from synthetic.files import write_atomically


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command runs so that it stops as Ctrl-C does."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a bad argument exits 2, a failed cell 1, Ctrl-C 130 and SIGTERM 143,
    the last two with a summary of what is stored."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = list(sys.argv[1:] if argv is None else argv)
    try:
        with sigterm_as_interrupt():
            return args.handler(args)
    except ValueError as error:
        parser.exit(2, f"mamlscape: error: {error}\n")
    except CellFailuresError as error:
        print(f"mamlscape: error: {error}", file=sys.stderr)
        return 1
    except SweepInterrupted as interrupt:
        print(
            f"mamlscape: {_stopped_by(interrupt.__cause__)}: {interrupt.summary.describe()}; "
            "rerun the same command to compute only the missing cells",
            file=sys.stderr,
        )
        return _interrupt_status(interrupt.__cause__)
    except KeyboardInterrupt as interrupt:
        print(
            f"mamlscape: {_stopped_by(interrupt)}; every finished cell is in the cache and a "
            "rerun of the same command computes only the missing ones",
            file=sys.stderr,
        )
        return _interrupt_status(interrupt)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the body runs (in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped_by(interrupt: BaseException | None) -> str:
    return "terminated (SIGTERM)" if isinstance(interrupt, Terminated) else "interrupted"


def _interrupt_status(interrupt: BaseException | None) -> int:
    return 128 + signal.SIGTERM if isinstance(interrupt, Terminated) else 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mamlscape",
        description=__doc__.splitlines()[0],
        formatter_class=DefaultsHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"mamlscape {metadata.version('mamlscape')}"
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    reproduce = commands.add_parser(
        "reproduce",
        help="run the claims and write the report",
        formatter_class=DefaultsHelpFormatter,
    )
    reproduce.add_argument(
        "--claims",
        default=None,
        help=f"comma-separated claim ids (default: all of {','.join(claim_ids())})",
    )
    reproduce.add_argument(
        "--scale",
        choices=SCALES,
        default="quick",
        help="smoke: seconds, checks the pipeline only; quick: minutes on a "
        "laptop CPU, glyphs for the image claims; omniglot: the image claims on the real "
        "Omniglot given with --omniglot, under an hour on 2 cores; paper: each paper's protocol on "
        "its own dataset (--mini-imagenet for S2, H1, H2, H3, G2; --omniglot for L7)",
    )
    reproduce.add_argument(
        "--out",
        type=Path,
        default=Path("results/quick"),
        help="folder for the report and the cell cache (created if missing)",
    )
    reproduce.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    reproduce.add_argument(
        "--omniglot",
        type=Path,
        action="append",
        default=None,
        help="Omniglot folder or zip for the few-shot claims (default: glyphs); give it again "
        "for more sources (shared alphabets are merged; images_evaluation is the meta-test split)",
    )
    reproduce.add_argument(
        "--mini-imagenet",
        type=Path,
        default=None,
        metavar="PATH",
        help="miniImageNet folder (Ravi–Larochelle train/val/test.csv with images/, or the "
        "three split pickles) for the Sign-MAML and Sharp-MAML claims S2, H1, H2, H3, G2; "
        "--scale paper needs it",
    )
    reproduce.add_argument("--no-progress", action="store_true", help="hide progress bars")
    reproduce.add_argument(
        "--dry-run",
        action="store_true",
        help="print each claim's protocol and the run's estimated cost (timing probes), "
        "run nothing",
    )
    where = reproduce.add_mutually_exclusive_group()
    where.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="local worker processes (default: one per CPU core)",
    )
    where.add_argument("--serial", action="store_true", help="run cells one by one in-process")
    where.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run cells on the Dask scheduler at ADDRESS, e.g. tcp://10.0.0.5:8786",
    )
    where.add_argument(
        "--dask-local",
        type=int,
        default=None,
        metavar="N",
        help="start a Dask cluster of N single-threaded worker processes on 127.0.0.1",
    )
    reproduce.add_argument(
        "--cells-per-task",
        type=int,
        default=1,
        metavar="N",
        help="with Dask: send cells in batches of N per task, for cells of a few milliseconds",
    )
    reproduce.set_defaults(handler=reproduce_command)
    add_spectrum_command(commands)
    add_train_command(commands)
    add_evaluate_command(commands)
    readme = commands.add_parser(
        "readme",
        help="rewrite the README's verdict tables from a run's verdicts.json",
        formatter_class=DefaultsHelpFormatter,
    )
    readme.add_argument(
        "--verdicts",
        type=Path,
        action="append",
        required=True,
        help="OUT/verdicts.json of a run; repeat to merge runs of one scale, a later run's "
        "claims replacing an earlier one's (each claim keeps its run's commit)",
    )
    readme.add_argument("--readme", type=Path, default=Path("README.md"), help="the README")
    readme.set_defaults(handler=readme_command)
    return parser


def readme_command(args: argparse.Namespace) -> int:
    """Copy ``--verdicts`` (merged, if several) beside the README and render it between the
    README's markers."""
    given = [(path, "a run's verdicts.json") for path in args.verdicts]
    for path, what in (*given, (args.readme, "the README")):
        if not path.is_file():
            raise ValueError(f"{path} does not exist; give {what}")
    summaries = [json.loads(path.read_text()) for path in args.verdicts]
    summary = summaries[0] if len(summaries) == 1 else merge_summaries(summaries)
    scale = summary["scale"]
    text = replace_block(args.readme.read_text(), render_summary(summary), scale)
    write_json(summary_copy(args.readme, scale), summary)
    write_atomically(args.readme, lambda stream: stream.write(text.encode()))
    print(f"{args.readme}: verdict tables of {len(summary['claims'])} claims rewritten")
    return 0


def omniglot_claims(
    claims: list[Claim], all_claims: bool, omniglot: tuple[str, ...] | None
) -> list[Claim]:
    """The claims of an ``omniglot``-scale run: the image claims among ``claims`` when none
    were named, else ``claims`` (refusing the others before any work); Omniglot is required."""
    if omniglot is None:
        raise ValueError(
            "--scale omniglot runs the image claims on real Omniglot: give the data with "
            "--omniglot PATH (repeatable), e.g. --omniglot images_background_small1.zip "
            "--omniglot images_background_small2.zip"
        )
    if all_claims:
        return [claim for claim in claims if "omniglot" in claim.scales]
    for claim in claims:
        claim.cells_at("omniglot")
    return claims


def reproduce_command(args: argparse.Namespace) -> int:
    device = checked_device(args.device)
    ids = None if args.claims is None else [i.strip() for i in args.claims.split(",") if i.strip()]
    claims = select(ids)
    omniglot = checked_data_paths(args.omniglot)
    mini_imagenet = checked_mini_imagenet(args.mini_imagenet)
    data = {"omniglot": omniglot, "mini_imagenet": mini_imagenet}
    if args.scale == "omniglot":
        if mini_imagenet is not None:
            raise ValueError(
                "--scale omniglot runs the image claims on Omniglot; drop --mini-imagenet, or "
                "run miniImageNet at --scale quick or paper"
            )
        claims = omniglot_claims(claims, ids is None, omniglot)
    executor = checked_executor(
        args.serial, args.jobs, args.scheduler, args.dask_local, args.cells_per_task, device
    )
    if args.dry_run or args.scale in ESTIMATED_SCALES:
        workers = getattr(executor, "workers", None) or 1
        print(run_plan(claims, args.scale, args.out / "cache", device, data, workers))
        if args.dry_run:
            return 0
    out = checked_output_folder(args.out)
    print(
        f"mamlscape reproduce: {len(claims)} claims, scale={args.scale}, device={device}, "
        f"executor={executor.name}, writing to {out.resolve()}"
    )
    start = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    commit = run_commit()
    argv = ["mamlscape", *args.command_line]
    datasets = {f"omniglot {Path(path).name}": path for path in omniglot or ()}
    if mini_imagenet is not None:
        datasets[f"mini-imagenet {Path(mini_imagenet).name}"] = mini_imagenet
    try:
        outcomes = run_claims(
            claims, args.scale, out / "cache", device, not args.no_progress, executor, data
        )
    except CellFailuresError as error:
        finished = [claim for claim in claims if claim.id in error.completed]
        if finished:
            run = provenance(argv, started, time.perf_counter() - start, datasets, commit)
            write_report(out, finished, error.completed, args.scale, device, run)
            names = ", ".join(claim.id for claim in finished)
            print(
                f"mamlscape reproduce: report of the {len(finished)} claims whose cells all "
                f"finished ({names}): {(out / 'report.html').resolve()}",
                file=sys.stderr,
            )
        raise
    run = provenance(argv, started, time.perf_counter() - start, datasets, commit)
    verdicts = write_report(out, claims, outcomes, args.scale, device, run)
    if args.scale in PIPELINE_SCALES:
        print(f"  {PIPELINE_NOTE}")
    for kind in ("paper claim", "implementation check"):
        chosen = [claim for claim in claims if claim.kind == kind]
        if chosen:
            print(f"  {kind}s:")
        for claim in chosen:
            cached = sum(outcome.cached for outcome in outcomes[claim.id])
            print(
                f"  {claim.id}: {verdicts[claim.id].status:<12} "
                f"({cached}/{len(outcomes[claim.id])} cells from cache) "
                f"{verdicts[claim.id].reason}"
            )
    print(f"done in {time.perf_counter() - start:.1f} s: {(out / 'report.html').resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
