"""What a report came from: version, commit, command line, when, how long, which data.

``provenance(...)`` is recorded in ``results.json`` and shown at the top of
both reports, so a shared report says how to rerun it and on which data:

- ``mamlscape``: the installed package version; ``commit``: the git commit of
  the source tree when the run started (:func:`run_commit`; ``-dirty`` when it
  had uncommitted changes; None outside a checkout, e.g. from an export);
- ``command``: the command line as typed; ``started``: ISO 8601 UTC;
  ``seconds``: the run's wall time;
- ``datasets``: each data path given, with the SHA-256 of its content
  (``synthetic.files.content_hash``: the file's bytes, or a folder's relative
  paths and bytes in sorted order).

Example:
    >>> record = provenance(["mamlscape", "reproduce"], "2026-12-02T17:00:00Z", 12.5, {}, None)
    >>> record["command"], record["seconds"], record["datasets"]
    ('mamlscape reproduce', 12.5, {})
"""

from __future__ import annotations

import shlex
from importlib import metadata
from pathlib import Path
from typing import Any

from figures.engine.verdict_summary import git_commit
from synthetic.files import content_hash


def provenance(
    argv: list[str],
    started: str,
    seconds: float,
    datasets: dict[str, str | None],
    commit: str | None,
) -> dict[str, Any]:
    """The record of the module docstring; ``datasets`` maps a name to a path (or None);
    ``commit`` is :func:`run_commit` taken when the run started (the code it ran)."""
    return {
        "mamlscape": metadata.version("mamlscape"),
        "commit": commit,
        "command": shlex.join(argv),
        "started": started,
        "seconds": round(seconds, 1),
        "datasets": {
            name: {"path": path, "sha256": content_hash(Path(path))}
            for name, path in datasets.items()
            if path is not None
        },
    }


def describe(record: dict[str, Any]) -> str:
    """One line for a report: version, commit, command, start, wall time, data."""
    data = "; ".join(
        f"{name} {entry['path']} (sha256 {entry['sha256'][:12]})"
        for name, entry in record["datasets"].items()
    )
    commit = record["commit"][:12] if record["commit"] else "no git commit"
    return (
        f"mamlscape {record['mamlscape']} ({commit}); `{record['command']}`, started "
        f"{record['started']}, {record['seconds']:.0f} s" + (f"; data: {data}" if data else "")
    )


def run_commit() -> str | None:
    """The checkout's commit now, to record at the start of a run (its code, not the code
    the checkout holds when the run ends)."""
    return git_commit(Path(__file__).parent)
