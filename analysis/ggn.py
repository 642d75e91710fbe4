"""The generalised Gauss–Newton matrix and the Fisher information, as curvature operators.

Write the objective as a loss of model outputs, L(θ) = ℓ(f(θ)), with
f: ℝⁿ → ℝᴹ (any tensor shape: ``[tasks, examples, outputs]``, ``[examples,
outputs]``, …) and J = ∂f/∂θ ∈ ℝᴹˣⁿ. Then

    ∇²L(θ) = Jᵀ ∇²_f ℓ J + Σ_m (∂ℓ/∂f_m) ∇²f_m(θ),

and the generalised Gauss–Newton matrix (Schraudolph 2002) keeps the first term:

    G = Jᵀ ∇²_f ℓ J,

positive semi-definite whenever ℓ is convex in f (MSE, softmax
cross-entropy), and equal to the Hessian when f is affine in θ.
:class:`GGNOperator` applies it with three autograd passes through graphs
built once at θ: J v by the double-vjp trick (u ↦ Jᵀu is linear, so its
vector-Jacobian product with respect to u is J v), ∇²_f ℓ by a
Hessian-vector product in output space, and Jᵀ by a vector-Jacobian product.

:class:`FisherOperator` is the model ("true") Fisher information, not the
empirical Fisher (1/N) Σ_i g_i g_iᵀ of observed-label gradients, which is a
different matrix (Kunstner, Balles, Hennig 2019) and is not implemented:

    F = Jᵀ Λ J,   Λ = (1/count) ⊕_i E_{y ~ p(y | f_i)}[s_i s_iᵀ],   s_i = ∇_{f_i} log p(y | f_i),

the expectation over labels drawn from the model itself, summed over the
independent outputs f_i and divided by their count as the suite's losses
average; Λ is in closed form for its two losses:

- ``"gaussian"``: ℓ = (1/M) Σ_m (f_m − y_m)², the negative log-likelihood of
  N(f_m, ½) per entry up to a constant, so Λ = (2/M) I;
- ``"categorical"``: ℓ = (1/N) Σ_i CE(softmax(f_i), y_i) over the N rows f_i of
  logits (the last axis holds the classes), so Λ = (1/N) ⊕_i (diag p_i − p_i p_iᵀ),
  p_i = softmax(f_i).

For these losses f is the natural parameter of the likelihood, so Λ = ∇²_f ℓ
and F = G (Martens 2020, §9.2); the tests check both against closed forms.

Objectives. :func:`model_outputs` builds f and ℓ for a model called
functionally on task-batched data ``x [B, N, …]``, ``y [B, N, …]``: the task loss
(B = 1) and the NAL loss (the pooled data of the batch), which equal
``learner.meta_loss`` for ``nal`` on that data. The MAML meta-loss has no
standard GGN; :class:`GGNOperator` gives one precise definition if
``outputs_fn`` is θ ↦ the post-adaptation query predictions f(θ'_i(θ), x_i^query)
and ``loss_fn`` the query loss: J is then the Jacobian of adaptation followed by
prediction, and G drops every second derivative of that map, the inner loop's
included (it is PSD; the meta-loss Hessian need not be).

Every product adds one to ``hvp_count``, as for ``HessianOperator``.

Example:
    >>> import torch
    >>> x = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    >>> outputs_fn = lambda p: x @ p["w"]                         # linear: G = H = (2/3) XᵀX
    >>> loss_fn = lambda f: (f - torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)).square().mean()
    >>> ggn = GGNOperator(outputs_fn, loss_fn, {"w": torch.zeros(2, dtype=torch.float64)})
    >>> (3 * ggn.hvp(torch.tensor([1.0, 0.0], dtype=torch.float64))).tolist(), ggn.hvp_count
    ([6.0, 6.0], 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from analysis.flat import Params, check_loss
from analysis.hvp import CurvatureOperator, PointOperator, check_operator, pulled_back
from analysis.probes import default_generator, gaussian
from analysis.spectrum import extreme_eigenvalues
from analysis.trace import hutch_plus_plus
from synthetic.validation import require_count

OutputsFn = Callable[[Params], torch.Tensor]
OutputLossFn = Callable[[torch.Tensor], torch.Tensor]

LIKELIHOODS = ("gaussian", "categorical")
LOSSES = {"mse": "gaussian", "cross_entropy": "categorical"}
"""The suite's task losses by name, and the likelihood each is the negative log of."""


class OutputCurvatureOperator(PointOperator):
    """Jᵀ Λ J for J = ∂f/∂θ at θ and a symmetric output-space operator Λ (subclasses).

    The graphs of f(θ) and of u ↦ Jᵀu are built once at θ and kept until
    :meth:`release` (or with ``keep_graph=False`` rebuilt for every product).
    """

    def __init__(self, outputs_fn: OutputsFn, params: Params, keep_graph: bool = True) -> None:
        if not callable(outputs_fn):
            raise ValueError(f"outputs_fn must be callable params -> tensor, got {outputs_fn!r}")
        super().__init__(params, keep_graph)
        self.outputs_fn = outputs_fn
        graph = self._build_graph()
        self.outputs = graph[1].detach()
        self._graph = graph if keep_graph else None

    def _output_product(self, vector: torch.Tensor) -> torch.Tensor:
        """Λ w for w shaped as the outputs."""
        raise NotImplementedError

    def _product(self, graph: object, vector: torch.Tensor, retain: bool) -> torch.Tensor:
        leaf, outputs, dual, pulled = graph
        if not outputs.requires_grad:
            return torch.zeros_like(vector)
        pushed = pulled_back(pulled, dual, vector, retain=True)
        return pulled_back(outputs, leaf, self._output_product(pushed.detach()), retain)

    def _build_graph(
        self,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """A fresh leaf at θ, f(θ), a dual vector u and Jᵀu, with their graphs."""
        leaf = self.point.clone().requires_grad_(True)
        with torch.enable_grad():
            outputs = self.outputs_fn(self.layout.unflatten(leaf))
            if not isinstance(outputs, torch.Tensor) or not outputs.dtype.is_floating_point:
                raise ValueError(
                    f"outputs_fn must return a floating point tensor, got {type(outputs).__name__}"
                )
            dual = torch.zeros_like(outputs, requires_grad=True)
            if not outputs.requires_grad:
                return leaf, outputs, dual, dual
            pulled = pulled_back(outputs, leaf, dual, retain=True, create_graph=True)
        return leaf, outputs, dual, pulled


class GGNOperator(OutputCurvatureOperator):
    """The generalised Gauss–Newton matrix G = Jᵀ ∇²_f ℓ J of L(θ) = ``loss_fn(outputs_fn(θ))``.

    Args:
        outputs_fn: ``params -> f(θ)``, a floating tensor of any shape.
        loss_fn: ``outputs -> scalar``, twice differentiable in the outputs.
        params: the point θ (copied), a dict of floating tensors of one dtype on one device.
        keep_graph: keep the graphs between products (see :class:`OutputCurvatureOperator`).
    """

    def __init__(
        self,
        outputs_fn: OutputsFn,
        loss_fn: OutputLossFn,
        params: Params,
        keep_graph: bool = True,
    ) -> None:
        if not callable(loss_fn):
            raise ValueError(f"loss_fn must be callable outputs -> scalar, got {loss_fn!r}")
        super().__init__(outputs_fn, params, keep_graph)
        self.loss_fn = loss_fn
        self._output_point, self._output_gradient = self._output_gradient_graph()

    def _output_gradient_graph(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A leaf at f(θ) and ∇_f ℓ with its graph (small: output space only)."""
        point = self.outputs.clone().requires_grad_(True)
        with torch.enable_grad():
            loss = self.loss_fn(point)
            check_loss(loss, differentiable=True)
            (gradient,) = torch.autograd.grad(loss, point, create_graph=True)
        return point, gradient

    def _output_product(self, vector: torch.Tensor) -> torch.Tensor:
        if not self._output_gradient.requires_grad:
            return torch.zeros_like(vector)
        (product,) = torch.autograd.grad(
            self._output_gradient, self._output_point, grad_outputs=vector, retain_graph=True
        )
        return product


class FisherOperator(OutputCurvatureOperator):
    """The model Fisher F = Jᵀ Λ J of a Gaussian or categorical likelihood of ``outputs_fn(θ)``,
    with Λ in closed form (see the module docstring); it needs no labels.

    Args:
        outputs_fn: ``params -> f(θ)``: predictions (``"gaussian"``) or logits with the
            classes on the last axis (``"categorical"``).
        params: the point θ (copied).
        likelihood: ``"gaussian"`` (the Fisher of the suite's ``mse``) or
            ``"categorical"`` (of its ``cross_entropy``).
        keep_graph: keep the graphs between products.
    """

    def __init__(
        self, outputs_fn: OutputsFn, params: Params, likelihood: str, keep_graph: bool = True
    ) -> None:
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        super().__init__(outputs_fn, params, keep_graph)
        self.likelihood = likelihood
        self.probabilities = None
        self.scale = 2.0 / self.outputs.numel()
        if likelihood == "categorical":
            if self.outputs.ndim == 0:
                raise ValueError("a categorical likelihood needs logits with a class axis (last)")
            self.probabilities = self.outputs.softmax(dim=-1)
            self.scale = self.outputs.shape[-1] / self.outputs.numel()

    def _output_product(self, vector: torch.Tensor) -> torch.Tensor:
        if self.probabilities is None:
            return self.scale * vector
        p = self.probabilities
        return self.scale * p * (vector - (p * vector).sum(dim=-1, keepdim=True))


@dataclass(frozen=True)
class OutputObjective:
    """An objective written as a loss of model outputs: ``loss_fn(outputs_fn(params))``.

    ``likelihood`` names the distribution whose negative log-likelihood
    ``loss_fn`` is (for :class:`FisherOperator`).
    """

    outputs_fn: OutputsFn
    loss_fn: OutputLossFn
    likelihood: str

    def __call__(self, params: Params) -> torch.Tensor:
        """L(θ), usable as a ``HessianOperator`` objective."""
        return self.loss_fn(self.outputs_fn(params))

    def ggn(self, params: Params, keep_graph: bool = True) -> GGNOperator:
        """The Gauss–Newton operator of this objective at ``params``."""
        return GGNOperator(self.outputs_fn, self.loss_fn, params, keep_graph)

    def fisher(self, params: Params, keep_graph: bool = True) -> FisherOperator:
        """The model Fisher of this objective's likelihood at ``params``."""
        return FisherOperator(self.outputs_fn, params, self.likelihood, keep_graph)


def model_outputs(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss: str) -> OutputObjective:
    """The outputs and loss of ``model`` on task-batched data, with no adaptation.

    f(θ) = ``model(x[i])`` for each task i under ``torch.func.vmap`` (so a
    batch norm sees one task's batch at a time, as in the learners), called
    functionally with ``params`` and the model's buffers; shape ``[B, N, …]``.
    ``loss="mse"``: ℓ = mean of (f − y)² over all entries; ``loss="cross_entropy"``:
    the mean cross-entropy of logits ``f [B, N, C]`` against labels ``y [B, N]``.
    Both equal the mean over tasks of the per-task mean loss, as the learners
    compute it: pass ``batch.pooled()`` for the NAL loss and
    ``batch.select(slice(0, 1)).pooled()`` for one task's loss.

    Example:
        >>> import torch
        >>> model = torch.nn.Linear(2, 1).double()
        >>> parts = model_outputs(model, torch.ones(3, 4, 2, dtype=torch.float64),
        ...                       torch.zeros(3, 4, 1, dtype=torch.float64), "mse")
        >>> params = {k: v.detach() for k, v in model.named_parameters()}
        >>> tuple(parts.outputs_fn(params).shape), parts.likelihood
        ((3, 4, 1), 'gaussian')
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
    if x.ndim < 2 or y.shape[:2] != x.shape[:2]:
        raise ValueError(
            f"x and y need leading axes [tasks, examples] that agree, got x {tuple(x.shape)} "
            f"and y {tuple(y.shape)}; for one task's data use x.unsqueeze(0), y.unsqueeze(0)"
        )
    buffers = dict(model.named_buffers())

    def outputs_fn(params: Params) -> torch.Tensor:
        def one_task(inputs: torch.Tensor) -> torch.Tensor:
            return torch.func.functional_call(model, {**params, **buffers}, (inputs,))

        return torch.func.vmap(one_task, randomness="different")(x)

    def loss_fn(outputs: torch.Tensor) -> torch.Tensor:
        if loss == "cross_entropy":
            if outputs.shape[:-1] != y.shape:
                raise ValueError(
                    f"cross_entropy needs logits [B, N, classes] for labels {tuple(y.shape)}, "
                    f"got outputs {tuple(outputs.shape)}"
                )
            return F.cross_entropy(outputs.flatten(0, -2), y.flatten())
        if outputs.shape != y.shape:
            raise ValueError(
                f"mse needs outputs of the targets' shape {tuple(y.shape)}, "
                f"got {tuple(outputs.shape)}"
            )
        return F.mse_loss(outputs, y)

    return OutputObjective(outputs_fn, loss_fn, LOSSES[loss])


class _Difference(CurvatureOperator):
    """A − B for two operators of one size (each product is one product of each)."""

    def __init__(self, first: CurvatureOperator, second: CurvatureOperator) -> None:
        super().__init__(first.size, first.torch_dtype, first.device)
        self.first, self.second = first, second

    def _apply(self, vector: torch.Tensor) -> torch.Tensor:
        return self.first.hvp(vector) - self.second.hvp(vector)


def hessian_ggn_gap(
    hessian: CurvatureOperator,
    ggn: CurvatureOperator,
    k: int = 1,
    probes: int = 8,
    trace_budget: int = 30,
    generator: torch.Generator | None = None,
) -> dict:
    """How far the Hessian H is from a Gauss–Newton or Fisher operator G, as plain numbers.

    - ``hessian_largest``, ``hessian_smallest``, ``ggn_largest``, ``ggn_smallest``:
      the k extreme eigenvalues of each (Lanczos);
    - ``relative_residuals``: ‖(H − G)v‖ / ‖Hv‖ for ``probes`` Gaussian v, and
      ``relative_frobenius_gap`` = (Σ_v ‖(H − G)v‖² / Σ_v ‖Hv‖²)^½, an estimate of
      ‖H − G‖_F / ‖H‖_F (E‖Av‖² = ‖A‖_F²); NaN where H v = 0;
    - ``trace_gap``: tr(H − G) by Hutch++ on H − G, with its 95% interval
      (the residual Σ_m (∂ℓ/∂f_m) tr ∇²f_m);
    - ``hessian_hvp_count``, ``ggn_hvp_count``: the products each operator spent.

    Example:
        >>> import torch
        >>> from analysis.hvp import MatrixOperator
        >>> H = MatrixOperator(torch.diag(torch.tensor([3.0, -1.0], dtype=torch.float64)))
        >>> G = MatrixOperator(torch.diag(torch.tensor([3.0, 0.0], dtype=torch.float64)))
        >>> gap = hessian_ggn_gap(H, G, probes=4)
        >>> round(gap["hessian_smallest"][0], 8), round(gap["ggn_largest"][0], 8)
        (-1.0, 3.0)
        >>> round(gap["trace_gap"]["trace"], 8), gap["relative_frobenius_gap"] > 0
        (-1.0, True)
    """
    check_operator(hessian)
    check_operator(ggn)
    if hessian.size != ggn.size:
        raise ValueError(f"the operators act on {hessian.size} and {ggn.size} coordinates")
    require_count("probes", probes)
    generator = default_generator(generator)
    counts = hessian.hvp_count, ggn.hvp_count
    spectra = {
        name: extreme_eigenvalues(operator, k=k, generator=generator)
        for name, operator in (("hessian", hessian), ("ggn", ggn))
    }
    pairs = []
    for _ in range(probes):
        vector = gaussian(hessian.size, generator, hessian.device)
        product = hessian.hvp(vector)
        pairs.append(torch.stack([(product - ggn.hvp(vector)).norm(), product.norm()]))
    residuals, norms = torch.stack(pairs).T.tolist()
    trace_gap = hutch_plus_plus(_Difference(hessian, ggn), trace_budget, generator)
    total = math.fsum(n**2 for n in norms)
    return {
        "hessian_largest": list(spectra["hessian"].largest),
        "hessian_smallest": list(spectra["hessian"].smallest),
        "ggn_largest": list(spectra["ggn"].largest),
        "ggn_smallest": list(spectra["ggn"].smallest),
        "relative_residuals": [r / n if n > 0 else math.nan for r, n in zip(residuals, norms)],
        "relative_frobenius_gap": (
            math.sqrt(math.fsum(r**2 for r in residuals) / total) if total > 0 else math.nan
        ),
        "trace_gap": trace_gap.as_dict(),
        "probes": probes,
        "hessian_hvp_count": hessian.hvp_count - counts[0],
        "ggn_hvp_count": ggn.hvp_count - counts[1],
    }
