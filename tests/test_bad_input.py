"""Every bad input gets a ValueError that names what is wrong."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse, parameters_of, train
from synthetic import LinearTaskMixture, SinusoidTasks, TaskBatch, TaskCluster


def test_task_batch_with_mismatched_examples():
    with pytest.raises(ValueError, match=r"support_x has shape .* but support_y"):
        TaskBatch(
            torch.zeros(2, 5, 1), torch.zeros(2, 4, 1), torch.zeros(2, 3, 1), torch.zeros(2, 3, 1)
        )


def test_task_batch_with_mismatched_task_axis():
    with pytest.raises(ValueError, match="query_x has 3 tasks"):
        TaskBatch(
            torch.zeros(2, 5, 1), torch.zeros(2, 5, 1), torch.zeros(3, 3, 1), torch.zeros(3, 3, 1)
        )


def test_task_batch_with_different_example_shapes():
    with pytest.raises(ValueError, match="support_x examples have shape"):
        TaskBatch(
            torch.zeros(2, 5, 1), torch.zeros(2, 5, 1), torch.zeros(2, 3, 2), torch.zeros(2, 3, 1)
        )


def test_task_batch_without_task_axis():
    with pytest.raises(ValueError, match="unsqueeze"):
        TaskBatch(torch.zeros(5), torch.zeros(5), torch.zeros(5), torch.zeros(5))


@pytest.mark.parametrize("inner_lr", [0.0, -0.1, float("nan"), float("inf")])
def test_non_positive_inner_step(inner_lr):
    with pytest.raises(ValueError, match="inner_lr must be > 0"):
        make("maml", MLP((1, 4, 1)), mse, inner_lr=inner_lr)


@pytest.mark.parametrize("steps", [0, -1, 1.5])
def test_bad_inner_steps(steps):
    with pytest.raises(ValueError, match="inner_steps must be an integer >= 1"):
        make("maml", MLP((1, 4, 1)), mse, inner_lr=0.1, inner_steps=steps)


def test_non_positive_outer_step():
    model = MLP((1, 4, 1))
    with pytest.raises(ValueError, match="outer_lr must be > 0"):
        train(
            make("maml", model, mse, 0.1),
            parameters_of(model),
            SinusoidTasks(),
            1,
            torch.Generator(),
            outer_lr=0.0,
            meta_batch=2,
        )


def test_unknown_algorithm():
    with pytest.raises(ValueError, match=r"unknown algorithm 'mamll'; choose one of \['maml'"):
        make("mamll", MLP((1, 4, 1)), mse, 0.1)


def test_unknown_option():
    with pytest.raises(ValueError, match=r"unknown options \['inner_rate'\]"):
        make("maml", MLP((1, 4, 1)), mse, 0.1, inner_rate=0.1)


def test_params_of_another_model():
    batch = SinusoidTasks().sample(2, torch.Generator().manual_seed(0))
    learner = make("maml", MLP((1, 4, 1)), mse, 0.1)
    params = parameters_of(MLP((1, 4, 1)))
    del params["layers.1.bias"]
    with pytest.raises(ValueError, match=r"missing \['layers.1.bias'\]"):
        learner.meta_loss(params, batch)


def test_params_with_wrong_shape():
    batch = SinusoidTasks().sample(2, torch.Generator().manual_seed(0))
    learner = make("maml", MLP((1, 4, 1)), mse, 0.1)
    with pytest.raises(ValueError, match=r"params\['layers.0.weight'\] has shape \(8, 1\)"):
        learner.meta_loss(parameters_of(MLP((1, 8, 1))), batch)


def test_data_of_another_shape_than_the_model_takes():
    batch = SinusoidTasks().sample(2, torch.Generator().manual_seed(0))
    learner = make("maml", MLP((3, 4, 1)), mse, 0.1)
    with pytest.raises(ValueError, match=r"MLP could not run on x of shape \(2, 10, 1\)"):
        learner.meta_loss(parameters_of(learner.model), batch)


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        (
            [TaskCluster(0.5, 1.0, torch.zeros(2)), TaskCluster(0.6, 1.0, torch.zeros(2))],
            "sum to 1.1",
        ),
        (
            [TaskCluster(1.0, 1.0, torch.zeros(2)), TaskCluster(0.0, 1.0, torch.zeros(3))],
            "different dimensions",
        ),
        ([], "at least one"),
    ],
)
def test_bad_mixture(clusters, message):
    with pytest.raises(ValueError, match=message):
        LinearTaskMixture(clusters)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probability": -0.1}, "probability must be >= 0"),
        ({"covariance": torch.tensor([[1.0, 2.0], [2.0, 1.0]])}, "positive definite"),
        ({"covariance": torch.tensor([[1.0, 0.5], [0.0, 1.0]])}, "symmetric"),
        ({"covariance": torch.eye(3)}, "shape"),
        ({"covariance": -1.0}, "covariance ρ must be > 0"),
        ({"spread": -1.0}, "spread must be >= 0"),
        ({"noise_std": float("nan")}, "noise_std must be >= 0"),
    ],
)
def test_bad_cluster(kwargs, message):
    arguments = {"probability": 1.0, "covariance": 1.0, "centre": torch.zeros(2)} | kwargs
    with pytest.raises(ValueError, match=message):
        TaskCluster(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"support_size": 0}, "support_size must be an integer >= 1"),
        ({"amplitude_range": (5.0, 0.1)}, "amplitude_range must be a pair"),
    ],
)
def test_bad_sinusoid_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SinusoidTasks(**kwargs)
