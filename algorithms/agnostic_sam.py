"""Agnostic-SAM: sharpness-aware on a training batch while keeping a validation batch low.

From a training batch (loss L_t) and a smaller validation batch (loss L_v),
Nguyen et al. (2024; REFERENCE.md §5) perturb

    θ̃ = θ + ρ (λ g_t/‖g_t‖ − g_v/‖g_v‖),   g_t = ∇L_t(θ), g_v = ∇L_v(θ),

and apply the training gradient taken there: θ ← θ − η ∇L_t(θ̃), λ = 2 by
default. With g_v = 0 it is SAM with radius λρ. The perturbation is a constant
(no derivative flows through it), as in SAM.

- ``agnostic_sam_step``: the plain optimiser step on two objectives (the caller
  draws the two batches; the validation batch should be about ¼ of the
  training one and disjoint from it).
- ``AgnosticStep``: the inner step rule of Sharp-MAML_low. The inner loop may
  only see support data, so the training batch is each task's whole support
  set and the validation batch every ``stride``-th support example
  (indices 0, s, 2s, …; with the class-major support order of few-shot
  episodes it spans several classes). Query data never enters the inner loop.

Example:
    >>> import torch
    >>> theta = {"w": torch.tensor([1.0, 0.0], requires_grad=True)}
    >>> train_loss = lambda p: 0.5 * p["w"].square().sum()
    >>> validation_loss = lambda p: p["w"][1]                       # g_v = (0, 1)
    >>> optimizer = torch.optim.SGD(theta.values(), lr=1.0)
    >>> agnostic_sam_step(train_loss, validation_loss, theta, optimizer, rho=0.1)
    tensor(0.5000)
    >>> theta["w"]                                     # θ − ∇L_t(θ + 0.1·(2·(1, 0) − (0, 1)))
    tensor([-0.2000,  0.1000], requires_grad=True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from algorithms.inner_rules import LossOf, task_gradients
from algorithms.outer_steps import Objective
from algorithms.params import Params
from algorithms.sharpness_aware import (
    Ascent,
    apply_gradients,
    gradient_at,
    perturbed_gradient_step,
)
from synthetic.validation import require_count, require_non_negative

DEFAULT_WEIGHT = 2.0
DEFAULT_STRIDE = 4


def agnostic_perturbation(
    train_gradients: Params,
    validation_gradients: Params,
    rho: float,
    weight: float,
    batch_dims: int,
) -> Params:
    """ε = ρ (λ g_t/‖g_t‖ − g_v/‖g_v‖), norms per leading batch index."""
    require_non_negative("weight", weight)
    toward = Ascent(rho * weight)(train_gradients, train_gradients, batch_dims)
    away = Ascent(rho)(validation_gradients, validation_gradients, batch_dims)
    return {name: toward[name] - away[name] for name in toward}


def agnostic_sam_step(
    train_objective: Objective,
    validation_objective: Objective,
    params: Params,
    optimizer: torch.optim.Optimizer,
    rho: float = 0.05,
    weight: float = DEFAULT_WEIGHT,
) -> torch.Tensor:
    """θ ← optimiser(θ, ∇L_t(θ̃)); returns L_t(θ) (detached)."""
    names = list(params)
    loss = train_objective(params)
    train_gradients = dict(zip(names, torch.autograd.grad(loss, list(params.values()))))
    validation_gradients = dict(
        zip(
            names,
            torch.autograd.grad(
                validation_objective(params),
                list(params.values()),
                allow_unused=True,
                materialize_grads=True,
            ),
        )
    )
    perturbation = agnostic_perturbation(train_gradients, validation_gradients, rho, weight, 0)
    gradients = gradient_at(train_objective, params, perturbation)
    apply_gradients(gradients, params, optimizer)
    return loss.detach()


@dataclass(frozen=True)
class AgnosticStep:
    """Agnostic-SAM as an inner step rule; validation batch = every ``stride``-th support example.

    Args:
        rho: ρ_low.
        weight: λ, the weight of the training direction.
        stride: s; the validation batch is ⌈K/s⌉ of the K support examples.
    """

    rho: float
    weight: float = DEFAULT_WEIGHT
    stride: int = DEFAULT_STRIDE
    traceable = True
    """A pure function of its inputs: ``torch.compile`` may trace it."""

    def __post_init__(self) -> None:
        require_non_negative("rho", self.rho)
        require_non_negative("weight", self.weight)
        require_count("stride", self.stride)

    def __call__(
        self, loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params:
        if not hasattr(loss_of, "examples"):
            raise ValueError(
                "AgnosticStep needs a loss_of with .examples(index) (algorithms.inner_rules."
                f"ExampleLoss) to draw its validation batch from the support set, got {loss_of!r}"
            )
        validation = loss_of.examples(slice(None, None, self.stride))
        perturbation = agnostic_perturbation(
            task_gradients(loss_of, params, names, False),
            task_gradients(validation, params, names, False),
            self.rho,
            self.weight,
            batch_dims=1,
        )
        return perturbed_gradient_step(loss_of, params, perturbation, names, lr, create_graph)


@dataclass(frozen=True)
class AgnosticOuterStep:
    """Agnostic-SAM as an outer step (registry name ``agnostic-sam``).

    Of the B tasks ``train`` samples, every ``stride``-th (about 1/stride of
    them) forms the validation batch and the others the training batch; then
    ``agnostic_sam_step`` on the two. The objective must offer
    ``tasks(index)`` (``algorithms.outer_steps.BatchObjective`` does).
    """

    rho: float = 0.05
    weight: float = DEFAULT_WEIGHT
    stride: int = 4

    def __post_init__(self) -> None:
        require_non_negative("rho", self.rho)
        require_non_negative("weight", self.weight)
        require_count("stride", self.stride, minimum=2)

    def __call__(
        self, objective: Objective, params: Params, optimizer: torch.optim.Optimizer
    ) -> torch.Tensor:
        if not hasattr(objective, "tasks"):
            raise ValueError(
                "agnostic-sam needs an objective it can split by tasks (a BatchObjective, "
                "as algorithms.train passes); got a plain callable"
            )
        num_tasks = objective.batch.num_tasks
        if num_tasks < 2:
            raise ValueError(
                f"agnostic-sam splits each batch into training and validation tasks; it needs "
                f"a meta-batch of at least 2 tasks, got {num_tasks}"
            )
        is_validation = torch.arange(num_tasks) % self.stride == self.stride - 1
        is_validation[-1] = True
        training = objective.tasks((~is_validation).nonzero().flatten())
        validation = objective.tasks(is_validation.nonzero().flatten())
        return agnostic_sam_step(training, validation, params, optimizer, self.rho, self.weight)
