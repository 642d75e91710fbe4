"""Meta-gradient methods: which one a learner takes, and that a new one plugs in."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from algorithms import (
    MLP,
    Autograd,
    ConvNet,
    HandWrittenPasses,
    cross_entropy,
    make,
    mse,
    parameters_of,
    train,
)
from algorithms.params import Params
from synthetic import SamplerFunction, SinusoidTasks, TaskBatch
from tests.conftest import smooth_mlp


@dataclass(frozen=True)
class PerTaskLoop:
    """∇F = (1/B) Σ_i ∇F_i(θ): autograd on each task's own meta-loss, one task at a time."""

    def applies(self, learner) -> bool:
        return not learner.pooled_objective

    def __call__(self, learner, params: Params, batch: TaskBatch) -> tuple[torch.Tensor, Params]:
        tasks = range(batch.num_tasks)
        losses, gradients = zip(
            *(Autograd()(learner, params, batch.select(slice(i, i + 1))) for i in tasks),
            strict=True,
        )
        return torch.stack(losses).mean(), {
            name: sum(g[name] for g in gradients) / batch.num_tasks for name in params
        }


@dataclass(frozen=True)
class Counting:
    """Autograd, counting its calls."""

    calls: list[int] = field(default_factory=list, compare=False)

    def applies(self, learner) -> bool:
        return True

    def __call__(self, learner, params: Params, batch: TaskBatch) -> tuple[torch.Tensor, Params]:
        self.calls.append(batch.num_tasks)
        return Autograd()(learner, params, batch)


class DeclaringModel(torch.nn.Sequential):
    """A model that declares its own meta-gradient method, as MLP declares its passes."""

    meta_gradient_method = PerTaskLoop()


def sinusoid_batch(tasks: int = 4) -> TaskBatch:
    sampler = SinusoidTasks(support_size=5, query_size=6)
    return sampler.sample(tasks, torch.Generator().manual_seed(0), dtype=torch.float64)


def declaring_model() -> DeclaringModel:
    torch.manual_seed(0)
    return DeclaringModel(torch.nn.Linear(1, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)).double()


def mlp() -> MLP:
    return MLP((1, 6, 6, 1), generator=torch.Generator().manual_seed(0)).double()


def method_name(name: str, model: torch.nn.Module, **options) -> str:
    loss_fn = options.pop("loss_fn", mse)
    return type(make(name, model, loss_fn, 0.1, **options).meta_gradient_method).__name__


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("maml", {}, "HandWrittenPasses"),
        ("fo-maml", {}, "HandWrittenPasses"),
        ("maml", {"first_order": True}, "HandWrittenPasses"),
        ("maml", {"loss_fn": cross_entropy}, "HandWrittenPasses"),
        ("maml", {"forward_path": "vmap"}, "FastestChunks"),
        ("maml", {"meta_gradient_path": "autograd"}, "Autograd"),
        ("maml", {"loss_fn": torch.nn.functional.mse_loss}, "FastestChunks"),
        ("anil", {}, "FastestChunks"),
        ("nal", {}, "FastestChunks"),
        ("sign-maml", {}, "FastestChunks"),
        ("sharp-maml-low", {}, "FastestChunks"),
        ("sharp-maml-up", {}, "HandWrittenPasses"),  # its outer step differentiates meta_loss
        ("sharp-maml-efficient", {}, "FastestChunks"),
    ],
)
def test_auto_takes_the_mlps_passes_exactly_where_they_apply(name, options, expected):
    assert method_name(name, mlp(), **options) == expected


def test_auto_takes_timed_chunks_of_autograd_for_a_model_that_declares_nothing():
    convnet = ConvNet(ways=3, filters=2, image_size=8, blocks=1)
    assert method_name("maml", convnet, loss_fn=cross_entropy) == "FastestChunks"
    assert method_name("maml", smooth_mlp()) == "FastestChunks"


def test_auto_takes_a_model_declared_method_where_it_applies():
    model = declaring_model()
    assert method_name("maml", model) == "PerTaskLoop"
    assert method_name("maml", model, forward_path="vmap") == "FastestChunks"
    assert method_name("maml", model, meta_gradient_path="autograd") == "Autograd"
    assert method_name("nal", model) == "FastestChunks"


@pytest.mark.parametrize(("name", "model"), [("maml", mlp), ("anil", smooth_mlp)])
def test_a_method_passed_in_gives_autograds_meta_gradient(name, model):
    model, batch = model(), sinusoid_batch()
    params = parameters_of(model)
    looped = make(name, model, mse, 0.1, 2, meta_gradient_path=PerTaskLoop())
    assert looped.meta_gradient_method == PerTaskLoop()
    loss, gradient = looped.meta_gradient(params, batch)
    reference = make(name, model, mse, 0.1, 2, meta_gradient_path="autograd")
    expected_loss, expected = reference.meta_gradient(params, batch)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-14, atol=0)
    assert gradient.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(gradient[key], expected[key], rtol=1e-12, atol=1e-15)


def test_train_takes_its_steps_with_the_learners_method():
    """Counting delegates to autograd, so the run is autograd's bit for bit."""
    batch, counting = sinusoid_batch(), Counting()

    def run(path):
        model = mlp()
        learner = make("maml", model, mse, 0.1, 2, meta_gradient_path=path)
        fixed = SamplerFunction(lambda n, g: batch)
        return train(
            learner,
            parameters_of(model),
            fixed,
            3,
            torch.Generator(),
            progress=False,
            meta_batch=batch.num_tasks,
        )

    runs = [run("autograd"), run(counting)]
    assert counting.calls == [4, 4, 4]
    assert runs[0].losses == runs[1].losses
    assert all(torch.equal(runs[0].params[k], runs[1].params[k]) for k in runs[0].params)


def test_a_forced_method_is_taken_even_on_the_generic_forward_path():
    model, batch = mlp(), sinusoid_batch()
    passes = HandWrittenPasses()
    forced = make("maml", model, mse, 0.1, forward_path="vmap", meta_gradient_path=passes)
    assert forced.meta_gradient_method == passes
    params = parameters_of(model)
    _, passes = forced.meta_gradient(params, batch)
    _, autograd = make("maml", model, mse, 0.1, forward_path="vmap").meta_gradient(params, batch)
    for key in autograd:
        torch.testing.assert_close(passes[key], autograd[key], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(
    ("name", "model", "path", "message"),
    [
        ("maml", smooth_mlp, HandWrittenPasses(), "does not apply to the learner 'maml'"),
        ("anil", mlp, HandWrittenPasses(), "does not apply to the learner 'anil'"),
        ("nal", mlp, PerTaskLoop(), r"does not apply .* one of \('auto', 'autograd', 'compiled'\)"),
        (
            "maml",
            mlp,
            "hand-written",
            r"one of \('auto', 'autograd', 'compiled'\) or a meta-gradient method",
        ),
        ("maml", mlp, len, "got <built-in function len>"),
    ],
)
def test_a_method_that_does_not_apply_or_is_not_one_is_refused(name, model, path, message):
    with pytest.raises(ValueError, match=message):
        make(name, model(), mse, 0.1, meta_gradient_path=path)
