"""Seed-level comparisons judged three ways (PASS, FAIL or INCONCLUSIVE), and their pictures.

Paired (``paired_verdict``, the one to use when every method sees the same
tasks per seed): for a claim "a ≥ b" the unit is the per-seed difference
d_s = a_s − b_s over the seeds both ran, with its mean and 95% Student-t
interval. The claim PASSES when every interval lies above 0, FAILS when one
lies below 0, and is INCONCLUSIVE otherwise; the rule is symmetric, and the
smallest effect it resolves is the interval half-width, which the verdict's
evidence states.

Unpaired (the functions below ``paired_verdict``):

The unit is the seed: each side of a claim "a ≥ b" is the mean over seeds of
one number per seed, with its 95% Student-t interval [low, high]. The claim
is *above* when low_a > high_b, *below* when high_a < low_b, and *overlap*
otherwise (always, with one seed: no interval). A list of claimed orderings
PASSES when every one is above, FAILS when any one is below, and is
INCONCLUSIVE otherwise: overlapping intervals never PASS. The picture
(``plot_seed_intervals``) shows each role's mean with its interval and every
seed's value beside it.

Example:
    >>> paired_verdict([("a vs b", {0: 0.62, 1: 0.71, 2: 0.56}, {0: 0.60, 1: 0.68, 2: 0.54})],
    ...                "accuracy").status
    'PASS'
    >>> from analysis.statistics import mean_interval
    >>> better, worse = mean_interval([0.60, 0.61, 0.62]), mean_interval([0.50, 0.51, 0.52])
    >>> interval_comparison(better, worse)[0], interval_comparison(worse, better)[0]
    ('above', 'below')
    >>> comparison_verdict([("a vs b", better, worse)], "accuracy").status
    'PASS'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.axes import Axes

from analysis.statistics import MeanInterval, mean_interval
from figures.engine.claim import Evidence, Verdict

PairedComparison = tuple[str, Mapping[int, float], Mapping[int, float]]


def paired_differences(better: Mapping[int, float], worse: Mapping[int, float]) -> list[float]:
    """a_s − b_s for every seed s that both ``better`` and ``worse`` ran, in seed order."""
    return [better[seed] - worse[seed] for seed in sorted(set(better) & set(worse))]


def paired_verdict(comparisons: list[PairedComparison], what: str) -> Verdict:
    """PASS if every seed-paired difference (better − worse) lies above 0, FAIL if one lies below.

    ``comparisons`` holds (name, {seed: better value}, {seed: worse value});
    only seeds present on both sides count. With fewer than two common seeds
    there is no interval and the comparison is unresolved.
    """
    outcomes, widths, seed_counts = [], [], []
    for name, better, worse in comparisons:
        differences = paired_differences(better, worse)
        if not differences:
            raise ValueError(f"{name}: the two sides share no seed, so nothing can be paired")
        interval = mean_interval(differences)
        seed_counts.append(interval.count)
        widths.append(interval.half_width)
        if math.isnan(interval.half_width):
            kind = "one seed: no interval"
        elif interval.low > 0:
            kind = "above"
        elif interval.high < 0:
            kind = "below"
        else:
            kind = "unresolved"
        outcomes.append((name, kind, f"Δ = {interval}"))
    reason = f"{what}: " + "; ".join(f"{name} {text} ({kind})" for name, kind, text in outcomes)
    finite = [width for width in widths if not math.isnan(width)]
    evidence = Evidence(
        statistic=f"seed-paired difference of {what} (mean over seeds, 95% t interval)",
        seeds=min(seed_counts),
        resolvable=f"±{max(finite):.2g}" if finite else "nothing (fewer than 2 seeds)",
    )
    kinds = {kind for _, kind, _ in outcomes}
    if "below" in kinds:
        return Verdict("FAIL", reason, evidence)
    if kinds == {"above"}:
        return Verdict("PASS", reason, evidence)
    return Verdict("INCONCLUSIVE", reason, evidence)


def plot_paired_differences(axis: Axes, differences: dict[str, list[float]]) -> None:
    """Each comparison's mean seed-paired difference with its 95% interval, every seed, and 0."""
    for index, values in enumerate(differences.values()):
        interval = mean_interval(values)
        axis.errorbar(index, interval.mean, yerr=interval.half_width, marker="o", capsize=4)
        axis.scatter([index] * len(values), values, color="grey", s=10, zorder=3)
    axis.axhline(0.0, color="black", linewidth=0.8)
    axis.set_xticks(range(len(differences)), list(differences))


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
