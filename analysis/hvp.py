"""Hessian-vector products of any objective, as a torch function and a scipy ``LinearOperator``.

For a scalar objective L(θ), θ ∈ ℝⁿ, with gradient g(θ) = ∇L(θ), the
Hessian-vector product is the gradient of a scalar:

    H(θ) v = ∇_θ ⟨g(θ), v⟩.

It is computed by double-backward autograd: a first reverse pass with
``create_graph=True`` builds the graph of g, a second one differentiates
⟨g, v⟩ through it (on CPU about 7× faster than reverse-over-reverse through
``torch.func`` for meta-losses, REFERENCE.md §7). The objective is any
closure ``params -> scalar`` (a task loss, the NAL loss, the meta-loss
``lambda p: learner.meta_loss(p, batch)``); it is called with views of one
flat leaf vector, so g comes out flat (see ``analysis.flat``).

Memory. With ``keep_graph=True`` (the default) the operator builds the graph
of g once, at θ, and keeps exactly that one graph alive until it is released
(:meth:`HessianOperator.release`) or the operator is dropped; each product is
one backward pass through it. For a meta-loss that graph holds the inner
loop of one meta-batch: never more than one inner-loop graph. With
``keep_graph=False`` every product rebuilds the graph and frees it before it
returns (one forward and two backward passes per product, nothing held in
between).

Every product, whether asked for as a torch vector (:meth:`~CurvatureOperator.hvp`),
a parameter dict (:meth:`~HessianOperator.hvp_params`) or by scipy (float64
numpy in and out, one product per column), adds one to ``hvp_count``.

Example:
    >>> import torch
    >>> objective = lambda p: (p["w"] ** 3).sum()          # H = diag(6w)
    >>> operator = HessianOperator(objective, {"w": torch.tensor([1.0, 2.0])})
    >>> operator.hvp(torch.tensor([1.0, 1.0])).tolist(), operator.hvp_count
    ([6.0, 12.0], 1)
    >>> import numpy as np
    >>> operator @ np.array([0.0, 1.0]), operator.hvp_count
    (array([ 0., 12.]), 2)
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.sparse.linalg import LinearOperator

from analysis.flat import Objective, ParamLayout, Params, check_loss

SYMMETRY_TOLERANCE = 1e-10


class CurvatureOperator(LinearOperator):
    """A symmetric n×n operator applied to torch vectors, and a float64 scipy ``LinearOperator``.

    Subclasses implement ``_apply(vector) -> product`` for a vector of the
    operator's dtype on its device; this class counts products, converts
    dtypes and devices, and serves scipy.
    """

    def __init__(self, size: int, dtype: torch.dtype, device: torch.device) -> None:
        super().__init__(dtype=np.float64, shape=(size, size))
        self.torch_dtype = dtype
        self.device = torch.device(device)
        self.hvp_count = 0

    @property
    def size(self) -> int:
        """n, the dimension the operator acts on."""
        return self.shape[0]

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def release(self) -> None:
        """Free what the operator holds between products (here: nothing)."""

    def hvp(self, vector: torch.Tensor) -> torch.Tensor:
        """H v for a flat vector of length n, returned with ``vector``'s dtype and device."""
        if not isinstance(vector, torch.Tensor) or tuple(vector.shape) != (self.size,):
            shape = tuple(vector.shape) if isinstance(vector, torch.Tensor) else type(vector)
            raise ValueError(f"hvp needs a tensor of shape ({self.size},), got {shape}")
        self.hvp_count += 1
        product = self._apply(vector.to(device=self.device, dtype=self.torch_dtype))
        return product.to(device=vector.device, dtype=vector.dtype)

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        vector = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64).reshape(-1))
        return self.hvp(vector).numpy()

    def _adjoint(self) -> CurvatureOperator:
        return self

    def _transpose(self) -> CurvatureOperator:
        return self


class PointOperator(CurvatureOperator):
    """A curvature operator at a point θ whose products run through a graph built at θ.

    Subclasses implement ``_build_graph() -> graph`` (from a fresh leaf at
    ``self.point``) and ``_product(graph, vector, retain) -> product``. With
    ``keep_graph=True`` the graph is built once and kept until :meth:`release`;
    otherwise every product builds its own and frees it before it returns.
    Call ``_keep_or_build()`` at the end of the subclass's ``__init__``.
    """

    def __init__(self, params: Params, keep_graph: bool) -> None:
        layout = ParamLayout.of(params)
        super().__init__(layout.size, layout.dtype, layout.device)
        self.layout = layout
        self.point = layout.flatten(params).detach().clone()
        self.keep_graph = keep_graph
        self._graph: object | None = None

    def _keep_or_build(self) -> None:
        if self.keep_graph:
            self._graph = self._build_graph()

    def _build_graph(self) -> object:
        raise NotImplementedError

    def _product(self, graph: object, vector: torch.Tensor, retain: bool) -> torch.Tensor:
        raise NotImplementedError

    def hvp_params(self, direction: Params) -> Params:
        """The product with a direction given as a dict in the layout of ``params``."""
        return self.layout.unflatten(self.hvp(self.layout.flatten(direction)))

    def release(self) -> None:
        """Free the kept graph; later products rebuild it each time (as ``keep_graph=False``)."""
        self._graph = None
        self.keep_graph = False

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        graph = self._graph if self._graph is not None else self._build_graph()
        return self._product(graph, vector, retain=self.keep_graph)


class HessianOperator(PointOperator):
    """The Hessian ∇²L(θ) of ``objective`` at ``params``, by double-backward autograd.

    Args:
        objective: ``params -> scalar tensor``, differentiable twice in ``params``.
        params: the point θ, a dict of floating tensors of one dtype on one
            device; the values are copied, so later changes to them do not
            move the operator.
        keep_graph: keep the graph of ∇L(θ) between products (faster) or
            rebuild it for each one (less memory); see the module docstring.
    """

    def __init__(self, objective: Objective, params: Params, keep_graph: bool = True) -> None:
        if not callable(objective):
            raise ValueError(f"objective must be callable params -> scalar, got {objective!r}")
        super().__init__(params, keep_graph)
        self.objective = objective
        self._keep_or_build()

    def _product(self, graph: object, vector: torch.Tensor, retain: bool) -> torch.Tensor:
        leaf, gradient = graph
        if not gradient.requires_grad:
            return torch.zeros_like(vector)
        return pulled_back(gradient, leaf, vector, retain)

    def _build_graph(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A fresh leaf at θ and ∇L(θ) with its graph."""
        leaf = self.point.clone().requires_grad_(True)
        with torch.enable_grad():
            loss = self.objective(self.layout.unflatten(leaf))
            check_loss(loss, differentiable=True)
            (gradient,) = torch.autograd.grad(
                loss, leaf, create_graph=True, allow_unused=True, materialize_grads=True
            )
        return leaf, gradient


class MatrixOperator(CurvatureOperator):
    """An explicit symmetric matrix as a curvature operator (closed forms, exact Hessians)."""

    def __init__(self, matrix: torch.Tensor) -> None:
        if not isinstance(matrix, torch.Tensor) or matrix.ndim != 2:
            raise ValueError(f"matrix must be a 2-D tensor, got {matrix!r}")
        if matrix.shape[0] != matrix.shape[1] or not matrix.dtype.is_floating_point:
            raise ValueError(
                f"matrix must be square and floating point, got shape {tuple(matrix.shape)} "
                f"and dtype {matrix.dtype}"
            )
        asymmetry = (matrix - matrix.T).abs().max().item()
        scale = max(matrix.abs().max().item(), 1.0)
        if asymmetry > SYMMETRY_TOLERANCE * scale:
            raise ValueError(
                f"matrix must be symmetric; its largest |A - Aᵀ| entry is {asymmetry:.3g}"
            )
        super().__init__(matrix.shape[0], matrix.dtype, matrix.device)
        self.matrix = matrix

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        return self.matrix @ vector


def pulled_back(
    outputs: torch.Tensor,
    inputs: torch.Tensor,
    cotangent: torch.Tensor,
    retain: bool,
    create_graph: bool = False,
) -> torch.Tensor:
    """(∂outputs/∂inputs)ᵀ cotangent through the recorded graph (zeros where unused),
    keeping the graph when ``retain``; with ``create_graph`` the product is itself
    differentiable (in the cotangent too: the double-vjp trick for J v)."""
    (product,) = torch.autograd.grad(
        outputs,
        inputs,
        grad_outputs=cotangent,
        retain_graph=retain or create_graph,
        create_graph=create_graph,
        allow_unused=True,
        materialize_grads=True,
    )
    return product


def check_operator(operator: object) -> None:
    """Raise ``ValueError`` unless ``operator`` is a :class:`CurvatureOperator`."""
    if not isinstance(operator, CurvatureOperator):
        raise ValueError(
            "operator must be a CurvatureOperator (e.g. HessianOperator(objective, params)), "
            f"got {type(operator).__name__}"
        )
