"""Outer steps: how the meta-parameters θ move given the meta-objective.

An outer step is ``step(objective, params, optimizer) -> loss``: it evaluates
``objective(params)`` (the meta-loss of a batch of tasks), sets gradients on
the leaf tensors in ``params`` and lets the optimiser move them. The
sharpness-aware outer steps (Sharp-MAML_up) plug in here.

Example:
    >>> import torch
    >>> params = {"w": torch.tensor([1.0], requires_grad=True)}
    >>> optimizer = torch.optim.SGD(params.values(), lr=0.25)
    >>> optimizer_step(lambda p: p["w"].square().sum(), params, optimizer)
    tensor(1.)
    >>> params["w"]
    tensor([0.5000], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

from algorithms.params import Params
from synthetic.task_batch import TaskBatch

Objective = Callable[[Params], torch.Tensor]


@dataclass(frozen=True)
class BatchObjective:
    """The objective ``train`` hands an outer step: ``meta_loss(params, batch)``.

    ``tasks(index)`` is the same objective on a sub-batch of the tasks, for
    outer steps that need a second batch (Agnostic-SAM's validation batch).
    """

    meta_loss: Callable[[Params, TaskBatch], torch.Tensor]
    batch: TaskBatch

    def __call__(self, params: Params) -> torch.Tensor:
        return self.meta_loss(params, self.batch)

    def tasks(self, index: torch.Tensor) -> BatchObjective:
        return BatchObjective(self.meta_loss, self.batch.select(index))


class OuterStep(Protocol):
    def __call__(
        self, objective: Objective, params: Params, optimizer: torch.optim.Optimizer
    ) -> torch.Tensor: ...


def optimizer_step(
    objective: Objective, params: Params, optimizer: torch.optim.Optimizer
) -> torch.Tensor:
    """θ ← optimiser(θ, ∇_θ objective(θ)); returns the objective's value (detached)."""
    optimizer.zero_grad(set_to_none=True)
    loss = objective(params)
    loss.backward()
    optimizer.step()
    return loss.detach()
