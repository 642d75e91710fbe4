"""Tasks from a mixture of clusters: which cluster, the task's parameters, then its data.

Both parametric task families of the suite (linear regression tasks,
``synthetic.linear_mixture``; two-layer teachers, ``synthetic.teacher_student``)
draw a task the same way,

    k ~ Categorical(p),    θ*_i = c_k + s_k ⊙ ξ_i,    ξ_i ~ N(0, I),

then draw support and query examples of each task given (k, θ*_i). This
module holds those two shared steps; each family supplies its centres c_k,
per-coordinate scales s_k and data distribution.

Example:
    >>> import torch
    >>> cluster, theta = draw_task_parameters(
    ...     torch.tensor([0.5, 0.5]), torch.zeros(2, 3), torch.ones(2, 3), 4,
    ...     torch.Generator().manual_seed(0), torch.float32)
    >>> tuple(cluster.shape), tuple(theta.shape)
    ((4,), (4, 3))
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count

DataSampler = Callable[
    [torch.Tensor, torch.Tensor, int, torch.Generator], tuple[torch.Tensor, torch.Tensor]
]
"""``(cluster [B], parameters [B, P], num_points, generator) -> (x [B, n, ...], y [B, n, ...])``."""


def draw_task_parameters(
    probabilities: torch.Tensor,
    centres: torch.Tensor,
    scales: torch.Tensor,
    num_tasks: int,
    generator: torch.Generator,
    dtype: torch.dtype,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cluster indices ``[B]`` and parameters θ*_i = c_k + s_k ⊙ ξ_i ``[B, P]``.

    ``probabilities [K]``, ``centres [K, P]`` and ``scales [K, P]`` (float64) are
    moved to the generator's device; ξ is drawn in float64, then cast to ``dtype``.
    """
    require_count("num_tasks", num_tasks)
    device = generator.device
    cluster = torch.multinomial(
        probabilities.to(device), num_tasks, replacement=True, generator=generator
    )
    xi = torch.randn(
        num_tasks, centres.shape[1], generator=generator, device=device, dtype=torch.float64
    )
    parameters = centres.to(device)[cluster] + scales.to(device)[cluster] * xi
    return cluster, parameters.to(dtype)


def support_and_query(
    sample_data: DataSampler,
    cluster: torch.Tensor,
    parameters: torch.Tensor,
    support_size: int,
    query_size: int,
    generator: torch.Generator,
    info: dict[str, torch.Tensor],
) -> TaskBatch:
    """A ``TaskBatch`` of the given tasks: support examples first, then query examples."""
    support_x, support_y = sample_data(cluster, parameters, support_size, generator)
    query_x, query_y = sample_data(cluster, parameters, query_size, generator)
    return TaskBatch(support_x, support_y, query_x, query_y, {"cluster": cluster, **info})
