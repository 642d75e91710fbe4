"""Which meta-gradient method a learner takes: its ``meta_gradient_path``.

- ``"auto"`` (the default): the model's declared method where it applies
  (the suite's ``MLP`` declares hand-written passes; with ``forward_path="auto"``,
  as for the model's other fast paths), else autograd executed in the chunk
  size timed fastest (``FastestChunks``: all tasks at once, or one at a time);
- ``"autograd"``: autograd on all tasks in one graph, always (bit-for-bit
  comparisons);
- ``"compiled"``: ``torch.compile`` of the whole value-and-gradient
  (``Compiled``), worth its one-off compile on long runs; falls back with a
  warning where it cannot compile, and to ``"auto"``'s choice where it does
  not apply;
- a method object (``algorithms.meta_gradient``), used as given.

Example:
    >>> from algorithms import ConvNet, MLP, cross_entropy, make, mse
    >>> make("maml", MLP((1, 8, 1)), mse, 0.1).meta_gradient_method
    HandWrittenPasses()
    >>> make("anil", MLP((1, 8, 1)), mse, 0.1).meta_gradient_method   # passes adapt everything
    FastestChunks(method=Autograd(), margin=1.15)
    >>> make("maml", MLP((1, 8, 1)), mse, 0.1, meta_gradient_path="autograd").meta_gradient_method
    Autograd()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from algorithms.compiled_meta_gradient import Compiled
from algorithms.meta_gradient import Autograd, MetaGradient
from algorithms.probed_meta_gradient import FastestChunks

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

META_GRADIENT_PATHS = ("auto", "autograd", "compiled")


def choose_method(learner: MetaLearner, path: str | MetaGradient) -> MetaGradient:
    """The method ``meta_gradient_path=path`` gives ``learner`` (see the module docstring)."""
    if path == "autograd":
        return Autograd()
    if path == "auto":
        return _automatic(learner)
    if path == "compiled":
        compiled = Compiled()
        return compiled if compiled.applies(learner) else _automatic(learner)
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


def _automatic(learner: MetaLearner) -> MetaGradient:
    declared = getattr(learner.model, "meta_gradient_method", None)
    if declared is not None and learner.forward_path == "auto" and declared.applies(learner):
        return declared
    return FastestChunks()
