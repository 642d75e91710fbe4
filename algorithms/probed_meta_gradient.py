"""Batched or per-task: the chunk size of a meta-gradient, chosen by timing it once.

Running all B tasks of a batch at once (a task axis on every tensor) pays
where the work per task is small and the device has parallelism to spare: a
small MLP on a CPU, almost anything on a GPU. Where one task already fills
the device (the 4-conv net with 64 filters on a CPU runs near the core's
peak on one task), batching only adds memory traffic: one task at a time is
faster and needs a B-th of the memory. :class:`FastestChunks` measures
instead of guessing. At the first batch of a workload it times the method
on chunks of c_0 = 1, c_1 = 2, c_2 = 4, … tasks (powers of two, then B; the
fastest of three calls each, as load only ever adds time) and grows the chunk
only while that is clearly cheaper per task:

    c_{k+1} replaces c_k  iff  margin · t(c_{k+1})/c_{k+1} < t(c_k)/c_k,

stopping at the first step that is not (``margin`` = 1.15). The plan c* is
the smallest chunk that runs as fast per task as the larger ones, so a near
tie takes the one with less memory, and the probe itself never builds the
graph of a chunk larger than the next size after c*. A batch of one task has
nothing to choose and is never timed. Every later batch of the
same workload (model architecture, learner settings, batch shapes, dtype,
device, threads) runs as :class:`~algorithms.chunked_meta_gradient.Chunked`
(c*), with no further timing; the plan is shared by learners in the process,
so a new seed, or the learner an outer step rebuilds, does not time again.
Results equal the batched computation's to rounding (the chunks are exact:
F is a mean over tasks). The probe costs at most about six meta-gradients
of the batch (a few tasks where one task at a time wins), once per workload;
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

TIMINGS = 3
"""Timed calls per candidate; the fastest counts (load only ever adds time)."""

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
        """c* of the module docstring: chunks of 1, 2, 4, … tasks, each timed ``TIMINGS``
        times after a warm-up on one task, grown while clearly cheaper per task."""
        num_tasks = batch.num_tasks
        sizes = sorted({num_tasks, *(2**k for k in range(num_tasks.bit_length()))} - {0})
        self.method(learner, params, batch.select(slice(0, 1)))
        chosen, chosen_per_task = 0, float("inf")
        for size in (size for size in sizes if size <= num_tasks):
            chunk = batch.select(slice(0, size))
            seconds = min(
                _seconds(lambda c=chunk: self.method(learner, params, c), batch)
                for _ in range(TIMINGS)
            )
            if self.margin * seconds / size >= chosen_per_task:
                break
            chosen, chosen_per_task = size, seconds / size
        return chosen


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


def restore_chunk_plans(plans: list[tuple[Workload, int]]) -> None:
    """Take ``plans`` (``chunk_plans().items()`` of an earlier process) as already chosen, so
    a resumed run executes its meta-gradients exactly as before (no new timing)."""
    _PLANS.update(plans)


def _seconds(call, batch: TaskBatch) -> float:
    device = batch.support_x.device
    synchronize = torch.cuda.synchronize if device.type == "cuda" else lambda: None
    synchronize()
    start = time.perf_counter()
    call()
    synchronize()
    return time.perf_counter() - start
