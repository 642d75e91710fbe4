"""G1's data: Gaussian classes whose training labels carry symmetric noise, in three splits.

C classes in ℝᵈ with means μ_c ~ N(0, I); an example of class y is
x = μ_y + σ·N(0, I). With probability ``noise`` = η a training label is
replaced by one of the other C − 1 classes, uniformly (symmetric noise). A
seed draws

- the *pool*: the labelled training data every method gets (noisy labels);
  Agnostic-SAM carves its validation part (the last ``validation_size``
  examples) out of it, the other methods train on all of it;
- the *selection* split (noisy labels, as a practitioner would have): only
  for choosing SAM's radius;
- the *test* split (clean labels): the score.

Under symmetric noise the expected accuracy on noisy labels is an increasing
affine function of the clean accuracy a,

    E[noisy accuracy] = (1 − η)·a + η·(1 − a)/(C − 1),

(slope 1 − η − η/(C − 1) > 0 for η < (C − 1)/C), so ranking radii on the
noisy selection split ranks them by clean accuracy in expectation, without
any clean label outside the test split.

Example:
    >>> data = NoisyGaussianClasses(pool_size=8, validation_size=2, selection_size=4, test_size=6)
    >>> splits = data.draw(seed=0)
    >>> [tuple(splits[name][0].shape) for name in SPLITS]
    [(8, 20), (4, 20), (6, 20)]
    >>> torch.equal(splits["pool"][0], data.draw(seed=0)["pool"][0])
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from synthetic.validation import require_count, require_positive

SPLITS = ("pool", "selection", "test")
DATA_SEED_OFFSET = 7_919
"""Added to a seed for the data generator, so data and initialisation are drawn independently."""

Split = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class NoisyGaussianClasses:
    """C Gaussian classes of spread σ in ℝᵈ; noisy pool and selection labels, clean test labels."""

    noise: float = 0.4
    classes: int = 4
    dimension: int = 20
    spread: float = 0.6
    pool_size: int = 640
    validation_size: int = 128
    selection_size: int = 256
    test_size: int = 2000

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise < 1.0 - 1.0 / self.classes:
            raise ValueError(
                f"noise must be in [0, 1 − 1/C) so noisy labels still rank models, got {self.noise}"
            )
        require_count("classes", self.classes, minimum=2)
        for name in ("dimension", "validation_size", "selection_size", "test_size"):
            require_count(name, getattr(self, name))
        require_count("pool_size", self.pool_size, minimum=self.validation_size + 1)
        require_positive("spread", self.spread)

    def draw(self, seed: int) -> dict[str, Split]:
        """The pool, selection and test splits of ``seed``: (x [n, d], labels [n])."""
        generator = torch.Generator().manual_seed(DATA_SEED_OFFSET + seed)
        means = torch.randn(self.classes, self.dimension, generator=generator)
        sizes = (self.pool_size, self.selection_size, self.test_size)
        splits = {}
        for split, size in zip(SPLITS, sizes, strict=True):
            labels = torch.randint(self.classes, (size,), generator=generator)
            x = means[labels] + self.spread * torch.randn(size, self.dimension, generator=generator)
            if split != "test":
                flip = torch.rand(size, generator=generator) < self.noise
                shift = torch.randint(1, self.classes, (size,), generator=generator)
                labels = torch.where(flip, (labels + shift) % self.classes, labels)
            splits[split] = (x, labels)
        return splits
