"""Claim A3: ANIL's cost per iteration is below MAML's, and more so as N grows.

Ji, Lee, Liang, Poor 2020. Per-iteration cost (one meta-gradient) of ANIL
and MAML on the same model and batch (``figures.claims.anil_setup``):
seconds (interleaved rounds, ``figures.engine.timing``; ratio with a paired
95% interval) and matrix-product FLOPs counted by instrumentation
(``analysis.flops``). PASSES if MAML/ANIL > 1 at every N in both, and the
ratio at N_max exceeds the ratio at N_min (FLOPs exactly; seconds with
separated intervals). Also reported by rule: Hessian-vector products per
iteration, one per task per inner step, of the adapted block's dimension
(all parameters for MAML, the head for ANIL). The negative control times
MAML in ANIL's place.

Example:
    >>> [cell.config.inner_steps for cell in a3_cells("smoke")]
    [1, 20]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from algorithms import parameters_of
from analysis.flops import matmul_flops
from analysis.statistics import mean_interval, paired_ratio
from figures.claims.anil_setup import PAPER, STEPS, AnilSetup, meta_gradient
from figures.engine.claim import Cell, Claim, Evidence, Results, Verdict
from figures.engine.timing import interleaved_rounds
from synthetic.validation import require_count

COST_SETUP = AnilSetup(body_widths=(8, 128, 128, 32))
ROLES = ("anil", "maml")


@dataclass(frozen=True)
class CostConfig:
    """Time and count one meta-gradient of the ``algorithms`` in the roles (ANIL, MAML)."""

    setup: AnilSetup = field(default_factory=lambda: COST_SETUP)
    inner_steps: int = 1
    algorithms: tuple[str, str] = ROLES
    repeats: int = 20
    device: str = "cpu"

    def __post_init__(self) -> None:
        require_count("inner_steps", self.inner_steps)
        require_count("repeats", self.repeats, minimum=2)
        if len(self.algorithms) != 2 or any(a not in ("anil", "maml") for a in self.algorithms):
            raise ValueError(
                f"algorithms must be a pair of 'anil' / 'maml' (ANIL's role, MAML's role), "
                f"got {self.algorithms!r}"
            )

    def run(self, seed: int) -> dict[str, Any]:
        return cost_experiment(self, seed)


def cost_experiment(config: CostConfig, seed: int) -> dict[str, Any]:
    setup, steps = config.setup, config.inner_steps
    model = setup.model(seed, config.device)
    params = parameters_of(model)
    batch = setup.sampler().sample(
        setup.meta_batch, torch.Generator(config.device).manual_seed(seed)
    )
    learners = {
        role: setup.learner(model, algorithm, steps)
        for role, algorithm in zip(ROLES, config.algorithms)
    }
    flops = {
        role: matmul_flops(partial(meta_gradient, learner, params, batch))
        for role, learner in learners.items()
    }
    calls = {role: partial(meta_gradient, one, params, batch) for role, one in learners.items()}
    rounds = interleaved_rounds(calls, config.repeats, batch.device)
    seconds = {role: torch.tensor(values, dtype=torch.float64) for role, values in rounds.items()}
    return {
        "inner_steps": steps,
        "algorithms": dict(zip(ROLES, config.algorithms)),
        "flops_per_iteration": flops,
        "flop_ratio": flops["maml"] / flops["anil"],
        "seconds_per_iteration": {
            role: mean_interval(values).as_dict() for role, values in seconds.items()
        },
        "time_ratio": paired_ratio(seconds["maml"], seconds["anil"]),
        "hvp_count_per_iteration": {role: steps * batch.num_tasks for role in ROLES},
        "hvp_dimension": {
            role: sum(params[name].numel() for name in learner.adapted)
            for role, learner in learners.items()
        },
    }


def cost_check(results: Results) -> Verdict:
    """A3: MAML/ANIL > 1 at every N and larger at N_max than at N_min (FLOPs and seconds)."""
    evidence = Evidence(
        statistic="counted MAML/ANIL FLOPs per meta-iteration at each N (deterministic), and the "
        "MAML/ANIL time ratio with its 95% interval over timing rounds",
        seeds=1,
        resolvable="FLOP ratios exactly; time ratios beyond their interval half-widths",
    )
    cells = sorted(results, key=lambda r: r["inner_steps"])
    if len(cells) < 2:
        return Verdict("INCONCLUSIVE", "need at least two values of N", evidence)
    first, last = cells[0], cells[-1]
    flops = ", ".join(f"N={c['inner_steps']}: {c['flop_ratio']:.2f}" for c in cells)
    times = ", ".join(
        f"N={c['inner_steps']}: {c['time_ratio']['mean']:.2f} ± {c['time_ratio']['half_width']:.2f}"
        for c in cells
    )
    text = f"MAML/ANIL FLOPs {flops}; seconds {times}"
    problems = []
    if min(c["flop_ratio"] for c in cells) <= 1.0:
        problems.append("ANIL does not use fewer FLOPs than MAML at every N")
    if last["flop_ratio"] <= first["flop_ratio"]:
        problems.append("the FLOP ratio does not grow from the smallest to the largest N")
    low = {c["inner_steps"]: c["time_ratio"]["mean"] - c["time_ratio"]["half_width"] for c in cells}
    high = {
        c["inner_steps"]: c["time_ratio"]["mean"] + c["time_ratio"]["half_width"] for c in cells
    }
    slower = [n for n, value in high.items() if value < 1.0]
    if slower:
        problems.append(f"ANIL is slower than MAML at N = {slower}")
    if high[last["inner_steps"]] < low[first["inner_steps"]]:
        problems.append("the time ratio shrinks from the smallest to the largest N")
    if problems:
        return Verdict("FAIL", "; ".join(problems) + f" ({text})", evidence)
    faster = all(value > 1.0 for value in low.values())
    grows = low[last["inner_steps"]] > high[first["inner_steps"]]
    if faster and grows:
        return Verdict("PASS", f"ANIL is cheaper and the ratio grows with N: {text}", evidence)
    return Verdict(
        "INCONCLUSIVE", f"FLOPs agree but the timings are not resolved: {text}", evidence
    )


def cost_figure(results: Results) -> Figure:
    cells = sorted(results, key=lambda r: r["inner_steps"])
    steps = [c["inner_steps"] for c in cells]
    figure, (seconds, ratios) = plt.subplots(1, 2, figsize=(10, 3.8))
    for role in ROLES:
        values = [c["seconds_per_iteration"][role] for c in cells]
        seconds.errorbar(
            steps,
            [1e3 * v["mean"] for v in values],
            yerr=[1e3 * v["half_width"] for v in values],
            marker="o",
            capsize=3,
            label=f"{role} role ({cells[0]['algorithms'][role]})",
        )
    ratios.errorbar(
        steps,
        [c["time_ratio"]["mean"] for c in cells],
        yerr=[c["time_ratio"]["half_width"] for c in cells],
        marker="o",
        capsize=3,
        label="seconds (95% CI)",
    )
    ratios.plot(steps, [c["flop_ratio"] for c in cells], marker="s", label="counted FLOPs")
    ratios.axhline(1.0, color="grey", linewidth=0.8)
    seconds.set(xscale="log", xlabel="inner steps N", ylabel="ms per meta-gradient")
    ratios.set(xscale="log", xlabel="inner steps N", ylabel="MAML / ANIL cost")
    seconds.legend(fontsize=7)
    ratios.legend(fontsize=7)
    figure.suptitle("A3: cost per iteration, ANIL vs MAML")
    figure.tight_layout()
    return figure


def a3_cells(scale: str) -> list[Cell]:
    repeats = {"smoke": 3, "quick": 20, "paper": 60}[scale]
    steps = (1, 20) if scale == "smoke" else STEPS
    return [Cell(CostConfig(inner_steps=n, repeats=repeats), 0) for n in steps]


A3 = Claim(
    "A3",
    PAPER,
    "ANIL's per-iteration cost is below MAML's, and the ratio grows with N (time and counted "
    "operations)",
    a3_cells,
    cost_check,
    cost_figure,
)
