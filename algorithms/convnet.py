"""The 4-block convolutional network of the few-shot papers, with a fast path for many tasks.

Each block is a 3×3 convolution (padding 1) → batch norm → ReLU → 2×2 max-pool;
a linear head maps the flattened features to the N classes (Vinyals et al.
2016; Finn et al. 2017 use 64 filters on 28×28 Omniglot, 32 filters on 84×84
miniImageNet). Batch norm always normalises with the statistics of the
batch it sees (no running averages, as in MAML): for a task, the support
or query images, so the network is a pure function of (θ, x) and works
functionally under ``vmap``. The head is the last module with parameters,
so ANIL's ``"head"`` selection adapts exactly it.

``batched_forward`` runs B tasks with their own parameters at once by
folding the task axis into the channels: the images of all tasks become
one ``[n, B·C, H, W]`` batch and each convolution a grouped one
(``groups=B``), whose group i sees only task i's channels and filters.
Batch norm over the ``B·F`` channels computes exactly each task's own
per-filter statistics over (n, H, W), and max-pool acts per channel; the
head is a batched matrix product. The tests check it against the generic
``vmap`` path in float64 (outputs and meta-gradients), and
``benchmarks/convnet.py`` times both.

Batch norm and third derivatives. torch's fused batch-norm kernel gives exact
first and second derivatives, so the MAML meta-gradient through it is exact,
but wrong third derivatives in training mode (pytorch/pytorch#186256), which
the Hessian of a second-order meta-loss needs: through it that "Hessian" is
not even symmetric. With ``exact_batch_norm`` set, the batched path
normalises with :func:`batch_norm`, written out from primitives and exact to
every order, at about 1.4× the time and 2× the memory of a meta-gradient;
:func:`exact_higher_derivatives` sets it for the duration of a curvature
measurement. The generic ``vmap`` path runs ``nn.BatchNorm2d`` (fused) always.

Example:
    >>> import torch
    >>> from algorithms.params import parameters_of
    >>> model = ConvNet(ways=5, filters=8, generator=torch.Generator().manual_seed(0))
    >>> tuple(model(torch.zeros(10, 1, 28, 28)).shape), model.features_size
    ((10, 5), 8)
    >>> params = {k: v.expand(3, *v.shape) for k, v in parameters_of(model).items()}
    >>> tuple(model.batched_forward(params, torch.zeros(3, 10, 1, 28, 28)).shape)
    (3, 10, 5)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from algorithms.params import Params
from synthetic.validation import require_count

KERNEL_SIZE = 3
POOL_SIZE = 2


class ConvNet(nn.Module):
    """``blocks`` × (conv 3×3 → batch norm → ReLU → max-pool 2×2), then a linear head."""

    def __init__(
        self,
        ways: int,
        channels: int = 1,
        filters: int = 64,
        image_size: int = 28,
        blocks: int = 4,
        generator: torch.Generator | None = None,
    ) -> None:
        """A network for ``channels × image_size × image_size`` inputs and ``ways`` classes.

        With a ``generator`` the weights are drawn from it with PyTorch's
        default scheme, U(−1/√fan_in, 1/√fan_in) for convolutions and the head
        (batch norm starts at scale 1, shift 0): no global seeding needed.
        """
        super().__init__()
        self.exact_batch_norm = False
        """Normalise with :func:`batch_norm` (exact to every order) instead of the fused kernel."""
        for name, value in (
            ("ways", ways),
            ("channels", channels),
            ("filters", filters),
            ("image_size", image_size),
            ("blocks", blocks),
        ):
            require_count(name, value)
        if image_size < POOL_SIZE**blocks:
            raise ValueError(
                f"image_size must be >= {POOL_SIZE**blocks} so {blocks} 2×2 max-pools leave a "
                f"pixel, got {image_size}; lower blocks or use larger images"
            )
        self.image_size = image_size
        self.features = nn.Sequential(
            *(_block(channels if index == 0 else filters, filters) for index in range(blocks))
        )
        side = image_size
        for _ in range(blocks):
            side //= POOL_SIZE
        self.features_size = filters * side * side
        self.head = nn.Linear(self.features_size, ways)
        if generator is not None:
            self._initialise(generator)

    @classmethod
    def omniglot(cls, ways: int, generator: torch.Generator | None = None) -> ConvNet:
        """64 filters, 28×28 grayscale inputs."""
        return cls(ways, channels=1, filters=64, image_size=28, generator=generator)

    @classmethod
    def mini_imagenet(cls, ways: int, generator: torch.Generator | None = None) -> ConvNet:
        """32 filters, 84×84 RGB inputs."""
        return cls(ways, channels=3, filters=32, image_size=84, generator=generator)

    def _initialise(self, generator: torch.Generator) -> None:
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Conv2d | nn.Linear):
                    bound = (module.weight[0].numel()) ** -0.5
                    for tensor in (module.weight, module.bias):
                        tensor.uniform_(-bound, bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[n, ways]`` for images ``x [n, channels, height, width]``."""
        return self.head(self.features(x).flatten(1))

    head_prefix = "head."
    """The head's parameter names start with this (see ``algorithms.forward``)."""

    def batched_forward(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, n, ways]`` for ``x [B, n, C, H, W]`` and parameters with a task axis B."""
        return self.batched_head(params, self.batched_features(params, x))

    def batched_features(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        """Flattened features ``[B, n, features_size]`` of the conv blocks (grouped convs)."""
        num_tasks, num_images = x.shape[:2]
        hidden = x.transpose(0, 1).flatten(1, 2)  # [n, B·C, H, W]: task i owns channels i·C…
        for index, block in enumerate(self.features):
            conv, norm = block[0], block[1]
            prefix = f"features.{index}"
            hidden = F.conv2d(
                hidden,
                params[f"{prefix}.0.weight"].flatten(0, 1),
                params[f"{prefix}.0.bias"].flatten(),
                padding=conv.padding,
                groups=num_tasks,
            )
            normalise = batch_norm if self.exact_batch_norm else fused_batch_norm
            hidden = normalise(
                hidden, params[f"{prefix}.1.weight"], params[f"{prefix}.1.bias"], norm.eps
            )
            hidden = torch.relu(F.max_pool2d(hidden, POOL_SIZE))
        return hidden.reshape(num_images, num_tasks, -1).transpose(0, 1)

    def batched_head(self, params: Params, features: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, n, ways]`` of the linear head on ``features [B, n, features_size]``."""
        return torch.baddbmm(
            params["head.bias"].unsqueeze(1), features, params["head.weight"].transpose(1, 2)
        )


@contextmanager
def exact_higher_derivatives(model: nn.Module) -> Iterator[None]:
    """Within the block, a ``ConvNet`` (anywhere in ``model``) normalises with
    :func:`batch_norm`, whose derivatives are exact to every order: for Hessians of
    a meta-loss. Other modules are left as they are.

    Example:
        >>> net = ConvNet(3, filters=2, image_size=8, blocks=1)
        >>> with exact_higher_derivatives(net):
        ...     net.exact_batch_norm
        True
        >>> net.exact_batch_norm
        False
    """
    nets = [module for module in model.modules() if isinstance(module, ConvNet)]
    before = [net.exact_batch_norm for net in nets]
    for net in nets:
        net.exact_batch_norm = True
    try:
        yield
    finally:
        for net, value in zip(nets, before, strict=True):
            net.exact_batch_norm = value


def fused_batch_norm(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> torch.Tensor:
    """Batch norm of ``hidden [n, C, H, W]`` by torch's fused kernel (training statistics):
    exact first and second derivatives only (see the module docstring)."""
    return F.batch_norm(
        hidden, None, None, weight.flatten(), bias.flatten(), training=True, eps=eps
    )


def batch_norm(
    hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float
) -> torch.Tensor:
    """Batch norm of ``hidden [n, C, H, W]`` over (n, H, W) per channel, from primitives:

        y = (x − μ) / √(σ² + ε) · γ + β,   μ, σ² the channel's mean and biased variance,

    with ``weight`` γ and ``bias`` β of any shape holding C values (a task axis folded
    in). It equals ``F.batch_norm(training=True)`` to rounding and, unlike torch's fused
    kernel, has exact derivatives of every order: the fused double backward treats the
    batch statistics as constants when differentiated again (pytorch/pytorch#186256), so
    Hessians of a second-order meta-loss, which need third derivatives of the support
    loss, come out wrong (not even symmetric) through it.
    """
    dims = (0, 2, 3)
    centred = hidden - hidden.mean(dim=dims, keepdim=True)
    scale = torch.rsqrt(centred.square().mean(dim=dims, keepdim=True) + eps)
    return centred * scale * weight.reshape(1, -1, 1, 1) + bias.reshape(1, -1, 1, 1)


def _block(in_channels: int, filters: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, filters, KERNEL_SIZE, padding=KERNEL_SIZE // 2),
        nn.BatchNorm2d(filters, track_running_stats=False),
        nn.ReLU(),
        nn.MaxPool2d(POOL_SIZE),
    )
