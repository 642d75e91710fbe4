"""Task losses: a loss for one task and its batched form over a leading task axis.

A meta-learner needs one loss per task, ``L_i(θ_i)`` for i = 1..B, computed
for all tasks at once. ``per_task_loss(loss_fn)`` gives that batched form:
a :class:`TaskLoss` brings its own (fast, no ``vmap``), any other callable
``loss_fn(pred, target) -> scalar`` is vectorised with ``torch.func.vmap``.

Example:
    >>> import torch
    >>> pred, target = torch.zeros(3, 5, 1), torch.ones(3, 5, 1)
    >>> per_task_loss(mse)(pred, target)
    tensor([1., 1., 1.])
    >>> per_task_loss(torch.nn.functional.mse_loss)(pred, target)
    tensor([1., 1., 1.])
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class TaskLoss:
    """A loss with a known batched form.

    Args:
        one_task: ``(pred [N, ...], target [N, ...]) -> scalar``.
        per_task: ``(pred [B, N, ...], target [B, N, ...]) -> [B]``, equal to
            ``vmap(one_task)`` but without its per-operator overhead.
    """

    one_task: LossFn
    per_task: LossFn

    def __call__(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.one_task(pred, target)


def _mse_per_task(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target).square().flatten(1).mean(dim=1)


def _cross_entropy_per_task(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    losses = F.cross_entropy(logits.flatten(0, 1), labels.flatten(0, 1), reduction="none")
    return losses.view(labels.shape[0], -1).mean(dim=1)


mse = TaskLoss(F.mse_loss, _mse_per_task)
"""Mean squared error, ``mean((pred − target)²)`` per task."""

cross_entropy = TaskLoss(F.cross_entropy, _cross_entropy_per_task)
"""Mean cross-entropy of logits ``[N, classes]`` against integer labels ``[N]`` per task."""


def per_task_loss(loss_fn: LossFn) -> LossFn:
    """The batched form ``(pred [B, N, ...], target [B, N, ...]) -> [B]`` of ``loss_fn``;
    a ``loss_fn`` that cannot be called as ``loss_fn(pred, target)`` is refused here."""
    if isinstance(loss_fn, TaskLoss):
        return loss_fn.per_task
    check_loss_signature(loss_fn)
    vectorised = torch.func.vmap(loss_fn)

    def losses(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        values = vectorised(pred, target)
        if values.ndim != 1:
            raise ValueError(
                f"loss_fn {getattr(loss_fn, '__name__', loss_fn)!r} returned shape "
                f"{tuple(values.shape[1:])} for one task; it must return a scalar per task "
                "(reduce it, e.g. F.mse_loss with reduction='mean')"
            )
        return values

    return losses


def check_loss_signature(loss_fn: LossFn) -> None:
    """Raise ``ValueError`` unless ``loss_fn`` can be called as ``loss_fn(pred, target)``
    (callables whose signature Python cannot read are let through).

    >>> try:
    ...     check_loss_signature(lambda pred: pred.sum())
    ... except ValueError as error:
    ...     print(str(error)[:60])
    loss_fn '<lambda>' takes (pred); it must take (pred, target)
    """
    try:
        signature = inspect.signature(loss_fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(None, None)
    except TypeError:
        raise ValueError(
            f"loss_fn {getattr(loss_fn, '__name__', loss_fn)!r} takes "
            f"({', '.join(signature.parameters)}); it must take (pred, target) and return a "
            "scalar per task, e.g. lambda pred, target: F.mse_loss(pred, target)"
        ) from None
