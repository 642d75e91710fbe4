"""MAML meta-gradients of the suite's ReLU MLP, by hand-written passes (squared loss or
cross-entropy).

With θ_0 = θ and K gradient steps per task, θ_{k+1} = θ_k − α ∇L^s(θ_k), the
meta-objective F(θ) = (1/B) Σ_i L^q_i(θ_K,i) has the gradient

    v_K = ∇L^q(θ_K) / B,    v_k = v_{k+1} − α H^s(θ_k) v_{k+1},    ∇F(θ) = Σ_i v_{0,i}

(first order: ∇F = Σ_i v_{K,i}). Each ∇L is one forward and one backward pass
through the network; each H^s v is Pearlmutter's R-pass, a second forward and
backward pass (ReLU's second derivative is 0, so only the bilinear terms remain):

    forward:     z_l = a_{l−1} W_lᵀ + b_l,  a_l = relu(z_l),  m_l = 1[z_l > 0],  out = z_L
    backward:    δ_L = ∂L/∂out,  ∇W_l = Σ_n δ_lᵀ a_{l−1},  ∇b_l = Σ_n δ_l,
                 δ_{l−1} = (δ_l W_l) ⊙ m_{l−1}
    R-forward:   ż_l = ȧ_{l−1} W_lᵀ + a_{l−1} V_lᵀ + c_l,  ȧ_l = ż_l ⊙ m_l,  ȧ_0 = 0
    R-backward:  δ̇_L = (∂²L/∂out²) ż_L,  (Hv)_{W_l} = Σ_n δ̇_lᵀ a_{l−1} + δ_lᵀ ȧ_{l−1},
                 (Hv)_{b_l} = Σ_n δ̇_l,  δ̇_{l−1} = (δ̇_l W_l + δ_l V_l) ⊙ m_{l−1}

with v = (V_l, c_l). The loss enters only through ∂L/∂out and ∂²L/∂out² ż:

- ``mse``, L = mean over the N×d outputs of (out − y)²:
  ∂L/∂out = 2(out − y)/(N d),  ∂²L/∂out² ż = 2ż/(N d);
- ``cross_entropy``, L = mean over the N examples of −log p_y, p = softmax(out):
  ∂L/∂out = (p − e_y)/N,  ∂²L/∂out² ż = (p ⊙ ż − p ⟨p, ż⟩)/N.

All tasks run at once
(a task axis on every tensor, batched matrix products); θ itself has no task
axis, so the passes at θ_0 use one plain matrix product for all tasks.

Autograd computes the same numbers through a graph of the inner step's
gradient; writing the passes out skips recording that graph and
differentiating through it, which is most of the cost on small networks
(``benchmarks/maml_sinusoid.py``). ``MLP`` declares these passes as its
meta-gradient method, :class:`HandWrittenPasses` (``algorithms.meta_gradient``),
so a learner takes them where they apply; the tests check them against
autograd in float64.

Example:
    >>> import torch
    >>> from algorithms.mlp import MLP
    >>> from algorithms.params import parameters_of
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 40, 40, 1))
    >>> batch = SinusoidTasks().sample(4, torch.Generator().manual_seed(0))
    >>> loss, gradient = mlp_meta_gradient(parameters_of(model), batch, 0.01, 1, False)
    >>> tuple(gradient["layers.1.weight"].shape)
    (40, 40)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from algorithms.forward import batched_linear
from algorithms.inner_rules import gradient_step
from algorithms.losses import LossFn, cross_entropy, mse
from algorithms.params import Params
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

Layer = tuple[torch.Tensor, torch.Tensor | None]
"""(W [out, in] or [B, out, in], b [out] or [B, out] or None)."""


@dataclass(frozen=True)
class OutputLoss:
    """A task loss as a function of the network's outputs ``out [B, N, ...]``: its value
    per task ``[B]``, ∂L/∂out, and ∂²L/∂out² applied to a direction ``ż``."""

    value: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    gradient: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    curvature: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def _mse_gradient(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (out - y) * (2.0 / out[0].numel())


def _mse_curvature(out: torch.Tensor, y: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    return direction * (2.0 / out[0].numel())


def _cross_entropy_gradient(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    onehot = F.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    return (logits.softmax(-1) - onehot) / labels.shape[1]


def _cross_entropy_curvature(
    logits: torch.Tensor, labels: torch.Tensor, direction: torch.Tensor
) -> torch.Tensor:
    p = logits.softmax(-1)
    return (p * direction - p * (p * direction).sum(-1, keepdim=True)) / labels.shape[1]


OUTPUT_LOSSES = {
    mse: OutputLoss(mse.per_task, _mse_gradient, _mse_curvature),
    cross_entropy: OutputLoss(
        cross_entropy.per_task, _cross_entropy_gradient, _cross_entropy_curvature
    ),
}
"""The losses the passes know, keyed by the ``algorithms.losses`` object."""


@dataclass(frozen=True)
class HandWrittenPasses:
    """These passes as a meta-gradient method (``algorithms.meta_gradient``), declared by ``MLP``.

    They give ∇F of MAML (FO-MAML for a ``first_order`` learner) for a model that
    declares them, trained on adapted query losses (not pooled) under ``mse`` or
    ``cross_entropy``, with gradient steps on every parameter.
    """

    def applies(self, learner: MetaLearner) -> bool:
        everything = [name for name, _ in learner.model.named_parameters()]
        return (
            getattr(learner.model, "meta_gradient_method", None) == self
            and not learner.pooled_objective
            and learner.loss_fn in OUTPUT_LOSSES
            and learner.inner_rule is gradient_step
            and sorted(learner.adapted) == sorted(everything)
        )

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        return mlp_meta_gradient(
            params,
            batch,
            learner.inner_lr,
            learner.inner_steps,
            learner.first_order,
            learner.loss_fn,
        )


@torch.no_grad()
def mlp_meta_gradient(
    params: Params,
    batch: TaskBatch,
    inner_lr: float,
    inner_steps: int,
    first_order: bool,
    loss_fn: LossFn = mse,
) -> tuple[torch.Tensor, Params]:
    """F(θ) and ∇F(θ) of MAML (``first_order``: FO-MAML) for an MLP's parameters.

    ``params`` are an ``MLP``'s (``layers.{l}.weight``, optional ``layers.{l}.bias``),
    without a task axis; the returned gradient has the same names and shapes.
    ``loss_fn`` is ``mse`` or ``cross_entropy`` (a key of ``OUTPUT_LOSSES``).
    """
    loss = OUTPUT_LOSSES[loss_fn]
    layers = _layers(params)
    trail = []
    for _ in range(inner_steps):
        support = _forward(layers, batch.support_x)
        deltas = _backward(layers, support, loss.gradient(support.output, batch.support_y))
        trail.append((layers, support, deltas))
        layers = _descend(layers, _gradients(layers, support, deltas), inner_lr)
    query = _forward(layers, batch.query_x)
    outer_delta = loss.gradient(query.output, batch.query_y) / batch.num_tasks
    direction = _gradients(layers, query, _backward(layers, query, outer_delta))
    if not first_order:
        for theta, support, deltas in reversed(trail):
            curvature = _hessian_vector_product(
                theta,
                support,
                deltas,
                direction,
                partial(loss.curvature, support.output, batch.support_y),
            )
            direction = _descend(direction, curvature, inner_lr)
    return loss.value(query.output, batch.query_y).mean(), _named(direction, params)


@dataclass(frozen=True)
class _Pass:
    """What a forward pass keeps: each layer's input a_{l−1}, the ReLU masks, the output."""

    inputs: list[torch.Tensor]
    masks: list[torch.Tensor]
    output: torch.Tensor


def _layers(params: Params) -> list[Layer]:
    count = sum(name.endswith(".weight") for name in params)
    return [(params[f"layers.{i}.weight"], params.get(f"layers.{i}.bias")) for i in range(count)]


def _named(layers: Sequence[Layer], params: Params) -> Params:
    named = {}
    for index, (weight, bias) in enumerate(layers):
        named[f"layers.{index}.weight"] = weight.sum(0)
        if bias is not None:
            named[f"layers.{index}.bias"] = bias.sum(0)
    return {name: named[name] for name in params}


def _forward(layers: Sequence[Layer], x: torch.Tensor) -> _Pass:
    inputs, masks = [], []
    for index, (weight, bias) in enumerate(layers):
        inputs.append(x)
        x = _times_transposed(x, weight, bias)
        if index < len(layers) - 1:
            masks.append(x > 0)
            x = x * masks[-1]
    return _Pass(inputs, masks, x)


def _backward(layers: Sequence[Layer], forward: _Pass, delta: torch.Tensor) -> list[torch.Tensor]:
    """δ_l = ∂L/∂z_l for every layer, in layer order, from δ_L = ``delta``."""
    deltas = [delta]
    for index in range(len(layers) - 1, 0, -1):
        delta = _times(delta, layers[index][0]) * forward.masks[index - 1]
        deltas.append(delta)
    return deltas[::-1]


def _gradients(
    layers: Sequence[Layer], forward: _Pass, deltas: Sequence[torch.Tensor]
) -> list[Layer]:
    """(∇W_l, ∇b_l) per layer and task; no bias gradient for a layer without bias."""
    return [
        (_outer_sum(delta, a), None if bias is None else delta.sum(1))
        for (_, bias), delta, a in zip(layers, deltas, forward.inputs, strict=True)
    ]


def _hessian_vector_product(
    layers: Sequence[Layer],
    forward: _Pass,
    deltas: Sequence[torch.Tensor],
    vector: Sequence[Layer],
    output_curvature: Callable[[torch.Tensor], torch.Tensor],
) -> list[Layer]:
    """H^s v at the point of ``forward`` (the R-pass of the module docstring);
    ``output_curvature(ż)`` is ∂²L/∂out² ż there."""
    rate = None
    rates = [None]
    for index, ((weight, _), (v_weight, v_bias)) in enumerate(zip(layers, vector, strict=True)):
        rate_z = _times_transposed(forward.inputs[index], v_weight, v_bias)
        if rate is not None:
            rate_z = rate_z + _times_transposed(rate, weight, None)
        if index < len(layers) - 1:
            rate = rate_z * forward.masks[index]
            rates.append(rate)
    rate_delta = output_curvature(rate_z)
    product = []
    for index in range(len(layers) - 1, -1, -1):
        weight_part = _outer_sum(rate_delta, forward.inputs[index])
        if index > 0:
            weight_part = weight_part + _outer_sum(deltas[index], rates[index])
        product.append((weight_part, None if vector[index][1] is None else rate_delta.sum(1)))
        if index > 0:
            rate_delta = (
                _times(rate_delta, layers[index][0]) + _times(deltas[index], vector[index][0])
            ) * forward.masks[index - 1]
    return product[::-1]


def _descend(layers: Sequence[Layer], directions: Sequence[Layer], lr: float) -> list[Layer]:
    return [
        (weight - lr * d_weight, None if bias is None else bias - lr * d_bias)
        for (weight, bias), (d_weight, d_bias) in zip(layers, directions, strict=True)
    ]


def _times_transposed(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
) -> torch.Tensor:
    """x Wᵀ + b for ``x [B, N, in]`` and a shared (2-D) or per-task (3-D) layer."""
    if weight.ndim == 3:
        return batched_linear(x, weight, bias)
    out = x @ weight.T
    return out if bias is None else out + bias


def _times(delta: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """δ W for ``delta [B, N, out]`` and a shared or per-task ``weight``."""
    if weight.ndim == 3 and weight.shape[1] == 1:
        return delta * weight
    return delta @ weight


def _outer_sum(delta: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """Σ_n δ[:, n]ᵀ a[:, n] → ``[B, out, in]``; width-1 sides as broadcasts."""
    if a.shape[2] == 1:
        return (delta * a).sum(1).unsqueeze(2)
    if delta.shape[2] == 1:
        return (delta * a).sum(1, keepdim=True)
    return delta.transpose(1, 2) @ a
