"""Parameters as a plain dict ``{name: Tensor}``, checked against the model that uses them.

Meta-learners never mutate an ``nn.Module``: they call it with
``torch.func.functional_call`` on whatever parameters they hold (the
meta-parameters θ, or per-task adapted θ'_i with a leading task axis).

Example:
    >>> import torch
    >>> model = torch.nn.Linear(3, 1)
    >>> params = parameters_of(model)
    >>> sorted(params), params["weight"].requires_grad
    (['bias', 'weight'], True)
"""

from __future__ import annotations

import torch
from torch import nn

Params = dict[str, torch.Tensor]


def parameters_of(model: nn.Module) -> Params:
    """Fresh leaf copies of the model's parameters, ready for an outer optimiser."""
    return {
        name: tensor.detach().clone().requires_grad_(True)
        for name, tensor in model.named_parameters()
    }


def check_params(model: nn.Module, params: Params, batch_dims: int = 0) -> None:
    """Raise ``ValueError`` unless ``params`` has exactly the model's names and shapes.

    ``batch_dims`` leading axes (a task axis) are allowed in front of each shape.
    """
    expected = {name: tuple(tensor.shape) for name, tensor in model.named_parameters()}
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict name -> Tensor, got {type(params).__name__}")
    missing = sorted(set(expected) - set(params))
    unexpected = sorted(set(params) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"params do not match the model {type(model).__name__}: missing {missing}, "
            f"unexpected {unexpected}. Build them with algorithms.parameters_of(model)."
        )
    for name, shape in expected.items():
        got = tuple(params[name].shape)[batch_dims:]
        if got != shape:
            raise ValueError(
                f"params[{name!r}] has shape {tuple(params[name].shape)} but the model "
                f"{type(model).__name__} expects {shape}"
                + (f" after {batch_dims} leading task axis" if batch_dims else "")
            )


def detached(params: Params) -> Params:
    """The same values cut from any autograd graph."""
    return {name: tensor.detach() for name, tensor in params.items()}
