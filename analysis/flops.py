"""Floating-point operations of a computation, counted by instrumentation.

:func:`matmul_flops` runs a closure under ``torch.utils.flop_counter`` and
returns the FLOPs of every matrix product (and convolution) it dispatched:
the forward pass, the backward pass and any double backward. Elementwise
operations are not counted, so the number is a lower bound dominated by the
products (2·m·n·k for an ``[m, k] @ [k, n]`` product).

Grouped convolutions: torch's formula counts the weight gradient of a
convolution with ``groups=g`` (``aten.convolution_backward``) g times too
high; count a grouped computation one group at a time (e.g. the batched
ConvNet on one task, where the grouped convolution is a plain one).

Example:
    >>> import torch
    >>> a, b = torch.ones(4, 3), torch.ones(3, 5)
    >>> matmul_flops(lambda: a @ b)
    120
"""

from __future__ import annotations

from collections.abc import Callable

from torch.utils.flop_counter import FlopCounterMode


def matmul_flops(computation: Callable[[], object]) -> int:
    """FLOPs of the matrix products ``computation()`` runs (its result is discarded)."""
    with FlopCounterMode(display=False) as counter:
        computation()
    return int(counter.get_total_flops())
