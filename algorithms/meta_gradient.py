"""How a learner computes its meta-gradient ∇F(θ): one pluggable method.

A learner's meta-objective F (``MetaLearner.meta_loss``) is fixed by its
choices; with one gradient step per task,

    F(θ) = (1/B) Σ_i L_i^query(θ'_i),   θ'_i = θ − α ∇L_i^support(θ),
    ∇F(θ) = (1/B) Σ_i (I − α H_i) ∇L_i^query(θ'_i),   H_i = ∇²L_i^support(θ),

and for a ``first_order`` learner the inner steps keep no graph, so the
gradient of its ``meta_loss`` drops the Jacobians: (1/B) Σ_i ∇L_i^query(θ'_i)
(FO-MAML). A *meta-gradient method* computes F(θ) and that gradient for
``MetaLearner.meta_gradient`` (and so for ``train``). It is any object with

    method.applies(learner) -> bool                       does it give this learner's ∇F?
    method(learner, params, batch) -> (F(θ), ∇F(θ))       F detached, ∇F named like params

- :class:`Autograd` applies to every learner: autograd on ``meta_loss``, through
  the unrolled inner steps (second order) or without their Jacobians (first order).
- A model may declare a faster method for the learners it covers, the way it may
  declare ``batched_forward`` (``algorithms.forward``): an attribute
  ``meta_gradient_method`` holding one. The suite's ``MLP`` declares its
  hand-written passes (``algorithms.mlp_meta_gradient.HandWrittenPasses``). Such
  a method must give autograd's numbers, which the tests check.

A learner's ``meta_gradient_path`` picks one (:func:`choose_method`): ``"auto"``,
the model's declared method where it applies (with ``forward_path="auto"``, as
for the model's other fast paths), else autograd; ``"autograd"``, always
autograd; or a method object, used as given. A new method (implicit gradients,
say) is a class with ``applies`` and ``__call__``, passed as ``meta_gradient_path``.

Example:
    >>> from algorithms import MLP, make, mse
    >>> model = MLP((1, 8, 1))
    >>> make("maml", model, mse, 0.1).meta_gradient_method
    HandWrittenPasses()
    >>> make("maml", model, mse, 0.1, meta_gradient_path="autograd").meta_gradient_method
    Autograd()
    >>> make("anil", model, mse, 0.1).meta_gradient_method       # the passes adapt everything
    Autograd()
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import torch

from algorithms.outer_steps import autograd_value_and_gradient
from algorithms.params import Params
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

META_GRADIENT_PATHS = ("auto", "autograd")


class MetaGradient(Protocol):
    """A way to compute a learner's F(θ) (detached) and ∇F(θ); see the module docstring."""

    def applies(self, learner: MetaLearner) -> bool: ...

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]: ...


@dataclass(frozen=True)
class Autograd:
    """Autograd on ``learner.meta_loss``: through the unrolled inner steps (none if first order)."""

    def applies(self, learner: MetaLearner) -> bool:
        return True

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        return autograd_value_and_gradient(lambda p: learner.meta_loss(p, batch), params)


def choose_method(learner: MetaLearner, path: str | MetaGradient) -> MetaGradient:
    """The method ``meta_gradient_path=path`` gives ``learner`` (see the module docstring)."""
    if path == "autograd":
        return Autograd()
    if path == "auto":
        declared = getattr(learner.model, "meta_gradient_method", None)
        fast = declared is not None and learner.forward_path == "auto" and declared.applies(learner)
        return declared if fast else Autograd()
    if isinstance(path, str) or not callable(getattr(path, "applies", None)):
        raise ValueError(
            f"meta_gradient_path must be one of {META_GRADIENT_PATHS} or a meta-gradient method "
            f"(applies(learner), __call__(learner, params, batch); algorithms.meta_gradient), "
            f"got {path!r}"
        )
    if not path.applies(learner):
        raise ValueError(
            f"the meta-gradient method {path!r} does not apply to the learner {learner.name!r}; "
            f"use one of {META_GRADIENT_PATHS}"
        )
    return path
