"""Several Omniglot sources as users have them: each character once, evaluation alphabets apart.

Users hold Omniglot as several zips or folders (``images_background.zip``
and ``images_evaluation.zip``, or the two small background splits, which
share the alphabets Greek and Latin). ``load_omniglot_sources`` reads every
source with ``synthetic.load_omniglot`` and merges them by character name:

- a character found in several sources is kept once, provided its drawings
  are the same pixels in each (the small splits' Greek and Latin are); if
  they differ, the sources disagree and the error names the character;
- a source whose file or folder name contains ``evaluation`` is an
  *evaluation* source: its alphabets form ``evaluation`` (Lake et al.'s
  held-out alphabets, the papers' meta-test split) and every other source
  forms ``background``. An alphabet in both is refused: meta-test classes
  must be unseen in meta-training.

Rotations (``rotations=True``) are added after merging, so a shared
character gives four classes, not eight.

Example:
    >>> import io, pathlib, tempfile, zipfile
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.new("1", (105, 105), 1).save(png, format="PNG")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for split, names in (("small1", ("Greek/character01", "Latin/character01")),
    ...                      ("small2", ("Greek/character01", "Tagalog/character01"))):
    ...     with zipfile.ZipFile(folder / f"images_background_{split}.zip", "w") as archive:
    ...         for name in names:
    ...             for drawing in range(2):
    ...                 archive.writestr(f"x/{name}/{drawing}.png", png.getvalue())
    >>> sources = load_omniglot_sources(sorted(folder.glob("*.zip")))
    >>> sources.background.names, sources.evaluation
    (('Greek/character01', 'Latin/character01', 'Tagalog/character01'), None)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from synthetic.class_splits import check_disjoint
from synthetic.image_dataset import ImageClasses
from synthetic.omniglot import load_omniglot

EVALUATION_MARK = "evaluation"


@dataclass(frozen=True)
class OmniglotSources:
    """The merged background characters and, if an evaluation source was given, its characters."""

    background: ImageClasses | None
    evaluation: ImageClasses | None


def is_evaluation_source(source: str | Path) -> bool:
    """Whether ``source`` holds Omniglot's evaluation alphabets (by its name)."""
    return EVALUATION_MARK in Path(source).name.lower()


def load_omniglot_sources(
    sources: str | Path | Sequence[str | Path],
    image_size: int = 28,
    rotations: bool = False,
    cache_dir: str | Path | None = None,
) -> OmniglotSources:
    """Every character of ``sources`` once, background and evaluation apart (see module doc)."""
    paths = [sources] if isinstance(sources, str | Path) else list(sources)
    if not paths:
        raise ValueError("no Omniglot source given; pass at least one folder or zip")
    parts: dict[bool, list[tuple[str, ImageClasses]]] = {False: [], True: []}
    for path in paths:
        parts[is_evaluation_source(path)].append(
            (str(path), load_omniglot(path, image_size, cache_dir=cache_dir))
        )
    merged = {
        evaluation: _rotated(merge_classes(found), rotations) if found else None
        for evaluation, found in parts.items()
    }
    sources_found = OmniglotSources(merged[False], merged[True])
    if sources_found.background is not None and sources_found.evaluation is not None:
        check_disjoint(background=sources_found.background, evaluation=sources_found.evaluation)
    return sources_found


def merge_classes(parts: Sequence[tuple[str, ImageClasses]]) -> ImageClasses:
    """The union of the classes of ``(source name, dataset)`` pairs, each class once, sorted by
    name; a class in two sources must have the same drawings in both."""
    kept: dict[str, tuple[str, torch.Tensor, str]] = {}
    for source, data in parts:
        for index, (name, group) in enumerate(zip(data.names, data.groups)):
            images = data.images[index]
            if name not in kept:
                kept[name] = (group, images, source)
                continue
            _, first, first_source = kept[name]
            if first.shape != images.shape or not torch.equal(first, images):
                raise ValueError(
                    f"{name} is in both {first_source} and {source} with different drawings; "
                    "the sources disagree: pass only one of them, or restore the damaged copy"
                )
    names = sorted(kept)
    return ImageClasses(
        torch.stack([kept[name][1] for name in names]),
        tuple(names),
        tuple(kept[name][0] for name in names),
    )


def _rotated(data: ImageClasses, rotations: bool) -> ImageClasses:
    return data.with_rotations() if rotations else data
