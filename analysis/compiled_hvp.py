"""Hessian-vector products as one compiled program: ``torch.compile`` of a ``torch.func`` transform.

For a scalar objective L(θ), θ ∈ ℝⁿ, with gradient map g = ∇L, the product
with the Hessian H = ∇²L(θ) is a derivative of g in either direction:

    forward over reverse:  H v = d/dε g(θ + ε v) |_{ε=0}      (the JVP of g),
    reverse over reverse:  H v = (∂g/∂θ)ᵀ v = ∇_θ ⟨g(θ), v⟩      (the VJP of g; H = Hᵀ).

:func:`hessian_vector_product` writes either as a pure function
``(θ, v) -> H v`` of ``torch.func.jvp`` or ``torch.func.vjp`` over
``torch.func.grad``; :class:`CompiledHessianOperator` hands it to
``torch.compile(fullgraph=True, dynamic=False)`` once, when it is built, with
θ and v as the program's inputs, so every product after that is one call of
the same fused program: the objective's forward, its backward and the
derivative of both, with no Python or dispatcher work between the hundreds
of small operations of a meta-loss. A meta-loss ``lambda p:
learner.meta_loss(p, batch)`` is traced whole: its inner-loop gradients
switch to ``torch.func.grad`` while ``torch.compile`` traces
(``algorithms.inner_rules.task_gradients``).

Which mode. Both give H v where the objective's derivatives are exact (then
J = ∂g/∂θ = H = Hᵀ). Where they are not, J ≠ Jᵀ and double backward
(``HessianOperator``, and reverse over reverse) gives Jᵀv, forward over reverse
Jv: torch's native batch norm in training mode has inexact third derivatives
(pytorch/pytorch#186256), and the Hessian of a second-order meta-loss needs
the third derivatives of the support loss, so on a batch-norm conv net the
two differ by a few per cent (4.5% relative asymmetry |uᵀJv − vᵀJu| on
``ConvNet(5, filters=16)``; none of these "Hessians" is then exactly ∇²F).
Reverse over reverse is the default because it always agrees with
``HessianOperator``; forward over reverse was 0–16% faster on the
sinusoid meta-losses and equal on the conv net (``benchmarks/hvp_cost.py``).

Cost. Building the operator compiles, once (on 2 CPU cores 1–30 s for the
sinusoid MLP meta-loss, minutes for a conv net from a cold inductor cache);
dynamo reuses the program for a later operator on an objective of the same
structure and shapes, which then starts at once. No autograd graph is held
between products (memory as ``HessianOperator(keep_graph=False)``): each
product runs the objective's forward, backward and their derivative. On the
sinusoid meta-losses (B = 25, 1-40-40-1) that is 2.0–2.6 compiled
meta-gradients, 0.6–0.9 eager ones, and 1.8–2.3× faster than a kept eager
graph; on a conv net, where convolutions rather than overhead dominate, it
is 4.0–4.4 compiled meta-gradients and slower than the kept eager graph
(2.8–2.9 eager meta-gradients): there keep ``HessianOperator``.

Fallback. If compiling or the first run raises (an operation dynamo cannot
trace, a backend missing), one warning names the reason and the operator
computes its products by double-backward autograd exactly as
``HessianOperator`` (it is one, keeping its graph if ``keep_graph``). Products
are counted in ``hvp_count`` either way; the warm-up run that compiles is not.

Example (the uncompiled product, as the operator compiles it):
    >>> import torch
    >>> objective = lambda p: (p["w"] ** 3).sum()          # H = diag(6w)
    >>> layout = ParamLayout.of({"w": torch.zeros(2)})
    >>> product = hessian_vector_product(objective, layout, "reverse-over-reverse")
    >>> product(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])).tolist()
    [6.0, 12.0]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import torch

from analysis.flat import Objective, ParamLayout, Params
from analysis.hvp import HessianOperator

MODES = ("reverse-over-reverse", "forward-over-reverse")

Product = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def hessian_vector_product(objective: Objective, layout: ParamLayout, mode: str) -> Product:
    """The function ``(θ, v) -> ∇²L(θ) v`` of flat vectors, by ``mode`` (one of :data:`MODES`)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    def gradient(point: torch.Tensor) -> torch.Tensor:
        return torch.func.grad(lambda vector: objective(layout.unflatten(vector)).reshape(()))(
            point
        )

    def forward_over_reverse(point: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
        return torch.func.jvp(gradient, (point,), (vector,))[1]

    def reverse_over_reverse(point: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
        return torch.func.vjp(gradient, point)[1](vector)[0]

    return reverse_over_reverse if mode == MODES[0] else forward_over_reverse


class CompiledHessianOperator(HessianOperator):
    """The Hessian ∇²L(θ) of ``objective`` at ``params``, each product one compiled program.

    Args:
        objective: ``params -> scalar tensor``, differentiable twice in ``params``
            and traceable by ``torch.compile`` under ``torch.func`` transforms.
        params: the point θ, a dict of floating tensors of one dtype on one
            device; the values are copied.
        mode: ``"reverse-over-reverse"`` (default) or ``"forward-over-reverse"``.
        keep_graph: for the fallback only: whether double-backward autograd
            keeps the graph of ∇L(θ) between products.

    ``compiled`` says whether products run the compiled program (False after
    a fallback), ``compile_seconds`` how long building it and its first run took.
    """

    def __init__(
        self,
        objective: Objective,
        params: Params,
        mode: str = MODES[0],
        keep_graph: bool = True,
    ) -> None:
        super().__init__(objective, params, keep_graph=False)
        product = hessian_vector_product(objective, self.layout, mode)
        self.mode = mode
        graph = self._build_graph()
        started = time.perf_counter()
        try:
            self._program: Product | None = torch.compile(product, fullgraph=True, dynamic=False)
            self._program(self.point, torch.zeros_like(self.point))
        except Exception as error:
            self._program = None
            self.keep_graph = keep_graph
            self._graph = graph if keep_graph else None
            warnings.warn(
                f"torch.compile could not compile the Hessian-vector product ({mode}; "
                f"{type(error).__name__}: {_first_line(error)}); "
                "computing products by double-backward autograd instead",
                stacklevel=2,
            )
        self.compile_seconds = time.perf_counter() - started

    @property
    def compiled(self) -> bool:
        return self._program is not None

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        if self._program is None:
            return super()._apply(vector)
        return self._program(self.point, vector)


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else "no message"
