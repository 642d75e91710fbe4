"""Checks of command-line arguments shared by the ``mamlscape`` subcommands.

Each raises ``ValueError`` saying what is wrong and how to fix it; the CLI
turns it into a one-line error and exit status 2.

Example:
    >>> checked_device("cpu")
    'cpu'
"""

from __future__ import annotations

from pathlib import Path

import torch


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
