"""Teacher–student tasks: each task is a two-layer ReLU network (its teacher) to be learned.

A teacher with input dimension d and hidden width h has parameters
θ = (vec W, a) ∈ ℝᴾ, P = h(d + 1), W ∈ ℝ^{h×d}, a ∈ ℝʰ, and computes

    f_θ(x) = Σ_k a_k relu(⟨W_k, x⟩).

A task draws a cluster c with probability p_c, a teacher around the cluster's
centre and inputs at the cluster's scale:

    θ*_i = θ_c + sqrt(R_c / P') · ξ,   ξ ~ N(0, I) on the P' varying coordinates
    x ~ N(0, s_c² I_d),   y = f_{θ*_i}(x) + z,   z ~ N(0, ν_c²),

so E‖θ*_i − θ_c‖² = R_c. f is positively homogeneous, f_θ(s·x) = s·f_θ(x),
and a student of the teacher's shape has loss curvature ∝ s_c² near θ*_i:
the input scale plays the role of the covariance ρ_c of the linear mixture
(``synthetic.linear_mixture``). Small s_c makes a task hard (one gradient step
moves little), large s_c easy.

- ``easy_hard``: the two-cluster instance of Collins et al.'s two-layer
  experiment: easy teachers around a random θ_E, hard teachers around
  θ_H = θ_E + D·u (u a random unit vector), D = ‖θ_H − θ_E‖, spreads R_E, R_H.
- ``shared_features``: one cluster whose teachers share the hidden layer W
  and differ only in the output weights a (P' = h): a shared representation
  with task-specific heads, the setting of ANIL.

Example:
    >>> import torch
    >>> tasks = TeacherStudentTasks.easy_hard(input_dim=3, hidden=4, scale_easy=1.0,
    ...     scale_hard=0.3, p_hard=0.5, distance=2.0, generator=torch.Generator().manual_seed(0))
    >>> batch = tasks.sampler(10, 5).sample(6, torch.Generator().manual_seed(1))
    >>> tuple(batch.support_x.shape), tuple(batch.info["teacher"].shape)
    ((6, 10, 3), (6, 16))
    >>> round((tasks.centres[1] - tasks.centres[0]).norm().item(), 6)
    2.0
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from synthetic.task_clusters import ClusterMixture, checked_centre
from synthetic.validation import require_count, require_non_negative, require_positive


@dataclass(frozen=True)
class TeacherCluster:
    """One cluster of teachers.

    Args:
        probability: p_c, the chance a task comes from this cluster.
        input_scale: s_c, the standard deviation of every input coordinate (> 0).
        centre: θ_c, the centre of the teachers' parameters, a vector of length P.
        spread: R_c = E‖θ*_i − θ_c‖² (0: every task has the teacher θ_c).
        noise_std: ν_c, the standard deviation of the label noise.
    """

    probability: float
    input_scale: float
    centre: torch.Tensor
    spread: float = 0.0
    noise_std: float = 0.0

    def __post_init__(self) -> None:
        require_positive("input_scale", self.input_scale)
        centre = checked_centre(self.probability, self.spread, self.noise_std, self.centre)
        object.__setattr__(self, "centre", centre)


class TeacherStudentTasks(ClusterMixture[TeacherCluster]):
    """A finite mixture of ``TeacherCluster``s of two-layer ReLU teachers; see the module doc.

    Its tasks' parameters are their teachers θ*_i (``info["teacher"]``).
    """

    parameter_key = "teacher"

    def __init__(
        self,
        input_dim: int,
        hidden: int,
        clusters: list[TeacherCluster] | tuple[TeacherCluster, ...],
        shared_hidden: bool = False,
    ) -> None:
        require_count("input_dim", input_dim)
        require_count("hidden", hidden)
        size = hidden * (input_dim + 1)
        wrong = [c.centre.numel() for c in clusters if c.centre.numel() != size]
        if wrong:
            raise ValueError(
                f"cluster centres have lengths {wrong}; a teacher with input_dim={input_dim} "
                f"and hidden={hidden} has P = hidden·(input_dim + 1) = {size} parameters"
            )
        super().__init__(clusters, _varying(input_dim, hidden, shared_hidden))
        self.input_dim, self.hidden, self.shared_hidden = input_dim, hidden, shared_hidden
        self.input_scales = torch.tensor(
            [c.input_scale for c in self.clusters], dtype=torch.float64
        )

    @property
    def num_params(self) -> int:
        """P = h(d + 1), the number of teacher parameters."""
        return self.hidden * (self.input_dim + 1)

    @staticmethod
    def random_teacher(input_dim: int, hidden: int, generator: torch.Generator) -> torch.Tensor:
        """θ with W_kj ~ N(0, 1/d) and a_k ~ N(0, 1/h), as a float64 vector of length P."""
        require_count("input_dim", input_dim)
        require_count("hidden", hidden)
        device = generator.device
        weights = torch.randn(hidden * input_dim, generator=generator, device=device)
        outputs = torch.randn(hidden, generator=generator, device=device)
        return torch.cat([weights / input_dim**0.5, outputs / hidden**0.5]).double().cpu()

    @classmethod
    def easy_hard(
        cls,
        input_dim: int,
        hidden: int,
        scale_easy: float,
        scale_hard: float,
        p_hard: float,
        distance: float,
        generator: torch.Generator,
        spread_easy: float = 1.0,
        spread_hard: float = 1.0,
        noise_std: float = 0.0,
        shared_hidden: bool = False,
    ) -> TeacherStudentTasks:
        """Easy teachers (inputs at ``scale_easy``) around a random θ_E; hard ones around θ_H.

        θ_E and the unit direction u of θ_H = θ_E + D·u are drawn from ``generator``;
        with ``shared_hidden`` u, like the spreads, lies in the output weights.
        """
        if not 0.0 <= p_hard <= 1.0:
            raise ValueError(f"p_hard must be in [0, 1], got {p_hard!r}")
        require_non_negative("distance", distance)
        easy_centre = cls.random_teacher(input_dim, hidden, generator)
        direction = torch.randn(easy_centre.numel(), generator=generator, device=generator.device)
        direction = direction.double().cpu() * _varying(input_dim, hidden, shared_hidden)
        hard_centre = easy_centre + distance * direction / direction.norm()
        clusters = [
            TeacherCluster(1.0 - p_hard, scale_easy, easy_centre, spread_easy, noise_std),
            TeacherCluster(p_hard, scale_hard, hard_centre, spread_hard, noise_std),
        ]
        return cls(input_dim, hidden, clusters, shared_hidden)

    @classmethod
    def shared_features(
        cls,
        input_dim: int,
        hidden: int,
        generator: torch.Generator,
        spread: float = 1.0,
        noise_std: float = 0.0,
    ) -> TeacherStudentTasks:
        """One cluster: a random shared hidden layer W, output weights a_i ~ N(0, (R/h)·I)."""
        centre = cls.random_teacher(input_dim, hidden, generator)
        centre[hidden * input_dim :] = 0.0
        cluster = TeacherCluster(1.0, 1.0, centre, spread, noise_std)
        return cls(input_dim, hidden, [cluster], shared_hidden=True)

    sample_teachers = ClusterMixture.sample_parameters

    def teacher_outputs(self, teachers: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """f_{θ*_i}(x) ``[B, n, 1]`` for teachers ``[B, P]`` and inputs ``x [B, n, d]``."""
        split = self.hidden * self.input_dim
        weights = teachers[:, :split].reshape(-1, self.hidden, self.input_dim)
        outputs = teachers[:, split:, None]
        return torch.relu(x @ weights.transpose(1, 2)) @ outputs

    def sample_data(
        self,
        cluster: torch.Tensor,
        teachers: torch.Tensor,
        num_points: int,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``num_points`` examples of each given task: x ``[B, n, d]``, y ``[B, n, 1]``."""
        require_count("num_points", num_points)
        device, dtype = teachers.device, teachers.dtype
        shape = (teachers.shape[0], num_points)
        z = torch.randn(*shape, self.input_dim, generator=generator, device=device, dtype=dtype)
        x = self.input_scales.to(device=device, dtype=dtype)[cluster][:, None, None] * z
        noise = torch.randn(*shape, 1, generator=generator, device=device, dtype=dtype)
        noise_std = self.noise_stds.to(device=device, dtype=dtype)[cluster]
        return x, self.teacher_outputs(teachers, x) + noise_std[:, None, None] * noise

    def _describe(self) -> str:
        shared = ", shared hidden layer" if self.shared_hidden else ""
        return f"d={self.input_dim}, h={self.hidden}{shared}"

    def _describe_cluster(self, cluster: TeacherCluster) -> str:
        return f"s={cluster.input_scale:g}"


def _varying(input_dim: int, hidden: int, shared_hidden: bool) -> torch.Tensor:
    """1 on the teacher coordinates that differ between tasks, 0 on the shared ones."""
    varying = torch.ones(hidden * (input_dim + 1), dtype=torch.float64)
    if shared_hidden:
        varying[: hidden * input_dim] = 0.0
    return varying
