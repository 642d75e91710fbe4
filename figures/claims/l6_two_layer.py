"""Claims L6 and L6i: the task landscape and MAML's gain over NAL for two-layer networks.

Each cell (``figures.claims.l6_gain_experiment``) trains MAML and NAL on one
teacher–student mixture from one start (``init``: the teachers' centre or a
random initialisation) and reports the gain g = E_NAL / E_MAML after one
adaptation step on held-out tasks. The unit of every check is the seed: the
statistic is the log gain ℓ_s = ln g_s of seed s (a ratio's log, so that a
gain of ×2 and one of ×½ are equally far from 1), and cells with the same
seed share the teachers' centres, the start and the task streams, so they pair.

**L6**, the trend (Collins et al.: "similar behaviour for two-layer networks"):
for each start, with Δ_s the seed-paired difference of ℓ,

- growth with D: ℓ(D_max, R_H) − ℓ(D_min, R_H) > 0 at every R_H;
- packing: ℓ(D, R_H,min) − ℓ(D, R_H,max) > 0 at every D > 0.

It is judged by ``paired_verdict``: PASS if every difference's 95% t interval
over seeds lies above 0, FAIL if one lies below 0, INCONCLUSIVE otherwise.
Swapping MAML and NAL (``roles``) inverts every gain and must FAIL.

**L6i**, insight (i), "no gain without a hardness discrepancy": cells with
equal hardness (s_H = s_E), at D_min and D_max (every D at paper scale), from
both starts. For each (start, D) the mean of ℓ_s over seeds with its 95% t
interval is

- *above 1* when the interval lies above 0 (a resolved gain): FAIL;
- *below 1* when it lies below 0 (MAML resolved worse than NAL, which it
  should not be on its own objective): INCONCLUSIVE;
- *too wide* when its half-width is ln 2 or more (it cannot tell ×1 from
  ×2, so "≈ 1" would say nothing): INCONCLUSIVE;
- *≈ 1* otherwise. PASS if every (start, D) is ≈ 1.

Fed the hardness-discrepant cells instead, the same check sees gains well
above 1 (the tests do this).

Example:
    >>> len(l6_cells("quick")), len(l6i_cells("quick"))
    (40, 20)
    >>> sorted({cell.config.mixture.scale_hard for cell in l6i_cells("quick")})
    [1.0]
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from analysis.statistics import MeanInterval, mean_interval
from figures.claims.l6_gain_experiment import INITS, TwoLayerGainConfig
from figures.claims.seed_comparison import (
    PairedComparison,
    paired_differences,
    paired_verdict,
    plot_paired_differences,
)
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict

PAPER = "Collins, Mokhtari, Shakkottai 2022 (arXiv 2010.14672)"
WHAT = "log gain ln(E_NAL/E_MAML)"
RESOLUTION = math.log(2.0)
"""L6i's widest usable interval: a half-width of ln 2 cannot tell a gain of ×1 from ×2."""

Line = tuple[str, float, float]
"""The cells of one seed-level quantity: (start, distance D, hard radius R_H)."""


@dataclass(frozen=True)
class Scale:
    """A scale's grid: distances D, hard radii R_H, seeds, training iterations, test tasks."""

    distances: tuple[float, ...]
    spreads: tuple[float, ...]
    seeds: int
    iterations: int
    test_tasks: int


SCALES = {
    "smoke": Scale((0.0, 2.0), (0.01,), 2, 30, 200),
    "quick": Scale((0.0, 2.0), (0.01, 0.3), 5, 250, 1000),
    "paper": Scale((0.0, 0.5, 1.0, 2.0, 3.0), (0.01, 0.1, 0.3), 10, 3000, 20000),
}


def gain_config(
    scale: Scale, init: str, distance: float, spread: float, equal_hardness: bool = False
) -> TwoLayerGainConfig:
    base = TwoLayerGainConfig(init=init, iterations=scale.iterations, test_tasks=scale.test_tasks)
    mixture = replace(base.mixture, distance=distance, spread_hard=spread)
    if equal_hardness:
        mixture = replace(mixture, scale_hard=mixture.scale_easy)
    return replace(base, mixture=mixture)


def l6_cells(scale: str) -> list[Cell]:
    """Hardness-discrepant cells: every (start, R_H, D) of the scale's grid, every seed."""
    grid = SCALES[scale]
    return [
        Cell(gain_config(grid, init, distance, spread), seed)
        for init in INITS
        for spread in grid.spreads
        for distance in grid.distances
        for seed in range(grid.seeds)
    ]


def l6i_cells(scale: str) -> list[Cell]:
    """Equal-hardness cells (s_H = s_E) at the tightest R_H: every (start, D), every seed."""
    grid = SCALES[scale]
    return [
        Cell(gain_config(grid, init, distance, grid.spreads[0], equal_hardness=True), seed)
        for init in INITS
        for distance in grid.distances
        for seed in range(grid.seeds)
    ]


def log_gains(results: Results | list[dict]) -> dict[Line, dict[int, float]]:
    """ℓ_s = ln(E_NAL/E_MAML) of every cell, grouped by (start, D, R_H), then by seed."""
    gains: dict[Line, dict[int, float]] = defaultdict(dict)
    for result in results:
        line = (result["init"], result["distance"], result["spread_hard"])
        gains[line][result["seed"]] = math.log(result["gain"]["mean"])
    return dict(sorted(gains.items(), key=lambda item: (INITS.index(item[0][0]), *item[0][1:])))


def trend_comparisons(results: Results | list[dict]) -> list[PairedComparison]:
    """L6's claimed orderings (module doc) as (name, {seed: larger ℓ}, {seed: smaller ℓ})."""
    gains = log_gains(results)
    comparisons: list[PairedComparison] = []
    for init in dict.fromkeys(line[0] for line in gains):
        own = {line[1:]: values for line, values in gains.items() if line[0] == init}
        distances, spreads = sorted({d for d, _ in own}), sorted({r for _, r in own})
        near, far = distances[0], distances[-1]
        for spread in spreads if len(distances) > 1 else []:
            if (near, spread) in own and (far, spread) in own:
                name = f"{init} start, R_H={spread:g}: D={far:g} vs {near:g}"
                comparisons.append((name, own[(far, spread)], own[(near, spread)]))
        tight, loose = spreads[0], spreads[-1]
        for distance in [d for d in distances if d > 0] if len(spreads) > 1 else []:
            if (distance, tight) in own and (distance, loose) in own:
                name = f"{init} start, D={distance:g}: R_H={tight:g} vs {loose:g}"
                comparisons.append((name, own[(distance, tight)], own[(distance, loose)]))
    return comparisons


def trend_check(results: Results | list[dict]) -> Verdict:
    """L6: every seed-paired growth of ℓ with D and with packing resolved above 0 (module doc)."""
    comparisons = trend_comparisons(results)
    if not comparisons:
        evidence = Evidence(f"seed-paired difference of {WHAT}", 0, "nothing: no comparison")
        return Verdict(
            "INCONCLUSIVE", "the grid has no two distances or no two hard radii", evidence
        )
    verdict = paired_verdict(comparisons, WHAT)
    claim = "gain grows with D at every R_H and as R_H shrinks at every D > 0, from each start; "
    return Verdict(verdict.status, claim + verdict.reason, verdict.evidence)


def unity_kind(interval: MeanInterval) -> str:
    """Where a seed-level interval of ℓ lies against ℓ = 0 (a gain of 1), see the module doc."""
    if math.isnan(interval.half_width):
        return "one seed: no interval"
    if interval.low > 0:
        return "above 1"
    if interval.high < 0:
        return "below 1"
    if interval.half_width >= RESOLUTION:
        return "too wide to tell ×1 from ×2"
    return "≈ 1"


def equal_hardness_check(results: Results | list[dict]) -> Verdict:
    """L6i: FAIL if a (start, D) gain is resolved above 1, PASS if every one is ≈ 1 (module doc)."""
    hardness = {
        (r["init"], r["distance"], r["spread_hard"]): r["scale_hard"] / r["scale_easy"]
        for r in results
    }
    outcomes = []
    for line, values in log_gains(results).items():
        interval = mean_interval([values[seed] for seed in sorted(values)])
        init, distance, spread = line
        text = (
            f"{init} start, D={distance:g}, R_H={spread:g}, s_H/s_E={hardness[line]:.3g}: gain "
            f"×{math.exp(interval.mean):.3f} (95% seed interval ×{math.exp(interval.low):.3f}"
            f"–×{math.exp(interval.high):.3f}, {interval.count} seeds)"
        )
        outcomes.append((unity_kind(interval), text, interval))
    if not outcomes:
        evidence = Evidence(WHAT, 0, "nothing: no cell")
        return Verdict("INCONCLUSIVE", "no equal-hardness cell was run", evidence)
    widths = [i.half_width for _, _, i in outcomes if not math.isnan(i.half_width)]
    evidence = Evidence(
        statistic=f"{WHAT} per (start, D), mean over seeds with 95% t interval",
        seeds=min(interval.count for _, _, interval in outcomes),
        resolvable=(
            f"±{max(widths):.2g} in log gain (×{math.exp(max(widths)):.3g})"
            if widths
            else "nothing (fewer than 2 seeds)"
        ),
    )
    kinds = {kind for kind, _, _ in outcomes}
    reason = "equal hardness: " + "; ".join(f"{text} {kind}" for kind, text, _ in outcomes)
    if "above 1" in kinds:
        return Verdict(
            "FAIL", reason + "; MAML gains over NAL without a hardness discrepancy", evidence
        )
    if kinds == {"≈ 1"}:
        return Verdict("PASS", reason, evidence)
    return Verdict("INCONCLUSIVE", reason, evidence)


def plot_gain_curve(axis: Axes, curve: dict[float, dict[int, float]], label: str) -> None:
    """Geometric-mean gain over seeds against D with its 95% seed interval, and every seed."""
    distances = sorted(curve)
    intervals = [mean_interval(list(curve[d].values())) for d in distances]
    means = [math.exp(i.mean) for i in intervals]
    widths = [0.0 if math.isnan(i.half_width) else i.half_width for i in intervals]
    below = [m - math.exp(i.mean - w) for m, i, w in zip(means, intervals, widths)]
    above = [math.exp(i.mean + w) - m for m, i, w in zip(means, intervals, widths)]
    line = axis.errorbar(distances, means, yerr=[below, above], marker="o", capsize=3, label=label)
    seeds = [(distance, math.exp(v)) for distance in distances for v in curve[distance].values()]
    axis.scatter(
        *zip(*seeds), color=line[0].get_color(), s=8, alpha=0.5, label=f"{label}: each seed"
    )


def gain_panels(axes: list[Axes], results: Results | list[dict], title: str) -> None:
    """One panel per start: the gain against D, one curve per R_H."""
    curves: dict[str, dict[float, dict[float, dict[int, float]]]] = defaultdict(dict)
    for (init, distance, spread), values in log_gains(results).items():
        curves[init].setdefault(spread, {})[distance] = values
    for axis, init in zip(axes, INITS):
        for spread, curve in curves.get(init, {}).items():
            plot_gain_curve(axis, curve, f"R_H={spread:g}")
        axis.axhline(1.0, color="grey", linewidth=0.8)
        axis.set(
            yscale="log",
            xlabel="hard-centre distance D",
            ylabel="gain E_NAL / E_MAML (95% seed interval)",
            title=f"{title}, {init} start",
        )
        axis.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axis.yaxis.set_minor_formatter(NullFormatter())
        if init in curves:
            axis.legend(fontsize=7)


def trend_figure(results: Results) -> Figure:
    figure, axes = plt.subplots(1, 3, figsize=(15, 5))
    gain_panels(list(axes[:2]), results, "L6: s_H < s_E")
    differences = {name: paired_differences(a, b) for name, a, b in trend_comparisons(results)}
    plot_paired_differences(axes[2], differences)
    axes[2].tick_params(axis="x", labelrotation=60, labelsize=7)
    axes[2].set(ylabel=f"seed-paired Δ {WHAT}", title="L6: claimed growths (> 0)")
    figure.tight_layout()
    return figure


def equal_hardness_figure(results: Results) -> Figure:
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    gain_panels(list(axes), results, "L6i: s_H = s_E")
    figure.tight_layout()
    return figure


L6 = Claim(
    "L6",
    PAPER,
    "Two-layer networks (teacher–student): MAML's gain over NAL grows with the hard-centre "
    "distance D and as the hard tasks are packed more tightly (R_H shrinks), from the teachers' "
    "centre and from a random initialisation",
    l6_cells,
    trend_check,
    trend_figure,
)

L6i = Claim(
    "L6i",
    PAPER,
    "Two-layer networks (teacher–student), insight (i): without a hardness discrepancy "
    "(s_H = s_E) MAML gains nothing over NAL, E_NAL/E_MAML ≈ 1 at every D, from either start",
    l6i_cells,
    equal_hardness_check,
    equal_hardness_figure,
)
