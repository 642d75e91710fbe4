"""A meta-gradient over chunks of tasks: one backward pass per chunk, memory for one chunk.

The meta-objective is a mean over the B tasks of a batch, so over chunks
c = 1…C of B_c tasks each (Σ_c B_c = B)

    F(θ) = Σ_c (B_c / B) F_c(θ),    ∇F(θ) = Σ_c (B_c / B) ∇F_c(θ),

where F_c is the same learner's meta-objective on chunk c alone. Computing
the chunks one after the other keeps only one chunk's autograd graph alive,
so peak memory grows with the chunk, not with B. With one task per chunk
this is the per-task loop of learn2learn and higher; with B per chunk it is
the fully batched computation. Which is faster depends on the model and the
device (on a CPU, the 4-conv net runs fastest one task at a time; a small MLP
fastest all at once): :mod:`algorithms.probed_meta_gradient` measures it.

Example:
    >>> import torch
    >>> from algorithms import MLP, make, mse, parameters_of
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 8, 1))
    >>> batch = SinusoidTasks().sample(5, torch.Generator().manual_seed(0))
    >>> chunked = make("maml", model, mse, 0.1, meta_gradient_path=Chunked(2))
    >>> whole = make("maml", model, mse, 0.1, meta_gradient_path="autograd")
    >>> params = parameters_of(model)
    >>> a, b = chunked.meta_gradient(params, batch), whole.meta_gradient(params, batch)
    >>> bool(torch.allclose(a[0], b[0])), bool(torch.allclose(a[1]["layers.0.weight"],
    ...                                                        b[1]["layers.0.weight"]))
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from algorithms.meta_gradient import Autograd, MetaGradient
from algorithms.params import Params
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner


@dataclass(frozen=True)
class Chunked:
    """``method`` on chunks of ``tasks_per_chunk`` tasks, combined as a weighted mean."""

    tasks_per_chunk: int
    method: MetaGradient = field(default_factory=Autograd)

    def __post_init__(self) -> None:
        require_count("tasks_per_chunk", self.tasks_per_chunk)

    def applies(self, learner: MetaLearner) -> bool:
        return self.method.applies(learner)

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        num_tasks = batch.num_tasks
        if self.tasks_per_chunk >= num_tasks:
            return self.method(learner, params, batch)
        losses = []
        total: Params = {}
        for start in range(0, num_tasks, self.tasks_per_chunk):
            chunk = batch.select(slice(start, start + self.tasks_per_chunk))
            weight = chunk.num_tasks / num_tasks
            chunk_loss, gradient = self.method(learner, params, chunk)
            losses.append(weight * chunk_loss)
            for name, tensor in gradient.items():
                if name in total:
                    total[name].add_(tensor, alpha=weight)
                else:
                    total[name] = tensor * weight
        return torch.stack(losses).sum(), total
