"""A multilayer perceptron with a fast path for many tasks' parameters at once.

``MLP((1, 40, 40, 1))`` is Finn et al.'s sinusoid network: Linear layers with
ReLU between them. Its ``batched_forward`` evaluates B tasks, each with its
own weights, as one batched matrix product per layer,

    h_{l+1}[i] = σ(h_l[i] W_l[i]ᵀ + b_l[i])      (torch.baddbmm over the task axis),

which on small networks is several times faster than ``vmap`` (per-operator
overhead, not arithmetic, dominates at this size); layers of width 1 (the
sinusoid net's first and last) run as broadcasts. The tests check that it
gives the generic ``vmap(functional_call)`` path's outputs and gradients.
It is split into ``batched_features`` (every layer but the last) and
``batched_head`` (the last layer), so ANIL computes the features once per
adaptation (``algorithms.forward.splits_features``). In the same way it
declares a faster meta-gradient method, its hand-written forward, backward and
Hessian-vector passes (``meta_gradient_method``, see ``algorithms.meta_gradient``
and ``algorithms.mlp_meta_gradient``), which a learner takes where they apply.

Example:
    >>> import torch
    >>> from algorithms.params import parameters_of
    >>> model = MLP((1, 40, 40, 1))
    >>> params = {k: v.expand(8, *v.shape) for k, v in parameters_of(model).items()}
    >>> tuple(model.batched_forward(params, torch.zeros(8, 10, 1)).shape)
    (8, 10, 1)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from algorithms.forward import batched_linear
from algorithms.mlp_meta_gradient import HandWrittenPasses
from algorithms.params import Params


class MLP(nn.Module):
    """Linear layers of the given widths with ReLU between them (none after the last)."""

    meta_gradient_method = HandWrittenPasses()

    def __init__(
        self, widths: Sequence[int], bias: bool = True, generator: torch.Generator | None = None
    ) -> None:
        """Layers ``widths[0] → widths[1] → …``; with a ``generator``, initialised from it.

        The initialisation is PyTorch's default for ``nn.Linear``,
        U(−1/√fan_in, 1/√fan_in) for weights and biases, drawn from
        ``generator`` when one is given (no global seeding needed).
        """
        super().__init__()
        widths = tuple(widths)
        if len(widths) < 2 or any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"widths must be at least two positive integers, got {widths!r}")
        self.widths = widths
        self.layers = nn.ModuleList(
            nn.Linear(fan_in, fan_out, bias=bias) for fan_in, fan_out in itertools.pairwise(widths)
        )
        if generator is not None:
            with torch.no_grad():
                for layer in self.layers:
                    bound = layer.in_features**-0.5
                    for tensor in layer.parameters():
                        tensor.uniform_(-bound, bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < len(self.layers) - 1:
                x = torch.relu(x)
        return x

    @property
    def head_prefix(self) -> str:
        """The last layer's parameter names start with this (see ``algorithms.forward``)."""
        return f"layers.{len(self.layers) - 1}."

    def batched_forward(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``[B, N, out]`` for inputs ``x [B, N, in]`` and parameters with a task axis B."""
        return self.batched_head(params, self.batched_features(params, x))

    def batched_features(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations ``[B, N, widths[-2]]`` (``x`` for one layer)."""
        for index in range(len(self.layers) - 1):
            x = torch.relu(self._batched_layer(params, index, x))
        return x

    def batched_head(self, params: Params, features: torch.Tensor) -> torch.Tensor:
        """The last layer on ``features [B, N, widths[-2]]``: outputs ``[B, N, out]``."""
        return self._batched_layer(params, len(self.layers) - 1, features)

    def _batched_layer(self, params: Params, index: int, x: torch.Tensor) -> torch.Tensor:
        weight, bias = params[f"layers.{index}.weight"], params.get(f"layers.{index}.bias")
        return batched_linear(x, weight, bias)
