"""The Hessian of a mean over tasks, one chunk of tasks at a time, sized to fit in memory.

A meta-loss is a mean over the B tasks of a batch, F(θ) = (1/B) Σ_i F_i(θ),
so its Hessian is the mean of the tasks' Hessians and a product splits over
chunks C_1, …, C_k of the tasks:

    H v = Σ_j (|C_j| / B) · H_{C_j} v,      H_{C_j} = ∇² (1/|C_j|) Σ_{i ∈ C_j} F_i.

What limits a product is the graph of ∇F that double backward holds: for a
MAML meta-loss the inner loop of every task, with its activations, saved
twice over (a float64 64-filter conv net at 84 px with 5 inner steps holds
about 5.5 GB per task). :func:`graph_bytes` measures that graph exactly, by
the bytes autograd saves while building ∇F_i of one task (``saved_tensors_hooks``,
each storage counted once). :func:`plan_hessian` then picks the fastest
execution that fits a memory budget:

- the whole batch's graph kept between products (``"kept graph"``, one
  backward pass per product), when B times one task's graph fits;
- else chunks of as many tasks as fit, each graph rebuilt for every product
  and freed before the next chunk (``"chunks rebuilt per product"``: one
  forward and two backward passes per chunk and product).

Both give the same products to rounding; the plan says which was taken, with
the measured bytes, so the report can state it.

Example:
    >>> import torch
    >>> targets = torch.arange(4.0)
    >>> def objective_of(tasks):                    # mean over tasks of (w·t)²
    ...     return lambda p: ((p["w"] * targets[tasks]) ** 2).mean()
    >>> params = {"w": torch.tensor(1.0)}
    >>> operator, plan = plan_hessian(objective_of, 4, params, budget_bytes=1)
    >>> plan.execution, plan.chunk_size, operator.hvp(torch.ones(1)).item()    # 2·mean(t²)
    ('chunks rebuilt per product', 1, 7.0)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from analysis.flat import Objective, ParamLayout, Params
from analysis.hvp import CurvatureOperator, HessianOperator
from synthetic.validation import require_count

BUDGET_FRACTION = 0.5
"""Share of the memory available at planning time a kept graph may take: the products
themselves need room for their gradients and the backward pass's temporaries."""

ObjectiveOf = Callable[[slice], Objective]
"""``objective_of(tasks)``: the mean objective over the tasks in the slice ``tasks``."""


@dataclass(frozen=True)
class HessianPlan:
    """How the products are executed, and the measurements that chose it."""

    execution: str
    tasks: int
    chunk_size: int
    bytes_per_task: int
    budget_bytes: int

    @property
    def chunks(self) -> int:
        return -(-self.tasks // self.chunk_size)

    def as_dict(self) -> dict[str, object]:
        return {
            "execution": self.execution,
            "tasks": self.tasks,
            "chunk_size": self.chunk_size,
            "chunks": self.chunks,
            "graph_bytes_per_task": self.bytes_per_task,
            "budget_bytes": self.budget_bytes,
        }


class SumOperator(CurvatureOperator):
    """Σ_j w_j A_j of operators of one size, dtype and device, applied one after another
    (so that only one part's graph is alive at a time when the parts rebuild theirs)."""

    def __init__(self, parts: Sequence[CurvatureOperator], weights: Sequence[float]) -> None:
        if not parts or len(parts) != len(weights):
            raise ValueError(
                f"SumOperator needs one weight per part, got {len(parts)} parts and "
                f"{len(weights)} weights"
            )
        kinds = {(part.size, part.torch_dtype, part.device) for part in parts}
        if len(kinds) != 1:
            raise ValueError(f"SumOperator parts differ in size, dtype or device: {kinds}")
        size, dtype, device = kinds.pop()
        super().__init__(size, dtype, device)
        self.parts, self.weights = list(parts), [float(w) for w in weights]

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        total = torch.zeros_like(vector)
        for part, weight in zip(self.parts, self.weights):
            total += weight * part.hvp(vector)
        return total


def graph_bytes(objective: Objective, params: Params) -> int:
    """The bytes autograd saves for backward while building ∇ objective(θ) with its graph
    (each storage once): what a kept Hessian graph of ``objective`` holds."""
    layout = ParamLayout.of(params)
    leaf = layout.flatten(params).detach().clone().requires_grad_(True)
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.enable_grad(), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = objective(layout.unflatten(leaf))
        torch.autograd.grad(loss, leaf, create_graph=True)
    return sum(storages.values())


def available_bytes(device: torch.device | str) -> int:
    """Memory free for new tensors now: the GPU's free memory on CUDA, else the host's
    ``MemAvailable`` (``/proc/meminfo``), else its free physical pages."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def plan_hessian(
    objective_of: ObjectiveOf, tasks: int, params: Params, budget_bytes: int | None = None
) -> tuple[CurvatureOperator, HessianPlan]:
    """The Hessian of ``objective_of(slice(0, tasks))`` at ``params``, executed to fit
    ``budget_bytes`` (default: ``BUDGET_FRACTION`` of :func:`available_bytes`), and the plan."""
    require_count("tasks", tasks)
    if budget_bytes is None:
        budget_bytes = int(BUDGET_FRACTION * available_bytes(ParamLayout.of(params).device))
    per_task = graph_bytes(objective_of(slice(0, 1)), params)
    if tasks * per_task <= budget_bytes:
        plan = HessianPlan("kept graph", tasks, tasks, per_task, budget_bytes)
        return HessianOperator(objective_of(slice(0, tasks)), params), plan
    chunk = max(1, min(tasks, budget_bytes // max(per_task, 1)))
    plan = HessianPlan("chunks rebuilt per product", tasks, chunk, per_task, budget_bytes)
    starts = range(0, tasks, chunk)
    parts = [
        HessianOperator(objective_of(slice(s, min(s + chunk, tasks))), params, keep_graph=False)
        for s in starts
    ]
    weights = [(min(s + chunk, tasks) - s) / tasks for s in starts]
    return SumOperator(parts, weights), plan
