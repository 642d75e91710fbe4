"""ANIL adapts only the head; the body still gets a meta-gradient."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse, parameters_of
from synthetic import SinusoidTasks
from tests.conftest import smooth_mlp


def test_only_the_head_moves_in_the_inner_loop(sinusoid_batch64):
    model = smooth_mlp()
    learner = make("anil", model, mse, inner_lr=0.1, inner_steps=3)
    params = parameters_of(model)
    adapted = learner.adapt(params, sinusoid_batch64.support_x, sinusoid_batch64.support_y)
    assert learner.adapted == ("4.weight", "4.bias")
    for name, tensor in adapted.items():
        moved = not torch.equal(tensor, params[name].expand_as(tensor))
        assert moved == (name in learner.adapted), name


def test_body_meta_gradient_is_nonzero_and_second_order(sinusoid_batch64):
    model = smooth_mlp()
    params = parameters_of(model)
    grads = torch.autograd.grad(
        make("anil", model, mse, 0.1).meta_loss(params, sinusoid_batch64), list(params.values())
    )
    for (name, _), grad in zip(params.items(), grads):
        assert grad.abs().sum() > 0, name
    first_order = torch.autograd.grad(
        make("anil", model, mse, 0.1, first_order=True).meta_loss(params, sinusoid_batch64),
        list(params.values()),
    )
    assert not torch.allclose(grads[0], first_order[0])


def test_prefix_selection_overrides_the_head():
    model = MLP((1, 4, 4, 1))
    learner = make("anil", model, mse, 0.1, adapt_selection=("layers.0.",))
    assert learner.adapted == ("layers.0.weight", "layers.0.bias")


def test_unknown_prefix_is_a_clear_error():
    with pytest.raises(ValueError, match="no parameter of MLP starts with"):
        make("anil", MLP((1, 4, 1)), mse, 0.1, adapt_selection=("classifier.",))


def body_head_and_batch():
    from figures.claims.anil_setup import AnilSetup

    setup = AnilSetup(head="mlp", ridge=0.0)
    model = setup.model(seed=0).double()
    batch = setup.tasks().sampler(5, 6).sample(4, torch.Generator().manual_seed(0), torch.float64)
    return model, batch


@pytest.mark.parametrize("algorithm", ["anil", "maml"])
def test_features_computed_once_give_the_generic_gradients_and_evaluation(algorithm):
    model, batch = body_head_and_batch()
    params = parameters_of(model)
    once = make(algorithm, model, mse, 0.3, 3)
    generic = make(algorithm, model, mse, 0.3, 3, forward_path="vmap")
    for a, b in zip(
        torch.autograd.grad(once.meta_loss(params, batch), list(params.values())),
        torch.autograd.grad(generic.meta_loss(params, batch), list(params.values())),
    ):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)
    for steps, losses in once.evaluate(params, batch, steps=(0, 2, 4)).items():
        torch.testing.assert_close(losses, generic.evaluate(params, batch, (steps,))[steps])


def mlp_and_batch():
    model = MLP((1, 8, 8, 1), generator=torch.Generator().manual_seed(0)).double()
    return model, SinusoidTasks().sample(4, torch.Generator().manual_seed(0), torch.float64)


@pytest.mark.parametrize("model_and_batch", [body_head_and_batch, mlp_and_batch])
@pytest.mark.parametrize(("algorithm", "body_passes"), [("anil", 2), ("maml", 6)])
def test_anil_runs_the_body_once_on_the_support_set(
    monkeypatch, model_and_batch, algorithm, body_passes
):
    """Five inner steps: ANIL's body sees the support and the query set once each; MAML's
    body moves, so it runs at every step and on the query set."""
    model, batch = model_and_batch()
    calls = []
    features = model.batched_features
    monkeypatch.setattr(model, "batched_features", lambda *a: calls.append(1) or features(*a))
    make(algorithm, model, mse, 0.3, 5).meta_loss(parameters_of(model), batch)
    assert len(calls) == body_passes
