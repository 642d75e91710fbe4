"""Claim H1: every Sharp-MAML variant reaches flatter meta-solutions than MAML at comparable loss.

Abbas et al.'s flatness claim, checked for each variant (``sharp_family.VARIANTS``)
on two meta-losses, sinusoid regression and 5-way 1-shot glyph tasks
(``figures.claims.h1_flatness_arms``: one cell per arm and seed; every arm of a
seed sees the same initialisation, task stream and measurement tasks).
Flatness is that of the MAML meta-loss F on a fixed batch of meta-training
tasks: its largest algebraic Hessian eigenvalue λ_max and its SAM sharpness
S_ρ = max_{‖ε‖≤ρ} F(θ+ε) − F(θ); smaller is flatter.

"At comparable training loss": a variant's last snapshot is paired with the
snapshot of the same seed's MAML run whose F is nearest; the pair is usable
when the two F differ by at most ``LOSS_TOLERANCE`` (relative) and Lanczos
converged at both points. For a measure x the unit is the seed's relative
reduction

    r_s = (x_MAML,s − x_variant,s) / |x_MAML,s|        (> 0: the variant is flatter),

and each (meta-loss, variant, measure) is one comparison of
``seed_comparison.paired_verdict``, whose rule is symmetric: PASS when every
comparison's 95% t interval of r lies above 0, FAIL when one lies below 0,
INCONCLUSIVE otherwise. A comparison with an unusable pair is left out; it
turns a PASS into INCONCLUSIVE, while a FAIL of the usable ones stands. With
ρ = 0 a variant takes MAML's steps bit for bit, every r_s is 0 and the claim
cannot PASS.

Scales. Quick (5 seeds, CPU): sinusoids with Finn et al.'s net, tasks,
α = 0.01 and meta-batch 25, but Adam 1e-2 for 120 iterations (MAML snapshots
every 20), so the runs are early in training (F ≈ 1.3–2.7, not MAML's
converged ≈ 0.5); glyphs on ``sharp_family.QUICK_SETUP`` (14-pixel images,
2-block conv net, 8 filters) for 40 iterations. λ_max by Lanczos to 1%
of ‖H‖, SAM sharpness at ρ = 0.05 by 20 (sinusoid) or 4 (glyph) ascent
steps. Omniglot: the quick sinusoid arms, and the image arms on real Omniglot
(``sharp_family.OMNIGLOT_SETUP``: 28 pixels, 4 blocks of 16 filters) for 400
iterations, snapshots every 50, measured on 16 tasks with 10 ascent steps.
At every scale MAML's reference arm trains 1.5× as long
(``h1_flatness_arms.REFERENCE_SPAN``), so that variants faster than MAML
also find a MAML snapshot at their loss.
Paper: Finn et al.'s sinusoid protocol (Adam 1e-3, 20000
iterations) and the official Sharp-MAML few-shot protocol
(``sharp_family.PAPER_SETUP``, ρ = 0.0005, α = 0.1), measured to 0.1%.

Example (results shaped as the cells make them; identical arms cannot PASS):
    >>> reference = {"seed": 0, "objective": "sinusoid", "algorithm": "maml", "snapshots": [
    ...     {"meta_loss": 1.0, "largest_eigenvalue": 4.0, "sam_sharpness": 0.2,
    ...      "eigenvalues_converged": True}]}
    >>> same = [dict(reference, seed=s) for s in range(5)]
    >>> copies = [dict(r, algorithm="sharp-maml-up") for r in same]
    >>> flatness_check(same + copies).status
    'INCONCLUSIVE'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from figures.claims.h1_flatness_arms import (
    REFERENCE,
    FlatnessProbe,
    GlyphFlatnessArm,
    SinusoidFlatnessArm,
)
from figures.claims.seed_comparison import (
    PairedComparison,
    paired_differences,
    paired_verdict,
    plot_paired_differences,
)
from figures.claims.sharp_family import (
    OMNIGLOT_SETUP,
    PAPER,
    PAPER_INNER_LR,
    PAPER_RHO,
    PAPER_SETUP,
    QUICK_SETUP,
    VARIANTS,
)
from figures.engine.claim import SCALES, Cell, Claim, Evidence, Results, Verdict

LOSS_TOLERANCE = 0.1
MEASURES = {"largest_eigenvalue": "λ_max", "sam_sharpness": "SAM sharpness"}
WHAT = (
    "relative reduction (MAML − variant)/|MAML| of the MAML meta-loss's λ_max and SAM "
    "sharpness at matched meta-loss (> 0: the variant is flatter)"
)


@dataclass(frozen=True)
class Match:
    """A variant's last snapshot and the same seed's MAML snapshot nearest to it in F."""

    variant: Mapping[str, Any]
    reference: Mapping[str, Any]

    @property
    def loss_gap(self) -> float:
        return abs(self.variant["meta_loss"] / self.reference["meta_loss"] - 1.0)

    def converged(self) -> bool:
        return self.variant["eigenvalues_converged"] and self.reference["eigenvalues_converged"]


def matches(results: Results) -> dict[tuple[str, str], dict[int, Match]]:
    """{(meta-loss, variant): {seed: Match}} from the arms' results."""
    references: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    variants: dict[tuple[str, str], dict[int, Mapping[str, Any]]] = {}
    for result in results:
        objective, algorithm, seed = result["objective"], result["algorithm"], result["seed"]
        if algorithm == REFERENCE:
            measured = [s for s in result["snapshots"] if "largest_eigenvalue" in s]
            _add_once(references, (objective, seed), measured, result)
        else:
            _add_once(variants.setdefault((objective, algorithm), {}), seed, result, result)
    paired = {}
    for (objective, algorithm), by_seed in variants.items():
        paired[objective, algorithm] = {}
        for seed, result in sorted(by_seed.items()):
            if (objective, seed) not in references:
                raise ValueError(f"{objective}: {algorithm} seed {seed} has no MAML arm to pair")
            last = result["snapshots"][-1]
            nearest = min(
                references[objective, seed],
                key=lambda snapshot: abs(snapshot["meta_loss"] - last["meta_loss"]),
            )
            paired[objective, algorithm][seed] = Match(last, nearest)
    return paired


def _add_once(table: dict, key: Any, value: Any, result: Mapping[str, Any]) -> None:
    if key in table:
        raise ValueError(
            f"two results for {result['objective']} {result['algorithm']} seed {result['seed']}"
        )
    table[key] = value


def relative_sides(
    by_seed: Mapping[int, Match], measure: str
) -> tuple[dict[int, float], dict[int, float]]:
    """x_MAML/|x_MAML| and x_variant/|x_MAML| per seed: their difference is r_s."""
    scale = {seed: abs(match.reference[measure]) for seed, match in by_seed.items()}
    maml = {seed: match.reference[measure] / scale[seed] for seed, match in by_seed.items()}
    variant = {seed: match.variant[measure] / scale[seed] for seed, match in by_seed.items()}
    return maml, variant


def comparisons(
    paired: dict[tuple[str, str], dict[int, Match]],
) -> tuple[list[tuple[str, PairedComparison]], list[str]]:
    """The usable comparisons for ``paired_verdict``, each with its objective, and why the
    others are left out."""
    usable, left_out = [], []
    for (objective, algorithm), by_seed in paired.items():
        far = [
            f"seed {seed} ΔF/F = {match.loss_gap:.2g}"
            for seed, match in by_seed.items()
            if match.loss_gap > LOSS_TOLERANCE
        ]
        for measure, label in MEASURES.items():
            name = f"{objective} {algorithm} {label}"
            unconverged = [
                f"seed {seed} Lanczos unconverged"
                for seed, match in by_seed.items()
                if measure == "largest_eigenvalue" and not match.converged()
            ]
            if far or unconverged:
                left_out.append(f"{name} ({', '.join(far + unconverged)})")
            else:
                usable.append((objective, (name, *relative_sides(by_seed, measure))))
    return usable, left_out


def flatness_check(results: Results) -> Verdict:
    """H1: PASS if every variant's relative reduction is resolved above 0 on both measures;
    one part per objective (sinusoid, the image data), and an INCONCLUSIVE part naming the
    comparisons left out, so a left-out comparison can never hide behind a PASS."""
    usable, left_out = comparisons(matches(results))
    why_left_out = (
        f"meta-losses more than {LOSS_TOLERANCE:g} apart, or Lanczos unconverged: "
        + "; ".join(left_out)
    )
    if not usable:
        seeds = len({result["seed"] for result in results})
        nothing = Evidence(WHAT, seeds, "nothing (no comparison at matched meta-loss)")
        reason = f"no comparison at matched meta-loss; left out ({why_left_out})"
        return Verdict("INCONCLUSIVE", reason, nothing)
    overall = paired_verdict([comparison for _, comparison in usable], WHAT)
    evidence = dataclasses.replace(
        overall.evidence, resolvable=f"{overall.evidence.resolvable} (fraction of MAML's value)"
    )
    objectives = dict.fromkeys(objective for objective, _ in usable)
    parts = [
        (objective, paired_verdict([c for kind, c in usable if kind == objective], WHAT))
        for objective in objectives
    ]
    if left_out:
        parts.append(("left out", Verdict("INCONCLUSIVE", why_left_out)))
    return Verdict.all_of(parts, evidence)


def flatness_figure(results: Results) -> Figure:
    """Per meta-loss: each variant's seed-paired relative reduction of λ_max and of SAM
    sharpness (> 0: flatter), and λ_max against F (MAML's snapshots, the variants' last)."""
    paired = matches(results)
    objectives = sorted({objective for objective, _ in paired})
    figure, axes = plt.subplots(
        len(objectives), len(MEASURES) + 1, figsize=(15, 3.6 * len(objectives)), squeeze=False
    )
    for row, objective in enumerate(objectives):
        arms = {
            algorithm: by_seed for (kind, algorithm), by_seed in paired.items() if kind == objective
        }
        for column, (measure, label) in enumerate(MEASURES.items()):
            reductions = {
                algorithm.removeprefix("sharp-maml-"): paired_differences(
                    *relative_sides(by_seed, measure)
                )
                for algorithm, by_seed in arms.items()
            }
            plot_paired_differences(axes[row][column], reductions)
            axes[row][column].set(
                ylabel=f"(MAML − variant)/|MAML| of {label}",
                title=f"H1, {objective}: {label} at matched F (> 0: flatter)",
            )
        _plot_trajectories(axes[row][-1], results, objective, arms)
    figure.tight_layout()
    return figure


def _plot_trajectories(
    axis: Axes, results: Results, objective: str, arms: dict[str, dict[int, Match]]
) -> None:
    for result in results:
        if result["objective"] == objective and result["algorithm"] == REFERENCE:
            measured = [s for s in result["snapshots"] if "largest_eigenvalue" in s]
            losses = [s["meta_loss"] for s in measured]
            axis.plot(losses, [s["largest_eigenvalue"] for s in measured], color="grey", lw=0.8)
    for algorithm, by_seed in arms.items():
        finals = [match.variant for match in by_seed.values()]
        axis.scatter(
            [s["meta_loss"] for s in finals],
            [s["largest_eigenvalue"] for s in finals],
            s=14,
            label=algorithm.removeprefix("sharp-maml-"),
        )
    axis.set(xlabel="meta-loss F", ylabel="λ_max", title=f"{objective}: MAML runs (grey), variants")
    axis.legend(fontsize=7)


SINUSOID_ARMS = {
    "smoke": SinusoidFlatnessArm(
        iterations=20, snapshot_every=10, hidden=8, probe=FlatnessProbe(measure_tasks=5)
    ),
    "quick": SinusoidFlatnessArm(),
    "omniglot": SinusoidFlatnessArm(),
    "paper": SinusoidFlatnessArm(
        iterations=20000,
        snapshot_every=1000,
        outer_lr=1e-3,
        probe=FlatnessProbe(
            measure_tasks=100, sharpness_steps=100, lanczos_tolerance=1e-3, lanczos_steps=100
        ),
    ),
}
GLYPH_ARMS = {
    "smoke": GlyphFlatnessArm(
        replace(QUICK_SETUP, iterations=4, filters=2),
        snapshot_every=2,
        probe=FlatnessProbe(measure_tasks=2),
    ),
    "quick": GlyphFlatnessArm(replace(QUICK_SETUP, iterations=40)),
    "omniglot": GlyphFlatnessArm(
        replace(OMNIGLOT_SETUP, iterations=400),
        snapshot_every=50,
        probe=FlatnessProbe(measure_tasks=16, sharpness_steps=10),
    ),
    "paper": GlyphFlatnessArm(
        PAPER_SETUP,
        rho=PAPER_RHO,
        inner_lr=PAPER_INNER_LR,
        snapshot_every=3000,
        probe=FlatnessProbe(
            measure_tasks=32, sharpness_steps=100, lanczos_tolerance=1e-3, lanczos_steps=100
        ),
    ),
}
SEEDS = {"smoke": 2, "quick": 5, "omniglot": 5, "paper": 5}


def flatness_cells(scale: str) -> list[Cell]:
    """One cell per (meta-loss, seed, arm): MAML and every variant."""
    return [
        Cell(replace(arms[scale], algorithm=algorithm), seed)
        for arms in (SINUSOID_ARMS, GLYPH_ARMS)
        for seed in range(SEEDS[scale])
        for algorithm in (REFERENCE, *VARIANTS)
    ]


H1 = Claim(
    "H1",
    PAPER,
    "Every Sharp-MAML variant reaches flatter meta-solutions than MAML: smaller largest "
    "(algebraic) Hessian eigenvalue of the meta-loss and smaller SAM sharpness, at comparable "
    "training loss (sinusoid and few-shot meta-losses)",
    flatness_cells,
    flatness_check,
    flatness_figure,
    scales=SCALES,
)
