"""Closed forms for MAML and NAL on linear task mixtures (Collins, Mokhtari, Shakkottai 2022).

Task i has data x ~ N(0, Σ_i), y = ⟨θ*_i, x⟩ + z, z ~ N(0, ν²), population loss
f_i(θ) = ½(θ − θ*_i)ᵀ Σ_i (θ − θ*_i) + ν²/2. One adaptation step of size α on
m fresh samples, θ'_i = θ − (α/m) Σ_j x_j(⟨x_j, θ⟩ − y_j), leaves the expected
excess risk

    E[f_i(θ'_i) − f_i(θ*_i)] = ½ (θ − θ*_i)ᵀ Q_i (θ − θ*_i) + α²ν² tr(Σ_i²)/(2m),
    Q_i = Σ_i − 2αΣ_i² + α²[Σ_i³ + (Σ_i³ + tr(Σ_i²) Σ_i)/m],

by the Gaussian identity E[Σ̂ΣΣ̂] = Σ³ + (Σ³ + tr(Σ²)Σ)/m. With exact gradients
(m = ∞) and K steps, Q_i = Σ_i (I − αΣ_i)^{2K} and the noise term vanishes.
(For K > 1 steps on the same m finite samples there is no closed form here;
use the Monte Carlo estimate instead.)

The minimisers of the mixture averages are

    θ_MAML = (E Q_i)⁻¹ E[Q_i θ*_i],     θ_NAL = (E Σ_i)⁻¹ E[Σ_i θ*_i],

and, since θ*_i = θ_c + sqrt(R_c/d)·ξ in cluster c, the expected excess risk
of any θ after adaptation is

    E(θ) = Σ_c p_c [ ½ (θ − θ_c)ᵀ Q_c (θ − θ_c) + (R_c / 2d) tr Q_c + α²ν_c² tr(Σ_c²)/(2m) ].

Every quantity is O(d³); nothing here samples. The averages run over the
mixture's clusters, or over a finite set of training tasks when ``tasks``
(cluster indices and optima) is given.

Example (the isotropic instance of REFERENCE.md §1, exact gradients):
    >>> from synthetic import LinearTaskMixture
    >>> mixture = LinearTaskMixture.easy_hard(10, rho_easy=0.9, rho_hard=0.1, p_hard=0.5,
    ...                                       distance=2.0, spread_easy=1.0, spread_hard=0.01)
    >>> round(gain_of_maml(mixture, alpha=1.0), 2)
    6.46
"""

from __future__ import annotations

import math

import torch

from synthetic.linear_mixture import LinearTaskMixture
from synthetic.validation import require_count, require_positive

Tasks = tuple[torch.Tensor, torch.Tensor]
"""A finite set of tasks: cluster indices ``[n]`` and optima θ*_i ``[n, d]``."""


def check_step_size(mixture: LinearTaskMixture, alpha: float) -> None:
    """Refuse α ≥ 2/λ_max(Σ_c) for any cluster: there an exact gradient step diverges."""
    require_positive("alpha", alpha)
    largest = torch.linalg.eigvalsh(mixture.covariances).amax().item()
    if alpha * largest >= 2.0:
        raise ValueError(
            f"alpha={alpha:g} is at least 2/λ_max = {2.0 / largest:.4g} "
            f"(λ_max(Σ) = {largest:.4g}): "
            "an inner gradient step diverges on those tasks; use alpha < 2/λ_max"
        )


def post_adaptation_curvature(
    covariance: torch.Tensor, alpha: float, samples: float = math.inf, steps: int = 1
) -> torch.Tensor:
    """Q(Σ): the quadratic form of the expected excess risk after adaptation (see module doc).

    ``covariance`` may carry leading batch axes ``[..., d, d]``.
    """
    require_positive("alpha", alpha)
    require_count("steps", steps)
    if math.isinf(samples):
        identity = torch.eye(covariance.shape[-1], dtype=covariance.dtype)
        contraction = torch.linalg.matrix_power(identity - alpha * covariance, 2 * steps)
        return covariance @ contraction
    require_positive("samples", samples)
    if steps != 1:
        raise ValueError(
            f"the closed form with finite samples (m={samples:g}) covers one inner step, not "
            f"steps={steps}; use samples=math.inf (exact gradients) or the Monte Carlo estimate"
        )
    square = covariance @ covariance
    cube = square @ covariance
    trace_square = square.diagonal(dim1=-2, dim2=-1).sum(-1)[..., None, None]
    return (
        covariance
        - 2.0 * alpha * square
        + alpha**2 * (cube + (cube + trace_square * covariance) / samples)
    )


def adaptation_noise(
    mixture: LinearTaskMixture, alpha: float, samples: float = math.inf
) -> torch.Tensor:
    """α²ν_c² tr(Σ_c²)/(2m) per cluster: the label noise that one step on m samples adds."""
    if math.isinf(samples):
        return torch.zeros(mixture.num_clusters, dtype=torch.float64)
    trace_square = (mixture.covariances @ mixture.covariances).diagonal(dim1=-2, dim2=-1).sum(-1)
    return alpha**2 * mixture.noise_stds**2 * trace_square / (2.0 * samples)


def maml_solution(
    mixture: LinearTaskMixture,
    alpha: float,
    samples: float = math.inf,
    steps: int = 1,
    tasks: Tasks | None = None,
) -> torch.Tensor:
    """θ_MAML = (E Q_i)⁻¹ E[Q_i θ*_i], the minimiser of the post-adaptation risk."""
    check_step_size(mixture, alpha)
    curvatures = post_adaptation_curvature(mixture.covariances, alpha, samples, steps)
    return _weighted_solution(mixture, curvatures, tasks)


def nal_solution(mixture: LinearTaskMixture, tasks: Tasks | None = None) -> torch.Tensor:
    """θ_NAL = (E Σ_i)⁻¹ E[Σ_i θ*_i], the minimiser of the pooled loss."""
    return _weighted_solution(mixture, mixture.covariances, tasks)


def fo_maml_solution(
    mixture: LinearTaskMixture, alpha: float, tasks: Tasks | None = None
) -> torch.Tensor:
    """The fixed point of FO-MAML with exact gradients: (E Σ_i(I−αΣ_i))⁻¹ E[Σ_i(I−αΣ_i) θ*_i].

    FO-MAML follows E[∇f_i(θ'_i)] = E[Σ_i (I − αΣ_i)(θ − θ*_i)], which drops
    one factor (I − αΣ_i) from MAML's gradient; its fixed point differs from
    θ_MAML whenever the clusters' hardness differs.
    """
    check_step_size(mixture, alpha)
    identity = torch.eye(mixture.dim, dtype=torch.float64)
    weights = mixture.covariances @ (identity - alpha * mixture.covariances)
    return _weighted_solution(mixture, weights, tasks)


def excess_risk(
    mixture: LinearTaskMixture,
    theta: torch.Tensor,
    alpha: float,
    samples: float = math.inf,
    steps: int = 1,
    tasks: Tasks | None = None,
) -> float:
    """Expected excess risk of θ after test-time adaptation, over the mixture or ``tasks``."""
    check_step_size(mixture, alpha)
    theta = torch.as_tensor(theta, dtype=torch.float64).reshape(-1)
    curvatures = post_adaptation_curvature(mixture.covariances, alpha, samples, steps)
    noise = adaptation_noise(mixture, alpha, samples)
    if tasks is not None:
        cluster, optima = _checked_tasks(mixture, tasks)
        error = theta - optima
        quadratic = torch.einsum("ni,nij,nj->n", error, curvatures[cluster], error)
        return (0.5 * quadratic + noise[cluster]).mean().item()
    error = theta - mixture.centres
    quadratic = torch.einsum("ci,cij,cj->c", error, curvatures, error)
    spread = mixture.spreads / mixture.dim * curvatures.diagonal(dim1=-2, dim2=-1).sum(-1)
    return (mixture.probabilities * (0.5 * (quadratic + spread) + noise)).sum().item()


def gain_of_maml(
    mixture: LinearTaskMixture, alpha: float, samples: float = math.inf, steps: int = 1
) -> float:
    """E_NAL / E_MAML: how much lower MAML's post-adaptation risk is than NAL's (≥ 1)."""
    maml = excess_risk(
        mixture, maml_solution(mixture, alpha, samples, steps), alpha, samples, steps
    )
    nal = excess_risk(mixture, nal_solution(mixture), alpha, samples, steps)
    return nal / maml


def objective_hessian(
    mixture: LinearTaskMixture, objective: str, alpha: float = 1.0, samples: float = math.inf
) -> torch.Tensor:
    """The Hessian of the expected MAML objective (E Q_c) or of the NAL objective (E Σ_c)."""
    if objective == "maml":
        matrices = post_adaptation_curvature(mixture.covariances, alpha, samples)
    elif objective == "nal":
        matrices = mixture.covariances
    else:
        raise ValueError(f"objective must be 'maml' or 'nal', got {objective!r}")
    return torch.einsum("c,cij->ij", mixture.probabilities, matrices)


def _weighted_solution(
    mixture: LinearTaskMixture, weights: torch.Tensor, tasks: Tasks | None
) -> torch.Tensor:
    """(E W_i)⁻¹ E[W_i θ*_i] for per-cluster weight matrices W_c."""
    if tasks is None:
        matrix = torch.einsum("c,cij->ij", mixture.probabilities, weights)
        vector = torch.einsum("c,cij,cj->i", mixture.probabilities, weights, mixture.centres)
    else:
        cluster, optima = _checked_tasks(mixture, tasks)
        matrix = weights[cluster].mean(0)
        vector = torch.einsum("nij,nj->ni", weights[cluster], optima).mean(0)
    return torch.linalg.solve(matrix, vector)


def _checked_tasks(mixture: LinearTaskMixture, tasks: Tasks) -> Tasks:
    cluster, optima = tasks
    optima = torch.as_tensor(optima, dtype=torch.float64).cpu()
    cluster = torch.as_tensor(cluster).cpu().long()
    if optima.ndim != 2 or optima.shape[1] != mixture.dim or cluster.shape != optima.shape[:1]:
        raise ValueError(
            f"tasks must be (cluster [n], theta_star [n, {mixture.dim}]), got shapes "
            f"{tuple(cluster.shape)} and {tuple(optima.shape)}"
        )
    if cluster.numel() and (cluster.min() < 0 or cluster.max() >= mixture.num_clusters):
        raise ValueError(f"task cluster indices must lie in [0, {mixture.num_clusters})")
    return cluster, optima
