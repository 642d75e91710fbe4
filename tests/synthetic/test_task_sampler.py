"""The TaskSampler protocol and the shared sampling of the parametric cluster mixtures."""

from __future__ import annotations

import inspect

import pytest
import torch

from synthetic import (
    FewShotTasks,
    GlyphAlphabets,
    LinearTaskMixture,
    SamplerFunction,
    SinusoidTasks,
    TaskBatch,
    TaskCluster,
    TaskSampler,
)
from synthetic.task_clusters import ClusterMixture, MixtureTasks
from synthetic.teacher_student import TeacherCluster, TeacherStudentTasks


def linear() -> LinearTaskMixture:
    return LinearTaskMixture.easy_hard(4, 0.9, 0.1, 0.5, 2.0, noise_std=0.1)


def teachers(shared_hidden: bool = False) -> TeacherStudentTasks:
    return TeacherStudentTasks.easy_hard(
        3, 4, 1.0, 0.25, 0.5, 2.0, torch.Generator().manual_seed(0), 0.5, 0.1, 0.2, shared_hidden
    )


MIXTURES = {
    "linear": linear,
    "teachers": teachers,
    "shared teachers": lambda: teachers(shared_hidden=True),
    "shared features": lambda: TeacherStudentTasks.shared_features(
        3, 4, torch.Generator().manual_seed(0), spread=2.0
    ),
}


def glyph_tasks(mode: str) -> FewShotTasks:
    glyphs = GlyphAlphabets(alphabets=4, characters=4, drawings=5, supersample=1).render()
    return FewShotTasks(glyphs, ways=3, shots=1, queries=2, mode=mode)


SAMPLERS = {
    "sinusoid": SinusoidTasks,
    **{f"few-shot {mode}": lambda mode=mode: glyph_tasks(mode) for mode in ("any", "within")},
    "few-shot between": lambda: glyph_tasks("between"),
    **{name: lambda make=make: make().sampler(5, 3) for name, make in MIXTURES.items()},
    "function": lambda: SamplerFunction(lambda n, g: SinusoidTasks().sample(n, g, torch.float64)),
}


def tensors(batch: TaskBatch) -> dict[str, torch.Tensor]:
    fields = ("support_x", "support_y", "query_x", "query_y")
    return {**{name: getattr(batch, name) for name in fields}, **batch.info}


def assert_same(first: TaskBatch, second: TaskBatch) -> None:
    a, b = tensors(first), tensors(second)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype and torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("name", SAMPLERS)
def test_every_distribution_is_a_task_sampler(name):
    sampler = SAMPLERS[name]()
    assert isinstance(sampler, TaskSampler)
    generator = torch.Generator().manual_seed(0)
    inspect.signature(sampler.sample).bind(6, generator)
    batch = sampler.sample(6, generator)
    assert isinstance(batch, TaskBatch)
    for tensor in tensors(batch).values():
        assert tensor.shape[0] == 6 and tensor.device == generator.device


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_generator_state_gives_the_same_tasks_and_the_state_advances(name):
    sampler = SAMPLERS[name]()
    assert_same(
        sampler.sample(5, torch.Generator().manual_seed(3)),
        sampler.sample(5, torch.Generator().manual_seed(3)),
    )
    generator = torch.Generator().manual_seed(3)
    first, second = sampler.sample(5, generator), sampler.sample(5, generator)
    assert not torch.equal(first.query_x, second.query_x)
    other = sampler.sample(5, torch.Generator().manual_seed(4))
    assert not torch.equal(first.query_x, other.query_x)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", SAMPLERS)
def test_batches_are_on_the_generators_device(name):
    generator = torch.Generator("cuda").manual_seed(0)
    batch = SAMPLERS[name]().sample(3, generator)
    assert all(tensor.device == generator.device for tensor in tensors(batch).values())


def test_a_plain_function_is_not_a_sampler_until_wrapped():
    def function(num_tasks: int, generator: torch.Generator) -> TaskBatch:
        return SinusoidTasks().sample(num_tasks, generator)

    assert not isinstance(function, TaskSampler)
    wrapped = SamplerFunction(function)
    assert isinstance(wrapped, TaskSampler)
    assert_same(
        wrapped.sample(2, torch.Generator().manual_seed(1)),
        function(2, torch.Generator().manual_seed(1)),
    )


@pytest.mark.parametrize("name", MIXTURES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mixture_draws_parameters_then_support_then_query(name, dtype):
    mixture = MIXTURES[name]()
    batch = mixture.sampler(4, 6).sample(7, torch.Generator().manual_seed(2), dtype)
    generator = torch.Generator().manual_seed(2)
    cluster, parameters = mixture.sample_parameters(7, generator, dtype)
    support = mixture.sample_data(cluster, parameters, 4, generator)
    query = mixture.sample_data(cluster, parameters, 6, generator)
    expected = TaskBatch(*support, *query, {"cluster": cluster, mixture.parameter_key: parameters})
    assert_same(batch, expected)
    assert list(batch.info) == ["cluster", mixture.parameter_key]
    assert batch.support_x.dtype == dtype and batch.info["cluster"].dtype == torch.int64


@pytest.mark.parametrize("name", MIXTURES)
def test_a_mixture_is_a_sampler_only_once_its_sizes_are_fixed(name):
    mixture = MIXTURES[name]()
    assert not isinstance(mixture, TaskSampler)
    sampler = mixture.sampler(2, 5)
    assert isinstance(sampler, TaskSampler) and sampler == MixtureTasks(mixture, 2, 5)
    batch = sampler.sample(3, torch.Generator().manual_seed(8))
    assert batch.support_x.dtype == torch.float32 and batch.query_size == 5


def test_parameters_vary_only_on_the_varying_coordinates_with_the_cluster_spread():
    for mixture in (linear(), teachers(shared_hidden=True)):
        cluster, parameters = mixture.sample_parameters(20000, torch.Generator().manual_seed(5))
        offset = parameters - mixture.centres[cluster]
        assert torch.all(offset[:, mixture.varying == 0] == 0)
        for k in range(mixture.num_clusters):
            spread = offset[cluster == k].square().sum(dim=1).mean()
            assert spread == pytest.approx(mixture.spreads[k].item(), rel=0.05)
    assert torch.equal(linear().varying, torch.ones(4, dtype=torch.float64))


def test_repr_lists_the_shape_then_each_cluster():
    assert repr(LinearTaskMixture.easy_hard(2, 0.9, 0.1, 0.25, 2.0, spread_hard=0.5)) == (
        "LinearTaskMixture(d=2; p=0.75, eig(Σ)∈[0.9, 0.9], R=1, ν=0; "
        "p=0.25, eig(Σ)∈[0.1, 0.1], R=0.5, ν=0)"
    )
    clusters = [TeacherCluster(1.0, 0.5, torch.zeros(6), spread=0.2, noise_std=0.1)]
    assert repr(TeacherStudentTasks(2, 2, clusters, shared_hidden=True)) == (
        "TeacherStudentTasks(d=2, h=2, shared hidden layer; p=1, s=0.5, R=0.2, ν=0.1)"
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LinearTaskMixture([]), "LinearTaskMixture needs at least one cluster"),
        (lambda: TeacherStudentTasks(1, 1, []), "TeacherStudentTasks needs at least one cluster"),
        (
            lambda: LinearTaskMixture([TaskCluster(0.5, 1.0, torch.zeros(2))]),
            r"cluster probabilities \[0.5\] sum to 0.5, not 1",
        ),
        (
            lambda: TeacherStudentTasks(1, 1, [TeacherCluster(0.5, 1.0, torch.zeros(2))]),
            r"cluster probabilities \[0.5\] sum to 0.5, not 1",
        ),
        (lambda: TeacherCluster(1.0, 1.0, torch.zeros(2), spread=-1.0), "spread must be >= 0"),
        (lambda: TaskCluster(1.0, 1.0, torch.zeros(()), noise_std=0.1), "non-empty vector"),
        (lambda: linear().sampler(0, 5), "support_size must be an integer >= 1"),
        (lambda: teachers().sampler(5, 0), "query_size must be an integer >= 1"),
        (lambda: linear().sampler(5, 5).sample(0, torch.Generator()), "num_tasks must be"),
    ],
)
def test_bad_mixtures_and_sizes_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_the_shared_base_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        ClusterMixture([TaskCluster(1.0, 1.0, torch.zeros(2))])
