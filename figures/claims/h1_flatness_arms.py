"""H1's cells: one arm (MAML or one Sharp-MAML variant) trained for one seed, its flatness measured.

Every arm of a seed starts from the same initialisation, meta-trains on the
same stream of tasks (the same generator seed) and is measured on the same
fixed batch of meta-training tasks (seed + ``MEASURE_SEED_OFFSET``), on the
same function: the MAML meta-loss

    F(θ) = (1/B) Σ_i L_i^Q(θ − α∇L_i^S(θ))

of that batch, whatever the arm trained with. Two task families: sinusoids
(MLP 1-h-h-1, Finn et al.'s tasks; ``SinusoidFlatnessArm``) and 5-way
few-shot image tasks of the meta-train classes (the conv net of
``figures.claims.fewshot``; ``GlyphFlatnessArm``), whose results are labelled by
the data they ran on: ``glyphs``, ``omniglot`` or ``mini-imagenet``.

Training stops at snapshots every ``snapshot_every`` iterations (the same
Adam state and task stream run on, so the snapshots are points of one run).
At each snapshot the arm records F; ``FlatnessProbe.measure`` adds the
flatness of F there: the largest and smallest algebraic Hessian eigenvalues
λ_max, λ_min (Lanczos on ``HessianOperator``, never "largest by magnitude"; a conv
net's batch norm runs exact to third order for it, ``algorithms.convnet.exact_higher_derivatives``)
and the SAM sharpness max_{‖ε‖≤ρ} F(θ+ε) − F(θ). MAML, the reference whose
trajectory the claim matches the variants' losses against, is measured at
every snapshot; a variant only at its last. MAML's arm trains ``REFERENCE_SPAN``
times the variants' iterations, so that its measured trajectory also reaches
the meta-losses of a variant that descends faster than MAML: a variant's last
F is then matched inside MAML's run, not beyond its end.

Example:
    >>> arm = SinusoidFlatnessArm("maml", iterations=4, snapshot_every=2, hidden=4,
    ...                           probe=FlatnessProbe(measure_tasks=2))
    >>> snapshots = arm.run(seed=0)["snapshots"]
    >>> [s["iteration"] for s in snapshots], ["largest_eigenvalue" in s for s in snapshots]
    ([2, 4, 6], [True, True, True])
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from algorithms import MLP, MetaLearner, make, mse, parameters_of
from algorithms.convnet import exact_higher_derivatives
from algorithms.params import Params
from algorithms.resumable_training import Progress, train_resumably
from analysis import HessianOperator, extreme_eigenvalues, sam_sharpness
from figures.claims.fewshot import FewShotSetup, placed
from figures.claims.fewshot_cost import protocol, training_seconds
from figures.claims.sharp_family import VARIANTS, require_algorithms
from figures.engine.cell_state import state_path
from figures.engine.files import write_json
from synthetic import SinusoidTasks
from synthetic.task_sampler import TaskSampler
from synthetic.validation import require_count, require_non_negative, require_positive

REFERENCE = "maml"
"""The arm every variant is compared with, measured at each of its snapshots."""
REFERENCE_SPAN = 1.5
"""MAML's arm trains ⌈1.5 × the variants' iterations⌉: its trajectory spans the losses
of variants up to that much faster than MAML."""
MEASURE_SEED_OFFSET = 7_919

Objective = Callable[[Params], torch.Tensor]


@dataclass(frozen=True)
class FlatnessProbe:
    """How flatness is measured: on how many fixed tasks, with which Lanczos and SAM budgets."""

    measure_tasks: int = 25
    sharpness_rho: float = 0.05
    sharpness_steps: int = 20
    lanczos_tolerance: float = 1e-2
    lanczos_steps: int = 40

    def __post_init__(self) -> None:
        for name in ("measure_tasks", "sharpness_steps", "lanczos_steps"):
            require_count(name, getattr(self, name))
        require_positive("sharpness_rho", self.sharpness_rho)
        require_positive("lanczos_tolerance", self.lanczos_tolerance)

    def measure(self, objective: Objective, params: Params, seed: int) -> dict[str, Any]:
        """λ_max, λ_min (with convergence) and SAM sharpness of ``objective`` at ``params``."""
        point = {name: tensor.detach().clone() for name, tensor in params.items()}
        spectrum = extreme_eigenvalues(
            HessianOperator(objective, point),
            k=1,
            tol=self.lanczos_tolerance,
            max_steps=self.lanczos_steps,
            generator=torch.Generator().manual_seed(seed),
        )
        sharpness = sam_sharpness(
            objective,
            point,
            rho=self.sharpness_rho,
            max_steps=self.sharpness_steps,
            generator=torch.Generator().manual_seed(seed),
        )
        return {
            "largest_eigenvalue": spectrum.largest[0],
            "smallest_eigenvalue": spectrum.smallest[0],
            "eigenvalues_converged": spectrum.converged,
            "hvp_count": spectrum.hvp_count,
            "sam_sharpness": sharpness.sharpness,
        }


@dataclass(frozen=True)
class Trajectory:
    """One arm's run: its learner, the MAML learner that defines F, the tasks, the outer loop."""

    learner: MetaLearner
    maml: MetaLearner
    tasks: TaskSampler
    iterations: int
    snapshot_every: int
    meta_batch: int
    outer_lr: float
    probe: FlatnessProbe
    device: str = "cpu"
    save_seconds: float | None = None

    def run(self, seed: int) -> dict[str, Any]:
        """Train from the learner's model, stopping at each snapshot for F and, where measured,
        the flatness. Inside a cell (``figures.engine.cell_state``) the run's state is saved
        at every snapshot and every ``save_seconds``, and each snapshot's numbers as soon as
        they are measured: a killed cell resumes where it stopped and measures no snapshot
        twice, ending with an uninterrupted run's numbers."""
        objective = self.objective(seed)
        params = parameters_of(self.learner.model)
        name = f"h1-{self.learner.name}-seed{seed}"
        progress, measured = state_path(name), state_path(f"{name}-snapshots")
        record = None if measured is None else measured.with_suffix(".json")
        snapshots = _recorded(record)

        def snapshot(state: Progress) -> None:
            if state.done % self.snapshot_every and state.done != self.iterations:
                return
            if state.done not in snapshots:
                numbers = {"iteration": state.done, "meta_loss": objective(params).item()}
                if self.measured_at(state.done):
                    numbers |= self.measure(objective, params, seed)
                snapshots[state.done] = numbers
                if record is not None:
                    write_json(record, list(snapshots.values()))

        trained = train_resumably(
            self.learner,
            params,
            self.tasks,
            self.iterations,
            torch.Generator(self.device).manual_seed(seed),
            torch.optim.Adam(params.values(), lr=self.outer_lr),
            meta_batch=self.meta_batch,
            state_path=progress,
            run_key={"learner": self.learner.name, "inner_lr": self.learner.inner_lr, "seed": seed},
            save_seconds=self.save_seconds,
            on_save=snapshot,
            stop_every=self.snapshot_every,
        )
        ordered = [snapshots[done] for done in sorted(snapshots)]
        return {"snapshots": ordered, "train_seconds": trained.seconds}

    def objective(self, seed: int) -> Callable[[Params], torch.Tensor]:
        """F: MAML's meta-loss on the seed's fixed ``probe.measure_tasks`` tasks."""
        generator = torch.Generator(self.device).manual_seed(seed + MEASURE_SEED_OFFSET)
        fixed = self.tasks.sample(self.probe.measure_tasks, generator)
        return lambda p: self.maml.meta_loss(p, fixed)

    def measured_at(self, done: int) -> bool:
        """MAML's flatness is measured at every snapshot, a variant's at the end."""
        return self.learner.name == REFERENCE or done == self.iterations

    def measure(
        self, objective: Callable[[Params], torch.Tensor], params: Params, seed: int
    ) -> dict[str, Any]:
        """The probe's flatness numbers at ``params`` and the seconds they took."""
        start = time.perf_counter()
        with exact_higher_derivatives(self.maml.model):
            measured = self.probe.measure(objective, params, seed)
        return measured | {"measure_seconds": time.perf_counter() - start}


def _options(algorithm: str, rho: float) -> dict[str, float]:
    return {} if algorithm == REFERENCE else {"rho": rho}


def arm_iterations(algorithm: str, iterations: int) -> int:
    """How long an arm trains: ``iterations`` for a variant, ⌈REFERENCE_SPAN × iterations⌉
    for MAML's reference arm.

    Example:
        >>> arm_iterations("maml", 400), arm_iterations("sharp-maml-up", 400)
        (600, 400)
    """
    return math.ceil(REFERENCE_SPAN * iterations) if algorithm == REFERENCE else iterations


def _check_arm(algorithm: str, rho: float, iterations: int, snapshot_every: int) -> None:
    require_algorithms("algorithm", (algorithm,), (REFERENCE, *VARIANTS))
    require_non_negative("rho", rho)
    require_count("iterations", iterations)
    require_count("snapshot_every", snapshot_every)


@dataclass(frozen=True)
class SinusoidFlatnessArm:
    """H1 on sinusoids: ``algorithm`` (ρ = ``rho``; ignored by MAML) on an MLP 1-h-h-1."""

    algorithm: str = REFERENCE
    rho: float = 0.05
    iterations: int = 120
    snapshot_every: int = 20
    meta_batch: int = 25
    hidden: int = 40
    inner_lr: float = 0.01
    outer_lr: float = 1e-2
    probe: FlatnessProbe = FlatnessProbe()
    device: str = "cpu"

    def __post_init__(self) -> None:
        _check_arm(self.algorithm, self.rho, self.iterations, self.snapshot_every)
        for name in ("meta_batch", "hidden"):
            require_count(name, getattr(self, name))
        require_positive("inner_lr", self.inner_lr)
        require_positive("outer_lr", self.outer_lr)

    def learner(self, algorithm: str, seed: int) -> MetaLearner:
        """``algorithm`` on the seed's MLP; autograd meta-gradients for every arm, so that
        a variant at ρ = 0 takes MAML's steps bit for bit."""
        widths = (1, self.hidden, self.hidden, 1)
        model = MLP(widths, generator=torch.Generator().manual_seed(seed)).to(self.device)
        options = _options(algorithm, self.rho)
        return make(algorithm, model, mse, self.inner_lr, meta_gradient_path="autograd", **options)

    def run(self, seed: int) -> dict[str, Any]:
        trajectory = Trajectory(
            self.learner(self.algorithm, seed),
            self.learner(REFERENCE, seed),
            SinusoidTasks(),
            arm_iterations(self.algorithm, self.iterations),
            self.snapshot_every,
            self.meta_batch,
            self.outer_lr,
            self.probe,
            self.device,
        )
        return {"seed": seed, "objective": "sinusoid", **_identity(self), **trajectory.run(seed)}


@dataclass(frozen=True)
class GlyphFlatnessArm:
    """H1 on few-shot glyph tasks: ``algorithm`` on ``setup``'s conv net and meta-train classes."""

    setup: FewShotSetup
    algorithm: str = REFERENCE
    rho: float = 0.05
    inner_lr: float = 0.4
    snapshot_every: int = 20
    probe: FlatnessProbe = FlatnessProbe(measure_tasks=5, sharpness_steps=4)
    omniglot: tuple[str, ...] | None = None
    mini_imagenet: str | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        _check_arm(self.algorithm, self.rho, self.setup.iterations, self.snapshot_every)
        require_positive("inner_lr", self.inner_lr)

    def check_inputs(self) -> None:
        """Refuse data too small for these tasks before any cell runs."""
        placed(self).check_fits("H1's image arms")

    def estimated_seconds(self) -> float:
        """Training from a timing probe, plus the flatness measurements, each timed as one
        measurement of MAML's arm at the initialisation (``measurement_seconds``)."""
        setup = placed(self)
        setup = replace(setup, iterations=arm_iterations(self.algorithm, setup.iterations))
        snapshots = -(-setup.iterations // self.snapshot_every)
        measured = snapshots if self.algorithm == REFERENCE else 1
        options = _options(self.algorithm, self.rho)
        return training_seconds(setup, self.algorithm, self.inner_lr, **options) + (
            measured * measurement_seconds(replace(self, algorithm=REFERENCE))
        )

    def protocol(self) -> dict[str, str]:
        setup = placed(self)
        return protocol(
            setup,
            self.inner_lr,
            ρ=self.rho,
            **{
                "snapshots every": self.snapshot_every,
                "MAML's iterations": arm_iterations(REFERENCE, setup.iterations),
            },
        )

    def trajectory(self, seed: int) -> Trajectory:
        """The arm's run from the seed's initialisation."""
        setup = placed(self)
        options = _options(self.algorithm, self.rho)
        return Trajectory(
            setup.learner(self.algorithm, self.inner_lr, seed, **options),
            setup.learner(REFERENCE, self.inner_lr, seed),
            setup.tasks(setup.splits().train),
            arm_iterations(self.algorithm, setup.iterations),
            self.snapshot_every,
            setup.meta_batch,
            setup.outer_lr,
            self.probe,
            self.device,
            setup.save_seconds,
        )

    def run(self, seed: int) -> dict[str, Any]:
        trajectory = self.trajectory(seed)
        source = placed(self).source
        return {"seed": seed, "objective": source, **_identity(self), **trajectory.run(seed)}


@functools.lru_cache(maxsize=16)
def measurement_seconds(arm: GlyphFlatnessArm) -> float:
    """Seconds of one flatness measurement of ``arm`` at its initialisation (a probe)."""
    trajectory = arm.trajectory(0)
    params = parameters_of(trajectory.learner.model)
    return trajectory.measure(trajectory.objective(0), params, 0)["measure_seconds"]


def _identity(arm: SinusoidFlatnessArm | GlyphFlatnessArm) -> dict[str, Any]:
    return {"algorithm": arm.algorithm, "rho": arm.rho}


def _recorded(record: Path | None) -> dict[int, dict[str, Any]]:
    """The snapshots an earlier, killed run of the cell measured, by iteration ({} if none)."""
    if record is None or not record.exists():
        return {}
    return {snapshot["iteration"]: snapshot for snapshot in json.loads(record.read_text())}
