"""Where a running cell keeps its partial state, so that a killed cell resumes inside itself.

The runner gives every cell it computes a folder of its own,
``<cache>/partial/<cell key>/``, and ``Cell.run`` enters :func:`cell_state`
with it. Inside, an experiment asks :func:`state_path` for a file to save a
long computation's progress in (e.g. ``algorithms.resumable_training``); the
n-th request of a cell gets ``NN-<name>.pt``, so a rerun of the same cell,
asking in the same order, finds the same files and resumes from them. The
runner deletes the folder once the cell's result is stored. Outside a cell
(a claim's code called directly) :func:`state_path` is None: nothing is saved.

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with cell_state(folder):
    ...     first, second = state_path("maml"), state_path("maml")
    >>> first.name, second.name, state_path("maml")
    ('01-maml.pt', '02-maml.pt', None)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

PARTIAL = "partial"
"""The cache's subfolder for the state of cells that have not finished."""

_FOLDER: ContextVar[tuple[Path, list[int]] | None] = ContextVar("cell_state", default=None)


@contextmanager
def cell_state(folder: str | Path | None) -> Iterator[None]:
    """Run the block as a cell whose partial state lives in ``folder`` (None: no saving)."""
    token = _FOLDER.set(None if folder is None else (Path(folder), [0]))
    try:
        yield
    finally:
        _FOLDER.reset(token)


def state_path(name: str) -> Path | None:
    """A file for the running cell's next piece of state, or None outside a cell."""
    current = _FOLDER.get()
    if current is None:
        return None
    folder, requests = current
    requests[0] += 1
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{requests[0]:02d}-{name}.pt"
