"""Inner step rules: how one task's parameters take one adaptation step.

A rule is a pure function

    rule(loss_of, params, names, lr, create_graph) -> new params

where ``loss_of(params) -> [B]`` gives each task's support loss L_i, every
tensor of ``params`` carries the task axis B, and only the parameters in
``names`` move. ``create_graph=True`` keeps the graph of the step so the
meta-gradient sees its Jacobian (second-order MAML); ``False`` treats the
step direction as a constant (first order).

- ``gradient_step``:  θ'_i = θ_i − α ∇L_i(θ_i)              (MAML, ANIL, FO-MAML)
- ``sign_step``:      θ'_i = θ_i − α sign(∇L_i(θ_i))        (Sign-MAML)
- ``ridge_step(λ)``:  θ'_i = θ_i − α (∇L_i(θ_i) + λ θ_i)     (a step on L_i + (λ/2)‖θ‖²)
- sharpness-aware rules (Sharp-MAML_low): ``algorithms.sharpness_aware.SamStep``,
  ``algorithms.agnostic_sam.AgnosticStep``; the latter reads a second batch from
  the support set through ``ExampleLoss.examples``.

sign has derivative 0 almost everywhere, so the Jacobian of a sign step is
exactly I and the exact meta-gradient is ∇L_query(θ'): the first-order
formula is exact for this rule (REFERENCE.md, claim S1).

Example:
    >>> import torch
    >>> theta = {"w": torch.tensor([[1.0], [-2.0]], requires_grad=True)}
    >>> loss_of = lambda p: 0.5 * p["w"].square().sum(dim=1)
    >>> gradient_step(loss_of, theta, ("w",), 0.5, create_graph=False)["w"]
    tensor([[ 0.5000],
            [-1.0000]], grad_fn=<SubBackward0>)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from algorithms.params import Params
from synthetic.validation import require_non_negative

LossOf = Callable[[Params], torch.Tensor]


@dataclass(frozen=True)
class ExampleLoss:
    """The ``loss_of`` a learner hands its inner rule: per-task losses ``[B]`` on ``x``, ``y``.

    ``examples(index)`` is the same loss on a subset of each task's examples
    (``x[:, index]``), for rules that need a second batch from the support set
    (Agnostic-SAM's validation batch).
    """

    task_losses: Callable[[Params, torch.Tensor, torch.Tensor], torch.Tensor]
    x: torch.Tensor
    y: torch.Tensor

    def __call__(self, params: Params) -> torch.Tensor:
        return self.task_losses(params, self.x, self.y)

    def examples(self, index: slice) -> ExampleLoss:
        return ExampleLoss(self.task_losses, self.x[:, index], self.y[:, index])


class InnerRule(Protocol):
    def __call__(
        self, loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params: ...


def task_gradients(
    loss_of: LossOf, params: Params, names: Sequence[str], create_graph: bool
) -> Params:
    """∇_{θ_i} L_i(θ_i) for every task i at once, for the parameters in ``names``.

    Tasks are independent, so the gradient of Σ_i L_i with respect to the
    task-batched parameters holds each task's own gradient in its slice.
    Eagerly this is ``torch.autograd.grad``; while ``torch.compile`` traces
    (``algorithms.compiled_meta_gradient``), which cannot trace that call, the same
    gradient comes from ``torch.func.grad``, detached when ``create_graph`` is off.
    """
    if torch.compiler.is_compiling():
        return _functional_gradients(loss_of, params, names, create_graph)
    losses = loss_of(params)
    gradients = torch.autograd.grad(
        losses.sum(), [params[name] for name in names], create_graph=create_graph
    )
    return dict(zip(names, gradients, strict=True))


def _functional_gradients(
    loss_of: LossOf, params: Params, names: Sequence[str], create_graph: bool
) -> Params:
    def total(moving: Params) -> torch.Tensor:
        return loss_of({**params, **moving}).sum()

    gradients = torch.func.grad(total)({name: params[name] for name in names})
    return gradients if create_graph else {name: g.detach() for name, g in gradients.items()}


def descend(params: Params, directions: Params, lr: float) -> Params:
    """θ − α·d for the parameters that have a direction d; the others unchanged."""
    return {**params, **{name: params[name] - lr * d for name, d in directions.items()}}


def gradient_step(
    loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
) -> Params:
    """θ' = θ − α ∇L(θ)."""
    return descend(params, task_gradients(loss_of, params, names, create_graph), lr)


def sign_step(
    loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
) -> Params:
    """θ' = θ − α sign(∇L(θ)), elementwise (Fan et al., Sign-MAML)."""
    gradients = task_gradients(loss_of, params, names, create_graph)
    return descend(params, {name: g.sign() for name, g in gradients.items()}, lr)


def ridge_step(strength: float) -> InnerRule:
    """The inner rule w ← w − α(∇L(w) + λw): a gradient step on L + (λ/2)‖w‖² (λ = ``strength``)."""
    require_non_negative("strength", strength)

    def step(
        loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params:
        gradients = task_gradients(loss_of, params, names, create_graph)
        return descend(params, {n: g + strength * params[n] for n, g in gradients.items()}, lr)

    return step
