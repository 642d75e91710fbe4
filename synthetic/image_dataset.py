"""A class-indexed image dataset: every drawing of every class in one uint8 tensor.

Few-shot image benchmarks (Omniglot, miniImageNet, the procedural glyphs)
all reduce to the same thing,

    images [classes, drawings, channels, height, width]   uint8, 0 = background, 255 = ink

plus, for each class, a unique ``name`` and a ``group``: the alphabet of an
Omniglot character, the class itself where a dataset has no grouping. An
N-way task is N classes and some drawings of each, gathered from this
tensor by index (``synthetic.episodes``); pixels stay uint8 until a task is
sampled, so miniImageNet's 38 400 training images fit in 0.8 GB.

``with_rotations()`` is the class augmentation of Santoro et al. (2016) and
Finn et al. (2017): each class c becomes four classes, c rotated by 0°, 90°,
180°, 270°. A rotated class keeps its group, so a split by group
(``synthetic.class_splits``) keeps every rotation of a character on one side.

Example:
    >>> import torch
    >>> data = ImageClasses(torch.zeros(3, 4, 1, 8, 8, dtype=torch.uint8),
    ...                     ("a/1", "a/2", "b/1"), ("a", "a", "b"))
    >>> data.num_classes, data.num_drawings, data.image_shape, data.group_names
    (3, 4, (1, 8, 8), ('a', 'b'))
    >>> data.with_rotations().names[:4]
    ('a/1', 'a/1/rot090', 'a/1/rot180', 'a/1/rot270')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

ROTATIONS_DEGREES = (0, 90, 180, 270)


@dataclass(frozen=True, eq=False)
class ImageClasses:
    """Images of C classes with D drawings each, and each class's name and group.

    Args:
        images: uint8 ``[C, D, channels, height, width]``; 0 is background, 255 full ink.
        names: C distinct class names, e.g. ``"Greek/character03"``.
        groups: C group names, e.g. ``"Greek"``; give each class its own group
            (``groups=names``) where a dataset has no grouping.
    """

    images: torch.Tensor
    names: tuple[str, ...]
    groups: tuple[str, ...]

    def __post_init__(self) -> None:
        images = self.images
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
            raise ValueError(
                "ImageClasses.images must be a uint8 tensor [classes, drawings, channels, height, "
                f"width], got {type(images).__name__} {getattr(images, 'dtype', '')}"
            )
        if images.ndim != 5 or min(images.shape) < 1:
            raise ValueError(
                f"ImageClasses.images has shape {tuple(images.shape)}; expected five non-empty "
                "axes [classes, drawings, channels, height, width]"
            )
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "groups", tuple(self.groups))
        for field_name in ("names", "groups"):
            count = len(getattr(self, field_name))
            if count != images.shape[0]:
                raise ValueError(
                    f"ImageClasses.{field_name} has {count} entries but images has "
                    f"{images.shape[0]} classes; give one per class"
                )
        if len(set(self.names)) != len(self.names):
            repeated = sorted({name for name in self.names if self.names.count(name) > 1})
            raise ValueError(f"ImageClasses.names must be distinct; repeated: {repeated[:5]}")

    @property
    def num_classes(self) -> int:
        return self.images.shape[0]

    @property
    def num_drawings(self) -> int:
        """D, the number of drawings (images) of every class."""
        return self.images.shape[1]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        channels, height, width = self.images.shape[2:]
        return channels, height, width

    @property
    def group_names(self) -> tuple[str, ...]:
        """The distinct groups, sorted."""
        return tuple(sorted(set(self.groups)))

    def group_index(self) -> torch.Tensor:
        """Each class's position in ``group_names``: int64 ``[C]`` on the CPU."""
        position = {group: index for index, group in enumerate(self.group_names)}
        return torch.tensor([position[group] for group in self.groups], dtype=torch.int64)

    def subset(self, classes: Sequence[int] | torch.Tensor) -> ImageClasses:
        """The classes at the given indices, in that order."""
        index = torch.as_tensor(classes, dtype=torch.int64).reshape(-1)
        chosen = index.tolist()
        return ImageClasses(
            self.images[index.to(self.images.device)],
            tuple(self.names[i] for i in chosen),
            tuple(self.groups[i] for i in chosen),
        )

    def with_rotations(self) -> ImageClasses:
        """4C classes: each class followed by itself rotated by 90°, 180° and 270°."""
        _, _, _, height, width = self.images.shape
        if height != width:
            raise ValueError(
                f"rotations by 90° need square images, got height {height} and width {width}"
            )
        rotated = torch.stack(
            [torch.rot90(self.images, turns, dims=(-2, -1)) for turns in range(4)], dim=1
        )
        names = tuple(
            name if degrees == 0 else f"{name}/rot{degrees:03d}"
            for name in self.names
            for degrees in ROTATIONS_DEGREES
        )
        groups = tuple(group for group in self.groups for _ in ROTATIONS_DEGREES)
        return ImageClasses(rotated.flatten(0, 1), names, groups)

    def __repr__(self) -> str:
        channels, height, width = self.image_shape
        return (
            f"ImageClasses({self.num_classes} classes × {self.num_drawings} drawings of "
            f"{channels}×{height}×{width}, {len(self.group_names)} groups, "
            f"on {self.images.device})"
        )

    def to(self, device: torch.device | str) -> ImageClasses:
        """The same dataset with its images on ``device`` (sample tasks where they live)."""
        return ImageClasses(self.images.to(device), self.names, self.groups)
