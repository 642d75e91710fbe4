"""Image files to uint8 arrays, decoded once and kept in an optional on-disk cache.

Decoding is the slow part of a real few-shot dataset (Omniglot's 32 460
PNGs, miniImageNet's 60 000 JPEGs), so a loader decodes every file once into
one ``ImageClasses`` tensor and never per episode. ``cached_arrays`` also
keeps that array as ``<cache_dir>/<key>.npz``: the key is a fingerprint of
the sources (names, sizes, modification times) and of the decoding options,
so a changed source or option decodes again instead of reading stale pixels.

``decode_image`` resizes with PIL's Lanczos filter (Finn et al.'s Omniglot
preprocessing) and turns any failure into a ``ValueError`` naming the file.

Example:
    >>> import io, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> stream = io.BytesIO()
    >>> Image.new("L", (105, 105), 255).save(stream, format="PNG")
    >>> decode_image(stream.getvalue(), 28, "L", "white.png").shape
    (28, 28)
    >>> build = lambda: {"images": np.zeros((2, 3), dtype=np.uint8)}
    >>> cached_arrays(tempfile.mkdtemp(), "demo", build)["images"].shape
    (2, 3)
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from synthetic.files import write_atomically

Arrays = dict[str, np.ndarray]


def decode_image(source: bytes | Path | np.ndarray, size: int, mode: str, where: str) -> np.ndarray:
    """The image in ``source`` (encoded bytes, a file, or pixels) as uint8 ``[size, size(, 3)]``.

    ``mode`` is PIL's: ``"L"`` for grayscale, ``"RGB"`` for colour. ``where``
    names the file in the error message.
    """
    try:
        with _open(source) as image:
            converted = image.convert(mode)
            if converted.size != (size, size):
                converted = converted.resize((size, size), Image.Resampling.LANCZOS)
            return np.asarray(converted, dtype=np.uint8)
    except (OSError, SyntaxError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"could not decode the image {where}: {error}. The file is corrupt or not an image; "
            "replace it from a fresh copy of the dataset."
        ) from error


def existing_source(source: str | Path, dataset: str, expected: str) -> Path:
    """``source`` as a ``Path``; a ``ValueError`` saying what was expected if nothing is there."""
    path = Path(source).expanduser()
    if not path.exists():
        raise ValueError(
            f"{dataset} source {path} does not exist; expected {expected}. Give the path to the "
            "file or folder you have (it is never downloaded)."
        )
    return path


def _open(source: bytes | Path | np.ndarray) -> Image.Image:
    if isinstance(source, np.ndarray):
        return Image.fromarray(source)
    return Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)


def fingerprint(parts: Iterable[object]) -> str:
    """A short stable hash of ``parts`` (names, sizes, options) for cache keys."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def file_stamp(path: Path) -> tuple[str, int, int]:
    """``(name, size, modification time)``: what a cache key records about one source file."""
    stat = path.stat()
    return path.name, stat.st_size, stat.st_mtime_ns


def cached_arrays(cache_dir: str | Path | None, key: str, build: Callable[[], Arrays]) -> Arrays:
    """``build()``, or the arrays it gave before under ``key`` in ``cache_dir``.

    With ``cache_dir=None`` this is just ``build()``. Otherwise the arrays are
    read from ``<cache_dir>/<key>.npz`` if it exists, else built and written
    there atomically. Arrays must not hold Python objects (str arrays are fine).
    """
    if cache_dir is None:
        return build()
    path = Path(cache_dir) / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {name: stored[name] for name in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"the cache file {path} is unreadable ({error}); delete it and load again"
            ) from error
    arrays = build()
    write_atomically(path, lambda stream: np.savez(stream, **arrays))
    return arrays
