"""Linear-regression task mixtures (Collins, Mokhtari, Shakkottai 2022).

A task i draws a cluster c with probability p_c, an optimum θ*_i around the
cluster's centre, and data from the cluster's covariance:

    θ*_i = θ_c + sqrt(R_c / d) · ξ,      ξ ~ N(0, I_d)   (so E‖θ*_i − θ_c‖² = R_c)
    x ~ N(0, Σ_c),   y = ⟨θ*_i, x⟩ + z,  z ~ N(0, ν_c²)

Its population loss is f_i(θ) = ½(θ − θ*_i)ᵀ Σ_c (θ − θ*_i) + ν_c²/2, so the
eigenvalues of Σ_c set how hard the task is for a gradient step of size α:
the error contracts as (I − αΣ_c). The mixture exposes every parameter
(``probabilities``, ``covariances``, ``centres``, ``spreads``, ``noise_stds``)
because the closed forms in ``analysis`` read them, not samples.

Example:
    >>> import torch
    >>> mixture = LinearTaskMixture.easy_hard(dim=10, rho_easy=0.9, rho_hard=0.1,
    ...                                       p_hard=0.5, distance=2.0)
    >>> tasks = mixture.sampler(support_size=20, query_size=20)
    >>> batch = tasks.sample(8, torch.Generator().manual_seed(0))
    >>> tuple(batch.support_x.shape), tuple(batch.info["theta_star"].shape)
    ((8, 20, 10), (8, 10))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from synthetic.task_clusters import ClusterMixture, checked_centre
from synthetic.validation import require_count, require_non_negative


@dataclass(frozen=True)
class TaskCluster:
    """One cluster of linear tasks.

    Args:
        probability: p_c, the chance a task comes from this cluster.
        covariance: Σ_c, the data covariance: a d×d symmetric positive-definite
            tensor, or a number ρ meaning ρ·I.
        centre: θ_c, the centre of the task optima, a vector of length d.
        spread: R_c = E‖θ*_i − θ_c‖², how widely the optima scatter (0 = all equal).
        noise_std: ν_c, the standard deviation of the label noise.
    """

    probability: float
    covariance: torch.Tensor | float
    centre: torch.Tensor
    spread: float = 0.0
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        centre = checked_centre(self.probability, self.spread, self.noise_std, self.centre)
        object.__setattr__(self, "centre", centre)
        object.__setattr__(self, "covariance", _as_covariance(self.covariance, centre.numel()))

    @property
    def dim(self) -> int:
        return self.centre.numel()


class LinearTaskMixture(ClusterMixture[TaskCluster]):
    """A finite mixture of ``TaskCluster``s; validates that it is a distribution.

    Its tasks' parameters are their optima θ*_i (``info["theta_star"]``), all d
    coordinates varying.
    """

    parameter_key = "theta_star"

    def __init__(self, clusters: list[TaskCluster] | tuple[TaskCluster, ...]) -> None:
        dims = {cluster.dim for cluster in clusters}
        if len(dims) > 1:
            raise ValueError(f"clusters have different dimensions {sorted(dims)}; use one d")
        super().__init__(clusters)
        self.dim = self.centres.shape[1]
        self.covariances = torch.stack([c.covariance for c in self.clusters])
        self._cholesky = torch.linalg.cholesky(self.covariances)

    @classmethod
    def easy_hard(
        cls,
        dim: int,
        rho_easy: float,
        rho_hard: float,
        p_hard: float,
        distance: float,
        spread_easy: float = 1.0,
        spread_hard: float = 1.0,
        noise_std: float = 0.0,
    ) -> LinearTaskMixture:
        """The isotropic two-cluster instance of REFERENCE.md §1.

        Easy tasks have Σ = ρ_E·I and optima around θ_E = 0; hard tasks have
        Σ = ρ_H·I and optima around θ_H = D·e₁, so ‖θ_H − θ_E‖ = D.
        """
        require_count("dim", dim)
        if not 0.0 <= p_hard <= 1.0:
            raise ValueError(f"p_hard must be in [0, 1], got {p_hard!r}")
        require_non_negative("distance", distance)
        hard_centre = torch.zeros(dim, dtype=torch.float64)
        hard_centre[0] = distance
        easy = TaskCluster(1.0 - p_hard, rho_easy, torch.zeros(dim), spread_easy, noise_std)
        hard = TaskCluster(p_hard, rho_hard, hard_centre, spread_hard, noise_std)
        return cls([easy, hard])

    sample_optima = ClusterMixture.sample_parameters

    def sample_data(
        self,
        cluster: torch.Tensor,
        theta_star: torch.Tensor,
        num_points: int,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``num_points`` examples of each given task: x ``[B, n, d]``, y ``[B, n, 1]``."""
        require_count("num_points", num_points)
        device, dtype = theta_star.device, theta_star.dtype
        num_tasks = theta_star.shape[0]
        z = torch.randn(
            num_tasks, num_points, self.dim, generator=generator, device=device, dtype=dtype
        )
        x = z @ self._cholesky.to(device=device, dtype=dtype)[cluster].transpose(-1, -2)
        label_noise = torch.randn(
            num_tasks, num_points, 1, generator=generator, device=device, dtype=dtype
        )
        noise_std = self.noise_stds.to(device=device, dtype=dtype)[cluster]
        y = x @ theta_star[:, :, None] + noise_std[:, None, None] * label_noise
        return x, y

    def _describe(self) -> str:
        return f"d={self.dim}"

    def _describe_cluster(self, cluster: TaskCluster) -> str:
        eigenvalues = torch.linalg.eigvalsh(cluster.covariance)
        return f"eig(Σ)∈[{eigenvalues.min():.3g}, {eigenvalues.max():.3g}]"


def _as_covariance(covariance: torch.Tensor | float, dim: int) -> torch.Tensor:
    """Σ as a d×d float64 tensor, checked symmetric positive definite."""
    if isinstance(covariance, int | float):
        if not math.isfinite(covariance) or covariance <= 0:
            raise ValueError(
                f"covariance ρ must be > 0 (Σ = ρI must be positive definite), got {covariance!r}"
            )
        return covariance * torch.eye(dim, dtype=torch.float64)
    matrix = torch.as_tensor(covariance, dtype=torch.float64).detach().cpu()
    if matrix.shape != (dim, dim):
        raise ValueError(
            f"covariance has shape {tuple(matrix.shape)} but the centre has d={dim}; "
            f"give a {dim}×{dim} matrix or a number ρ for ρI"
        )
    if not torch.isfinite(matrix).all():
        raise ValueError("covariance contains NaN or Inf entries")
    if not torch.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12):
        raise ValueError(
            "covariance must be symmetric; got a matrix that differs from its transpose; "
            "pass (Σ + Σᵀ)/2 if the asymmetry is rounding"
        )
    smallest = torch.linalg.eigvalsh(matrix).min().item()
    if smallest <= 0:
        raise ValueError(
            f"covariance must be positive definite; its smallest eigenvalue is {smallest:.3g}; "
            "pass a symmetric matrix with positive eigenvalues (e.g. A Aᵀ + εI) or a scalar ρ > 0"
        )
    return matrix
