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
  the unrolled inner steps (second order) or without their Jacobians (first order),
  all tasks of the batch in one graph.
- Ways to *execute* a method, each itself a method wrapping another:
  ``algorithms.chunked_meta_gradient.Chunked`` (chunks of tasks, one backward
  each), ``algorithms.probed_meta_gradient.FastestChunks`` (the chunk size timed
  fastest), ``algorithms.compiled_meta_gradient.Compiled`` (``torch.compile``) and
  ``algorithms.reduced_precision.ReducedPrecision`` (bfloat16 autocast).
- A model may declare a faster method for the learners it covers, the way it may
  declare ``batched_forward`` (``algorithms.forward``): an attribute
  ``meta_gradient_method`` holding one. The suite's ``MLP`` declares its
  hand-written passes (``algorithms.mlp_meta_gradient.HandWrittenPasses``). Such
  a method must give autograd's numbers, which the tests check.

A learner's ``meta_gradient_path`` picks one
(``algorithms.meta_gradient_paths.choose_method``). A new method (implicit
gradients, say) is a class with ``applies`` and ``__call__``, passed as
``meta_gradient_path``.

Example:
    >>> import torch
    >>> from algorithms import MLP, make, mse, parameters_of
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 8, 1))
    >>> batch = SinusoidTasks().sample(3, torch.Generator().manual_seed(0))
    >>> learner = make("maml", model, mse, 0.1)
    >>> loss, gradient = Autograd()(learner, parameters_of(model), batch)
    >>> sorted(gradient) == sorted(name for name, _ in model.named_parameters())
    True
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
