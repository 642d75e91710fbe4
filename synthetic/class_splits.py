"""Meta-train / meta-val / meta-test class splits, disjoint by construction and by check.

Meta-test accuracy measures adaptation to classes never seen in
meta-training, so the three splits must share no class and, where classes
come in groups (Omniglot alphabets, and the four rotations of a character,
which share its alphabet), no group either: ``ClassSplits`` raises
``ValueError`` on any overlap, however the splits were made.

``ClassSplits.by_group`` makes them from one dataset: the groups, in a
random order drawn from an explicit generator, are dealt out so the
splits hold about ``fractions`` of the classes. A group goes to the split
where its middle class falls along that order: with cumulative class counts
c_0 = 0 < c_1 < … and boundaries b_s = (f_1 + … + f_s)·C, group g goes to
the first split s with c_g + n_g/2 < b_s.

Example:
    >>> import torch
    >>> from synthetic.image_dataset import ImageClasses
    >>> groups = tuple(f"alphabet{i}" for i in range(5) for _ in range(4))
    >>> names = tuple(f"{group}/character{i % 4}" for i, group in enumerate(groups))
    >>> data = ImageClasses(torch.zeros(20, 2, 1, 4, 4, dtype=torch.uint8), names, groups)
    >>> splits = ClassSplits.by_group(data, (0.6, 0.2, 0.2), torch.Generator().manual_seed(0))
    >>> splits.train.num_classes, splits.val.num_classes, splits.test.num_classes
    (12, 4, 4)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from synthetic.image_dataset import ImageClasses

SPLIT_NAMES = ("train", "val", "test")


def check_disjoint(**splits: ImageClasses) -> None:
    """Raise ``ValueError`` if two of the named datasets share a class name or a group."""
    for (first, a), (second, b) in itertools.combinations(splits.items(), 2):
        for what, shared in (
            ("classes", set(a.names) & set(b.names)),
            ("groups", set(a.groups) & set(b.groups)),
        ):
            if shared:
                raise ValueError(
                    f"splits {first!r} and {second!r} share {len(shared)} {what}, e.g. "
                    f"{sorted(shared)[:3]}; meta-test classes must be unseen in meta-training. "
                    "Split one dataset with ClassSplits.by_group, or use sources with disjoint "
                    "alphabets (e.g. images_background and images_evaluation)."
                )


@dataclass(frozen=True, eq=False)
class ClassSplits:
    """Three datasets with no class and no group in common (checked on construction)."""

    train: ImageClasses
    val: ImageClasses
    test: ImageClasses

    def __post_init__(self) -> None:
        check_disjoint(train=self.train, val=self.val, test=self.test)

    @classmethod
    def by_group(
        cls,
        dataset: ImageClasses,
        fractions: tuple[float, float, float],
        generator: torch.Generator,
    ) -> ClassSplits:
        """Deal the groups of ``dataset`` out to train/val/test in about these class fractions."""
        if len(fractions) != len(SPLIT_NAMES):
            raise ValueError(f"fractions must be three numbers > 0, got {fractions!r}")
        return cls(*deal_groups(dataset, fractions, SPLIT_NAMES, generator))

    @classmethod
    def with_test(
        cls,
        dataset: ImageClasses,
        test: ImageClasses,
        val_fraction: float,
        generator: torch.Generator,
    ) -> ClassSplits:
        """``test`` as the meta-test split (e.g. Omniglot's evaluation alphabets); the groups
        of ``dataset`` dealt out to train/val in about ``1 − val_fraction`` : ``val_fraction``."""
        fractions = (1.0 - val_fraction, val_fraction)
        train, val = deal_groups(dataset, fractions, SPLIT_NAMES[:2], generator)
        return cls(train, val, test)


def deal_groups(
    dataset: ImageClasses,
    fractions: tuple[float, ...],
    names: tuple[str, ...],
    generator: torch.Generator,
) -> list[ImageClasses]:
    """The groups of ``dataset`` in a random order, dealt out to ``names`` in about these
    class fractions (the rule in the module docstring); every part gets ≥ 1 group."""
    if any(not isinstance(f, int | float) or not math.isfinite(f) or f <= 0 for f in fractions):
        raise ValueError(f"fractions must be numbers > 0, got {fractions!r}")
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(
            f"fractions must sum to 1, got {fractions!r} (sum {sum(fractions)}); rescale them"
        )
    groups = dataset.group_index()
    sizes = torch.bincount(groups).double()
    order = torch.randperm(len(sizes), generator=generator, device=generator.device).cpu()
    middles = torch.cumsum(sizes[order], 0) - sizes[order] / 2
    boundaries = torch.cumsum(torch.tensor(fractions, dtype=torch.float64), 0) * len(groups)
    split_of_group = torch.empty_like(order)
    split_of_group[order] = torch.searchsorted(boundaries, middles, right=True).clamp_max(
        len(fractions) - 1
    )
    split_of_class = split_of_group[groups]
    parts = []
    for split, name in enumerate(names):
        members = (split_of_class == split).nonzero().flatten()
        if members.numel() == 0:
            raise ValueError(
                f"fractions {fractions} leave the {name!r} split without any group: the "
                f"dataset has {len(sizes)} groups of sizes {sizes.long().tolist()}; "
                "give that split a larger fraction or use a dataset with more groups"
            )
        parts.append(dataset.subset(members))
    return parts
