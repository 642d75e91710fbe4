"""Ways to execute a meta-gradient: chunks of tasks, the timed chunk size, compiled, bfloat16.

Each must give autograd's meta-gradient (exactly in float64 for the chunks,
to float32 rounding when compiled, to bfloat16 rounding in reduced
precision), and the probe must pick the faster execution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import pytest
import torch

import algorithms.compiled_meta_gradient
import algorithms.probed_meta_gradient
from algorithms import (
    MLP,
    Autograd,
    Chunked,
    Compiled,
    ConvNet,
    FastestChunks,
    RecordingSamStep,
    ReducedPrecision,
    cross_entropy,
    make,
    mse,
    parameters_of,
)
from algorithms.params import Params
from algorithms.probed_meta_gradient import chunk_plans, workload
from synthetic import FewShotTasks, GlyphAlphabets, SinusoidTasks, TaskBatch


def sinusoid_batch(tasks: int = 5, dtype: torch.dtype = torch.float64) -> TaskBatch:
    sampler = SinusoidTasks(support_size=4, query_size=6)
    return sampler.sample(tasks, torch.Generator().manual_seed(1), dtype=dtype)


def sequential(dtype: torch.dtype = torch.float64) -> torch.nn.Sequential:
    torch.manual_seed(0)
    layers = (torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    return torch.nn.Sequential(*layers).to(dtype)


def image_batch(tasks: int, dtype: torch.dtype = torch.float64) -> TaskBatch:
    images = GlyphAlphabets(alphabets=2, characters=3, drawings=4, image_size=8).render()
    return FewShotTasks(images, 3, 1, 2).sample(tasks, torch.Generator().manual_seed(2), dtype)


def small_convnet(dtype: torch.dtype = torch.float64) -> ConvNet:
    model = ConvNet(
        3, filters=3, image_size=8, blocks=2, generator=torch.Generator().manual_seed(0)
    )
    return model.to(dtype)


def assert_same_gradient(got, expected, rtol: float) -> None:
    (loss, gradient), (expected_loss, expected_gradient) = got, expected
    torch.testing.assert_close(loss, expected_loss, rtol=rtol, atol=0)
    assert gradient.keys() == expected_gradient.keys()
    flat = torch.cat([gradient[k].flatten() for k in expected_gradient])
    reference = torch.cat([expected_gradient[k].flatten() for k in expected_gradient])
    assert ((flat - reference).norm() / reference.norm()).item() <= rtol


@pytest.mark.parametrize("name", ["maml", "fo-maml", "anil", "nal", "sign-maml", "sharp-maml-low"])
@pytest.mark.parametrize("tasks_per_chunk", [1, 2, 5])
def test_chunks_give_autograds_meta_gradient(name, tasks_per_chunk):
    model, batch = sequential(), sinusoid_batch()
    params = parameters_of(model)
    chunked = make(name, model, mse, 0.1, 2, meta_gradient_path=Chunked(tasks_per_chunk))
    whole = make(name, model, mse, 0.1, 2, meta_gradient_path="autograd")
    assert_same_gradient(
        chunked.meta_gradient(params, batch), whole.meta_gradient(params, batch), rtol=1e-12
    )


def test_chunks_give_autograds_meta_gradient_on_the_conv_net():
    model, batch = small_convnet(), image_batch(3)
    params = parameters_of(model)
    chunked = make("maml", model, cross_entropy, 0.4, meta_gradient_path=Chunked(1))
    whole = make("maml", model, cross_entropy, 0.4, meta_gradient_path="autograd")
    assert_same_gradient(
        chunked.meta_gradient(params, batch), whole.meta_gradient(params, batch), rtol=1e-12
    )


def test_a_chunk_size_below_one_is_refused():
    with pytest.raises(ValueError, match="tasks_per_chunk must be"):
        Chunked(0)


class FakeClock:
    """A ``time.perf_counter`` that only the timed method moves: timing without noise."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Costing:
    """Autograd, taking ``seconds · n^exponent`` of the fake clock for n tasks."""

    seconds: float
    exponent: float
    clock: FakeClock
    calls: list[int] = field(default_factory=list, compare=False)

    def applies(self, learner) -> bool:
        return True

    def __call__(self, learner, params: Params, batch: TaskBatch):
        self.calls.append(batch.num_tasks)
        self.clock.now += self.seconds * batch.num_tasks**self.exponent
        return Autograd()(learner, params, batch)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(algorithms.probed_meta_gradient, "time", SimpleNamespace(perf_counter=fake))
    return fake


def probed_plan(method: Costing, tasks: int, steps: int) -> int:
    """The chunk size FastestChunks(method) picks for a fresh workload (``steps`` makes it new)."""
    model, batch = sequential(), sinusoid_batch(tasks)
    learner = make("maml", model, mse, 0.1, steps, meta_gradient_path=FastestChunks(method))
    params = parameters_of(model)
    assert_same_gradient(
        learner.meta_gradient(params, batch),
        make("maml", model, mse, 0.1, steps, meta_gradient_path="autograd").meta_gradient(
            params, batch
        ),
        rtol=1e-12,
    )
    return chunk_plans()[workload(learner, params, batch)]


def test_the_probe_runs_one_task_at_a_time_where_batching_costs_more_per_task(clock):
    method = Costing(0.005, 2.0, clock)
    assert probed_plan(method, tasks=8, steps=11) == 1
    assert method.calls == [1, 1, 1, 1, 2, 2, 2] + [1] * 8  # stops at the slower chunk of 2


def test_the_probe_grows_the_chunk_while_batching_is_clearly_cheaper_per_task(clock):
    method = Costing(0.02, 0.0, clock)
    assert probed_plan(method, tasks=8, steps=12) == 8
    assert method.calls == [1, 1, 1, 1, 2, 2, 2, 4, 4, 4, 8, 8, 8, 8]


def test_a_near_tie_takes_the_smaller_chunk_which_needs_less_memory(clock):
    """Each doubling saves 5% per task: less than the 1.15 margin, so one task at a time."""
    exponent = 1 + math.log(0.95) / math.log(2)
    assert probed_plan(Costing(0.01, exponent, clock), tasks=8, steps=13) == 1


def test_the_probe_times_once_per_workload_and_is_shared_by_learners(clock):
    method = Costing(0.01, 1.0, clock)
    batch = sinusoid_batch(4)
    for _ in range(2):
        model = sequential()
        learner = make("maml", model, mse, 0.1, 14, meta_gradient_path=FastestChunks(method))
        learner.meta_gradient(parameters_of(model), batch)
    assert chunk_plans()[workload(learner, parameters_of(model), batch)] == 1
    probe = [1, 1, 1, 1, 2, 2, 2]  # a warm-up on one task, then chunks of 1 and 2, three times
    assert method.calls == probe + [1] * (2 * batch.num_tasks)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["maml", "fo-maml", "anil", "sign-maml", "sharp-maml-both"])
def test_the_compiled_meta_gradient_is_autograds_to_rounding(name):
    model, batch = sequential(torch.float32), sinusoid_batch(4, torch.float32)
    params = parameters_of(model)
    compiled = make(name, model, mse, 0.1, 2, meta_gradient_path="compiled")
    assert isinstance(compiled.meta_gradient_method, Compiled)
    eager = make(name, model, mse, 0.1, 2, meta_gradient_path="autograd")
    for _ in range(2):
        assert_same_gradient(
            compiled.meta_gradient(params, batch), eager.meta_gradient(params, batch), rtol=1e-5
        )


def test_a_model_that_does_not_compile_falls_back_with_a_warning(monkeypatch):
    def failing_compile(fn, **options):
        def run(*args):
            raise RuntimeError("unsupported operator\nmore detail")

        return run

    monkeypatch.setattr(algorithms.compiled_meta_gradient.torch, "compile", failing_compile)
    model, batch = sequential(), sinusoid_batch()
    params = parameters_of(model)
    learner = make("maml", model, mse, 0.1, meta_gradient_path="compiled")
    with pytest.warns(UserWarning, match="could not compile .*unsupported operator\\); running"):
        got = learner.meta_gradient(params, batch)
    expected = make("maml", model, mse, 0.1, meta_gradient_path="autograd")
    assert_same_gradient(got, expected.meta_gradient(params, batch), rtol=1e-12)


def test_compiled_is_not_taken_for_a_rule_with_state():
    learner = make("sharp-maml-low", MLP((1, 4, 1)), mse, 0.1, meta_gradient_path="compiled")
    recording = replace(learner, inner_rule=RecordingSamStep(learner.inner_rule, []))
    assert isinstance(learner.meta_gradient_method, Compiled)
    assert recording.meta_gradient_method == FastestChunks()


def test_bfloat16_keeps_float32_parameters_and_the_gradients_direction():
    model, batch = small_convnet(torch.float32), image_batch(4, torch.float32)
    params = parameters_of(model)
    reduced = make("maml", model, cross_entropy, 0.4, meta_gradient_path=ReducedPrecision())
    loss, gradient = reduced.meta_gradient(params, batch)
    _, exact = make("maml", model, cross_entropy, 0.4).meta_gradient(params, batch)
    assert loss.dtype == torch.float32
    assert all(gradient[k].dtype == torch.float32 for k in exact)
    flat = torch.cat([gradient[k].flatten() for k in exact])
    reference = torch.cat([exact[k].flatten() for k in exact])
    assert torch.nn.functional.cosine_similarity(flat, reference, dim=0) > 0.98
    assert not torch.equal(flat, reference)
