"""Writing results atomically: JSON of plain numbers, and figures as PNG, PDF and SVG.

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "summary.json"
    >>> write_json(path, {"mse": 0.5})
    >>> path.read_text()
    '{\\n  "mse": 0.5\\n}\\n'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from synthetic.files import write_atomically


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` (plain JSON-able values) as indented JSON, atomically."""
    text = json.dumps(data, indent=2) + "\n"
    write_atomically(path, lambda stream: stream.write(text.encode()))


VECTOR_FORMATS = ("pdf", "svg")
"""Written beside every PNG, for publication."""


def save_figure(path: str | Path, figure: Figure) -> None:
    """Save a matplotlib figure as PNG at ``path`` and as PDF and SVG beside it, atomically."""
    path = Path(path)
    write_atomically(path, lambda stream: figure.savefig(stream, format="png", dpi=120))
    for extension in VECTOR_FORMATS:
        write_atomically(
            path.with_suffix(f".{extension}"),
            lambda stream, extension=extension: figure.savefig(stream, format=extension),
        )


def figure_links(png: str) -> str:
    """HTML links to a figure's PNG (``png``, relative to the page) and its PDF and SVG."""
    stem = png.removesuffix(".png")
    return " · ".join(
        f"<a href='{stem}.{extension}'>{extension.upper()}</a>"
        for extension in ("png", *VECTOR_FORMATS)
    )


def optional_path(path: Path | None) -> str | None:
    """A path as JSON: its text, or None."""
    return None if path is None else str(path)
