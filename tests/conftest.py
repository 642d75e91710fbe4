"""Shared fixtures: small float64 models and task batches made from explicit seeds."""

from __future__ import annotations

import itertools

import pytest
import torch

from synthetic import SinusoidTasks


@pytest.fixture
def generator() -> torch.Generator:
    return torch.Generator().manual_seed(1234)


@pytest.fixture
def sinusoid_batch64(generator: torch.Generator):
    """Four sinusoid tasks, K = 5 support and 7 query points, float64."""
    return SinusoidTasks(support_size=5, query_size=7).sample(4, generator, dtype=torch.float64)


def smooth_mlp(widths=(1, 8, 8, 1)) -> torch.nn.Module:
    """A float64 tanh MLP as a plain nn.Sequential: the generic vmap path, smooth for finite
    differences."""
    torch.manual_seed(0)
    layers = []
    for index, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        layers.append(torch.nn.Linear(fan_in, fan_out))
        if index < len(widths) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers).double()
