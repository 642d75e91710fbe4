"""Gradient descent on a quadratic, measured and predicted.

For F(θ) = ½(θ − θ*)ᵀH(θ − θ*) with eigenvalues μ = λ_min, L = λ_max and
κ = L/μ, gradient descent with step 1/L, θ ← θ − H(θ − θ*)/L, contracts the
error e = θ − θ* along each eigendirection by (1 − λ/L), so

    F(θ_k) − F* ≤ (1 − 1/κ)^{2k} (F(θ₀) − F*),

with equality in the slowest direction: the tail rate is (1 − 1/κ)².

- :func:`gradient_descent_curve`: the measured (F − F*)/(F₀ − F*) along the iterates;
- :func:`predicted_iterations`: ⌈log ε / (2 log(1 − 1/κ))⌉, the bound's iterations to ε.

Example:
    >>> import torch
    >>> hessian = torch.diag(torch.tensor([1.0, 4.0], dtype=torch.float64))
    >>> curve = gradient_descent_curve(hessian, torch.ones(2, dtype=torch.float64), 1e-6)
    >>> len(curve) - 1 <= predicted_iterations(4.0, 1e-6)
    True
"""

from __future__ import annotations

import math

import torch


def gradient_descent_curve(
    hessian: torch.Tensor, error: torch.Tensor, tolerance: float
) -> list[float]:
    """(F − F*)/(F₀ − F*) along θ ← θ − H(θ − θ*)/L from ``error`` = θ₀ − θ*, until ≤ ε."""
    step = 1.0 / torch.linalg.eigvalsh(hessian).max()
    initial = 0.5 * error @ hessian @ error
    curve = [1.0]
    while curve[-1] > tolerance:
        error = error - step * (hessian @ error)
        curve.append((0.5 * error @ hessian @ error / initial).item())
    return curve


def predicted_iterations(condition_number: float, tolerance: float) -> int:
    """⌈log ε / (2 log(1 − 1/κ))⌉: GD with step 1/L contracts F − F* by (1 − 1/κ)² per step."""
    if condition_number <= 1.0:
        return 1
    return math.ceil(math.log(tolerance) / (2 * math.log(1 - 1 / condition_number)))
