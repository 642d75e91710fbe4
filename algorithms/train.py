"""The meta-training loop: sample a batch of tasks, take an outer step, repeat.

The loss history stays on the device while training and is read back every
``check_every`` iterations (one host sync per check, not per iteration), to
update the progress bar and catch divergence. A NaN/Inf meta-loss raises
:class:`DivergenceError` naming the first bad iteration and the step sizes;
the error carries the finite loss history and the last parameters checked
finite, so nothing computed before the failure is lost.

Example:
    >>> import torch
    >>> from algorithms import MLP, make, mse, parameters_of
    >>> from synthetic import SinusoidTasks
    >>> model, tasks = MLP((1, 40, 40, 1)), SinusoidTasks()
    >>> learner = make("maml", model, mse, inner_lr=0.01)
    >>> result = train(learner, parameters_of(model), tasks, iterations=20, meta_batch=25,
    ...                generator=torch.Generator().manual_seed(0), progress=False)
    >>> len(result.losses)
    20
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from algorithms.checkpoint import save_checkpoint
from algorithms.learner import MetaLearner
from algorithms.outer_steps import BatchObjective
from algorithms.params import Params, detached
from synthetic.task_sampler import TaskSampler
from synthetic.validation import require_count, require_positive

DEFAULT_SEED = 0
"""The seed of ``train``'s generator when none is given."""


@dataclass(frozen=True)
class TrainResult:
    """Trained meta-parameters, the meta-loss of every iteration, and the wall time."""

    params: Params
    losses: list[float]
    seconds: float


class DivergenceError(ValueError):
    """The meta-loss became NaN/Inf: says where and with which step sizes; keeps what was done."""

    def __init__(
        self,
        iteration: int,
        inner_lr: float,
        outer_lr: float | None,
        losses: list[float],
        last_finite_params: Params,
        last_finite_iteration: int,
    ) -> None:
        self.iteration = iteration
        self.inner_lr = inner_lr
        self.outer_lr = outer_lr
        self.losses = losses
        self.last_finite_params = last_finite_params
        self.last_finite_iteration = last_finite_iteration
        snapshot = (
            "the initial parameters"
            if last_finite_iteration < 0
            else f"the parameters after iteration {last_finite_iteration}"
        )
        super().__init__(
            f"meta-loss became NaN/Inf at iteration {iteration} with inner_lr={inner_lr:g} and "
            f"outer lr={outer_lr}; lower the step sizes. The {len(losses)} finite losses before it "
            f"are in error.losses and {snapshot} in error.last_finite_params."
        )


def shifted(error: DivergenceError, done: int, losses: list[float]) -> DivergenceError:
    """``error`` as seen by a run that had already done ``done`` iterations with ``losses``:
    the iteration numbers count from that run's start and its losses come first."""
    return DivergenceError(
        done + error.iteration,
        error.inner_lr,
        error.outer_lr,
        losses + error.losses,
        error.last_finite_params,
        done + error.last_finite_iteration,
    )


def train(
    learner: MetaLearner,
    params: Params,
    tasks: TaskSampler,
    iterations: int,
    generator: torch.Generator | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    outer_lr: float = 1e-3,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    check_every: int = 50,
    progress: bool = True,
    checkpoint_path: str | Path | None = None,
    *,
    meta_batch: int,
) -> TrainResult:
    """Meta-train ``params`` (leaf tensors, updated in place) for ``iterations`` outer steps.

    Args:
        learner: the algorithm, from ``algorithms.make``.
        params: the meta-parameters θ; the optimiser moves these tensors.
        tasks: the task distribution (``synthetic.TaskSampler``); each outer step
            draws ``tasks.sample(meta_batch, generator)``.
        iterations: number of outer steps.
        generator: the only source of randomness; same state ⇒ same run. ``None``: a new
            generator seeded with ``DEFAULT_SEED`` (0) on θ's device, so the same call gives
            the same run.
        optimizer: an optimiser over ``params.values()``; defaults to Adam(``outer_lr``).
        scheduler: a learning-rate scheduler of ``optimizer``, stepped after every outer step.
        check_every: iterations between divergence checks / progress updates.
        progress: show a tqdm bar.
        checkpoint_path: if given, save the final θ there (``algorithms.load_checkpoint`` reads it).
        meta_batch: B, the tasks of each outer step.
    """
    if not callable(getattr(tasks, "sample", None)):
        raise ValueError(
            f"tasks must be a task sampler with sample(num_tasks, generator) -> TaskBatch "
            f"(synthetic.TaskSampler), got {type(tasks).__name__}; wrap a function "
            "(num_tasks, generator) -> TaskBatch in synthetic.SamplerFunction"
        )
    require_count("meta_batch", meta_batch)
    require_count("iterations", iterations)
    require_count("check_every", check_every)
    if optimizer is None:
        require_positive("outer_lr", outer_lr)
        optimizer = torch.optim.Adam(params.values(), lr=outer_lr)
    _check_optimizer_owns(optimizer, params)
    outer_lr_used = optimizer.param_groups[0].get("lr")
    device = next(iter(params.values())).device
    if generator is None:
        generator = torch.Generator(device).manual_seed(DEFAULT_SEED)
    history = torch.empty(iterations, device=device)
    last_finite = detached_copy(params)
    checked = 0
    start = time.perf_counter()
    bar = tqdm(total=iterations, desc=learner.name, disable=not progress, leave=False)
    for iteration in range(iterations):
        batch = tasks.sample(meta_batch, generator)
        history[iteration] = learner.outer_step(BatchObjective(learner, batch), params, optimizer)
        if scheduler is not None:
            scheduler.step()
        if iteration + 1 - checked == check_every or iteration + 1 == iterations:
            recent = history[checked : iteration + 1]
            finite = torch.isfinite(recent)
            if not bool(finite.all()):
                first_bad = checked + int((~finite).nonzero()[0])
                raise DivergenceError(
                    first_bad,
                    learner.inner_lr,
                    outer_lr_used,
                    history[:first_bad].tolist(),
                    last_finite,
                    checked - 1,
                )
            last_finite = detached_copy(params)
            bar.set_postfix(meta_loss=f"{recent[-1].item():.4g}")
            bar.update(iteration + 1 - checked)
            checked = iteration + 1
    bar.close()
    seconds = time.perf_counter() - start
    if checkpoint_path is not None:
        save_checkpoint(
            checkpoint_path,
            learner.model,
            params,
            algorithm=learner.name,
            inner_lr=learner.inner_lr,
            inner_steps=learner.inner_steps,
            iterations=iterations,
        )
    return TrainResult(params, history.tolist(), seconds)


def detached_copy(params: Params) -> Params:
    """A snapshot of θ that later optimiser steps do not change."""
    return {name: tensor.clone() for name, tensor in detached(params).items()}


def _check_optimizer_owns(optimizer: torch.optim.Optimizer, params: Params) -> None:
    owned = {id(p) for group in optimizer.param_groups for p in group["params"]}
    strays = [name for name, tensor in params.items() if id(tensor) not in owned]
    if strays:
        raise ValueError(
            f"the optimizer does not update params {strays}; build it over params.values()"
        )
    not_leaves = [
        name for name, tensor in params.items() if not (tensor.is_leaf and tensor.requires_grad)
    ]
    if not_leaves:
        raise ValueError(
            f"params {not_leaves} are not leaf tensors with requires_grad; "
            "build them with algorithms.parameters_of(model)"
        )
