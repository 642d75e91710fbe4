"""Seed-level comparisons judged three ways (PASS, FAIL or INCONCLUSIVE), and their pictures.

Paired (``paired_verdict``, the one to use when every method sees the same
tasks per seed): for a claim "a ≥ b" the unit is the per-seed difference
d_s = a_s − b_s over the seeds both ran, with its mean and 95% Student-t
interval. The claim PASSES when every interval lies above 0, FAILS when one
lies below 0, and is INCONCLUSIVE otherwise; the rule is symmetric, and the
smallest effect it resolves is the interval half-width, which the verdict's
evidence states.

Pictures: ``plot_paired_differences`` shows each comparison's mean paired
difference with its interval, every seed and 0; ``plot_seed_intervals``
shows each role's own mean over seeds with its interval, every seed beside it.

Example:
    >>> paired_verdict([("a vs b", {0: 0.62, 1: 0.71, 2: 0.56}, {0: 0.60, 1: 0.68, 2: 0.54})],
    ...                "accuracy").status
    'PASS'
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.axes import Axes

from analysis.statistics import mean_interval
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
    _plot_intervals(axis, differences)
    axis.axhline(0.0, color="black", linewidth=0.8)


def plot_seed_intervals(axis: Axes, per_seed: dict[str, list[float]]) -> None:
    """Each role's mean over seeds with its 95% interval, and each seed's value (grey dots)."""
    _plot_intervals(axis, per_seed)


def _plot_intervals(axis: Axes, values_by_name: dict[str, list[float]]) -> None:
    """Per name (an x tick): the mean with its 95% interval and every seed as a grey dot, each
    kind of mark one series with one legend entry."""
    if not any(values_by_name.values()):
        return
    intervals = [mean_interval(values) for values in values_by_name.values()]
    positions = range(len(values_by_name))
    axis.errorbar(
        positions,
        [interval.mean for interval in intervals],
        yerr=[interval.half_width for interval in intervals],
        fmt="o",
        capsize=4,
        label="mean, 95% interval over seeds",
    )
    seeds = [(x, v) for x, values in zip(positions, values_by_name.values()) for v in values]
    axis.scatter(*zip(*seeds), color="grey", s=10, zorder=3, label="each seed")
    axis.set_xticks(positions, list(values_by_name))
    axis.legend(fontsize=7)
