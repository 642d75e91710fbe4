"""An unfinished training run on disk, so that ``mamlscape train`` resumes where it stopped.

Every few iterations the run writes ``progress.pt`` (atomically: a temporary
file, then a rename): the config it belongs to, the iterations done, θ, the
optimiser's state, the task generator's state, the meta-losses so far and the
seconds spent. A rerun of the same config loads it and goes on from there; as
θ, Adam's moments and the task stream all continue exactly, the final θ is
bit for bit an uninterrupted run's. The run removes the file when it finishes.

Example:
    >>> import tempfile, pathlib, torch
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.pt"
    >>> state = torch.Generator().get_state()
    >>> save_progress(path, {"algo": "maml"}, Progress(3, {"w": torch.ones(2)}, {}, state, [], 0))
    >>> load_progress(path, {"algo": "maml"}).done
    3
    >>> load_progress(path, {"algo": "nal"})
    Traceback (most recent call last):
    ...
    ValueError: ... holds an unfinished run of another config ...
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from algorithms.params import Params
from synthetic.files import write_atomically


@dataclass
class Progress:
    """Where a run stands after ``done`` iterations."""

    done: int
    params: Params
    optimizer_state: dict[str, Any]
    generator_state: torch.Tensor
    losses: list[float]
    seconds: float


def save_progress(path: Path, config: dict[str, Any], progress: Progress) -> None:
    """Write ``progress`` of the run of ``config`` (plain values) to ``path``, atomically."""
    payload = {
        "config": config,
        **asdict(progress),
        "params": {name: t.detach().cpu() for name, t in progress.params.items()},
    }
    write_atomically(path, lambda stream: torch.save(payload, stream))


def load_progress(path: Path, config: dict[str, Any]) -> Progress | None:
    """The saved progress of the run of ``config``; None when there is none."""
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, weights_only=True)
        saved_config = payload.pop("config")
        progress = Progress(**payload)
    except Exception as error:
        raise ValueError(
            f"{path} is not a readable training progress file ({error}); delete it to start "
            "the run over"
        ) from error
    if saved_config != config:
        raise ValueError(
            f"{path} holds an unfinished run of another config ({saved_config}); use another "
            "--out, or delete the file to start this run there"
        )
    return progress
