"""Timing several computations fairly on a shared machine: interleaved rounds, medians.

Each round runs every function once in turn (repeated to about 50 ms), so a
change of machine load hits all of them alike; the median over rounds of
the seconds per call is robust to a few disturbed rounds. Ratios between
the medians are what a report should quote; :func:`interleaved_rounds` keeps
every round, paired across the functions, for a ratio with an interval.

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

import torch

from synthetic.validation import require_count

ROUND_SECONDS = 0.05


def interleaved_rounds(
    calls: dict[str, Callable[[], object]], rounds: int, device: torch.device | str | None = None
) -> dict[str, list[float]]:
    """Seconds per call of each function in each of ``rounds`` interleaved rounds.

    Round r of every function runs back to back, so the samples are paired by r
    (``analysis.statistics.paired_ratio`` turns two of them into a ratio
    with an interval). Each function is called once untimed first. On a CUDA
    ``device`` the clock is read only after the device has finished its work.
    """
    require_count("rounds", rounds)
    synchronize = _synchronizer(device)
    for fn in calls.values():
        fn()
    repeats = {
        name: max(1, round(ROUND_SECONDS / _seconds(fn, 1, synchronize)))
        for name, fn in calls.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, fn in calls.items():
            samples[name].append(_seconds(fn, repeats[name], synchronize))
    return samples


def interleaved_seconds(
    calls: dict[str, Callable[[], object]], rounds: int, device: torch.device | str | None = None
) -> dict[str, float]:
    """Median seconds per call of each function over ``rounds`` interleaved rounds."""
    samples = interleaved_rounds(calls, rounds, device)
    return {name: statistics.median(values) for name, values in samples.items()}


def _seconds(fn: Callable[[], object], repeats: int, synchronize: Callable[[], None]) -> float:
    """Mean seconds of ``repeats`` back-to-back calls."""
    synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    synchronize()
    return max(time.perf_counter() - start, 1e-9) / repeats


def _synchronizer(device: torch.device | str | None) -> Callable[[], None]:
    if device is not None and torch.device(device).type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None
