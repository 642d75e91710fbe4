"""Config checks shared by every package: a bad value raises ``ValueError`` naming it.

Each message says which field, what value it got and what is allowed, so a
user can fix a config without reading the source.

Example:
    >>> require_positive("inner_lr", 0.01)
    >>> require_positive("inner_lr", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: inner_lr must be > 0, got -1.0; pass a finite positive number
"""

from __future__ import annotations

import math


def require_positive(name: str, value: float) -> None:
    """Raise unless ``value`` is a finite number > 0."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}; pass a finite positive number")


def require_non_negative(name: str, value: float) -> None:
    """Raise unless ``value`` is a finite number >= 0."""
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}; pass a finite number >= 0")


def require_count(name: str, value: int, minimum: int = 1) -> None:
    """Raise unless ``value`` is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"{name} must be an integer >= {minimum}, got {value!r}; "
            f"pass a whole number (int) of at least {minimum}"
        )


def require_interval(name: str, interval: tuple[float, float]) -> None:
    """Raise unless ``interval`` is a pair (low, high) of finite numbers with low < high."""
    if (
        len(interval) != 2
        or not all(_is_real(v) and math.isfinite(v) for v in interval)
        or interval[0] >= interval[1]
    ):
        raise ValueError(
            f"{name} must be a pair (low, high) with low < high, got {interval!r}; "
            "pass two finite numbers, the smaller first"
        )


def _is_real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
