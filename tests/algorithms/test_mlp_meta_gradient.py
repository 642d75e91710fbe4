"""The hand-written MLP meta-gradient equals autograd's, and the learner uses it only where
it applies."""

from __future__ import annotations

import pytest
import torch

import algorithms.mlp_meta_gradient
from algorithms import (
    MLP,
    Autograd,
    FastestChunks,
    HandWrittenPasses,
    cross_entropy,
    make,
    mse,
    parameters_of,
    train,
)
from algorithms.mlp_meta_gradient import mlp_meta_gradient
from synthetic import SamplerFunction, TaskBatch


def regression_batch(widths, tasks=5, support=6, query=4, seed=0) -> TaskBatch:
    generator = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=generator, dtype=torch.float64)

    return TaskBatch(
        draw(tasks, support, widths[0]),
        draw(tasks, support, widths[-1]),
        draw(tasks, query, widths[0]),
        draw(tasks, query, widths[-1]),
    )


def classification_batch(widths, tasks=5, support=6, query=4, seed=0) -> TaskBatch:
    """Gaussian inputs with labels in range(widths[-1])."""
    regression = regression_batch(widths, tasks, support, query, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    support_labels = torch.randint(widths[-1], (tasks, support), generator=generator)
    query_labels = torch.randint(widths[-1], (tasks, query), generator=generator)
    return TaskBatch(regression.support_x, support_labels, regression.query_x, query_labels)


def float64_mlp(widths, bias=True) -> MLP:
    return MLP(widths, bias=bias, generator=torch.Generator().manual_seed(1)).double()


def autograd_gradient(algorithm, model, batch, inner_lr, steps, loss_fn=mse):
    learner = make(algorithm, model, loss_fn, inner_lr, steps, forward_path="vmap")
    params = parameters_of(model)
    loss = learner.meta_loss(params, batch)
    return loss, dict(zip(params, torch.autograd.grad(loss, list(params.values()))))


CASES = [
    ((1, 40, 40, 1), True, 1),
    ((1, 40, 40, 1), True, 3),
    ((3, 8, 5, 2), True, 2),
    ((2, 6, 6, 6, 1), True, 1),
    ((4, 1), False, 2),
    ((3, 7, 2), False, 1),
]


@pytest.mark.parametrize(("widths", "bias", "steps"), CASES)
@pytest.mark.parametrize("algorithm", ["maml", "fo-maml"])
def test_hand_written_passes_equal_autograd_in_float64(algorithm, widths, bias, steps):
    model, batch = float64_mlp(widths, bias), regression_batch(widths)
    expected_loss, expected = autograd_gradient(algorithm, model, batch, 0.1, steps)
    learner = make(algorithm, model, mse, 0.1, steps)
    loss, gradient = learner.meta_gradient(parameters_of(model), batch)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    assert gradient.keys() == expected.keys()
    for name in expected:
        torch.testing.assert_close(gradient[name], expected[name], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("widths", "bias", "steps"), [((2, 8, 3), True, 1), ((3, 6, 6, 5), True, 2), ((4, 2), False, 3)]
)
@pytest.mark.parametrize("algorithm", ["maml", "fo-maml"])
def test_cross_entropy_passes_equal_autograd_in_float64(algorithm, widths, bias, steps):
    model, batch = float64_mlp(widths, bias), classification_batch(widths)
    expected_loss, expected = autograd_gradient(algorithm, model, batch, 0.5, steps, cross_entropy)
    learner = make(algorithm, model, cross_entropy, 0.5, steps)
    loss, gradient = learner.meta_gradient(parameters_of(model), batch)
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-14)
    for name in expected:
        torch.testing.assert_close(gradient[name], expected[name], rtol=1e-10, atol=1e-13)
    if algorithm == "maml":  # the comparison would see a dropped or mangled Hessian term
        _, first = mlp_meta_gradient(parameters_of(model), batch, 0.5, steps, True, cross_entropy)
        gap = max(((gradient[n] - first[n]).norm() / gradient[n].norm()).item() for n in expected)
        assert gap > 1e-4


@pytest.mark.parametrize(("widths", "bias", "steps"), CASES)
def test_the_comparison_sees_the_second_order_term(widths, bias, steps):
    """MAML and FO-MAML differ by far more than the tolerance above, so a hand-written
    pass that dropped or mangled the Hessian term would fail the comparison."""
    model, batch = float64_mlp(widths, bias), regression_batch(widths)
    params = parameters_of(model)
    _, second = mlp_meta_gradient(params, batch, 0.1, steps, first_order=False)
    _, first = mlp_meta_gradient(params, batch, 0.1, steps, first_order=True)
    gap = max(((second[n] - first[n]).norm() / second[n].norm()).item() for n in params)
    assert gap > 1e-4


def test_the_learner_takes_the_hand_written_passes_only_where_they_apply(monkeypatch):
    calls = []
    monkeypatch.setattr(
        algorithms.mlp_meta_gradient,
        "mlp_meta_gradient",
        lambda *args: calls.append(args) or mlp_meta_gradient(*args),
    )
    model, batch = float64_mlp((2, 5, 1)), regression_batch((2, 5, 1))
    params = parameters_of(model)
    for algorithm in ("maml", "fo-maml"):
        learner = make(algorithm, model, mse, 0.1, 1)
        assert learner.meta_gradient_method == HandWrittenPasses()
        learner.meta_gradient(params, batch)
    assert len(calls) == 2
    for learner in (
        make("maml", model, mse, 0.1, 1, forward_path="vmap"),
        make("maml", model, mse, 0.1, 1, meta_gradient_path="autograd"),
        make("anil", model, mse, 0.1, 1),
        make("sign-maml", model, mse, 0.1, 1),
        make("nal", model, mse, 0.1, 1),
        make("maml", torch.nn.Sequential(torch.nn.Linear(2, 1)).double(), mse, 0.1, 1),
    ):
        assert learner.meta_gradient_method in (Autograd(), FastestChunks())
        learner.meta_gradient(parameters_of(learner.model), batch)
    classifier = float64_mlp((2, 5, 3))
    make("maml", classifier, cross_entropy, 0.1, 1).meta_gradient(
        parameters_of(classifier), classification_batch((2, 5, 3))
    )
    assert len(calls) == 3


@pytest.mark.parametrize("algorithm", ["anil", "sign-maml", "nal"])
def test_meta_gradient_elsewhere_is_autograd_on_the_meta_loss(algorithm):
    """Autograd, in the chunks of tasks the probe chose: equal to rounding."""
    model, batch = float64_mlp((2, 5, 1)), regression_batch((2, 5, 1))
    learner = make(algorithm, model, mse, 0.1, 2)
    params = parameters_of(model)
    loss, gradient = learner.meta_gradient(params, batch)
    expected_loss = learner.meta_loss(params, batch)
    assert loss.item() == pytest.approx(expected_loss.item(), rel=1e-14)
    expected = torch.autograd.grad(expected_loss, list(params.values()))
    for name, tensor in zip(params, expected, strict=True):
        torch.testing.assert_close(gradient[name], tensor, rtol=1e-12, atol=1e-15)


def test_training_moves_the_same_way_on_both_paths():
    widths = (1, 12, 12, 1)
    batch = regression_batch(widths, tasks=8)
    runs = {}
    for path in ("auto", "vmap"):
        model = float64_mlp(widths)
        params = parameters_of(model)
        learner = make("maml", model, mse, 0.05, 2, forward_path=path)
        fixed = SamplerFunction(lambda n, g: batch)
        result = train(learner, params, fixed, 5, torch.Generator(), meta_batch=batch.num_tasks)
        runs[path] = (result, params)
    torch.testing.assert_close(runs["auto"][0].losses, runs["vmap"][0].losses, rtol=1e-10, atol=0)
    for name, tensor in runs["vmap"][1].items():
        torch.testing.assert_close(runs["auto"][1][name], tensor, rtol=1e-10, atol=1e-12)


def test_a_batch_of_the_wrong_width_is_explained():
    model = float64_mlp((1, 5, 1))
    learner = make("maml", model, mse, 0.1, 1)
    with pytest.raises(ValueError, match=r"x of shape \(5, 6, 3\).*input and output sizes"):
        learner.meta_gradient(parameters_of(model), regression_batch((3, 5, 1)))
