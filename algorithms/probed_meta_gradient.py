"""Batched or per-task: the chunk size of a meta-gradient, chosen by timing it once.

Running all B tasks of a batch at once (a task axis on every tensor) pays
where the work per task is small and the device has parallelism to spare: a
small MLP on a CPU, almost anything on a GPU. Where one task already fills
the device (the 4-conv net with 64 filters on a CPU runs near the core's
peak on one task), batching only adds memory traffic: one task at a time is
faster and needs a B-th of the memory. :class:`FastestChunks` measures
instead of guessing. At the first batch of a workload it times the method
once on chunks of c = 1, 2, 4, … tasks (powers of two, then B), stopping
at the first c that is clearly slower per task than the best so far, and
keeps the largest c whose time per task is within ``margin`` of the best,

    t* = min_c t(c)/c,    c* = max {c : t(c)/c ≤ margin · t*},

so a near tie runs batched (``margin`` = 1.15); a batch of one task has
nothing to choose and is never timed. Every later batch of the
same workload (model architecture, learner settings, batch shapes, dtype,
device, threads) runs as :class:`~algorithms.chunked_meta_gradient.Chunked`
(c*), with no further timing; the plan is shared by learners in the process,
so a new seed, or the learner an outer step rebuilds, does not time again.
Results equal the batched computation's to rounding (the chunks are exact:
F is a mean over tasks). The probe costs at most about two meta-gradients
of the batch (far less where one task at a time wins), once per workload;
:func:`chunk_plans` lists the choices made.

Example:
    >>> import torch
    >>> from algorithms import ConvNet, cross_entropy, make, parameters_of
    >>> learner = make("maml", ConvNet(5, filters=4), cross_entropy, 0.4)
    >>> learner.meta_gradient_method
    FastestChunks(method=Autograd(), margin=1.15)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from algorithms.chunked_meta_gradient import Chunked
from algorithms.meta_gradient import Autograd, MetaGradient
from algorithms.params import Params
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

Workload = tuple
"""What a chunk plan is keyed by (see :func:`workload`)."""

_PLANS: dict[Workload, int] = {}


@dataclass(frozen=True)
class FastestChunks:
    """``method`` in chunks of the size its first batch of a workload ran fastest at."""

    method: MetaGradient = field(default_factory=Autograd)
    margin: float = 1.15

    def applies(self, learner: MetaLearner) -> bool:
        return self.method.applies(learner)

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        if batch.num_tasks == 1:
            return self.method(learner, params, batch)
        key = workload(learner, params, batch)
        if key not in _PLANS:
            _PLANS[key] = self._probe(learner, params, batch)
        return Chunked(_PLANS[key], self.method)(learner, params, batch)

    def _probe(self, learner: MetaLearner, params: Params, batch: TaskBatch) -> int:
        """c* of the module docstring: chunks of 1, 2, 4, … tasks timed once each, after a
        warm-up on one task, until one is clearly slower per task than the best so far."""
        num_tasks = batch.num_tasks
        sizes = sorted({num_tasks, *(2**k for k in range(num_tasks.bit_length()))} - {0})
        sizes = [size for size in sizes if size <= num_tasks]
        self.method(learner, params, batch.select(slice(0, 1)))
        per_task: dict[int, float] = {}
        for size in sizes:
            chunk = batch.select(slice(0, size))
            per_task[size] = _seconds(lambda c=chunk: self.method(learner, params, c), batch) / size
            if per_task[size] > min(per_task.values()) * self.margin:
                break
        fastest = min(per_task.values())
        return max(size for size, seconds in per_task.items() if seconds <= fastest * self.margin)


def workload(learner: MetaLearner, params: Params, batch: TaskBatch) -> Workload:
    """The key of a chunk plan: what decides the speed of a meta-gradient, not the values."""
    tensors = (batch.support_x, batch.support_y, batch.query_x, batch.query_y)
    return (
        type(learner.model).__qualname__,
        tuple((name, tuple(t.shape), t.dtype) for name, t in params.items()),
        tuple(tuple(t.shape) for t in tensors),
        batch.support_x.dtype,
        str(batch.support_x.device),
        torch.get_num_threads(),
        learner.adapted,
        learner.inner_steps,
        learner.first_order,
        learner.pooled_objective,
        getattr(learner.inner_rule, "__qualname__", type(learner.inner_rule).__qualname__),
        learner.forward_path,
    )


def chunk_plans() -> dict[Workload, int]:
    """The tasks per chunk chosen so far in this process, by workload (a copy)."""
    return dict(_PLANS)


def _seconds(call, batch: TaskBatch) -> float:
    device = batch.support_x.device
    synchronize = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    synchronize()
    start = time.perf_counter()
    call()
    synchronize()
    return time.perf_counter() - start
