"""Atomic file writes, shared by every package (``synthetic`` is the bottom layer).

A file is written to a temporary sibling and renamed over its target, so a
reader, or a rerun after a crash, sees the old file or the new one, never
half of one. The file gets the permissions a plain ``open(path, "w")`` would
give it: those of the file it replaces, or 0o666 less the process's umask
for a new one (``tempfile.mkstemp`` alone would leave 0o600, unreadable to
collaborators and web servers).

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomically(path, lambda stream: stream.write(b"done"))
    >>> path.read_text()
    'done'
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

NEW_FILE_MODE = 0o666
"""What ``open()`` asks for a new file, before the umask."""


def write_atomically(path: str | Path, write: Callable[[BinaryIO], Any]) -> None:
    """Call ``write(stream)`` on a temporary file next to ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE & ~umask()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's umask, read without changing it where Linux shows it (``/proc``);
    elsewhere set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0)
    os.umask(current)
    return current


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (relative path and bytes, sorted)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if file != path:
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()
