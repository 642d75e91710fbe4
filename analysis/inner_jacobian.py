"""The Jacobian of an inner loop, per task, and what it says about the inner loss.

For B tasks adapting a shared w ∈ ℝᵖ, a closure ``adapted(w) -> [B, p]``
returns each task's w^N_i. Task i's w^N_i depends on w only through its own
copy, so the Jacobian of all outputs is the stack of the per-task Jacobians
∂w^N_i/∂w ``[B, p, p]`` (:func:`task_jacobians`, exact by reverse mode, one
vectorised backward pass per output coordinate; the closure must keep the
inner loop's graph).

For one gradient step, J₁ = I − α∇²L_S(w), so the inner Hessian is
∇²L_S = (I − J₁)/α (:func:`hessian_from_step`), and for an L-smooth,
μ-strongly convex L_S with α ≤ 1/L, ‖∂w^N/∂w‖₂ ≤ (1 − αμ)^N
(:func:`spectral_norms` measures the left side).

Example:
    >>> import torch
    >>> hessian = torch.diag(torch.tensor([1.0, 0.5], dtype=torch.float64))
    >>> def two_steps(w):  # w ← w − α H w twice, for two identical tasks
    ...     for _ in range(2):
    ...         w = w - 0.5 * hessian @ w
    ...     return torch.stack([w, w])
    >>> jacobians = task_jacobians(two_steps, torch.ones(2, dtype=torch.float64))
    >>> spectral_norms(jacobians).tolist()
    [0.5625, 0.5625]
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def task_jacobians(
    adapted: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor
) -> torch.Tensor:
    """∂w^N_i/∂w ``[B, p, p]`` of ``adapted(w) -> [B, p]`` at ``w [p]``."""
    return torch.autograd.functional.jacobian(adapted, w, vectorize=True)


def spectral_norms(matrices: torch.Tensor) -> torch.Tensor:
    """‖M_i‖₂ ``[B]``, the largest singular value of each matrix of ``[B, p, p]``."""
    return torch.linalg.matrix_norm(matrices, ord=2)


def hessian_from_step(one_step_jacobian: torch.Tensor, inner_lr: float) -> torch.Tensor:
    """∇²L_S = (I − J₁)/α from the Jacobian J₁ = I − α∇²L_S of one gradient step, symmetrised."""
    identity = torch.eye(one_step_jacobian.shape[-1], dtype=one_step_jacobian.dtype)
    hessian = (identity.to(one_step_jacobian.device) - one_step_jacobian) / inner_lr
    return 0.5 * (hessian + hessian.transpose(-1, -2))
