"""Random probe vectors drawn from an explicit ``torch.Generator``.

Rademacher vectors z ∈ {−1, +1}ⁿ (each sign with probability ½) have
E[zzᵀ] = I, so E[zᵀAz] = tr(A) with the smallest variance among
independent-entry probes: Var = 2(‖A‖_F² − Σ_i A_ii²). Gaussian vectors
g ~ N(0, Iₙ) are rotation invariant; ``unit_vector`` normalises one, a
uniform direction on the sphere.

The numbers are drawn on the generator's device and moved to ``device``, so
one generator gives the same vectors whatever device the operator is on.
Functions that draw probes take ``generator=None`` to mean a fresh generator
seeded with 0 (``default_generator``): reproducible, and never the global one.

Example:
    >>> import torch
    >>> rademacher(6, torch.Generator().manual_seed(0)).abs().tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    >>> round(unit_vector(5, torch.Generator().manual_seed(0)).norm().item(), 12)
    1.0
"""

from __future__ import annotations

import torch

from synthetic.validation import require_count


def default_generator(generator: torch.Generator | None) -> torch.Generator:
    """``generator``, or for ``None`` a fresh CPU generator seeded with 0 (not the global one)."""
    return torch.Generator().manual_seed(0) if generator is None else generator


def rademacher(
    size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """A vector of ``size`` independent ±1 entries."""
    require_count("size", size)
    bits = torch.randint(0, 2, (size,), generator=generator, device=generator.device)
    return (2 * bits - 1).to(device=device or generator.device, dtype=dtype)


def gaussian(
    size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """A vector of ``size`` independent N(0, 1) entries."""
    require_count("size", size)
    draws = torch.randn(size, generator=generator, device=generator.device, dtype=torch.float64)
    return draws.to(device=device or generator.device, dtype=dtype)


def unit_vector(
    size: int,
    generator: torch.Generator,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """A direction drawn uniformly from the unit sphere in ℝ^size."""
    vector = gaussian(size, generator, device, dtype)
    return vector / vector.norm()
