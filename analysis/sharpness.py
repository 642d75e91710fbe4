"""Sharpness of an objective: worst case in a ball (SAM), adaptive (ASAM), and average case.

Worst case (Foret et al. 2021):        S_ρ(θ) = max_{‖ε‖₂ ≤ ρ} L(θ + ε) − L(θ).
Adaptive (Kwon et al. 2021, ASAM):     S^A_ρ(θ) = max_{‖δ‖₂ ≤ ρ} L(θ + T_θ δ) − L(θ),
                                       T_θ = diag(|θ| + ξ),
i.e. ε = T_θ δ is scaled elementwise by |θ|. With ξ = 0 it is invariant under
any rescaling of θ that leaves the function unchanged and acts by a constant
on each coordinate, such as a ReLU layer times c > 0 and the next one times
1/c: the ball in δ maps onto the same set of functions.
Average case:                          E_{ε ~ N(0, σ² I)} L(θ + ε) − L(θ),
estimated from antithetic pairs ½[L(θ + ε) + L(θ − ε)] − L(θ) (the same
mean; the first-order term cancels), with a Student-t interval.

Solver for both worst cases, on f(δ) = L(θ + Tδ) (T = I for SAM):
the one-step value takes δ₁ = ρ ∇f(0)/‖∇f(0)‖ (SAM's ε; for ASAM
ε = ρ T²g/‖Tg‖), or a random unit direction from the generator where
∇L(θ) = 0. From δ₁, projected gradient ascent δ ← Π_ρ(δ + τ ∇f(δ)/‖∇f(δ)‖)
(Π_ρ the projection onto the ball) accepts a step only if f increases,
then doubles τ (at most 2ρ), and otherwise halves it. It stops when an
the gain still to come, extrapolated from the last two accepted gains g_k,
g_{k−1} as a geometric series g_k r/(1 − r), r = g_k/g_{k−1}, is at most
``tol`` · (f(δ) − f(0)); when no step can move δ; or after ``max_steps``
gradient evaluations (then ``converged`` is false). The
value is that of a local maximiser, so a lower bound on the sharpness of a
non-concave objective. For L = ½θᵀHθ at θ = 0, S_ρ = ρ² λ_max(H)/2.

Example:
    >>> import torch
    >>> objective = lambda p: 0.5 * (torch.tensor([3.0, 1.0]) * p["w"] ** 2).sum()
    >>> result = sam_sharpness(objective, {"w": torch.zeros(2)}, rho=0.1)
    >>> round(result.sharpness, 6), result.rho   # ρ²λ_max/2 = 0.015
    (0.015, 0.1)
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from analysis.flat import Objective, ParamLayout, Params, check_loss, loss_at
from analysis.probes import default_generator, gaussian, unit_vector
from analysis.statistics import mean_interval
from synthetic.validation import require_count, require_non_negative, require_positive

SMALLEST_STEP_FRACTION = 1e-9


@dataclass(frozen=True)
class WorstCaseSharpness:
    """max over the (scaled) ρ-ball of L(θ + ε) − L(θ), with the one-step value and the cost."""

    kind: str
    rho: float
    adaptive_offset: float | None
    sharpness: float
    one_step_sharpness: float
    base_loss: float
    perturbation_norm: float
    gradient_count: int
    converged: bool
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class AverageSharpness:
    """E L(θ + ε) − L(θ) for ε ~ N(0, σ²I), with the half-width of its interval at ``level``."""

    sigma: float
    sharpness: float
    half_width: float
    level: float
    samples: int
    base_loss: float
    loss_evaluations: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def sam_sharpness(
    objective: Objective,
    params: Params,
    rho: float = 0.05,
    max_steps: int = 100,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> WorstCaseSharpness:
    """SAM sharpness max_{‖ε‖ ≤ ρ} L(θ + ε) − L(θ) by projected gradient ascent."""
    return _worst_case("sam", objective, params, rho, None, max_steps, tol, generator)


def adaptive_sharpness(
    objective: Objective,
    params: Params,
    rho: float = 0.5,
    offset: float = 0.0,
    max_steps: int = 100,
    tol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> WorstCaseSharpness:
    """Adaptive sharpness: ε = (|θ| + offset) ⊙ δ with ‖δ‖ ≤ ρ (ASAM; its code uses offset 0.01).

    ASAM's ρ is about 10× SAM's (REFERENCE.md §4), hence the default 0.5.
    """
    require_non_negative("offset", offset)
    return _worst_case("adaptive", objective, params, rho, offset, max_steps, tol, generator)


def average_sharpness(
    objective: Objective,
    params: Params,
    sigma: float = 0.01,
    samples: int = 32,
    generator: torch.Generator | None = None,
    level: float = 0.95,
) -> AverageSharpness:
    """E_{ε~N(0,σ²I)} L(θ + ε) − L(θ) from ``samples`` (≥ 2) antithetic pairs, with an interval."""
    require_positive("sigma", sigma)
    require_count("samples", samples, minimum=2)
    generator = default_generator(generator)
    start_time = time.perf_counter()
    layout = ParamLayout.of(params)
    theta = layout.flatten(params).detach()
    base = loss_at(objective, layout, theta)
    increases = []
    for _ in range(samples):
        noise = sigma * gaussian(layout.size, generator, layout.device, layout.dtype)
        pair = loss_at(objective, layout, theta + noise) + loss_at(objective, layout, theta - noise)
        increases.append(pair / 2 - base)
    interval = mean_interval(torch.stack(increases), level)
    return AverageSharpness(
        sigma=sigma,
        sharpness=interval.mean,
        half_width=interval.half_width,
        level=level,
        samples=samples,
        base_loss=base.item(),
        loss_evaluations=2 * samples + 1,
        seconds=time.perf_counter() - start_time,
    )


def _worst_case(
    kind: str,
    objective: Objective,
    params: Params,
    rho: float,
    offset: float | None,
    max_steps: int,
    tol: float,
    generator: torch.Generator | None,
) -> WorstCaseSharpness:
    require_positive("rho", rho)
    require_count("max_steps", max_steps, minimum=2)
    require_positive("tol", tol)
    generator = default_generator(generator)
    start_time = time.perf_counter()
    layout = ParamLayout.of(params)
    theta = layout.flatten(params).detach()
    scale = torch.ones_like(theta) if offset is None else theta.abs() + offset

    def value_and_gradient(delta: torch.Tensor) -> tuple[float, torch.Tensor]:
        leaf = delta.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = objective(layout.unflatten(theta + scale * leaf))
            check_loss(loss, differentiable=True)
            (gradient,) = torch.autograd.grad(loss, leaf, allow_unused=True, materialize_grads=True)
        return loss.item(), gradient

    base, gradient = value_and_gradient(torch.zeros_like(theta))
    if not bool(gradient.norm() > 0):
        gradient = unit_vector(layout.size, generator, layout.device, layout.dtype)
    delta = rho * gradient / gradient.norm()
    value, gradient = value_and_gradient(delta)
    one_step, count, step, converged, last_gain = value - base, 2, rho, False, float("inf")
    while count < max_steps and not converged:
        norm = gradient.norm()
        proposal = _project(delta + step * gradient / norm, rho) if norm > 0 else delta
        if bool((proposal - delta).norm() <= SMALLEST_STEP_FRACTION * rho):
            converged = True
            break
        new_value, new_gradient = value_and_gradient(proposal)
        count += 1
        if new_value > value:
            gain = new_value - value
            converged = _remaining_gain(gain, last_gain) <= tol * abs(new_value - base)
            delta, value, gradient, last_gain = proposal, new_value, new_gradient, gain
            step = min(2 * step, 2 * rho)
        else:
            step /= 2
            converged = step < SMALLEST_STEP_FRACTION * rho
    return WorstCaseSharpness(
        kind=kind,
        rho=rho,
        adaptive_offset=offset,
        sharpness=value - base,
        one_step_sharpness=one_step,
        base_loss=base,
        perturbation_norm=(scale * delta).norm().item(),
        gradient_count=count,
        converged=converged,
        seconds=time.perf_counter() - start_time,
    )


def _remaining_gain(gain: float, last_gain: float) -> float:
    """What is left to gain if gains shrink geometrically at the last ratio r: gain·r/(1 − r)."""
    ratio = gain / last_gain
    return gain * ratio / (1.0 - ratio) if 0.0 < ratio < 1.0 else float("inf")


def _project(vector: torch.Tensor, radius: float) -> torch.Tensor:
    """The nearest point of the ball ‖x‖ ≤ radius."""
    return vector * torch.clamp(radius / vector.norm(), max=1.0)
