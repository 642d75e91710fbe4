"""A meta-gradient computed in bfloat16 where the hardware has it, θ and ∇F kept in float32.

Under ``torch.autocast(dtype=torch.bfloat16)`` the convolutions and matrix
products of the forward, the inner steps and the backward run in bfloat16
(8 bits of mantissa; on a CPU with AVX-512 BF16 or AMX, or a GPU), while the
parameters θ, the optimiser state and the returned ∇F stay float32. The
meta-gradient differs from float32's by bfloat16 rounding (a relative
difference of order 10⁻²), so it is an option, never a default: the README
shows what it changes on a claim and what it gains (``benchmarks/peers.py``).

Example:
    >>> import torch
    >>> from algorithms import ConvNet, cross_entropy, make, parameters_of
    >>> from synthetic import FewShotTasks, GlyphAlphabets
    >>> model = ConvNet(3, filters=4, image_size=16, blocks=2)
    >>> learner = make("maml", model, cross_entropy, 0.4, precision="bfloat16")
    >>> learner.meta_gradient_method
    ReducedPrecision(method=FastestChunks(method=Autograd(), margin=1.15))
    >>> images = GlyphAlphabets(alphabets=2, characters=3, drawings=3, image_size=16).render()
    >>> batch = FewShotTasks(images, 3, 1, 2).sample(2, torch.Generator().manual_seed(0))
    >>> loss, gradient = learner.meta_gradient(parameters_of(model), batch)
    >>> gradient["head.weight"].dtype
    torch.float32
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from algorithms.meta_gradient import MetaGradient
from algorithms.params import Params
from algorithms.probed_meta_gradient import FastestChunks
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

PRECISIONS = ("float32", "bfloat16")


@dataclass(frozen=True)
class ReducedPrecision:
    """``method`` under bfloat16 autocast on the batch's device; F and ∇F returned in float32."""

    method: MetaGradient = field(default_factory=FastestChunks)

    def applies(self, learner: MetaLearner) -> bool:
        return self.method.applies(learner)

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        with torch.autocast(batch.support_x.device.type, dtype=torch.bfloat16):
            loss, gradient = self.method(learner, params, batch)
        return loss.float(), {name: g.to(params[name].dtype) for name, g in gradient.items()}


def with_precision(method: MetaGradient, precision: str) -> MetaGradient:
    """``method`` itself for ``"float32"``, :class:`ReducedPrecision` of it for ``"bfloat16"``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    return method if precision == "float32" else ReducedPrecision(method)
