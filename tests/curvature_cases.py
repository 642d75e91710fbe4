"""Objectives with known Hessians, shared by the curvature tests (each built once per session).

- ``meta_loss_case()``: second-order MAML (``algorithms.make("maml", ...)``) on
  four sinusoid tasks, a float64 tanh MLP 1-8-8-1 (97 parameters) at its
  random initialisation, inner step 0.3. Its Hessian is indefinite with
  |λ_min| ≈ 22.2 > λ_max ≈ 20.7, so "largest by magnitude" is the wrong
  answer there. The exact Hessian comes from ``torch.func.hessian``.
- ``quadratic_case(eigenvalues)``: L(θ) = ½ θᵀHθ with H = Q diag(λ) Qᵀ for a
  fixed random rotation Q.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import torch

from algorithms import make, mse, parameters_of
from algorithms.params import Params
from analysis.flat import Objective, ParamLayout
from synthetic import SinusoidTasks
from tests.conftest import smooth_mlp


@dataclass(frozen=True)
class Case:
    objective: Objective
    params: Params
    hessian: torch.Tensor

    @property
    def eigenvalues(self) -> torch.Tensor:
        """Ascending."""
        return torch.linalg.eigvalsh(self.hessian)


@functools.cache
def meta_loss_case() -> Case:
    model = smooth_mlp()
    learner = make("maml", model, mse, inner_lr=0.3, inner_steps=1)
    batch = SinusoidTasks(support_size=5, query_size=7).sample(
        4, torch.Generator().manual_seed(2), dtype=torch.float64
    )
    params = {name: t.detach() for name, t in parameters_of(model).items()}

    def objective(p: Params) -> torch.Tensor:
        return learner.meta_loss(p, batch)

    layout = ParamLayout.of(params)
    with warnings.catch_warnings():  # torch.func.hessian's forward mode loads jit-scripted rules
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        hessian = torch.func.hessian(lambda v: objective(layout.unflatten(v)))
        exact = hessian(layout.flatten(params))
    return Case(objective, params, exact.detach())


@functools.cache
def quadratic_case(eigenvalues: tuple[float, ...], seed: int = 0) -> Case:
    size = len(eigenvalues)
    rotation, _ = torch.linalg.qr(
        torch.randn(size, size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    )
    hessian = rotation @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ rotation.T
    hessian = (hessian + hessian.T) / 2

    def objective(p: Params) -> torch.Tensor:
        return 0.5 * p["theta"] @ hessian @ p["theta"]

    return Case(objective, {"theta": torch.zeros(size, dtype=torch.float64)}, hessian)
