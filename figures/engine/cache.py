"""The on-disk cache of experiment cells, keyed by the hash of what determines a result.

A cell's key is the SHA-256 of the canonical JSON of its experiment function,
config (type and fields), seed and the fingerprint of the code that computes it
(``figures.engine.code_fingerprint``: the experiment's module and every project
module it imports, with the package version), plus ``CACHE_VERSION``, so a
rerun after a code change never reuses a stale result. The claim is not part of
it: two claims that need the same cell (G2's SAM arm is H2's) share one result.
It lives at ``<cache>/<experiment>/<key[:20]>.json`` (``<experiment>``: the
config's module and class, e.g. ``h2_sharp_accuracy.AccuracyConfig``) as
``{"key", "cell", "result", "seconds", "environment"}`` (the environment: host
and versions the cell ran with), written atomically. A file that is
not valid JSON or whose key does not match is reported and recomputed, never
trusted.

Example:
    >>> import tempfile, pathlib
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Config:
    ...     alpha: float = 0.5
    >>> cache = CellCache(pathlib.Path(tempfile.mkdtemp()))
    >>> entry = CacheEntry.for_cell("demo.Config.run", Config(), seed=0, code="0" * 64)
    >>> cache.load(entry) is None
    True
    >>> cache.store(entry, {"ratio": 2.0}, seconds=0.1)
    {'ratio': 2.0}
    >>> cache.load(entry)["result"]
    {'ratio': 2.0}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

from figures.engine.files import write_json

CACHE_VERSION = 3


def describe_config(config: Any) -> dict[str, Any]:
    """A config dataclass as plain JSON: its type name and fields."""
    if not is_dataclass(config) or isinstance(config, type):
        raise ValueError(f"a cell config must be a dataclass instance, got {type(config).__name__}")
    return {"type": type(config).__qualname__, "fields": asdict(config)}


@dataclass(frozen=True)
class CacheEntry:
    """What identifies one cell's result: its description and the hash of it."""

    description: dict[str, Any]
    key: str

    @classmethod
    def for_cell(cls, experiment: str, config: Any, seed: int, *, code: str) -> CacheEntry:
        description = {
            "experiment": experiment,
            "config": describe_config(config),
            "seed": seed,
            "code": code,
            "cache_version": CACHE_VERSION,
        }
        canonical = json.dumps(description, sort_keys=True, separators=(",", ":"))
        return cls(description, hashlib.sha256(canonical.encode()).hexdigest())

    @property
    def folder(self) -> str:
        """The experiment's module and config class, e.g. ``h2_sharp_accuracy.AccuracyConfig``."""
        return ".".join(self.description["experiment"].split(".")[-3:-1])


class CellCache:
    """Results of cells under ``root``; ``problems`` lists the files found corrupt."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.problems: list[str] = []

    def path(self, entry: CacheEntry) -> Path:
        return self.root / entry.folder / f"{entry.key[:20]}.json"

    def load(self, entry: CacheEntry) -> dict[str, Any] | None:
        """The stored record for ``entry``, or ``None`` if absent or unreadable (then reported)."""
        path = self.path(entry)
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self.problems.append(f"{path}: unreadable ({error}); recomputed")
            return None
        if not isinstance(record, dict) or record.get("key") != entry.key or "result" not in record:
            self.problems.append(f"{path}: does not hold this cell's result; recomputed")
            return None
        return record

    def store(
        self,
        entry: CacheEntry,
        result: dict[str, Any],
        seconds: float,
        environment: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write the record; returns the result as it reads back (tuples become lists)."""
        record = {
            "key": entry.key,
            "cell": entry.description,
            "result": result,
            "seconds": seconds,
            "environment": environment or {},
        }
        write_json(self.path(entry), record)
        return json.loads(json.dumps(result))
