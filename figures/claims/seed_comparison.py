"""Seed intervals compared three ways (PASS, FAIL or INCONCLUSIVE), and their picture.

The unit is the seed: each side of a claim "a ≥ b" is the mean over seeds of
one number per seed, with its 95% Student-t interval [low, high]. The claim
is *above* when low_a > high_b, *below* when high_a < low_b, and *overlap*
otherwise (always, with one seed: no interval). A list of claimed orderings
PASSES when every one is above, FAILS when any one is below, and is
INCONCLUSIVE otherwise: overlapping intervals never PASS. The picture
(``plot_seed_intervals``) shows each role's mean with its interval and every
seed's value beside it.

Example:
    >>> from analysis.statistics import mean_interval
    >>> better, worse = mean_interval([0.60, 0.61, 0.62]), mean_interval([0.50, 0.51, 0.52])
    >>> interval_comparison(better, worse)[0], interval_comparison(worse, better)[0]
    ('above', 'below')
    >>> comparison_verdict([("a vs b", better, worse)], "accuracy").status
    'PASS'
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes

from analysis.statistics import MeanInterval, mean_interval
from figures.engine.claim import Verdict


def interval_comparison(better: MeanInterval, worse: MeanInterval) -> tuple[str, str]:
    """("above" | "below" | "overlap", text) for the claim ``better`` ≥ ``worse``."""
    text = f"{better} vs {worse}"
    if math.isnan(better.half_width) or math.isnan(worse.half_width):
        return "overlap", text + " (one seed: no interval)"
    if better.low > worse.high:
        return "above", text
    if better.high < worse.low:
        return "below", text
    return "overlap", text


def comparison_verdict(pairs: list[tuple[str, MeanInterval, MeanInterval]], what: str) -> Verdict:
    """PASS if every claimed ordering is separated the right way; FAIL if one is reversed."""
    outcomes = [(name, *interval_comparison(a, b)) for name, a, b in pairs]
    reason = f"{what}: " + "; ".join(f"{name} {text} ({kind})" for name, kind, text in outcomes)
    kinds = {kind for _, kind, _ in outcomes}
    if "below" in kinds:
        return Verdict("FAIL", reason)
    if kinds == {"above"}:
        return Verdict("PASS", reason)
    return Verdict("INCONCLUSIVE", reason + "; overlapping intervals")


def plot_seed_intervals(axis: Axes, per_seed: dict[str, list[float]]) -> None:
    """Each role's mean over seeds with its 95% interval, and each seed's value (grey dots)."""
    for index, values in enumerate(per_seed.values()):
        interval = mean_interval(values)
        axis.errorbar(index, interval.mean, yerr=interval.half_width, marker="o", capsize=4)
        axis.scatter([index] * len(values), values, color="grey", s=10, zorder=3)
    axis.set_xticks(range(len(per_seed)), list(per_seed))
