"""Agnostic-SAM: reductions to SAM, the inner rule's support-only validation batch."""

from __future__ import annotations

import pytest
import torch

from algorithms import (
    AgnosticStep,
    Ascent,
    ExampleLoss,
    SamStep,
    SharpOuterStep,
    agnostic_sam_step,
    make,
    mse,
    parameters_of,
)
from tests.conftest import smooth_mlp


def regression(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(32, 1, generator=generator, dtype=torch.float64)
    return x, torch.sin(3 * x)


def plain_objective(model, x, y):
    return lambda p: torch.func.functional_call(model, p, (x,)).sub(y).square().mean()


def test_zero_validation_gradient_reduces_the_optimiser_to_sam_with_radius_lambda_rho():
    model = smooth_mlp()
    x, y = regression(torch.Generator().manual_seed(0))
    objective = plain_objective(model, x, y)
    rho, weight = 0.05, 2.0
    agnostic, sam = parameters_of(model), parameters_of(model)
    constant = lambda p: 0.0 * p["0.weight"].sum()  # noqa: E731  (g_v = 0)
    agnostic_sam_step(
        objective, constant, agnostic, torch.optim.SGD(agnostic.values(), 0.1), rho, weight
    )
    SharpOuterStep(Ascent(rho * weight))(objective, sam, torch.optim.SGD(sam.values(), 0.1))
    for name in sam:
        torch.testing.assert_close(agnostic[name], sam[name], rtol=1e-13, atol=1e-15)


def test_a_validation_term_changes_the_step():
    model = smooth_mlp()
    generator = torch.Generator().manual_seed(0)
    x, y = regression(generator)
    x_val, y_val = regression(generator)
    agnostic, sam = parameters_of(model), parameters_of(model)
    agnostic_sam_step(
        plain_objective(model, x, y),
        plain_objective(model, x_val[:8], y_val[:8]),
        agnostic,
        torch.optim.SGD(agnostic.values(), 0.1),
    )
    SharpOuterStep(Ascent(0.1))(
        plain_objective(model, x, y), sam, torch.optim.SGD(sam.values(), 0.1)
    )
    assert not torch.allclose(agnostic["0.weight"], sam["0.weight"], rtol=1e-6, atol=0)


def test_inner_rule_with_the_validation_batch_equal_to_the_training_batch_is_sam(
    sinusoid_batch64,
):
    """stride 1: g_v = g_t, so ε = ρ(λ − 1) ĝ_t, a SAM step with radius ρ(λ − 1)."""
    model = smooth_mlp()
    params = parameters_of(model)
    agnostic = make("maml", model, mse, 0.05, inner_rule=AgnosticStep(0.1, 3.0, stride=1))
    sam = make("maml", model, mse, 0.05, inner_rule=SamStep(Ascent(0.2)))
    grad_a = torch.autograd.grad(agnostic.meta_loss(params, sinusoid_batch64), [*params.values()])
    grad_s = torch.autograd.grad(sam.meta_loss(params, sinusoid_batch64), [*params.values()])
    for a, s in zip(grad_a, grad_s):
        torch.testing.assert_close(a, s, rtol=1e-10, atol=1e-13)


def test_inner_rule_draws_its_validation_batch_from_the_support_set_only(sinusoid_batch64):
    seen = []

    def task_losses(params, x, y):
        seen.append(x)
        return (params["w"] * x).sum(dim=(1, 2)) - y.sum(dim=(1, 2))

    support = ExampleLoss(task_losses, sinusoid_batch64.support_x, sinusoid_batch64.support_y)
    params = {"w": torch.ones(4, 1, dtype=torch.float64, requires_grad=True)}
    AgnosticStep(0.1)(support, {"w": params["w"][:, None]}, ("w",), 0.1, False)
    support_points = {float(v) for v in sinusoid_batch64.support_x.flatten()}
    assert all({float(v) for v in x.flatten()} <= support_points for x in seen)
    assert [x.shape[1] for x in seen] == [5, 2, 5]  # training, validation (indices 0, 4), step


def test_inner_rule_needs_an_example_loss():
    with pytest.raises(ValueError, match=r"needs a loss_of with \.examples"):
        AgnosticStep(0.1)(lambda p: p["w"].sum(dim=1), {"w": torch.ones(2, 1)}, ("w",), 0.1, False)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"rho": -0.1}, "rho must be"), ({"rho": 0.1, "stride": 0}, "stride must be an integer")],
)
def test_bad_settings(options, message):
    with pytest.raises(ValueError, match=message):
        AgnosticStep(**options)


def test_agnostic_sam_registry_learner_splits_every_fourth_task_for_validation():
    """make("agnostic-sam") = agnostic_sam_step on (tasks 0,1,2,4,5,6) vs validation (3,7)."""
    from algorithms import MLP, make, mse, parameters_of, train
    from algorithms.agnostic_sam import agnostic_sam_step
    from algorithms.outer_steps import BatchObjective
    from synthetic import SamplerFunction, SinusoidTasks

    torch.manual_seed(0)
    model = MLP((1, 8, 1)).double()
    learner = make("agnostic-sam", model, mse, 0.01, rho=0.1)
    batch = SinusoidTasks().sample(8, torch.Generator().manual_seed(0), dtype=torch.float64)
    by_registry, by_hand = parameters_of(model), parameters_of(model)
    learner.outer_step(
        BatchObjective(learner, batch),
        by_registry,
        torch.optim.SGD(by_registry.values(), lr=0.1),
    )
    agnostic_sam_step(
        lambda p: learner.meta_loss(p, batch.select(torch.tensor([0, 1, 2, 4, 5, 6]))),
        lambda p: learner.meta_loss(p, batch.select(torch.tensor([3, 7]))),
        by_hand,
        torch.optim.SGD(by_hand.values(), lr=0.1),
        rho=0.1,
        weight=2.0,
    )
    for name in by_hand:
        torch.testing.assert_close(by_registry[name], by_hand[name], rtol=1e-13, atol=1e-15)
    result = train(
        learner,
        parameters_of(model),
        SamplerFunction(lambda n, g: SinusoidTasks().sample(n, g, torch.float64)),
        5,
        torch.Generator().manual_seed(1),
        progress=False,
        meta_batch=8,
    )
    assert len(result.losses) == 5


def test_agnostic_sam_outer_step_refuses_what_it_cannot_split():
    from algorithms import MLP, make, mse, parameters_of
    from algorithms.outer_steps import BatchObjective
    from synthetic import SinusoidTasks

    model = MLP((1, 4, 1))
    learner = make("agnostic-sam", model, mse, 0.01)
    params = parameters_of(model)
    optimizer = torch.optim.SGD(params.values(), lr=0.1)
    with pytest.raises(ValueError, match="split by tasks"):
        learner.outer_step(lambda p: p["layers.0.weight"].sum(), params, optimizer)
    one_task = SinusoidTasks().sample(1, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="at least 2 tasks, got 1"):
        learner.outer_step(BatchObjective(learner, one_task), params, optimizer)
