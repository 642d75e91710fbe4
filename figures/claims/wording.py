"""Numbers in verdict texts and legends, written as a reader would: "1 step", "1/5/10 steps".

Example:
    >>> step_counts([1]), step_counts([10, 1, 5])
    ('1 step', '1/5/10 steps')
"""

from __future__ import annotations

from collections.abc import Iterable


def step_counts(counts: Iterable[int | str], noun: str = "step") -> str:
    """Step counts joined by '/', then ``noun``, plural unless the only count is 1."""
    values = sorted({int(count) for count in counts})
    return "/".join(map(str, values)) + f" {noun}" + ("" if values == [1] else "s")
