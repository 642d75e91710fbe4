"""Means with confidence intervals, for numbers measured over tasks or seeds.

For n values with sample mean x̄ and standard deviation s, the two-sided
interval at level 1 − a is x̄ ± t_{1−a/2, n−1} · s/√n (Student's t).

For a ratio of two paired means, ``paired_ratio`` gives the delta-method
interval.

Example:
    >>> interval = mean_interval([1.0, 2.0, 3.0, 4.0])
    >>> round(interval.mean, 3), round(interval.half_width, 3)
    (2.5, 2.054)
    >>> round(paired_ratio(torch.tensor([2.0, 4.0, 6.1]), torch.tensor([1.0, 2.0, 3.0]))["mean"], 4)
    2.0167
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import stats


@dataclass(frozen=True)
class MeanInterval:
    """A sample mean with the half-width of its confidence interval."""

    mean: float
    half_width: float
    count: int
    level: float = 0.95

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.mean:.4g} ± {self.half_width:.2g}"


def mean_interval(
    values: Sequence[float] | np.ndarray | torch.Tensor, level: float = 0.95
) -> MeanInterval:
    """The mean of ``values`` and the Student-t half-width at ``level`` (NaN for one value)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError("mean_interval needs at least one value")
    if not np.isfinite(array).all():
        raise ValueError(
            f"mean_interval got {np.count_nonzero(~np.isfinite(array))} NaN/Inf values"
        )
    if array.size == 1:
        return MeanInterval(float(array[0]), math.nan, 1, level)
    sem = array.std(ddof=1) / math.sqrt(array.size)
    quantile = t_quantile(level, array.size)
    return MeanInterval(float(array.mean()), float(quantile * sem), int(array.size), level)


def t_quantile(level: float, count: int) -> float:
    """The two-sided Student-t quantile for a ``level`` interval of the mean of ``count``
    values (``count - 1`` degrees of freedom)."""
    return float(stats.t.ppf(0.5 + level / 2.0, df=count - 1))


def pointwise_intervals(samples: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Means over axis 0 of ``samples [count, points]`` and their Student-t half-widths at
    ``level``, point by point (the curve analogue of :func:`mean_interval`; needs count ≥ 2)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] < 2:
        raise ValueError(f"pointwise_intervals needs [count >= 2, points], got {samples.shape}")
    sem = samples.std(axis=0, ddof=1) / math.sqrt(samples.shape[0])
    return samples.mean(axis=0), t_quantile(level, samples.shape[0]) * sem


def paired_ratio(numerator: torch.Tensor, denominator: torch.Tensor, level: float = 0.95) -> dict:
    """mean(a)/mean(b) over paired samples (a_i, b_i), with a delta-method interval.

    r = ā/b̄, Var(r) ≈ Var(a − r·b) / (n b̄²): the same tasks scored by two
    methods, or the same timing rounds of two computations. Returns
    ``{"mean", "half_width", "level"}``.
    """
    mean_b = denominator.mean()
    ratio = (numerator.mean() / mean_b).item()
    residual = mean_interval((numerator - ratio * denominator) / mean_b, level=level)
    return {"mean": ratio, "half_width": residual.half_width, "level": level}
