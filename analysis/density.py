"""The spectral density of a Hessian by stochastic Lanczos quadrature (SLQ), and its plot.

The spectral density of H ∈ ℝⁿˣⁿ is φ(t) = (1/n) Σ_i δ(t − λ_i). For a unit
probe v = z/√n (z Rademacher), m Lanczos steps from v give T_m with
eigenpairs (θ_j, s_j); the Gauss quadrature nodes θ_j and weights
τ_j = s_j[1]² satisfy Σ_j τ_j f(θ_j) = vᵀ f(H) v for every polynomial f of
degree ≤ 2m − 1, and E[vᵀ f(H) v] = tr f(H)/n. Averaging n_v probes and
replacing each δ by a Gaussian of width σ gives

    φ̂(t) = (1/n_v) Σ_l Σ_j τ_j⁽ˡ⁾ N(t; θ_j⁽ˡ⁾, σ²)

(Lin, Saad, Yang 2016; Ghorbani, Krishnan, Xiao 2019). φ̂ integrates to 1
(each probe's weights sum to 1); its mean (1/n_v) Σ τθ is an unbiased
estimate of tr(H)/n and its second moment is (1/n_v) Σ τθ² + σ², whose first
term is unbiased for tr(H²)/n (m ≥ 2). :meth:`SpectralDensity.moment` gives
the quadrature moments, without the σ².

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> H = MatrixOperator(torch.diag(torch.tensor([-1.0, 0.0, 2.0, 3.0], dtype=torch.float64)))
    >>> density = spectral_density(H, probes=2, steps=4, generator=torch.Generator().manual_seed(0))
    >>> round(density.moment(1), 10), round(density.moment(2), 10)  # tr(H)/n, tr(H²)/n
    (1.0, 3.5)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from analysis.hvp import CurvatureOperator, check_operator
from analysis.lanczos import Lanczos
from analysis.probes import default_generator, rademacher
from analysis.statistics import mean_interval, pointwise_intervals
from analysis.trace import TraceEstimate
from synthetic.validation import require_count, require_positive

DEFAULT_WIDTH_FRACTION = 0.01


@dataclass(frozen=True, eq=False)
class SpectralDensity:
    """SLQ nodes θ and weights τ, ``[probes, steps]`` each, and the broadening width σ."""

    nodes: np.ndarray
    weights: np.ndarray
    sigma: float
    dimension: int
    hvp_count: int
    seconds: float

    def moment(self, order: int) -> float:
        """(1/n_v) Σ_l Σ_j τ_j θ_j^order, an estimate of tr(H^order)/n (no broadening)."""
        require_count("order", order, minimum=0)
        return float((self.weights * self.nodes**order).sum(axis=1).mean())

    def trace_estimate(self, level: float = 0.95) -> TraceEstimate:
        """tr(H) from the probes, n Σ_j τ_j θ_j each (the quadrature is exact for degree 1, so
        each is the probe's Hutchinson sample), with the Student-t interval over probes."""
        per_probe = self.dimension * (self.weights * self.nodes).sum(axis=1)
        interval = mean_interval(per_probe, level)
        probes = self.nodes.shape[0]
        return TraceEstimate(
            "slq", interval.mean, interval.half_width, level, self.hvp_count, probes, 0, 0.0
        )

    def evaluate(self, points: np.ndarray) -> np.ndarray:
        """φ̂ at ``points``: the quadrature measure smoothed by Gaussians of width σ."""
        return self.per_probe(points).mean(axis=0)

    def per_probe(self, points: np.ndarray) -> np.ndarray:
        """Each probe's smoothed density Σ_j τ_j⁽ˡ⁾ N(t; θ_j⁽ˡ⁾, σ²) at ``points``,
        ``[probes, len(points)]``: φ̂ is their mean."""
        points = np.asarray(points, dtype=np.float64).reshape(-1)
        offsets = (points[None, :, None] - self.nodes[:, None, :]) / self.sigma
        kernel = np.exp(-0.5 * offsets**2) / (self.sigma * math.sqrt(2.0 * math.pi))
        return np.einsum("lpj,lj->lp", kernel, self.weights)

    def band(self, points: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """The pointwise Student-t interval of φ̂ over the probes at ``points`` (each probe's
        density is an unbiased estimate of the smoothed φ): ``(low, high)``, low ≥ 0."""
        mean, half = pointwise_intervals(self.per_probe(points), level)
        return np.maximum(mean - half, 0.0), mean + half

    def grid(self, points: int = 1000, margin: float = 6.0) -> np.ndarray:
        """``points`` evenly spaced values from min(nodes) − margin·σ to max(nodes) + margin·σ."""
        require_count("points", points, minimum=2)
        low, high = self.nodes.min(), self.nodes.max()
        return np.linspace(low - margin * self.sigma, high + margin * self.sigma, points)

    def as_dict(self, curve_points: int = 200) -> dict:
        """Nodes, weights and moments, and the smoothed curve on ``curve_points`` points with
        its 95% band over probes (when there are two probes or more)."""
        points = self.grid(curve_points)
        curve = {"points": points.tolist(), "density": self.evaluate(points).tolist()}
        if self.nodes.shape[0] > 1:
            low, high = self.band(points)
            curve |= {"low": low.tolist(), "high": high.tolist(), "level": 0.95}
        return {
            "curve": curve,
            "nodes": self.nodes.tolist(),
            "weights": self.weights.tolist(),
            "sigma": self.sigma,
            "dimension": self.dimension,
            "first_moment": self.moment(1),
            "second_moment": self.moment(2),
            "hvp_count": self.hvp_count,
            "seconds": self.seconds,
        }


def spectral_density(
    operator: CurvatureOperator,
    probes: int = 4,
    steps: int = 40,
    generator: torch.Generator | None = None,
    sigma: float | None = None,
) -> SpectralDensity:
    """SLQ with ``probes`` Rademacher probes of ``steps`` Lanczos steps each (≤ n).

    ``sigma`` defaults to 1% of the range of the nodes (1% of max(|node|, 1)
    when they all coincide). Costs ``probes · min(steps, n)`` products.
    """
    check_operator(operator)
    require_count("probes", probes)
    require_count("steps", steps)
    if sigma is not None:
        require_positive("sigma", sigma)
    generator = default_generator(generator)
    start_time, start_count = time.perf_counter(), operator.hvp_count
    nodes, weights = [], []
    for _ in range(probes):
        start = rademacher(operator.size, generator, operator.device)
        process = Lanczos(operator, start, generator, capacity=steps)
        process.run(process.capacity)
        ritz = process.ritz()
        nodes.append(ritz.values)
        weights.append(ritz.vectors[0, :] ** 2)
    nodes_array, weights_array = np.stack(nodes), np.stack(weights)
    if sigma is None:
        spread = float(nodes_array.max() - nodes_array.min())
        scale = spread if spread > 0 else max(float(np.abs(nodes_array).max()), 1.0)
        sigma = DEFAULT_WIDTH_FRACTION * scale
    return SpectralDensity(
        nodes=nodes_array,
        weights=weights_array,
        sigma=sigma,
        dimension=operator.size,
        hvp_count=operator.hvp_count - start_count,
        seconds=time.perf_counter() - start_time,
    )


def plot_density(density: SpectralDensity, title: str = "Hessian spectral density") -> Figure:
    """φ̂ on a log scale (the outliers of a Hessian spectrum are orders of magnitude rarer),
    with its pointwise 95% band over the probes."""
    grid = density.grid()
    values = density.evaluate(grid)
    floor = 1e-12 * values.max()
    figure = Figure(figsize=(6.0, 3.5), layout="constrained")
    axes = figure.subplots()
    axes.semilogy(grid, np.maximum(values, floor), label=r"$\hat\phi$ (mean over probes)")
    if density.nodes.shape[0] > 1:
        low, high = density.band(grid)
        axes.fill_between(
            grid,
            np.maximum(low, floor),
            np.maximum(high, floor),
            alpha=0.3,
            label="95% interval over probes (pointwise)",
        )
    axes.legend(fontsize="small")
    axes.set_xlabel("eigenvalue")
    axes.set_ylabel("density (log scale)")
    axes.set_title(f"{title} (SLQ: {density.nodes.shape[0]} probes, σ = {density.sigma:.2g})")
    return figure
