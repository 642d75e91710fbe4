"""A body–head network: an MLP body, unit-norm features, an MLP or linear head.

``BodyHead(body_widths, head_widths)`` computes f(x) = head(h(x)) with
h(x) = g_φ(x)/‖g_φ(x)‖ ∈ ℝᵖ, the body's output normalised. With a linear head
f_w(h) = ⟨w, h⟩ on unit-norm features the head's squared loss has Hessian
2Σ̂ with 0 ⪯ Σ̂ ⪯ I and tr Σ̂ = 1, which is what makes ANIL's inner loss
exactly strongly convex once a ridge is added (claims A1–A4).

Its batched forward is split into features and head (``algorithms.forward``),
so ANIL computes the body's features once per adaptation.

Example:
    >>> import torch
    >>> model = BodyHead((3, 8, 4), (4, 1), torch.Generator().manual_seed(0))
    >>> sorted({name.split(".")[0] for name, _ in model.named_parameters()})
    ['body', 'head']
    >>> tuple(model(torch.ones(2, 3)).shape)
    (2, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from algorithms.mlp import MLP
from algorithms.params import Params

HEAD = "head."


class BodyHead(nn.Module):
    """``head(normalise(body(x)))``: an MLP body, unit-norm features, an MLP or linear head.

    Parameters are named ``body.layers.*`` and ``head.layers.*``; the batched
    forward runs both MLPs' fast paths, split into features and head so that
    ANIL computes the features once per adaptation (``algorithms.forward``).
    """

    def __init__(
        self,
        body_widths: Sequence[int],
        head_widths: Sequence[int],
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        if body_widths[-1] != head_widths[0]:
            raise ValueError(
                f"the body's output width {body_widths[-1]} must equal the head's input width "
                f"{head_widths[0]}"
            )
        self.body = MLP(body_widths, generator=generator)
        self.head = MLP(head_widths, bias=len(head_widths) > 2, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.normalize(self.body(x), dim=-1))

    head_prefix = HEAD
    """The head's parameter names start with this (see ``algorithms.forward``)."""

    def batched_forward(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``[B, N, out]`` for ``x [B, N, in]`` and parameters with a task axis B."""
        return self.batched_head(params, self.batched_features(params, x))

    def batched_features(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Unit-norm features ``[B, N, p]`` of the body."""
        return F.normalize(self.body.batched_forward(_part(params, "body."), x), dim=-1)

    def batched_head(self, params: Params, features: torch.Tensor) -> torch.Tensor:
        """The head's outputs ``[B, N, out]`` on ``features [B, N, p]``."""
        return self.head.batched_forward(_part(params, HEAD), features)


def _part(params: Params, prefix: str) -> Params:
    return {name.removeprefix(prefix): t for name, t in params.items() if name.startswith(prefix)}
