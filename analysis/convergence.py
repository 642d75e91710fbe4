"""Convergence curves and rates: bands over seeds, fitted rates, iterations to ε, theory.

Curves. A run records e_t (meta-loss, meta-gradient norm, test accuracy, ...)
at steps t = 0, 1, …; S seeds give S curves. :func:`curve_band` averages
them pointwise, ē_t ± t_{S−1} s_t/√S (Student's t, ``analysis.statistics``).
Curves recorded against wall time or counted gradient / Hessian-vector-product
evaluations have their own x per seed: :func:`cost_axis` turns a per-step
cost c_t into x_t = Σ_{j<t} c_j, and :func:`on_grid` interpolates each seed
onto a common grid before averaging. :func:`window_means` thins a long noisy
curve into means over consecutive windows.

Rates. Two models, each fitted by least squares on log e_t:

- linear (geometric) convergence, e_t = C qᵗ:  log e_t = log C + t log q,
  rate q = exp(slope) ∈ (0, 1) for a contraction;
- power law, e_t = C t^{−r}:  log e_t = log C − r log t, rate r = −slope.

The interval of the rate comes from the slope's t-interval with n − 2
degrees of freedom (exact when the log-errors have independent Gaussian
noise; zero width for an exact curve), mapped through exp for q.

:func:`iterations_to` is the first step with e_t ≤ ε; :func:`compare_with_theory`
divides a measured curve by a theoretical one r(t) (a bound or a rate given
as a function) and says whether the measurement stays within it.

Example:
    >>> import numpy as np
    >>> steps = np.arange(20)
    >>> fit = fit_geometric_rate(3.0 * 0.8**steps, steps)
    >>> round(fit.rate, 6), round(fit.high - fit.low, 6)
    (0.8, 0.0)
    >>> iterations_to(0.8**steps, 0.1)
    11
    >>> compare_with_theory(0.5 * 0.8**steps, lambda t: 0.8**t, steps).holds
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from analysis.statistics import mean_interval

ArrayLike = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class CurveBand:
    """Pointwise mean of S curves over x with the ``level`` interval (NaN width for S = 1)."""

    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: int
    level: float = 0.95

    def as_dict(self) -> dict[str, list[float] | int | float]:
        """Plain lists, for results files."""
        return {
            "x": self.x.tolist(),
            "mean": self.mean.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
            "count": self.count,
            "level": self.level,
        }


def curve_band(
    curves: Sequence[ArrayLike] | np.ndarray, x: ArrayLike | None = None, level: float = 0.95
) -> CurveBand:
    """Pointwise mean and interval over seeds of equal-length curves (rows); x defaults to 0…T−1."""
    try:
        array = np.asarray(curves, dtype=np.float64)
    except ValueError as error:
        raise ValueError(f"curves must be S curves of equal length T ≥ 1: {error}") from error
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"curves must be S curves of equal length T ≥ 1, got shape {array.shape}")
    axis = np.arange(array.shape[1], dtype=np.float64) if x is None else _vector("x", x)
    if axis.size != array.shape[1]:
        raise ValueError(f"x has {axis.size} points but the curves have {array.shape[1]}")
    intervals = [mean_interval(column, level) for column in array.T]
    mean = np.array([i.mean for i in intervals])
    half = np.array([i.half_width for i in intervals])
    return CurveBand(axis, mean, mean - half, mean + half, array.shape[0], level)


def cost_axis(per_step: float | ArrayLike, steps: int) -> np.ndarray:
    """x_t = Σ_{j<t} c_j for t = 0…steps−1: cumulative seconds or evaluations before step t."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps!r}")
    costs = np.broadcast_to(np.asarray(per_step, dtype=np.float64), (steps,))
    if not np.isfinite(costs).all() or (costs < 0).any():
        raise ValueError("per-step costs must be finite and >= 0")
    return np.concatenate([[0.0], np.cumsum(costs)[:-1]])


def on_grid(x: ArrayLike, values: ArrayLike, grid: ArrayLike) -> np.ndarray:
    """``values`` recorded at non-decreasing ``x``, interpolated linearly at ``grid``."""
    x, values, grid = _vector("x", x), _vector("values", values), _vector("grid", grid)
    if x.size != values.size or (np.diff(x) < 0).any():
        raise ValueError("x must be non-decreasing and as long as values")
    return np.interp(grid, x, values)


def window_means(values: ArrayLike, window: int) -> np.ndarray:
    """Means over consecutive windows of ``window`` values (a last, shorter window included)."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    array = _vector("values", values)
    return np.array(
        [chunk.mean() for chunk in np.array_split(array, math.ceil(array.size / window))]
    )


@dataclass(frozen=True)
class RateFit:
    """A fitted rate with its ``level`` interval: q of C qᵗ (geometric) or r of C t^{−r} (power)."""

    model: str
    rate: float
    low: float
    high: float
    constant: float
    points: int
    level: float = 0.95

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def fit_geometric_rate(
    errors: ArrayLike, steps: ArrayLike | None = None, level: float = 0.95
) -> RateFit:
    """q and its interval from log e_t = log C + t log q by least squares; steps default 0…T−1."""
    values = _positive(errors)
    steps = np.arange(values.size, dtype=np.float64) if steps is None else _vector("steps", steps)
    slope, low, high, intercept = _slope_interval(steps, np.log(values), level)
    rate, low, high = math.exp(slope), math.exp(low), math.exp(high)
    return RateFit("geometric", rate, low, high, math.exp(intercept), values.size, level)


def fit_power_rate(errors: ArrayLike, steps: ArrayLike, level: float = 0.95) -> RateFit:
    """r and its interval from log e_t = log C − r log t (least squares) at steps t ≥ 1."""
    values, steps = _positive(errors), _vector("steps", steps)
    if (steps <= 0).any():
        raise ValueError("a power law e_t = C t^(-r) needs steps t > 0")
    slope, low, high, intercept = _slope_interval(np.log(steps), np.log(values), level)
    return RateFit("power", -slope, -high, -low, math.exp(intercept), values.size, level)


def iterations_to(errors: ArrayLike, epsilon: float, steps: ArrayLike | None = None) -> int | None:
    """The first step t with e_t ≤ ε (``steps[index]`` if given), or None if it never gets there."""
    values = _vector("errors", errors)
    reached = np.flatnonzero(values <= epsilon)
    if reached.size == 0:
        return None
    first = int(reached[0])
    return first if steps is None else int(_vector("steps", steps)[first])


@dataclass(frozen=True)
class TheoryComparison:
    """Measured / theoretical values at each step; ``holds`` if none exceeds 1 + tolerance."""

    ratios: np.ndarray
    max_ratio: float
    holds: bool
    tolerance: float

    def as_dict(self) -> dict[str, list[float] | float | bool]:
        return {
            "ratios": self.ratios.tolist(),
            "max_ratio": self.max_ratio,
            "holds": self.holds,
            "tolerance": self.tolerance,
        }


def compare_with_theory(
    measured: ArrayLike,
    theory: Callable[[np.ndarray], np.ndarray],
    steps: ArrayLike,
    tolerance: float = 1e-9,
) -> TheoryComparison:
    """e_t / r(t) for a theoretical bound or rate r given as a function of the steps."""
    values, steps = _vector("measured", measured), _vector("steps", steps)
    predicted = np.asarray(theory(steps), dtype=np.float64)
    if predicted.shape != values.shape or (predicted <= 0).any():
        raise ValueError("theory(steps) must give one positive value per measured value")
    ratios = values / predicted
    worst = float(ratios.max())
    return TheoryComparison(ratios, worst, bool(worst <= 1.0 + tolerance), tolerance)


def _slope_interval(
    x: np.ndarray, y: np.ndarray, level: float
) -> tuple[float, float, float, float]:
    """Least-squares slope, its ``level`` t-interval (n − 2 dof) and the intercept."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if x.size != y.size or x.size < 3 or np.ptp(x) == 0:
        raise ValueError(f"a rate fit needs at least 3 points at distinct steps, got {x.size}")
    fit = stats.linregress(x, y)
    half = stats.t.ppf(0.5 + level / 2.0, df=x.size - 2) * fit.stderr
    return float(fit.slope), float(fit.slope - half), float(fit.slope + half), float(fit.intercept)


def _positive(values: ArrayLike) -> np.ndarray:
    array = _vector("errors", values)
    if (array <= 0).any():
        raise ValueError("errors must be > 0 to fit a rate on their logarithm")
    return array


def _vector(name: str, values: ArrayLike) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0 or not np.isfinite(array).all():
        raise ValueError(f"{name} must be a non-empty sequence of finite numbers")
    return array
