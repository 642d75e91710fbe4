"""Small Omniglot-layout zips for tests: ``<split>/<Alphabet>/characterNN/NN.png``."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image


def drawing_png(seed: int, size: int = 28) -> bytes:
    """A binary drawing (PNG bytes) whose pixels depend on ``seed``."""
    ink = np.random.default_rng(seed).random((size, size)) > 0.8
    stream = io.BytesIO()
    Image.fromarray(np.where(ink, 0, 255).astype(np.uint8)).convert("1").save(stream, "PNG")
    return stream.getvalue()


def write_omniglot_zip(
    path: Path,
    alphabets: int,
    characters: int,
    drawings: int = 20,
    first_alphabet: int = 0,
    seed: int = 0,
) -> Path:
    """A zip of ``alphabets`` alphabets (``Alphabet<first_alphabet>`` on) × ``characters``
    characters × ``drawings`` drawings; equal arguments give equal pixels."""
    with zipfile.ZipFile(path, "w") as archive:
        for a in range(first_alphabet, first_alphabet + alphabets):
            for c in range(characters):
                for d in range(drawings):
                    name = f"{path.stem}/Alphabet{a:02d}/character{c + 1:02d}/{d:02d}.png"
                    archive.writestr(name, drawing_png(seed + 10_000 * a + 100 * c + d))
    return path
