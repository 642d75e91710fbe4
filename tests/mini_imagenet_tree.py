"""Small miniImageNet trees for tests, in the Ravi–Larochelle layout: ``{train,val,test}.csv``
(``filename,label``) beside ``images/`` (PNG bytes under the published ``.jpg`` names)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

Pixels = Callable[[str, int], np.ndarray]


def flat_colour(wnid: str, index: int) -> tuple[int, int, int]:
    """The colour of image ``index`` of class ``wnid`` (``n01``…) in a flat-colour tree."""
    return (int(wnid[1:]) * 30 % 256, index * 50 % 256, 7)


def textured(wnid: str, index: int, size: int = 84) -> np.ndarray:
    """An ``size × size × 3`` image: a class-specific pattern plus per-image noise, so that a
    conv net can learn the classes."""
    pattern = np.random.default_rng(int(wnid[1:])).random((4, 4, 3))
    base = np.kron(pattern, np.ones((size // 4 + 1, size // 4 + 1, 1)))[:size, :size]
    noise = np.random.default_rng(10_000 * int(wnid[1:]) + index).normal(0, 0.15, base.shape)
    return (np.clip(base + noise, 0, 1) * 255).astype(np.uint8)


def write_mini_imagenet(
    root: Path,
    classes: dict[str, list[str]],
    images_per_class: int,
    pixels: Pixels = lambda wnid, index: np.full((84, 84, 3), flat_colour(wnid, index), np.uint8),
) -> Path:
    """A tree with ``classes[split]`` (wnids) × ``images_per_class`` images drawn by
    ``pixels(wnid, index)``; each csv lists its classes in reverse order."""
    (root / "images").mkdir(parents=True)
    for split, wnids in classes.items():
        rows = ["filename,label"]
        for wnid in reversed(wnids):
            for index in range(images_per_class):
                name = f"{wnid}{index:08d}.jpg"
                Image.fromarray(pixels(wnid, index)).save(root / "images" / name, "PNG")
                rows.append(f"{name},{wnid}")
        (root / f"{split}.csv").write_text("\n".join(rows) + "\n")
    return root


def write_learnable_mini_imagenet(
    root: Path, classes: tuple[int, int, int] = (6, 5, 5), images_per_class: int = 6
) -> Path:
    """A tree of ``classes`` textured classes in train / val / test (wnids numbered on)."""
    names, first = {}, 1
    for split, count in zip(("train", "val", "test"), classes):
        names[split] = [f"n{number:08d}" for number in range(first, first + count)]
        first += count
    return write_mini_imagenet(root, names, images_per_class, textured)
