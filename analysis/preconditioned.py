"""The preconditioned Hessian P^{-1/2} H P^{-1/2}, and where a (preconditioned) step turns unstable.

Gradient descent with step η on a quadratic of Hessian H is stable iff
λ_max(H) < 2/η. With momentum in the averaged form m ← β₁ m + (1 − β₁) g,
θ ← θ − η m (heavy ball with step η(1 − β₁) and momentum β₁) it is stable iff

    λ_max(H) < (2 + 2β₁) / ((1 − β₁) η).

Adam (as ``torch.optim.Adam`` computes it) steps θ ← θ − η P_t⁻¹ m_t with the
averaged momentum m_t and the bias corrections folded into the preconditioner

    P_t = (1 − β₁ᵗ) · diag(√(v_t / (1 − β₂ᵗ)) + ε),

v_t the average of squared gradients after t steps. With P frozen this is
momentum on P⁻¹H, so it is stable iff λ_max(P⁻¹H) < (2 + 2β₁)/((1 − β₁) η),
38/η for β₁ = 0.9 (Cohen et al. 2022, "Adaptive gradient methods at the edge
of stability", §3, who find Adam trains with λ_max(P⁻¹H) hovering there).

P⁻¹H is not symmetric, but it is similar to S = P^{-1/2} H P^{-1/2}
(S = P^{1/2} (P⁻¹H) P^{-1/2}): the same eigenvalues. :class:`PreconditionedOperator`
applies S at one product of H, so Lanczos (``analysis.spectrum``) measures
λ_max(P⁻¹H) at the cost of λ_max(H).

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> H = MatrixOperator(torch.diag(torch.tensor([4.0, 1.0], dtype=torch.float64)))
    >>> S = PreconditionedOperator(H, torch.tensor([4.0, 0.25], dtype=torch.float64))
    >>> S.hvp(torch.tensor([1.0, 1.0], dtype=torch.float64)).tolist()
    [1.0, 4.0]
    >>> round(stability_threshold(1e-3, beta1=0.9)), round(stability_threshold(1e-3))
    (38000, 2000)
"""

from __future__ import annotations

import torch

from analysis.hvp import CurvatureOperator, check_operator
from synthetic.validation import require_count, require_positive


class PreconditionedOperator(CurvatureOperator):
    """S = P^{-1/2} H P^{-1/2} for a curvature operator H and a positive diagonal P.

    Args:
        operator: H, a symmetric ``CurvatureOperator``; each product of S is one of H.
        diagonal: P's diagonal, a length-n tensor of positive finite entries (e.g.
            :func:`adam_preconditioner`).
    """

    def __init__(self, operator: CurvatureOperator, diagonal: torch.Tensor) -> None:
        check_operator(operator)
        if not isinstance(diagonal, torch.Tensor) or tuple(diagonal.shape) != (operator.size,):
            shape = tuple(diagonal.shape) if isinstance(diagonal, torch.Tensor) else diagonal
            raise ValueError(f"diagonal must be a tensor of shape ({operator.size},), got {shape}")
        if not bool(torch.isfinite(diagonal).all() and (diagonal > 0).all()):
            raise ValueError("diagonal must be positive and finite: P must be positive definite")
        super().__init__(operator.size, operator.torch_dtype, operator.device)
        self.operator = operator
        self.scale = diagonal.to(device=operator.device, dtype=operator.torch_dtype).rsqrt()

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        return self.scale * self.operator.hvp(self.scale * vector)


def adam_preconditioner(
    exp_avg_sq: torch.Tensor, step: int, betas: tuple[float, float], eps: float
) -> torch.Tensor:
    """P_t's diagonal (1 − β₁ᵗ)(√(v_t / (1 − β₂ᵗ)) + ε) from Adam's ``exp_avg_sq`` v_t (flat)
    after ``step`` = t ≥ 1 steps with ``betas`` = (β₁, β₂) and ``eps`` = ε."""
    require_count("step", step)
    beta1, beta2 = betas
    _require_beta("beta1", beta1)
    _require_beta("beta2", beta2)
    require_positive("eps", eps)
    corrected = (exp_avg_sq / (1.0 - beta2**step)).sqrt()
    return (1.0 - beta1**step) * (corrected + eps)


def stability_threshold(lr: float, beta1: float = 0.0) -> float:
    """(2 + 2β₁)/((1 − β₁)η): the largest (preconditioned) curvature a step of size η = ``lr``
    with averaged momentum β₁ is stable at; 2/η without momentum."""
    require_positive("lr", lr)
    _require_beta("beta1", beta1)
    return (2.0 + 2.0 * beta1) / ((1.0 - beta1) * lr)


def _require_beta(name: str, beta: float) -> None:
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
