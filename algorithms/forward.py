"""Calling a model on B tasks at once, each with its own parameters.

``batched_forward(model)`` returns ``f(params, x) -> out`` where every tensor
of ``params`` and ``x`` carries a leading task axis B:
``out[i] = model(x[i])`` evaluated with parameters ``params[·][i]``.

There is one generic path, ``vmap(functional_call(model, ...))``, which works
for any ``nn.Module``. A model may provide a faster path by defining
``batched_forward(params, x)`` itself (the suite's ``MLP`` does, with batched
matrix products); such a path must give the generic path's outputs and
gradients, which the tests check.

Example:
    >>> import torch
    >>> model = torch.nn.Linear(2, 1)
    >>> params = {k: v.detach().expand(3, *v.shape) for k, v in model.named_parameters()}
    >>> tuple(batched_forward(model)(params, torch.zeros(3, 4, 2)).shape)
    (3, 4, 1)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from algorithms.params import Params

BatchedForward = Callable[[Params, torch.Tensor], torch.Tensor]


FORWARD_PATHS = ("auto", "vmap")


def batched_forward(model: nn.Module, path: str = "auto") -> BatchedForward:
    """The forward over a task axis.

    ``path="auto"``: the model's own ``batched_forward`` if it has one, else
    the generic ``vmap`` path; ``path="vmap"``: always the generic path.
    """
    if path not in FORWARD_PATHS:
        raise ValueError(f"forward_path must be one of {FORWARD_PATHS}, got {path!r}")
    own = getattr(model, "batched_forward", None)
    return own if callable(own) and path == "auto" else vmap_forward(model)


def vmap_forward(model: nn.Module) -> BatchedForward:
    """The generic path: ``vmap`` over tasks of ``functional_call(model, params_i, x_i)``.

    Buffers (e.g. normalisation statistics) are shared by all tasks.
    """
    buffers = dict(model.named_buffers())

    def call_one_task(params: Params, x: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(model, {**params, **buffers}, (x,))

    return torch.func.vmap(call_one_task)
