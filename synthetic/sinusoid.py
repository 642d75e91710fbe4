"""Sinusoid regression tasks (Finn et al. 2017, §5.1).

Task i is the function f_i(x) = A_i sin(x − φ_i) with amplitude
A_i ~ U[0.1, 5] and phase φ_i ~ U[0, π]; inputs x ~ U[−5, 5]. A task gives K
support and Q query points, noise free. The regression target is a column,
``y [B, K, 1]``, so an MLP 1-40-40-1 maps ``x [B, K, 1]`` onto it.

Example:
    >>> import torch
    >>> tasks = SinusoidTasks(support_size=10, query_size=10)
    >>> batch = tasks.sample(25, torch.Generator().manual_seed(0))
    >>> tuple(batch.support_x.shape), sorted(batch.info)
    ((25, 10, 1), ['amplitude', 'phase'])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_interval


@dataclass(frozen=True)
class SinusoidTasks:
    """The sinusoid task distribution; ``sample`` draws a ``TaskBatch`` from it."""

    support_size: int = 10
    query_size: int = 10
    amplitude_range: tuple[float, float] = (0.1, 5.0)
    phase_range: tuple[float, float] = (0.0, torch.pi)
    x_range: tuple[float, float] = (-5.0, 5.0)

    def __post_init__(self) -> None:
        require_count("support_size", self.support_size)
        require_count("query_size", self.query_size)
        require_interval("amplitude_range", self.amplitude_range)
        require_interval("phase_range", self.phase_range)
        require_interval("x_range", self.x_range)

    def sample(
        self, num_tasks: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> TaskBatch:
        """Draw ``num_tasks`` tasks on the generator's device; same generator state ⇒ same tasks."""
        require_count("num_tasks", num_tasks)
        amplitude = _uniform((num_tasks,), self.amplitude_range, generator, dtype)
        phase = _uniform((num_tasks,), self.phase_range, generator, dtype)
        support_x = _uniform((num_tasks, self.support_size, 1), self.x_range, generator, dtype)
        query_x = _uniform((num_tasks, self.query_size, 1), self.x_range, generator, dtype)
        return TaskBatch(
            support_x,
            self.evaluate(support_x, amplitude, phase),
            query_x,
            self.evaluate(query_x, amplitude, phase),
            {"amplitude": amplitude, "phase": phase},
        )

    @staticmethod
    def evaluate(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """f(x) = A sin(x − φ) for x ``[B, N, 1]`` and per-task A, φ ``[B]``."""
        return amplitude[:, None, None] * torch.sin(x - phase[:, None, None])


def _uniform(
    shape: tuple[int, ...],
    interval: tuple[float, float],
    generator: torch.Generator,
    dtype: torch.dtype,
) -> torch.Tensor:
    low, high = interval
    unit = torch.rand(shape, generator=generator, device=generator.device, dtype=dtype)
    return low + (high - low) * unit
