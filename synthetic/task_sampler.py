"""The task-sampler protocol: what every consumer of tasks asks of a task distribution.

A ``TaskSampler`` has one method, ``sample(num_tasks, generator) -> TaskBatch``,
which draws B = ``num_tasks`` tasks T_1, …, T_B i.i.d. from its distribution p(T).
The contract every implementation keeps:

- determinism: the draw is a function of the generator's state alone; the
  same state gives the same tasks, bit for bit, and the call advances the
  state, so successive calls give fresh tasks;
- device: every tensor of the batch is on ``generator.device``;
- task axis: every tensor (``info`` included) has the leading task axis of
  size B (see ``synthetic.task_batch``).

Implementations may take further keyword arguments with defaults, e.g.
``dtype`` (every distribution of ``synthetic`` takes one, default float32);
a consumer typed against ``TaskSampler`` passes only the two above. A
consumer that needs B tasks per step takes a sampler and the meta-batch size
B, and calls ``sampler.sample(B, generator)``. ``SamplerFunction`` makes a
plain function ``(num_tasks, generator) -> TaskBatch`` a sampler, e.g. one
that fixes ``dtype`` or moves batches to a device.

Example:
    >>> import torch
    >>> from synthetic.sinusoid import SinusoidTasks
    >>> tasks = SinusoidTasks()
    >>> isinstance(tasks, TaskSampler)
    True
    >>> first = tasks.sample(4, torch.Generator().manual_seed(0))
    >>> again = tasks.sample(4, torch.Generator().manual_seed(0))
    >>> torch.equal(first.support_x, again.support_x), first.num_tasks
    (True, 4)
    >>> double = SamplerFunction(lambda n, g: tasks.sample(n, g, dtype=torch.float64))
    >>> double.sample(2, torch.Generator().manual_seed(0)).query_y.dtype
    torch.float64
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch

from synthetic.task_batch import TaskBatch


@runtime_checkable
class TaskSampler(Protocol):
    """A task distribution: ``sample(num_tasks, generator)``; see the module docstring.

    ``isinstance(x, TaskSampler)`` checks only that ``x`` has a ``sample`` method.
    """

    def sample(self, num_tasks: int, generator: torch.Generator) -> TaskBatch:
        """Draw ``num_tasks`` tasks on the generator's device; same state ⇒ same tasks."""
        ...


@dataclass(frozen=True)
class SamplerFunction:
    """A function ``(num_tasks, generator) -> TaskBatch`` as a ``TaskSampler``.

    The function must keep the contract of the module docstring.
    """

    function: Callable[[int, torch.Generator], TaskBatch]

    def sample(self, num_tasks: int, generator: torch.Generator) -> TaskBatch:
        """``function(num_tasks, generator)``."""
        return self.function(num_tasks, generator)
