"""Any ``nn.Module`` under the task-batched forward: dropout draws per task, batch norm with batch
or fixed statistics runs, and batch norm that updates running statistics is refused up front."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from algorithms import make, mse, parameters_of
from algorithms.forward import batched_forward
from algorithms.outer_steps import BatchObjective
from synthetic import SinusoidTasks


def task_params(model: nn.Module, tasks: int) -> dict[str, torch.Tensor]:
    return {k: v.detach().expand(tasks, *v.shape) for k, v in model.named_parameters()}


def test_dropout_in_training_mode_draws_its_own_mask_per_task():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 1))
    x = torch.randn(1, 5, 1).expand(3, 5, 1)
    out = batched_forward(model)(task_params(model, 3), x)
    assert not out[0].equal(out[1]), "same inputs and weights, different masks"
    model.eval()
    out = batched_forward(model)(task_params(model, 3), x)
    assert out[0].equal(out[1]) and torch.allclose(out[0], model(x[0]))


def test_dropout_and_batch_statistics_train_a_maml_step():
    model = nn.Sequential(
        nn.Linear(1, 16),
        nn.BatchNorm1d(16, track_running_stats=False),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(16, 1),
    )
    learner = make("maml", model, mse, 0.01)
    params = parameters_of(model)
    before = {k: v.detach().clone() for k, v in params.items()}
    batch = SinusoidTasks().sample(4, torch.Generator().manual_seed(0))
    optimizer = torch.optim.Adam(params.values(), 1e-2)
    learner.outer_step(BatchObjective(learner, batch), params, optimizer)
    assert all(not torch.equal(before[k], params[k]) for k in params)


def test_batch_norm_with_fixed_running_statistics_matches_the_module():
    model = nn.Sequential(nn.Linear(1, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    model[1].running_mean.uniform_(-1, 1)
    model.eval()
    x = torch.randn(3, 5, 1)
    out = batched_forward(model)(task_params(model, 3), x)
    assert torch.allclose(out[2], model(x[2]), atol=1e-6)


def test_batch_norm_updating_running_statistics_is_refused_with_the_fix():
    model = nn.Sequential(nn.Linear(1, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    with pytest.raises(ValueError) as error:
        make("maml", model, mse, 0.01)
    message = str(error.value)
    assert "model layer '1' (BatchNorm1d) updates running statistics" in message
    assert "track_running_stats=False" in message and "model.eval()" in message
