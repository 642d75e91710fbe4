"""The fingerprint of the code that computes a cell: a hash of its module and what it imports.

A cached result is only as good as the code that produced it. The fingerprint
of a module is the SHA-256 of the package version and of the source of the
module and of every project module it imports, transitively: imports are read
statically (``ast``), so the fingerprint does not depend on what happens to be
imported already. A project module is one whose file lies under ``root`` (the
repository: ``algorithms``, ``analysis``, ``synthetic``, ``figures``, ...);
third-party modules are represented by the package version only. A module
outside ``root`` (a test's own claim) is found through ``sys.modules``; one
with no source file at all (defined interactively) counts by the version alone.
Any edit to a claim module, or to the algorithms it runs, gives its cells new
cache keys.

Example:
    >>> fingerprint = code_fingerprint("figures.claims.l5_conditioning")
    >>> len(fingerprint), fingerprint == code_fingerprint("figures.claims.l5_conditioning")
    (64, True)
    >>> "analysis/gradient_descent.py" in {p.as_posix()[-28:] for p in project_sources(
    ...     "figures.claims.l5_conditioning")}
    True
"""

from __future__ import annotations

import ast
import hashlib
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def package_version() -> str:
    """mamlscape's installed version, or "unknown" when run from a plain checkout."""
    try:
        return metadata.version("mamlscape")
    except metadata.PackageNotFoundError:
        return "unknown"


def module_file(name: str, root: Path) -> Path | None:
    """The source file of module ``name`` under ``root`` (``a/b.py`` or ``a/b/__init__.py``)."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(source: str) -> set[str]:
    """Every dotted name an import statement of ``source`` may refer to as a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def own_file(module: str, root: Path) -> Path | None:
    """``module``'s source: under ``root``, else wherever the loaded module came from."""
    found = module_file(module, root)
    if found is not None:
        return found
    loaded = getattr(sys.modules.get(module), "__file__", None)
    return Path(loaded) if loaded and Path(loaded).is_file() else None


def project_sources(module: str, root: Path = PROJECT_ROOT) -> list[Path]:
    """The files of ``module`` and of every project module it imports, transitively, sorted."""
    start = own_file(module, root)
    if start is None:
        return []
    seen, pending = {start}, [start]
    while pending:
        path = pending.pop()
        for name in imported_names(path.read_text()):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                found = module_file(".".join(parts[:depth]), root)
                if found is not None and found not in seen:
                    seen.add(found)
                    pending.append(found)
    return sorted(seen)


@cache
def code_fingerprint(module: str, root: Path = PROJECT_ROOT) -> str:
    """SHA-256 of the package version and the sources ``project_sources(module)`` lists."""
    digest = hashlib.sha256(package_version().encode())
    for path in project_sources(module, root):
        label = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        digest.update(label.as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
