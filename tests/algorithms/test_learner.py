"""The learner as a unit: adaptation, the two meta-objectives and evaluation, by hand."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from algorithms import MLP, MetaLearner, make, mse, parameters_of
from synthetic import SinusoidTasks, TaskBatch


def linear_model() -> torch.nn.Module:
    model = torch.nn.Linear(2, 1, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -1.0]], dtype=torch.float64))
    return model


def batch() -> TaskBatch:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 2, generator=generator, dtype=torch.float64)
    y = torch.randn(3, 4, 1, generator=generator, dtype=torch.float64)
    return TaskBatch(x, y, x.flip(1), y.flip(1))


def by_hand_adapted(weight: torch.Tensor, x: torch.Tensor, y: torch.Tensor, lr: float):
    """θ' = θ − α ∇ mean((xθ − y)²) = θ − α (2/K) xᵀ(xθ − y), per task."""
    residual = x @ weight.T - y
    return weight - lr * 2 * (residual.transpose(1, 2) @ x) / x.shape[1]


def test_adapt_takes_one_gradient_step_per_task():
    model, data = linear_model(), batch()
    learner = MetaLearner(model, mse, inner_lr=0.1)
    weight = model.weight.detach()
    adapted = learner.adapt({"weight": weight}, data.support_x, data.support_y)
    expected = by_hand_adapted(weight, data.support_x, data.support_y, 0.1)
    assert torch.allclose(adapted["weight"], expected, rtol=1e-12)


def test_meta_loss_is_the_query_loss_after_adaptation_and_nal_pools_the_data():
    model, data = linear_model(), batch()
    weight = model.weight.detach()
    adapted = by_hand_adapted(weight, data.support_x, data.support_y, 0.1)
    query = ((data.query_x @ adapted.transpose(1, 2) - data.query_y) ** 2).mean()
    maml = MetaLearner(model, mse, inner_lr=0.1)
    assert torch.allclose(maml.meta_loss({"weight": weight}, data), query, rtol=1e-12)
    nal = MetaLearner(model, mse, inner_lr=0.1, pooled_objective=True)
    x, y = data.pooled()
    pooled = ((x @ weight.T - y) ** 2).mean()
    assert torch.allclose(nal.meta_loss({"weight": weight}, data), pooled, rtol=1e-12)


def test_evaluate_scores_zero_steps_at_theta_and_one_step_after_adapting():
    model, data = linear_model(), batch()
    learner = MetaLearner(model, mse, inner_lr=0.1)
    weight = model.weight.detach()
    scores = learner.evaluate({"weight": weight}, data, steps=(0, 1))
    at_theta = ((data.query_x @ weight.T - data.query_y) ** 2).mean(dim=(1, 2))
    adapted = by_hand_adapted(weight, data.support_x, data.support_y, 0.1)
    after = ((data.query_x @ adapted.transpose(1, 2) - data.query_y) ** 2).mean(dim=(1, 2))
    assert torch.allclose(scores[0], at_theta, rtol=1e-12)
    assert torch.allclose(scores[1], after, rtol=1e-12)


def test_a_loss_that_returns_a_vector_per_task_is_refused():
    def unreduced(pred, target):
        return F.mse_loss(pred, target, reduction="none")

    model = MLP((1, 4, 1))
    batch = SinusoidTasks().sample(2, torch.Generator().manual_seed(0))
    learner = make("maml", model, unreduced, 0.1)
    with pytest.raises(ValueError, match=r"returned shape \(10, 1\) for one task; it must return"):
        learner.meta_loss(parameters_of(model), batch)


def test_a_batch_of_another_dtype_than_the_parameters_is_refused_up_front():
    model = MLP((1, 4, 1))
    batch = SinusoidTasks().sample(2, torch.Generator().manual_seed(0), dtype=torch.float64)
    learner = make("maml", model, mse, 0.1)
    message = r"inputs are torch.float64 but the parameters are torch.float32; draw the tasks"
    for call in (learner.meta_gradient, learner.meta_loss):
        with pytest.raises(ValueError, match=message):
            call(parameters_of(model), batch)
