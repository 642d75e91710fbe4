"""Calling a model on B tasks at once, each with its own parameters.

``batched_forward(model)`` returns ``f(params, x) -> out`` where every tensor
of ``params`` and ``x`` carries a leading task axis B:
``out[i] = model(x[i])`` evaluated with parameters ``params[·][i]``.

There is one generic path, ``vmap(functional_call(model, ...))``, which works
for any ``nn.Module`` that is a function of its parameters and inputs:

- dropout (in training mode) draws its own mask per task (``vmap``'s
  ``randomness="different"``), as a per-task loop would;
- batch norm normalises with the statistics of each task's batch when built with
  ``track_running_stats=False`` (MAML's choice), and with fixed running
  statistics in ``eval()`` mode; a batch norm that would *update* running
  statistics in training mode is refused when the learner is built
  (:func:`check_functional`): one set of running averages cannot follow B tasks
  adapting in parallel, and torch would fail deep inside ``vmap``.

A model may provide a faster path by defining
``batched_forward(params, x)`` itself (the suite's ``MLP`` does, with batched
matrix products); such a path must give the generic path's outputs and
gradients, which the tests check.

A model may also split that path in two, ``batched_features(params, x)``
(reading no head parameter) and ``batched_head(params, features)``, and name
its head's parameters by a ``head_prefix``; :func:`splits_features` says
whether a learner can use the split. When only head parameters adapt (ANIL),
the body does not move in the inner loop, so a learner computes the support
features once and every inner step runs the head alone.

:func:`batched_linear` is the task-batched linear layer, x[i] W[i]ᵀ + b[i], that
such paths are built from (the MLP's forward and its hand-written meta-gradient
passes).

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
    check_functional(model)
    own = getattr(model, "batched_forward", None)
    return own if callable(own) and path == "auto" else vmap_forward(model)


def vmap_forward(model: nn.Module) -> BatchedForward:
    """The generic path: ``vmap`` over tasks of ``functional_call(model, params_i, x_i)``.

    Buffers (e.g. fixed normalisation statistics) are shared by all tasks; random
    operations (dropout) draw independently per task.
    """
    buffers = dict(model.named_buffers())

    def call_one_task(params: Params, x: torch.Tensor) -> torch.Tensor:
        return torch.func.functional_call(model, {**params, **buffers}, (x,))

    return torch.func.vmap(call_one_task, randomness="different")


def check_functional(model: nn.Module) -> None:
    """Refuse a model with a batch norm that updates running statistics (training mode,
    ``track_running_stats=True``), saying how to change it."""
    for name, module in model.named_modules():
        tracks = getattr(module, "track_running_stats", False)
        if tracks and module.training and getattr(module, "running_mean", None) is not None:
            raise ValueError(
                f"model layer {name or '(root)'!r} ({type(module).__name__}) updates running "
                "statistics in training mode, which cannot follow tasks that adapt in "
                "parallel: build it with track_running_stats=False (each task's batch "
                "statistics, as MAML does), or call model.eval() first to normalise with "
                "fixed running statistics"
            )


def splits_features(model: nn.Module, path: str, adapted: tuple[str, ...]) -> bool:
    """Whether the inner loop may run on features computed once: ``path="auto"``, the
    model splits its batched forward (``batched_features``, ``batched_head``,
    ``head_prefix``), and every adapted parameter is a head parameter."""
    prefix = getattr(model, "head_prefix", None)
    return (
        path == "auto"
        and isinstance(prefix, str)
        and all(callable(getattr(model, m, None)) for m in ("batched_features", "batched_head"))
        and all(name.startswith(prefix) for name in adapted)
    )


def batched_linear(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """x[i] W[i]ᵀ + b[i] for ``x [B, N, in]``, ``weight [B, out, in]``, ``bias [B, out]``.

    A layer with one input is an outer product and one with one output a dot
    product; both run as broadcasts, cheaper than a batched matrix product
    with an inner or outer dimension of 1.
    """
    if weight.shape[2] == 1:
        out = x * weight.transpose(1, 2)
    elif weight.shape[1] == 1:
        out = (x * weight).sum(dim=2, keepdim=True)
    elif bias is not None:
        return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))
    else:
        return torch.bmm(x, weight.transpose(1, 2))
    return out if bias is None else out + bias.unsqueeze(1)
