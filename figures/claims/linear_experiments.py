"""Experiments on linear task mixtures with the real ``algorithms`` code.

- :class:`MixtureSpec`: a JSON-able description of an easy/hard mixture
  (isotropic, or with eigenvalues spread by a factor ``condition`` in each cluster).
- :func:`train_linear`: meta-train a linear model with a registered algorithm
  (autograd through the inner step), SGD with a learning rate decaying
  linearly to 0, so the iterate settles on the minimiser.
- :func:`simulated_excess_risk`: the excess risk after test-time adaptation,
  estimated by sampling tasks and m support points and adapting with the
  learner's own ``adapt``; each task's excess ½(θ'−θ*)ᵀΣ(θ'−θ*) is exact given
  θ', so the only noise is over tasks and support data.

The learners use ``mse`` = mean((xθ − y)²), twice the theory's ½-squared
loss, so an inner step of α on the theory's loss is ``inner_lr = α/2``.

Example:
    >>> import torch
    >>> spec = MixtureSpec(dim=4)
    >>> mixture = spec.build()
    >>> theta = torch.zeros(4, dtype=torch.float64)
    >>> risk = simulated_excess_risk(mixture, theta, alpha=1.0, support_size=50, num_tasks=100,
    ...                              generator=torch.Generator().manual_seed(0))
    >>> risk.shape
    torch.Size([100])
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from algorithms import MLP, MetaLearner, Params, make, mse, train
from synthetic import LinearTaskMixture, TaskCluster
from synthetic.validation import require_count, require_positive

SIMULATION_CHUNK = 2000
WEIGHT = "layers.0.weight"


@dataclass(frozen=True)
class MixtureSpec:
    """Two clusters of linear tasks: easy (Σ ≈ ρ_E·I, optima around 0) and hard.

    Hard optima sit around θ_H = D·e₁. ``condition`` κ spreads each cluster's
    eigenvalues geometrically, ρ_c·κ^(t_j − ½) for t_j evenly spaced in [0, 1]
    (κ = 1: isotropic, the instance of REFERENCE.md §1).
    """

    dim: int = 10
    rho_easy: float = 0.9
    rho_hard: float = 0.1
    p_hard: float = 0.5
    distance: float = 2.0
    spread_easy: float = 1.0
    spread_hard: float = 0.01
    noise_std: float = 0.1
    condition: float = 1.0

    def __post_init__(self) -> None:
        require_count("dim", self.dim)
        require_positive("condition", self.condition)

    def build(self) -> LinearTaskMixture:
        if self.condition == 1.0:
            return LinearTaskMixture.easy_hard(
                self.dim,
                self.rho_easy,
                self.rho_hard,
                self.p_hard,
                self.distance,
                self.spread_easy,
                self.spread_hard,
                self.noise_std,
            )
        profile = self.condition ** (torch.linspace(0, 1, self.dim, dtype=torch.float64) - 0.5)
        hard_centre = torch.zeros(self.dim, dtype=torch.float64)
        hard_centre[0] = self.distance
        return LinearTaskMixture(
            [
                TaskCluster(
                    1 - self.p_hard,
                    torch.diag(self.rho_easy * profile),
                    torch.zeros(self.dim),
                    self.spread_easy,
                    self.noise_std,
                ),
                TaskCluster(
                    self.p_hard,
                    torch.diag(self.rho_hard * profile),
                    hard_centre,
                    self.spread_hard,
                    self.noise_std,
                ),
            ]
        )


@dataclass(frozen=True)
class LinearTraining:
    """How a linear model is meta-trained: data per task, batch, SGD steps and step size."""

    support_size: int = 100
    query_size: int = 100
    meta_batch: int = 25
    iterations: int = 600
    outer_lr: float = 0.5

    def __post_init__(self) -> None:
        for name in ("support_size", "query_size", "meta_batch", "iterations"):
            require_count(name, getattr(self, name))
        require_positive("outer_lr", self.outer_lr)


def linear_learner(algorithm: str, dim: int, alpha: float, device: str = "cpu") -> MetaLearner:
    """A registered algorithm on a bias-free linear model y = ⟨θ, x⟩ (inner step α on ½-loss).

    The model is ``MLP((d, 1), bias=False)``: one linear layer whose parameter
    ``layers.0.weight`` [1, d] is θ, run through the MLP's batched fast path.
    """
    model = MLP((dim, 1), bias=False).to(device)
    return make(algorithm, model, mse, inner_lr=alpha / 2.0)


def as_params(theta: torch.Tensor, requires_grad: bool = False) -> Params:
    """θ ``[d]`` as the linear learner's parameters ``{"layers.0.weight": [1, d]}``."""
    return {WEIGHT: theta.reshape(1, -1).requires_grad_(requires_grad)}


def train_linear(
    mixture: LinearTaskMixture,
    algorithm: str,
    alpha: float,
    training: LinearTraining,
    seed: int,
    device: str = "cpu",
) -> torch.Tensor:
    """Meta-train θ (from 0) with ``algorithm``; returns θ as a float64 CPU vector."""
    learner = linear_learner(algorithm, mixture.dim, alpha, device)
    params = as_params(torch.zeros(mixture.dim, device=device), requires_grad=True)
    optimizer = torch.optim.SGD(params.values(), lr=training.outer_lr)
    decay = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: max(0.0, 1.0 - step / training.iterations)
    )
    train(
        learner,
        params,
        mixture.sampler(training.support_size, training.query_size),
        training.iterations,
        torch.Generator(device).manual_seed(seed),
        optimizer=optimizer,
        scheduler=decay,
        progress=False,
        meta_batch=training.meta_batch,
    )
    return params[WEIGHT].detach().reshape(-1).double().cpu()


def simulated_excess_risk(
    mixture: LinearTaskMixture,
    theta: torch.Tensor,
    alpha: float,
    support_size: int,
    num_tasks: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """Per-task excess risk ``[num_tasks]`` of θ after one step on ``support_size`` points."""
    require_count("num_tasks", num_tasks)
    device = generator.device
    learner = linear_learner("maml", mixture.dim, alpha, str(device))
    params = as_params(theta.to(device=device, dtype=torch.float64))
    covariances = mixture.covariances.to(device)
    risks = []
    for start in range(0, num_tasks, SIMULATION_CHUNK):
        count = min(SIMULATION_CHUNK, num_tasks - start)
        cluster, optima = mixture.sample_optima(count, generator)
        x, y = mixture.sample_data(cluster, optima, support_size, generator)
        adapted = learner.adapt(params, x, y, create_graph=False)[WEIGHT][:, 0, :].detach()
        error = adapted - optima
        risks.append(0.5 * torch.einsum("bi,bij,bj->b", error, covariances[cluster], error))
    return torch.cat(risks).cpu()
