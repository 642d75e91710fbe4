"""The training loop: determinism, divergence errors, checkpoints; and evaluation."""

from __future__ import annotations

import pytest
import torch

from algorithms import (
    MLP,
    DivergenceError,
    load_checkpoint,
    make,
    mse,
    parameters_of,
    save_checkpoint,
    train,
)
from synthetic import SinusoidTasks

TASKS = SinusoidTasks()


def run(seed: int, algorithm: str = "maml", inner_lr: float = 0.01, iterations: int = 30):
    torch.manual_seed(0)
    model = MLP((1, 16, 16, 1))
    learner = make(algorithm, model, mse, inner_lr=inner_lr)
    return train(
        learner,
        parameters_of(model),
        TASKS,
        iterations,
        torch.Generator().manual_seed(seed),
        check_every=7,
        progress=False,
        meta_batch=10,
    )


@pytest.mark.parametrize("algorithm", ["maml", "anil", "nal", "sign-maml"])
def test_same_seed_gives_bit_identical_runs(algorithm):
    first, second = run(3, algorithm), run(3, algorithm)
    assert first.losses == second.losses
    for name in first.params:
        assert torch.equal(first.params[name], second.params[name])
    assert run(4, algorithm).losses != first.losses


def test_without_a_generator_train_seeds_one_itself_and_repeats():
    def unseeded() -> list[float]:
        model = MLP((1, 8, 1), generator=torch.Generator().manual_seed(0))
        learner = make("maml", model, mse, inner_lr=0.01)
        return train(learner, parameters_of(model), TASKS, 5, progress=False, meta_batch=4).losses

    first = unseeded()
    assert first == unseeded() and len(first) == 5


def test_training_lowers_the_held_out_meta_loss():
    torch.manual_seed(0)
    model = MLP((1, 32, 32, 1))
    learner = make("maml", model, mse, inner_lr=0.01)
    params = parameters_of(model)
    held_out = TASKS.sample(200, torch.Generator().manual_seed(99))
    before = learner.meta_loss(params, held_out).item()
    train(
        learner,
        params,
        TASKS,
        300,
        torch.Generator().manual_seed(0),
        outer_lr=3e-3,
        progress=False,
        meta_batch=25,
    )
    assert learner.meta_loss(params, held_out).item() < 0.7 * before


def test_divergence_names_iteration_and_step_sizes_and_keeps_history():
    with pytest.raises(
        DivergenceError, match=r"iteration \d+ with inner_lr=1e\+06 and outer lr=0.001"
    ) as caught:
        run(0, inner_lr=1e6, iterations=40)
    error = caught.value
    assert len(error.losses) == error.iteration
    assert all(torch.isfinite(torch.tensor(error.losses)))
    assert all(torch.isfinite(t).all() for t in error.last_finite_params.values())


def test_optimizer_over_other_tensors_is_refused():
    model = MLP((1, 4, 1))
    params = parameters_of(model)
    optimizer = torch.optim.SGD(list(params.values())[:1], lr=0.1)
    with pytest.raises(ValueError, match="does not update params"):
        train(
            make("maml", model, mse, 0.1),
            params,
            TASKS,
            1,
            torch.Generator(),
            optimizer=optimizer,
            meta_batch=2,
        )


def test_checkpoint_round_trip_and_wrong_model(tmp_path):
    model = MLP((1, 8, 1))
    learner = make("maml", model, mse, 0.01)
    result = train(
        learner,
        parameters_of(model),
        TASKS,
        5,
        torch.Generator().manual_seed(0),
        progress=False,
        checkpoint_path=tmp_path / "maml.pt",
        meta_batch=4,
    )
    params, metadata = load_checkpoint(tmp_path / "maml.pt", model)
    assert metadata["algorithm"] == "maml" and metadata["iterations"] == 5
    for name in params:
        assert torch.equal(params[name], result.params[name].detach())
    with pytest.raises(ValueError, match="has shape"):
        load_checkpoint(tmp_path / "maml.pt", MLP((1, 16, 1)))
    with pytest.raises(ValueError, match="holds parameters of a MLP"):
        load_checkpoint(tmp_path / "maml.pt", torch.nn.Linear(1, 1))
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(tmp_path / "broken.pt", model)
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt", model)
    save_checkpoint(tmp_path / "maml.pt", model, params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.pt", "maml.pt"]


def test_evaluate_matches_explicit_adaptation(sinusoid_batch64):
    torch.manual_seed(0)
    model = MLP((1, 8, 8, 1)).double()
    learner = make("maml", model, mse, 0.05)
    params = parameters_of(model)
    scores = learner.evaluate(params, sinusoid_batch64, steps=(0, 3))
    broadcast = {k: v.expand(4, *v.shape) for k, v in params.items()}
    torch.testing.assert_close(
        scores[0],
        learner.task_losses(broadcast, sinusoid_batch64.query_x, sinusoid_batch64.query_y),
    )
    adapted = learner.adapt(params, sinusoid_batch64.support_x, sinusoid_batch64.support_y, steps=3)
    torch.testing.assert_close(
        scores[3], learner.task_losses(adapted, sinusoid_batch64.query_x, sinusoid_batch64.query_y)
    )
    one = learner.adapt_task(
        params, sinusoid_batch64.support_x[1], sinusoid_batch64.support_y[1], 3
    )
    torch.testing.assert_close(one["layers.0.weight"], adapted["layers.0.weight"][1])


def test_nal_meta_loss_is_the_pooled_loss(sinusoid_batch64):
    model = MLP((1, 8, 1)).double()
    params = parameters_of(model)
    pooled_x, pooled_y = sinusoid_batch64.pooled()
    with torch.no_grad():
        expected = torch.stack(
            [
                torch.nn.functional.mse_loss(torch.func.functional_call(model, params, (x,)), y)
                for x, y in zip(pooled_x, pooled_y)
            ]
        ).mean()
    torch.testing.assert_close(
        make("nal", model, mse, 0.01).meta_loss(params, sinusoid_batch64), expected
    )
