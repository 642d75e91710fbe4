"""The slow, obvious MAML: one task at a time, autograd through cloned parameters.

This is how learn2learn and higher compute the meta-objective, and it shares
no code with ``MetaLearner`` beyond ``functional_call``. It serves as the
oracle in the tests and as the baseline in ``benchmarks/``:

    F(θ) = (1/B) Σ_i L_i^query(θ'_i),   θ'_i = θ − α ∇L_i^support(θ)   (``inner_steps`` times)

Example:
    >>> import torch
    >>> from algorithms.mlp import MLP
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 8, 1))
    >>> batch = SinusoidTasks().sample(3, torch.Generator().manual_seed(0))
    >>> params = dict(model.named_parameters())
    >>> looped_meta_loss(model, torch.nn.functional.mse_loss, params, batch, 0.01).ndim
    0
"""

from __future__ import annotations

import torch
from torch import nn

from algorithms.losses import LossFn
from algorithms.params import Params
from synthetic.task_batch import TaskBatch


def looped_meta_loss(
    model: nn.Module,
    loss_fn: LossFn,
    params: Params,
    batch: TaskBatch,
    inner_lr: float,
    inner_steps: int = 1,
) -> torch.Tensor:
    """Second-order MAML meta-loss computed with a Python loop over the tasks of ``batch``."""
    losses = []
    for i in range(batch.num_tasks):
        fast = {name: tensor.clone() for name, tensor in params.items()}
        for _ in range(inner_steps):
            pred = torch.func.functional_call(model, fast, (batch.support_x[i],))
            grads = torch.autograd.grad(
                loss_fn(pred, batch.support_y[i]), list(fast.values()), create_graph=True
            )
            fast = {name: p - inner_lr * g for (name, p), g in zip(fast.items(), grads)}
        pred = torch.func.functional_call(model, fast, (batch.query_x[i],))
        losses.append(loss_fn(pred, batch.query_y[i]))
    return torch.stack(losses).mean()
