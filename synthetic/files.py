"""Atomic file writes, shared by every package (``synthetic`` is the bottom layer).

A file is written to a temporary sibling and renamed over its target, so a
reader, or a rerun after a crash, sees the old file or the new one, never
half of one.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomically(path, lambda stream: stream.write(b"done"))
    >>> path.read_text()
    'done'
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def write_atomically(path: str | Path, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write(stream)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
