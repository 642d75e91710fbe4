"""Loss-landscape slices: along filter-normalised random directions, and between two solutions.

A 1-D slice is a ↦ L(θ + a d); a 2-D slice is (a, b) ↦ L(θ + a d₁ + b d₂).
Random directions are filter-normalised (Li, Xu, Taylor, Studer, Goldstein
2018): d is drawn N(0, I), then each filter d_f of a weight tensor — a row
of a Linear weight, an output channel of a Conv weight, in general a slice
along the first axis — is rescaled to the norm of the same filter of θ,

    d_f ← d_f · ‖θ_f‖ / ‖d_f‖,

and parameters with one axis or none (biases, normalisation layers) are set
to zero. A unit of a, b then means "as far as the weights' own scale",
whatever the scale of each layer, so slices of differently scaled networks
are comparable. The straight line between two solutions θ_A and θ_B is the
1-D slice from θ_A along d = θ_B − θ_A: a = 0 is θ_A, a = 1 is θ_B.

Example:
    >>> import torch
    >>> params = {"weight": torch.tensor([[3.0, 4.0], [0.0, 1.0]]), "bias": torch.ones(2)}
    >>> d = filter_normalized_direction(params, torch.Generator().manual_seed(0))
    >>> d["weight"].norm(dim=1).tolist(), d["bias"].tolist()
    ([5.0, 1.0], [0.0, 0.0])
    >>> objective = lambda p: (p["weight"] ** 2).sum()
    >>> interpolation(objective, params, {k: 0 * v for k, v in params.items()}, [0.0, 1.0]).losses
    (26.0, 0.0)
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from analysis.flat import Objective, ParamLayout, Params, loss_at

SLICE_LEVELS = 31
"""Colour levels of the 2-D slice (every third is drawn as a contour line)."""


@dataclass(frozen=True)
class LossLine:
    """L(θ + a d) at ``coordinates`` a; ``kind`` is ``"random"`` or ``"interpolation"``."""

    kind: str
    coordinates: tuple[float, ...]
    losses: tuple[float, ...]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "coordinates": list(self.coordinates),
            "losses": list(self.losses),
            "loss_evaluations": len(self.losses),
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class LossPlane:
    """L(θ + a d₁ + b d₂): ``losses[i][j]`` at a = x_coordinates[j], b = y_coordinates[i]."""

    x_coordinates: tuple[float, ...]
    y_coordinates: tuple[float, ...]
    losses: tuple[tuple[float, ...], ...]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "x_coordinates": list(self.x_coordinates),
            "y_coordinates": list(self.y_coordinates),
            "losses": [list(row) for row in self.losses],
            "loss_evaluations": len(self.x_coordinates) * len(self.y_coordinates),
            "seconds": self.seconds,
        }


def filter_normalized_direction(params: Params, generator: torch.Generator) -> Params:
    """A N(0, I) direction with each filter rescaled to its filter's norm in ``params``.

    Filters are slices along the first axis of tensors with two or more
    axes; tensors with fewer axes get zeros. The numbers are drawn on the
    generator's device and moved to each tensor's.
    """
    ParamLayout.of(params)
    direction = {}
    for name, tensor in params.items():
        values = tensor.detach()
        if values.ndim < 2:
            direction[name] = torch.zeros_like(values)
            continue
        draw = torch.randn(
            values.shape, generator=generator, device=generator.device, dtype=values.dtype
        ).to(values.device)
        filters, draws = values.flatten(1), draw.flatten(1)
        ratio = filters.norm(dim=1, keepdim=True) / draws.norm(dim=1, keepdim=True)
        direction[name] = (draws * ratio).view_as(values)
    return direction


def loss_line(
    objective: Objective, params: Params, direction: Params, coordinates: Sequence[float]
) -> LossLine:
    """L(θ + a d) for each a in ``coordinates``."""
    return _line("random", objective, params, direction, coordinates)


def interpolation(
    objective: Objective, params_a: Params, params_b: Params, coordinates: Sequence[float]
) -> LossLine:
    """L((1 − a) θ_A + a θ_B) for each a in ``coordinates`` (a = 0: θ_A, a = 1: θ_B)."""
    layout = ParamLayout.of(params_a)
    step = layout.flatten(params_b).detach() - layout.flatten(params_a).detach()
    return _line("interpolation", objective, params_a, layout.unflatten(step), coordinates)


def loss_plane(
    objective: Objective,
    params: Params,
    direction_x: Params,
    direction_y: Params,
    x_coordinates: Sequence[float],
    y_coordinates: Sequence[float],
) -> LossPlane:
    """L(θ + a d_x + b d_y) on the grid of a in ``x_coordinates``, b in ``y_coordinates``."""
    start_time = time.perf_counter()
    layout = ParamLayout.of(params)
    theta, dx, dy = (layout.flatten(p).detach() for p in (params, direction_x, direction_y))
    xs = _checked_coordinates("x_coordinates", x_coordinates)
    ys = _checked_coordinates("y_coordinates", y_coordinates)
    losses = torch.stack(
        [torch.stack([loss_at(objective, layout, theta + a * dx + b * dy) for a in xs]) for b in ys]
    )
    rows = tuple(tuple(row) for row in losses.tolist())
    return LossPlane(xs, ys, rows, time.perf_counter() - start_time)


def plot_line(line: LossLine, title: str | None = None) -> Figure:
    """The 1-D slice as a curve."""
    figure = Figure(figsize=(5.0, 3.5), layout="constrained")
    axes = figure.subplots()
    axes.plot(line.coordinates, line.losses, marker=".")
    if line.kind == "interpolation":
        axes.set_xlabel("a  (θ_A + a (θ_B − θ_A))")
        axes.axvline(0.0, color="grey", lw=0.5)
        axes.axvline(1.0, color="grey", lw=0.5)
    else:
        axes.set_xlabel("a  (θ + a d, d filter-normalised)")
    axes.set_ylabel("loss")
    axes.set_title(title or f"1-D slice ({line.kind})")
    return figure


def plot_plane(plane: LossPlane, title: str = "2-D slice (filter-normalised)") -> Figure:
    """The 2-D slice as filled contours on a log colour scale (losses span orders of magnitude
    away from θ; a linear scale paints all but the edge one colour), with contour lines and θ
    marked. A slice with a loss ≤ 0 is shown on a linear scale clipped to its 2nd–98th
    percentiles instead."""
    figure = Figure(figsize=(5.0, 4.2), layout="constrained")
    axes = figure.subplots()
    losses = np.array(plane.losses, dtype=float)
    if losses.min() > 0:
        levels = np.geomspace(losses.min(), losses.max() * (1 + 1e-9), SLICE_LEVELS)
        norm, label = LogNorm(levels[0], levels[-1]), "loss (log scale)"
    else:
        low, high = np.percentile(losses, [2, 98])
        levels, norm, label = np.linspace(low, high, SLICE_LEVELS), None, "loss (2nd–98th pct)"
    grid = (plane.x_coordinates, plane.y_coordinates)
    contours = axes.contourf(*grid, losses, levels=levels, norm=norm, extend="both")
    axes.contour(*grid, losses, levels=levels[::3], norm=norm, colors="k", linewidths=0.4)
    figure.colorbar(contours, ax=axes, label=label)
    axes.plot([0.0], [0.0], marker="*", color="white", markeredgecolor="k")
    axes.set_xlabel("a (direction 1)")
    axes.set_ylabel("b (direction 2)")
    axes.set_title(title)
    return figure


def _line(
    kind: str,
    objective: Objective,
    params: Params,
    direction: Params,
    coordinates: Sequence[float],
) -> LossLine:
    start_time = time.perf_counter()
    layout = ParamLayout.of(params)
    theta, step = layout.flatten(params).detach(), layout.flatten(direction).detach()
    values = _checked_coordinates("coordinates", coordinates)
    losses = torch.stack([loss_at(objective, layout, theta + a * step) for a in values])
    return LossLine(kind, values, tuple(losses.tolist()), time.perf_counter() - start_time)


def _checked_coordinates(name: str, coordinates: Sequence[float]) -> tuple[float, ...]:
    values = tuple(float(c) for c in coordinates)
    if not values or not all(math.isfinite(c) for c in values):
        raise ValueError(f"{name} must be a non-empty sequence of finite numbers, got {values!r}")
    return values
