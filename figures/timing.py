"""Timing several computations fairly on a shared machine: interleaved rounds, medians.

Each round runs every function once in turn (repeated to about 50 ms), so a
change of machine load hits all of them alike; the median over rounds of
the seconds per call is robust to a few disturbed rounds. Ratios between
the medians are what a report should quote.

Example:
    >>> seconds = interleaved_seconds({"short": lambda: sum(range(10)),
    ...                                "long": lambda: sum(range(10000))}, rounds=3)
    >>> seconds["short"] < seconds["long"]
    True
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from synthetic.validation import require_count

ROUND_SECONDS = 0.05


def interleaved_seconds(calls: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each function over ``rounds`` interleaved rounds."""
    require_count("rounds", rounds)
    for fn in calls.values():
        fn()
    repeats = {name: max(1, round(ROUND_SECONDS / _once(fn))) for name, fn in calls.items()}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            start = time.perf_counter()
            for _ in range(repeats[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / repeats[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def _once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return max(time.perf_counter() - start, 1e-9)
