"""The trace of a Hessian with a confidence interval: Hutchinson and Hutch++.

Hutchinson: for Rademacher probes z_1 … z_m, E[zᵀHz] = tr(H), so

    t̂ = (1/m) Σ_j z_jᵀ H z_j,   Var(zᵀHz) = 2 (‖H‖_F² − Σ_i H_ii²),

with a Student-t interval over the m samples (m ≥ 2 products).

Hutch++ (Meyer, Musco, Musco, Woodruff 2021) spends a budget of m products
in three parts: s = ⌊m/3⌋ on a sketch Y = H S (S Rademacher), whose
orthonormal basis Q captures the dominant eigenspace; s on the exact trace
of that part, tr(QᵀHQ); and g = m − 2s on Hutchinson for the rest,

    t̂ = tr(QᵀHQ) + (1/g) Σ_j z_jᵀ P H P z_j,     P = I − QQᵀ,

which is unbiased for any Q because tr(H) = tr(QᵀHQ) + tr(PHP). Its error
falls as 1/m instead of 1/√m when the spectrum decays. The interval is the
t-interval of the g residual samples, conditional on Q (g ≥ 2).

Unlike PyHessian 0.1's ``trace()`` there is no early stop on a relative
change of the running mean (which fails when the mean is near zero or
negative, REFERENCE.md §7): the number of products is fixed in advance.

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> H = MatrixOperator(torch.diag(torch.tensor([5.0, 1.0, -2.0, 0.5], dtype=torch.float64)))
    >>> round(hutchinson(H, 8, torch.Generator().manual_seed(0)).trace, 10)  # exact for diagonal H
    4.5
    >>> round(hutch_plus_plus(H, 12, torch.Generator().manual_seed(0)).trace, 10)
    4.5
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from analysis.hvp import CurvatureOperator, check_operator
from analysis.probes import default_generator, rademacher
from analysis.statistics import mean_interval
from synthetic.validation import require_count


@dataclass(frozen=True)
class TraceEstimate:
    """An estimate of tr(H) with the half-width of its confidence interval at ``level``."""

    method: str
    trace: float
    half_width: float
    level: float
    hvp_count: int
    residual_probes: int
    sketch_size: int
    seconds: float

    @property
    def low(self) -> float:
        return self.trace - self.half_width

    @property
    def high(self) -> float:
        return self.trace + self.half_width

    def as_dict(self) -> dict:
        return asdict(self)


def hutchinson(
    operator: CurvatureOperator,
    probes: int,
    generator: torch.Generator | None = None,
    level: float = 0.95,
) -> TraceEstimate:
    """Hutchinson's estimate of tr(H) from ``probes`` (≥ 2) Rademacher products."""
    require_count("probes", probes, minimum=2)
    return _estimate("hutchinson", operator, 0, probes, generator, level)


def hutch_plus_plus(
    operator: CurvatureOperator,
    hvp_budget: int,
    generator: torch.Generator | None = None,
    level: float = 0.95,
) -> TraceEstimate:
    """Hutch++'s estimate of tr(H) from ``hvp_budget`` (≥ 4) products; see the module docstring."""
    require_count("hvp_budget", hvp_budget, minimum=4)
    check_operator(operator)
    sketch_size = min(hvp_budget // 3, operator.size)
    residual_probes = hvp_budget - 2 * sketch_size
    return _estimate("hutch++", operator, sketch_size, residual_probes, generator, level)


def _estimate(
    method: str,
    operator: CurvatureOperator,
    sketch_size: int,
    residual_probes: int,
    generator: torch.Generator | None,
    level: float,
) -> TraceEstimate:
    """tr(QᵀHQ) for Q an orthonormal basis of H S (``sketch_size`` columns; none: Q empty)
    plus Hutchinson on the rest with ``residual_probes`` probes."""
    check_operator(operator)
    generator = default_generator(generator)
    start_time, start_count = time.perf_counter(), operator.hvp_count
    size, device = operator.size, operator.device
    basis, low_rank = None, 0.0
    if sketch_size > 0:
        sketch = torch.stack(
            [operator.hvp(rademacher(size, generator, device)) for _ in range(sketch_size)], dim=1
        )
        basis, _ = torch.linalg.qr(sketch)
        low_rank = torch.stack([q @ operator.hvp(q) for q in basis.T]).sum().item()
    samples = _quadratic_forms(operator, residual_probes, generator, basis)
    interval = mean_interval(samples, level)
    return TraceEstimate(
        method=method,
        trace=low_rank + interval.mean,
        half_width=interval.half_width,
        level=level,
        hvp_count=operator.hvp_count - start_count,
        residual_probes=residual_probes,
        sketch_size=sketch_size,
        seconds=time.perf_counter() - start_time,
    )


def _quadratic_forms(
    operator: CurvatureOperator,
    probes: int,
    generator: torch.Generator,
    basis: torch.Tensor | None,
) -> torch.Tensor:
    """zᵀ P H P z for ``probes`` Rademacher z, P projecting out ``basis`` (or P = I)."""
    samples = []
    for _ in range(probes):
        probe = rademacher(operator.size, generator, operator.device)
        if basis is not None:
            probe = probe - basis @ (basis.T @ probe)
        samples.append(probe @ operator.hvp(probe))
    return torch.stack(samples)


def disagreements(estimates: dict[str, TraceEstimate]) -> list[tuple[str, str]]:
    """The pairs of estimates of one trace whose intervals do not overlap: they disagree by
    more than their stated uncertainty (a budget too small for the interval to hold, or a
    fault), which a report must say."""
    names = list(estimates)
    return [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if estimates[a].high < estimates[b].low or estimates[b].high < estimates[a].low
    ]
