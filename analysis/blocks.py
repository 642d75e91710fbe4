"""Per-block curvature: the spectrum and trace of each diagonal block of a Hessian.

Split θ ∈ ℝⁿ into blocks of parameters (by default one per layer) and let
P_B ∈ ℝ^{|B|×n} pick the coordinates of block B. The diagonal block

    H_BB = P_B H P_Bᵀ

is the curvature of the objective along B with every other parameter held
fixed. :func:`block_operator` applies it:

- for a ``HessianOperator``, as the Hessian of θ_B ↦ L(θ_B, θ_rest) with θ_rest
  fixed: the same matrix, and a cheaper product, since the second backward
  pass differentiates with respect to θ_B alone;
- for any other operator (:class:`BlockOperator`), as one full product: embed
  v ∈ ℝ^{|B|} in zeros, apply H, keep B's coordinates.

Either way a block product counts one in the block operator's ``hvp_count``.
A restricted Hessian builds its own graph of ∇_B L, one block at a time, and
does not use the graph a ``HessianOperator`` keeps (``release()`` that one
first to hold one graph at a time).

For each block, :func:`block_spectra` reports the k largest and k smallest
algebraic eigenvalues of H_BB and its trace:

- a block of at most ``dense_max_size`` coordinates is built whole from its
  |B| unit-vector products, so its eigenvalues (``numpy.linalg.eigvalsh``) and
  trace are exact (``eigenvalue_method="dense"``, trace method ``"exact"``);
- a larger block gets Lanczos (``analysis.spectrum.extreme_eigenvalues``) and
  Hutch++ or Hutchinson (``analysis.trace``) with a confidence interval.

These are the eigenvalues of the diagonal block, not the full Hessian's
eigenvalues sorted by which block their eigenvectors live in. By Cauchy
interlacing, λ_max(H_BB) ≤ λ_max(H) and λ_min(H_BB) ≥ λ_min(H). The traces
add up: Σ_B tr(H_BB) = tr(H) when the blocks cover every parameter, since
the trace is the sum of the diagonal entries.

Example:
    >>> import torch
    >>> from analysis.hvp import HessianOperator
    >>> params = {"a.weight": torch.tensor([1.0, 2.0]), "b.weight": torch.tensor([3.0])}
    >>> objective = lambda p: (p["a.weight"] ** 3).sum() + p["a.weight"][0] * p["b.weight"][0]
    >>> spectra = block_spectra(HessianOperator(objective, params))
    >>> [(block.name, block.largest, block.trace.trace) for block in spectra.blocks]
    [('a', (12.0,), 18.0), ('b', (0.0,), 0.0)]
    >>> spectra.hvp_count
    3
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from analysis.flat import ParamLayout, Params
from analysis.hvp import CurvatureOperator, HessianOperator, check_operator
from analysis.probes import default_generator
from analysis.spectrum import extreme_eigenvalues
from analysis.trace import TraceEstimate, hutch_plus_plus, hutchinson
from synthetic.validation import require_count

Blocks = Mapping[str, Sequence[str]]
"""Block name -> the names of the parameters in it."""

TRACE_METHODS = ("hutch++", "hutchinson")
DEFAULT_DENSE_MAX_SIZE = 64


class BlockOperator(CurvatureOperator):
    """The diagonal block P_B H P_Bᵀ of ``operator`` for the flat coordinates ``indices``.

    Each product is one product of ``operator`` (whose ``hvp_count`` grows too).
    """

    def __init__(self, operator: CurvatureOperator, indices: torch.Tensor) -> None:
        check_operator(operator)
        if indices.ndim != 1 or indices.numel() == 0:
            raise ValueError(f"indices must be a non-empty 1-D tensor, got {tuple(indices.shape)}")
        super().__init__(indices.numel(), operator.torch_dtype, operator.device)
        self.operator = operator
        self.indices = indices.to(operator.device)

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        embedded = vector.new_zeros(self.operator.size)
        embedded[self.indices] = vector
        return self.operator.hvp(embedded)[self.indices]


def block_operator(
    operator: CurvatureOperator, layout: ParamLayout, names: Sequence[str]
) -> CurvatureOperator:
    """H_BB for the parameters ``names`` (in the layout's order): a Hessian of the objective
    in those parameters alone for a ``HessianOperator``, else a :class:`BlockOperator`."""
    if not isinstance(operator, HessianOperator):
        return BlockOperator(operator, block_indices(layout, names))
    point = layout.unflatten(operator.point)
    fixed = {name: value for name, value in point.items() if name not in names}
    objective = operator.objective

    def restricted(params: Params) -> torch.Tensor:
        return objective({**fixed, **params})

    block = {name: value for name, value in point.items() if name in names}
    return HessianOperator(restricted, block, keep_graph=operator.keep_graph)


def layer_blocks(names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """One block per layer: names grouped by the prefix before their last ``.``
    (``net.0.weight``, ``net.0.bias`` -> ``net.0``); a name without a dot is its own block.

    Example:
        >>> layer_blocks(["net.0.weight", "net.0.bias", "net.2.weight", "scale"])
        {'net.0': ('net.0.weight', 'net.0.bias'), 'net.2': ('net.2.weight',), 'scale': ('scale',)}
    """
    blocks: dict[str, list[str]] = {}
    for name in names:
        blocks.setdefault(name.rpartition(".")[0] or name, []).append(name)
    return {block: tuple(members) for block, members in blocks.items()}


def check_blocks(blocks: Blocks, layout: ParamLayout) -> dict[str, tuple[str, ...]]:
    """``blocks`` as a dict of tuples, after checking that every block is a non-empty list of
    distinct parameter names of ``layout`` and no parameter is in two blocks."""
    if not isinstance(blocks, Mapping) or not blocks:
        raise ValueError(
            "blocks must be a non-empty mapping block name -> list of parameter names, "
            f"got {blocks!r}; e.g. {layer_blocks(layout.names)!r}"
        )
    owner: dict[str, str] = {}
    checked = {}
    for block, members in blocks.items():
        if isinstance(members, str) or not isinstance(members, Sequence):
            raise ValueError(
                f"block {block!r} must list parameter names, got {members!r}; "
                f"write [{members!r}] for a block of one parameter"
            )
        if not members:
            raise ValueError(
                f"block {block!r} is empty; give it at least one parameter name or remove it"
            )
        unknown = [name for name in members if name not in layout.names]
        if unknown:
            raise ValueError(
                f"block {block!r} names {unknown}, which are not parameters of the operator; "
                f"its parameters are {list(layout.names)}"
            )
        for name in members:
            if name in owner:
                where = "twice" if owner[name] == block else f"also in block {owner[name]!r}"
                raise ValueError(
                    f"parameter {name!r} of block {block!r} is {where}; put each parameter in "
                    "at most one block (the block traces would count it twice)"
                )
            owner[name] = block
        checked[block] = tuple(members)
    return checked


def block_indices(layout: ParamLayout, names: Sequence[str]) -> torch.Tensor:
    """The flat coordinates of the parameters ``names``, in the layout's order."""
    offsets = dict(zip(layout.names, np.cumsum((0, *layout.sizes[:-1])).tolist()))
    ranges = [
        torch.arange(offsets[name], offsets[name] + size)
        for name, size in zip(layout.names, layout.sizes)
        if name in names
    ]
    return torch.cat(ranges)


@dataclass(frozen=True)
class BlockCurvature:
    """The extreme eigenvalues and trace of one diagonal block H_BB.

    ``largest`` is descending and ``smallest`` ascending, min(k, size) of each;
    their error bounds are Lanczos's (0 for a dense block, exact up to
    rounding). ``hvp_count`` counts products of the block operator (:func:`block_operator`).
    """

    name: str
    parameter_names: tuple[str, ...]
    size: int
    largest: tuple[float, ...]
    smallest: tuple[float, ...]
    largest_error_bounds: tuple[float, ...]
    smallest_error_bounds: tuple[float, ...]
    eigenvalue_method: str
    converged: bool
    trace: TraceEstimate
    hvp_count: int
    seconds: float

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "parameter_names": list(self.parameter_names),
            "size": self.size,
            "largest": list(self.largest),
            "smallest": list(self.smallest),
            "largest_error_bounds": list(self.largest_error_bounds),
            "smallest_error_bounds": list(self.smallest_error_bounds),
            "eigenvalue_method": self.eigenvalue_method,
            "converged": self.converged,
            "trace": self.trace.as_dict(),
            "hvp_count": self.hvp_count,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class BlockSpectra:
    """Every block's curvature, the parameters in no block, and the total cost."""

    blocks: tuple[BlockCurvature, ...]
    uncovered: tuple[str, ...]
    hvp_count: int
    seconds: float

    @property
    def trace(self) -> float:
        """Σ_B tr(H_BB): tr(H) itself when ``uncovered`` is empty."""
        return sum(block.trace.trace for block in self.blocks)

    @property
    def trace_half_width(self) -> float:
        """Σ_B of the blocks' half-widths: a conservative half-width for :attr:`trace`."""
        return sum(block.trace.half_width for block in self.blocks)

    def as_dict(self) -> dict:
        """Plain numbers for JSON (``spectrum.json`` under ``"layers"``)."""
        return {
            "blocks": [block.as_dict() for block in self.blocks],
            "uncovered": list(self.uncovered),
            "trace": self.trace,
            "trace_half_width": self.trace_half_width,
            "hvp_count": self.hvp_count,
            "seconds": self.seconds,
        }


def block_spectra(
    operator: CurvatureOperator,
    blocks: Blocks | None = None,
    k: int = 1,
    trace_budget: int = 60,
    trace_method: str = "hutch++",
    dense_max_size: int = DEFAULT_DENSE_MAX_SIZE,
    tol: float = 1e-8,
    layout: ParamLayout | None = None,
    generator: torch.Generator | None = None,
) -> BlockSpectra:
    """The extreme eigenvalues and trace of every diagonal block of ``operator``.

    Args:
        operator: a curvature operator over a parameter layout, e.g.
            ``HessianOperator(objective, params)`` (a task loss, the NAL loss or a meta-loss).
        blocks: block name -> parameter names; default :func:`layer_blocks` of the layout.
        k: eigenvalues at each end of each block (fewer for a block of fewer coordinates).
        trace_budget: products per trace estimate of a block larger than ``dense_max_size``.
        trace_method: ``"hutch++"`` or ``"hutchinson"`` for those blocks.
        dense_max_size: blocks of at most this many coordinates are built whole
            (|B| products) for exact eigenvalues and trace; 0 never does.
        tol: Lanczos's relative tolerance (``analysis.spectrum``).
        layout: the parameter layout; default ``operator.layout``.
        generator: draws Lanczos start vectors and trace probes; ``None``: seeded with 0.
    """
    check_operator(operator)
    layout = _layout_of(operator, layout)
    named = layer_blocks(layout.names) if blocks is None else check_blocks(blocks, layout)
    require_count("k", k)
    require_count("dense_max_size", dense_max_size, minimum=0)
    if trace_method not in TRACE_METHODS:
        raise ValueError(f"trace_method must be one of {TRACE_METHODS}, got {trace_method!r}")
    generator = default_generator(generator)
    start_time = time.perf_counter()
    results = tuple(
        _block_curvature(
            name,
            members,
            block_operator(operator, layout, members),
            k,
            trace_budget,
            trace_method,
            dense_max_size,
            tol,
            generator,
        )
        for name, members in named.items()
    )
    covered = {name for members in named.values() for name in members}
    return BlockSpectra(
        blocks=results,
        uncovered=tuple(name for name in layout.names if name not in covered),
        hvp_count=sum(block.hvp_count for block in results),
        seconds=time.perf_counter() - start_time,
    )


def _layout_of(operator: CurvatureOperator, layout: ParamLayout | None) -> ParamLayout:
    layout = getattr(operator, "layout", None) if layout is None else layout
    if not isinstance(layout, ParamLayout):
        raise ValueError(
            f"{type(operator).__name__} has no parameter layout; pass "
            "layout=ParamLayout.of(params) for the parameters it acts on"
        )
    if layout.size != operator.size:
        raise ValueError(
            f"layout has {layout.size} coordinates but the operator acts on {operator.size}"
        )
    return layout


def _block_curvature(
    name: str,
    members: tuple[str, ...],
    block: CurvatureOperator,
    k: int,
    trace_budget: int,
    trace_method: str,
    dense_max_size: int,
    tol: float,
    generator: torch.Generator,
) -> BlockCurvature:
    started = time.perf_counter()
    k = min(k, block.size)
    if block.size <= dense_max_size:
        matrix = _dense(block)
        values = np.linalg.eigvalsh(matrix).tolist()
        largest, smallest = tuple(values[::-1][:k]), tuple(values[:k])
        largest_bounds = smallest_bounds = (0.0,) * k
        method, converged = "dense", True
        trace = _exact_trace(matrix, time.perf_counter() - started)
    else:
        spectrum = extreme_eigenvalues(block, k=k, tol=tol, generator=generator)
        largest, smallest = spectrum.largest, spectrum.smallest
        largest_bounds = spectrum.largest_error_bounds
        smallest_bounds = spectrum.smallest_error_bounds
        method, converged = "lanczos", spectrum.converged
        estimate = hutch_plus_plus if trace_method == "hutch++" else hutchinson
        trace = estimate(block, trace_budget, generator)
    return BlockCurvature(
        name=name,
        parameter_names=members,
        size=block.size,
        largest=largest,
        smallest=smallest,
        largest_error_bounds=largest_bounds,
        smallest_error_bounds=smallest_bounds,
        eigenvalue_method=method,
        converged=converged,
        trace=trace,
        hvp_count=block.hvp_count,
        seconds=time.perf_counter() - started,
    )


def _exact_trace(matrix: np.ndarray, seconds: float) -> TraceEstimate:
    """The trace of a dense block (no products beyond the |B| that built it), half-width 0."""
    return TraceEstimate(
        method="exact",
        trace=float(np.trace(matrix)),
        half_width=0.0,
        level=1.0,
        hvp_count=matrix.shape[0],
        residual_probes=0,
        sketch_size=0,
        seconds=seconds,
    )


def _dense(block: CurvatureOperator) -> np.ndarray:
    """H_BB from |B| unit-vector products, symmetrised, as float64 numpy."""
    identity = torch.eye(block.size, dtype=block.torch_dtype, device=block.device)
    columns = torch.stack([block.hvp(column) for column in identity], dim=1)
    matrix = columns.detach().to(device="cpu", dtype=torch.float64).numpy()
    return (matrix + matrix.T) / 2


def plot_block_spectra(spectra: BlockSpectra, title: str = "Per-block curvature") -> Figure:
    """Bars of λ_max(H_BB) and tr(H_BB) per block (trace with its interval), on a linear axis
    from zero unless they span more than ``LOG_SPAN`` (then log, or symlog with signs)."""
    names = [block.name for block in spectra.blocks]
    positions = np.arange(len(names))
    figure = Figure(figsize=(max(6.0, 0.6 * len(names) + 2.0), 5.0), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    largest = np.array([block.largest[0] for block in spectra.blocks])
    traces = np.array([block.trace.trace for block in spectra.blocks])
    half_widths = np.array([block.trace.half_width for block in spectra.blocks])
    top.bar(positions, largest, color="tab:blue")
    bottom.bar(positions, traces, yerr=half_widths, color="tab:orange", capsize=3)
    for axes, values, label in (
        (top, largest, r"$\lambda_{\max}(H_{BB})$"),
        (bottom, traces, r"$\mathrm{tr}(H_{BB})$"),
    ):
        _value_scale(axes, values)
        axes.set_ylabel(label)
    bottom.set_xticks(positions, names, rotation=30, ha="right")
    bottom.set_xlabel("block")
    figure.suptitle(
        f"{title}: {len(names)} diagonal blocks $H_{{BB}}$, {spectra.hvp_count} products"
    )
    return figure


LOG_SPAN = 100.0
"""Bars go on a log (or symlog) axis only when their sizes span more than this factor; below
it a linear axis from zero shows their ratios as lengths."""


def _value_scale(axes, values: np.ndarray) -> None:
    """Linear from zero unless the nonzero |values| span more than ``LOG_SPAN``; then log
    where all values are positive, else symlog (linear within the smallest nonzero |value|)."""
    nonzero = np.abs(values[values != 0])
    axes.axhline(0.0, color="black", linewidth=0.6)
    if nonzero.size == 0 or nonzero.max() <= LOG_SPAN * nonzero.min():
        return
    if (values > 0).all():
        axes.set_yscale("log")
        return
    axes.set_yscale("symlog", linthresh=float(nonzero.min()))
