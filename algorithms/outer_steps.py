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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import torch

from algorithms.params import Params
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.inner_rules import InnerRule
    from algorithms.learner import MetaLearner

Objective = Callable[[Params], torch.Tensor]


@dataclass(frozen=True)
class BatchObjective:
    """The objective ``train`` hands an outer step: ``learner.meta_loss(params, batch)``.

    :func:`value_and_gradient` gets its value and gradient from
    ``learner.meta_gradient`` (the learner's meta-gradient method,
    ``algorithms.meta_gradient``). ``tasks(index)`` is the same objective on a
    sub-batch of the tasks, for outer steps that need a second batch
    (Agnostic-SAM's validation batch); ``with_inner_rule(rule)`` the same
    objective adapting by another inner rule (Sharp-MAML's efficient variant).
    """

    learner: MetaLearner
    batch: TaskBatch

    def __call__(self, params: Params) -> torch.Tensor:
        return self.learner.meta_loss(params, self.batch)

    def tasks(self, index: torch.Tensor) -> BatchObjective:
        return BatchObjective(self.learner, self.batch.select(index))

    def with_inner_rule(self, rule: InnerRule) -> BatchObjective:
        return BatchObjective(replace(self.learner, inner_rule=rule), self.batch)


def value_and_gradient(objective: Objective, params: Params) -> tuple[torch.Tensor, Params]:
    """objective(θ) (detached) and ∇_θ objective(θ) for every tensor of θ.

    A :class:`BatchObjective` asks its learner's ``meta_gradient``; any other
    objective goes through :func:`autograd_value_and_gradient`.
    """
    if isinstance(objective, BatchObjective):
        return objective.learner.meta_gradient(params, objective.batch)
    return autograd_value_and_gradient(objective, params)


def autograd_value_and_gradient(
    objective: Objective, params: Params
) -> tuple[torch.Tensor, Params]:
    """objective(θ) (detached) and its autograd gradient for every tensor of θ (zeros if unused).

    The objective is called with fresh leaves holding θ's values, so it must compute
    from the parameters it is given; one that reads none of them is an error.
    """
    leaves = {name: tensor.detach().requires_grad_(True) for name, tensor in params.items()}
    with torch.enable_grad():
        loss = objective(leaves)
        gradients = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    if all(gradient is None for gradient in gradients):
        raise ValueError(
            "the objective does not depend on the parameters it is called with; compute the "
            "loss from its argument (objective(params) -> loss), not from tensors it captured"
        )
    return loss.detach(), {
        name: torch.zeros_like(leaf) if gradient is None else gradient
        for (name, leaf), gradient in zip(leaves.items(), gradients, strict=True)
    }


class OuterStep(Protocol):
    def __call__(
        self, objective: Objective, params: Params, optimizer: torch.optim.Optimizer
    ) -> torch.Tensor: ...


def optimizer_step(
    objective: Objective, params: Params, optimizer: torch.optim.Optimizer
) -> torch.Tensor:
    """θ ← optimiser(θ, ∇_θ objective(θ)); returns the objective's value (detached).

    Only the tensors of θ that require grad get a gradient (and move).
    """
    optimizer.zero_grad(set_to_none=True)
    loss, gradients = value_and_gradient(objective, params)
    for name, tensor in params.items():
        tensor.grad = gradients[name] if tensor.requires_grad else None
    optimizer.step()
    return loss
