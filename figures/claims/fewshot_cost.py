"""What an image experiment will cost, from a short timing probe, and the protocol it runs.

A probe builds the set-up's learner and meta-train tasks, takes one warm-up
outer step (which also settles the meta-gradient path's own probe), then
times ``PROBE_STEPS`` more and keeps the median t_step; it times the
evaluation of ``PROBE_TASKS`` meta-test tasks the same way, t_task per task.
An experiment's estimate is then

    seconds ≈ Σ_trainings iterations · t_step(algorithm) + Σ_evaluations test_tasks · t_task

Probes are cached per process by set-up (less its run lengths, which do not
change a step's cost) and algorithm, so the cells of a claim share them. The
estimate is a planning figure: it leaves out process start-up and data
loading (seconds), and it assumes the machine is as loaded as during the probe.

``protocol`` writes a set-up down in the papers' terms, for the protocol table
that ``mamlscape reproduce --dry-run`` and the report print.

Example:
    >>> setup = FewShotSetup(filters=2, iterations=100, test_tasks=50, blocks=1, image_size=8,
    ...                      glyph_alphabets=8, glyph_characters=5, glyph_drawings=6, queries=2)
    >>> training_seconds(setup, "maml", 0.4) > 0
    True
    >>> protocol(setup, 0.4)["net"]
    '1-block conv net, 2 filters, batch norm (batch statistics)'
"""

from __future__ import annotations

import functools
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from algorithms import MetaLearner, evaluate_accuracy, parameters_of
from algorithms.outer_steps import BatchObjective
from algorithms.params import Params
from figures.claims.fewshot import FewShotSetup

PROBE_STEPS = 3
PROBE_TASKS = 8


def training_seconds(setup: FewShotSetup, algorithm: str, inner_lr: float, **options) -> float:
    """Estimated seconds to meta-train ``algorithm`` for ``setup.iterations`` iterations."""
    return setup.iterations * outer_step_seconds(setup, algorithm, inner_lr, **options)


def outer_step_seconds(setup: FewShotSetup, algorithm: str, inner_lr: float, **options) -> float:
    """t_step: seconds of one outer step of ``algorithm`` on ``setup`` (probed once, cached)."""
    return step_seconds(_probed(setup), algorithm, inner_lr, _key(options))


def evaluation_seconds(setup: FewShotSetup, algorithm: str, inner_lr: float, **options) -> float:
    """Estimated seconds to score ``setup.test_tasks`` meta-test tasks after each eval step."""
    return setup.test_tasks * task_seconds(_probed(setup), algorithm, inner_lr, _key(options))


@functools.lru_cache(maxsize=64)
def step_seconds(
    setup: FewShotSetup, algorithm: str, inner_lr: float, options: tuple[tuple[str, float], ...]
) -> float:
    """Median seconds of one outer step (``PROBE_STEPS`` after one warm-up)."""
    learner, params, generator = _probe_learner(setup, algorithm, inner_lr, options)
    optimizer = torch.optim.Adam(params.values(), lr=setup.outer_lr)
    tasks = setup.tasks(setup.splits().train)
    seconds = []
    for _ in range(PROBE_STEPS + 1):
        batch = tasks.sample(setup.meta_batch, generator)
        start = time.perf_counter()
        learner.outer_step(BatchObjective(learner, batch), params, optimizer)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds[1:])


@functools.lru_cache(maxsize=64)
def task_seconds(
    setup: FewShotSetup, algorithm: str, inner_lr: float, options: tuple[tuple[str, float], ...]
) -> float:
    """Seconds per meta-test task of the evaluation protocol (adaptation at every eval step)."""
    learner, params, generator = _probe_learner(setup, algorithm, inner_lr, options)
    tasks = setup.tasks(setup.splits().test)
    start = time.perf_counter()
    evaluate_accuracy(learner, params, tasks, generator, PROBE_TASKS, setup.eval_steps)
    return (time.perf_counter() - start) / PROBE_TASKS


def protocol(setup: FewShotSetup, inner_lr: float, **extra: object) -> dict[str, str]:
    """The set-up in the papers' terms: data, tasks, net, steps, batch, lengths; ``extra``
    adds the claim's own entries (e.g. ρ)."""
    by_alphabet = f"splits {setup.split_fractions} by alphabet"
    source, splits = {
        "glyphs": ("procedural glyphs", by_alphabet),
        "omniglot": (
            "Omniglot " + ", ".join(Path(path).name for path in setup.omniglot or ()),
            by_alphabet,
        ),
        "mini-imagenet": (
            f"miniImageNet {Path(setup.mini_imagenet or '').name}",
            "its train / val / test classes",
        ),
    }[setup.source]
    rotated = ", classes augmented by 90° rotations" if setup.rotations else ""
    return {
        "data": f"{source}, {setup.image_size} px, {splits}{rotated}",
        "tasks": f"{setup.ways}-way {setup.shots}-shot, {setup.queries} queries per class",
        "net": f"{setup.blocks}-block conv net, {setup.filters} filters, batch norm "
        "(batch statistics)",
        "inner steps (train / test)": f"{setup.inner_steps} / {max(setup.eval_steps)}",
        "α, outer Adam lr": f"{inner_lr:g}, {setup.outer_lr:g}",
        "meta-batch, iterations": f"{setup.meta_batch}, {setup.iterations}",
        "test tasks": str(setup.test_tasks),
        **{name: str(value) for name, value in extra.items()},
    }


def _probe_learner(
    setup: FewShotSetup, algorithm: str, inner_lr: float, options: tuple[tuple[str, float], ...]
) -> tuple[MetaLearner, Params, torch.Generator]:
    learner = setup.learner(algorithm, inner_lr, 0, **dict(options))
    return learner, parameters_of(learner.model), torch.Generator(setup.device).manual_seed(0)


def _probed(setup: FewShotSetup) -> FewShotSetup:
    """The set-up less its run lengths, so that set-ups differing only in those share a probe."""
    return replace(setup, iterations=1, test_tasks=1)


def _key(options: dict[str, float]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(options.items()))
