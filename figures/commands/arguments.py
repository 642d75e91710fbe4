"""Checks of command-line arguments shared by the ``mamlscape`` subcommands.

Each raises ``ValueError`` saying what is wrong and how to fix it; the CLI
turns it into a one-line error and exit status 2.

Example:
    >>> checked_device("cpu")
    'cpu'
    >>> checked_executor(serial=False, jobs=2, scheduler=None, dask_local=None).workers
    2
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from figures.engine.dask_executor import DaskExecutor, probe_scheduler
from figures.engine.executors import Executor, ProcessExecutor, SerialExecutor
from synthetic.validation import require_count

DASK_GPU = {"GPU": 1}
"""What a cell asks of a Dask worker on a CUDA device: one GPU, held alone."""


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """``--help`` that shows each option's default, unless it is None or False (a flag) or
    the help text already says what the default is."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = not any(action.default is hidden for hidden in (None, False, argparse.SUPPRESS))
        unsaid = shown and "(default" not in text
        return f"{text} (default: %(default)s)" if action.option_strings and unsaid else text


def checked_device(name: str) -> str:
    """``name`` as a torch device string, refusing CUDA where this torch sees none."""
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
    """``out``, created if missing, after checking a file can be written in it."""
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


def checked_executor(
    serial: bool,
    jobs: int | None,
    scheduler: str | None,
    dask_local: int | None,
    cells_per_task: int = 1,
    device: str = "cpu",
) -> Executor:
    """The executor the options ask for; a scheduler must answer within a few seconds. On a
    CUDA ``device`` every Dask task asks for one ``GPU`` resource (``DASK_GPU``)."""
    for option, value in (("--cells-per-task", cells_per_task), ("--dask-local", dask_local)):
        if value is not None:
            require_count(option, value)
    if cells_per_task != 1 and scheduler is None and dask_local is None:
        raise ValueError(
            f"--cells-per-task {cells_per_task} applies to Dask only; add --scheduler ADDRESS "
            "or --dask-local N, or drop it"
        )
    if serial:
        return SerialExecutor()
    resources = DASK_GPU if device.startswith("cuda") else None
    if scheduler is not None:
        probe_scheduler(scheduler)
        return DaskExecutor(address=scheduler, cells_per_task=cells_per_task, resources=resources)
    if dask_local is not None:
        return DaskExecutor(
            local_workers=dask_local, cells_per_task=cells_per_task, resources=resources
        )
    if jobs is not None:
        require_count("--jobs", jobs)
    return ProcessExecutor(jobs)


def checked_data_paths(paths: list[Path] | None) -> tuple[str, ...] | None:
    """The ``--omniglot`` paths as absolute strings (None if none was given), refusing one
    that does not exist (data is never downloaded)."""
    if not paths:
        return None
    for path in paths:
        if not path.exists():
            raise ValueError(
                f"--omniglot {path} does not exist; give the folder holding "
                "<Alphabet>/characterNN/ or a zip such as images_background.zip"
            )
    return tuple(str(path.resolve()) for path in paths)


def checked_mini_imagenet(path: Path | None) -> str | None:
    """The ``--mini-imagenet`` folder as an absolute string (None if not given): it must exist
    and be a folder, since a run samples all three splits (meta-train, -val, -test)."""
    if path is None:
        return None
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is a file"
        raise ValueError(
            f"--mini-imagenet {path} {what}; give the folder holding train.csv, val.csv, "
            "test.csv and images/ (Ravi–Larochelle), or the three "
            "mini-imagenet-cache-{train,val,test}.pkl pickles"
        )
    return str(path.resolve())
