"""Tasks from a mixture of clusters: which cluster, the task's parameters, then its data.

Both parametric task families of the suite (linear regression tasks,
``synthetic.linear_mixture``; two-layer teachers, ``synthetic.teacher_student``)
draw a task the same way,

    k ~ Categorical(p),    θ*_i = c_k + s_k ⊙ ξ_i,    ξ_i ~ N(0, I_P),
    s_k = sqrt(R_k / P') · v,

where v ∈ {0, 1}ᴾ marks the P' = Σ_j v_j coordinates that vary between tasks,
so E‖θ*_i − c_k‖² = R_k (the cluster's spread). Then they draw m support and
Q query examples of each task given (k, θ*_i), support first. This module
holds those shared steps in ``ClusterMixture``; a family supplies its
clusters (``probability``, ``centre``, ``spread``, ``noise_std`` and its own
fields), the mask v, and its data distribution ``sample_data``.

``ClusterMixture.sampler(m, Q)`` is the family with fixed support and query
sizes: a ``synthetic.task_sampler.TaskSampler``.

Example:
    >>> import torch
    >>> cluster, theta = draw_task_parameters(
    ...     torch.tensor([0.5, 0.5]), torch.zeros(2, 3), torch.ones(2, 3), 4,
    ...     torch.Generator().manual_seed(0), torch.float32)
    >>> tuple(cluster.shape), tuple(theta.shape)
    ((4,), (4, 3))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

import torch

from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_non_negative

PROBABILITY_TOLERANCE = 1e-9


class Cluster(Protocol):
    """The fields every cluster has; a family's cluster type adds its own."""

    @property
    def probability(self) -> float: ...

    @property
    def centre(self) -> torch.Tensor: ...

    @property
    def spread(self) -> float: ...

    @property
    def noise_std(self) -> float: ...


ClusterT = TypeVar("ClusterT", bound=Cluster)


def checked_centre(
    probability: float, spread: float, noise_std: float, centre: torch.Tensor
) -> torch.Tensor:
    """Check a cluster's shared fields; return its centre as a float64 CPU vector."""
    require_non_negative("probability", probability)
    require_non_negative("spread", spread)
    require_non_negative("noise_std", noise_std)
    vector = torch.as_tensor(centre, dtype=torch.float64).detach().cpu()
    if vector.ndim != 1 or vector.numel() == 0:
        raise ValueError(f"centre must be a non-empty vector, got shape {tuple(vector.shape)}")
    return vector


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


class ClusterMixture(ABC, Generic[ClusterT]):
    """A finite mixture of clusters of parametric tasks; see the module docstring.

    Args:
        clusters: at least one cluster; their probabilities must sum to 1.
        varying: the mask v ``[P]`` (float64) of coordinates that differ between
            tasks; all ones by default.

    A subclass sets ``parameter_key`` (the ``info`` key of θ*_i) and defines
    ``sample_data``, ``_describe`` and ``_describe_cluster``. ``sampler(m, Q)``, the
    mixture with its support and query sizes fixed, is a ``TaskSampler``.
    """

    parameter_key: ClassVar[str]

    def __init__(self, clusters: Sequence[ClusterT], varying: torch.Tensor | None = None) -> None:
        clusters = tuple(clusters)
        if not clusters:
            raise ValueError(
                f"{type(self).__name__} needs at least one cluster; pass a list of them"
            )
        total = sum(c.probability for c in clusters)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            raise ValueError(
                f"cluster probabilities {[c.probability for c in clusters]} sum to {total!r}, "
                "not 1; rescale them"
            )
        self.clusters = clusters
        self.probabilities = torch.tensor([c.probability for c in clusters], dtype=torch.float64)
        self.centres = torch.stack([c.centre for c in clusters])
        self.spreads = torch.tensor([c.spread for c in clusters], dtype=torch.float64)
        self.noise_stds = torch.tensor([c.noise_std for c in clusters], dtype=torch.float64)
        self.varying = (
            torch.ones(self.centres.shape[1], dtype=torch.float64) if varying is None else varying
        )

    @property
    def num_clusters(self) -> int:
        return len(self.clusters)

    def sample_parameters(
        self, num_tasks: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw tasks: their cluster indices ``[B]`` and parameters θ*_i ``[B, P]``."""
        scales = (self.spreads / self.varying.sum()).sqrt()[:, None] * self.varying
        return draw_task_parameters(
            self.probabilities, self.centres, scales, num_tasks, generator, dtype
        )

    @abstractmethod
    def sample_data(
        self,
        cluster: torch.Tensor,
        parameters: torch.Tensor,
        num_points: int,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``num_points`` examples of each given task: x ``[B, n, ...]``, y ``[B, n, ...]``.

        Tensors are on the device and in the dtype of ``parameters``.
        """

    def sampler(self, support_size: int, query_size: int) -> MixtureTasks:
        """This mixture's tasks with ``support_size`` support and ``query_size`` query points."""
        return MixtureTasks(self, support_size, query_size)

    @abstractmethod
    def _describe(self) -> str:
        """The mixture's shape for ``repr``, e.g. ``"d=10"``."""

    @abstractmethod
    def _describe_cluster(self, cluster: ClusterT) -> str:
        """What a cluster has besides p, R and ν, for ``repr``."""

    def __repr__(self) -> str:
        parts = [
            f"p={c.probability:g}, {self._describe_cluster(c)}, R={c.spread:g}, ν={c.noise_std:g}"
            for c in self.clusters
        ]
        return f"{type(self).__name__}({self._describe()}; " + "; ".join(parts) + ")"


@dataclass(frozen=True)
class MixtureTasks:
    """Tasks of ``mixture`` with m = ``support_size`` support and ``query_size`` query points.

    ``info`` holds ``cluster [B]`` and θ*_i ``[B, P]`` under ``mixture.parameter_key``.
    """

    mixture: ClusterMixture
    support_size: int
    query_size: int

    def __post_init__(self) -> None:
        require_count("support_size", self.support_size)
        require_count("query_size", self.query_size)

    def sample(
        self, num_tasks: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> TaskBatch:
        """Draw ``num_tasks`` tasks on the generator's device; same generator state ⇒ same tasks."""
        cluster, parameters = self.mixture.sample_parameters(num_tasks, generator, dtype)
        sample_data = self.mixture.sample_data
        support_x, support_y = sample_data(cluster, parameters, self.support_size, generator)
        query_x, query_y = sample_data(cluster, parameters, self.query_size, generator)
        info = {"cluster": cluster, self.mixture.parameter_key: parameters}
        return TaskBatch(support_x, support_y, query_x, query_y, info)
