"""Parameters as one flat vector: the coordinates every curvature measurement works in.

A parameter dict {name: tensor} with shapes s_1, …, s_p is the vector
θ ∈ ℝⁿ, n = Σ_j |s_j|, that lists the tensors' entries in the dict's order
(row-major within each tensor). ``ParamLayout`` remembers the names and
shapes, so that ``unflatten(flatten(params)) == params``; ``unflatten``
returns views of the vector, so gradients with respect to the flat vector
are gradients with respect to every tensor at once. An objective is any
closure ``params -> scalar tensor``; ``loss_at`` evaluates one at a flat point.

Example:
    >>> import torch
    >>> params = {"weight": torch.ones(2, 3), "bias": torch.zeros(2)}
    >>> layout = ParamLayout.of(params)
    >>> layout.size, layout.flatten(params).tolist()
    (8, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])
    >>> {name: tuple(t.shape) for name, t in layout.unflatten(torch.arange(8.0)).items()}
    {'weight': (2, 3), 'bias': (2,)}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

Params = dict[str, torch.Tensor]
"""Parameters by name, as ``algorithms`` passes them (analysis does not import algorithms)."""

Objective = Callable[[Params], torch.Tensor]


@dataclass(frozen=True)
class ParamLayout:
    """The names, shapes, dtype and device of a parameter dict, for flattening it."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    dtype: torch.dtype
    device: torch.device

    @classmethod
    def of(cls, params: Params) -> ParamLayout:
        """The layout of ``params``: floating tensors of one dtype on one device."""
        if not isinstance(params, dict) or not params:
            raise ValueError(f"params must be a non-empty dict name -> Tensor, got {params!r}")
        kinds = {(t.dtype, t.device) for t in params.values() if isinstance(t, torch.Tensor)}
        if len(kinds) != 1 or any(not isinstance(t, torch.Tensor) for t in params.values()):
            raise ValueError(
                "params must all be tensors of one dtype on one device, got "
                f"{sorted(str(kind) for kind in kinds)}"
            )
        dtype, device = kinds.pop()
        if not dtype.is_floating_point:
            raise ValueError(f"params must be floating point tensors, got dtype {dtype}")
        shapes = tuple(tuple(t.shape) for t in params.values())
        return cls(tuple(params), shapes, dtype, device)

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(math.prod(shape) for shape in self.shapes)

    @property
    def size(self) -> int:
        """n, the number of scalar parameters."""
        return sum(self.sizes)

    def flatten(self, params: Params) -> torch.Tensor:
        """The vector θ ∈ ℝⁿ of ``params`` (which must have this layout's names and shapes)."""
        if set(params) != set(self.names):
            raise ValueError(
                f"params have names {sorted(params)} but the layout has {sorted(self.names)}"
            )
        for name, shape in zip(self.names, self.shapes):
            if tuple(params[name].shape) != shape:
                raise ValueError(
                    f"params[{name!r}] has shape {tuple(params[name].shape)}, expected {shape}"
                )
        return torch.cat([params[name].reshape(-1) for name in self.names])

    def unflatten(self, vector: torch.Tensor) -> Params:
        """The dict whose tensors are views of ``vector`` (length n) in this layout's shapes."""
        if vector.ndim != 1 or vector.numel() != self.size:
            raise ValueError(
                f"vector has shape {tuple(vector.shape)}; this layout needs ({self.size},)"
            )
        parts = torch.split(vector, self.sizes)
        return {name: part.view(shape) for name, part, shape in zip(self.names, parts, self.shapes)}


def loss_at(objective: Objective, layout: ParamLayout, vector: torch.Tensor) -> torch.Tensor:
    """``objective`` at the flat point ``vector``, as a detached scalar tensor (no host sync)."""
    loss = objective(layout.unflatten(vector))
    check_loss(loss, differentiable=False)
    return loss.detach().reshape(())


def check_loss(loss: object, differentiable: bool) -> None:
    """Raise ``ValueError`` unless ``loss`` is a one-element tensor (with a gradient, if asked)."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"objective must return a scalar tensor, got {shape}")
    if differentiable and not loss.requires_grad:
        raise ValueError(
            "objective(params) does not depend on params (its result has no gradient); "
            "check that the closure uses the params it is given and runs with gradients enabled"
        )
