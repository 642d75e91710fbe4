"""The evaluation protocol: per-task accuracy, chunking, determinism, and a MAML sanity run."""

from __future__ import annotations

import pytest
import torch

from algorithms import (
    ConvNet,
    accuracy,
    available,
    cross_entropy,
    evaluate_accuracy,
    make,
    parameters_of,
    train,
)
from analysis.statistics import mean_interval
from synthetic import ClassSplits, FewShotTasks, GlyphAlphabets, SamplerFunction

WAYS = 5


@pytest.fixture(scope="module")
def splits() -> ClassSplits:
    glyphs = GlyphAlphabets(alphabets=12, characters=8, drawings=10, supersample=1).render()
    return ClassSplits.by_group(glyphs, (0.5, 0.25, 0.25), torch.Generator().manual_seed(0))


def small_learner(algorithm: str = "maml"):
    model = ConvNet(WAYS, filters=8, generator=torch.Generator().manual_seed(0))
    return make(algorithm, model, cross_entropy, 0.4), parameters_of(model)


def test_accuracy_metric():
    logits = torch.tensor([[[2.0, 1.0], [0.0, 3.0]], [[1.0, 0.0], [1.0, 0.0]]])
    labels = torch.tensor([[0, 1], [1, 1]])
    assert accuracy(logits, labels).tolist() == [1.0, 0.0]


def test_tasks_are_drawn_in_chunks_and_reproducibly(splits):
    tasks = FewShotTasks(splits.test, WAYS, 1, 2)
    sizes = []

    def sample(num_tasks, generator):
        sizes.append(num_tasks)
        return tasks.sample(num_tasks, generator)

    learner, params = small_learner()
    per_task = evaluate_accuracy(
        learner,
        params,
        SamplerFunction(sample),
        torch.Generator().manual_seed(1),
        23,
        (0, 2),
        chunk_size=10,
    )
    assert sizes == [10, 10, 3]
    assert sorted(per_task) == [0, 2] and per_task[2].shape == (23,)
    assert per_task[2].dtype == torch.float64 and per_task[2].device.type == "cpu"
    again = evaluate_accuracy(
        learner, params, tasks, torch.Generator().manual_seed(1), 23, (2, 0), chunk_size=10
    )
    assert torch.equal(per_task[2], again[2])


@pytest.mark.parametrize("algorithm", available())
def test_every_algorithm_is_scored_the_same_way(splits, algorithm):
    learner, params = small_learner(algorithm)
    tasks = FewShotTasks(splits.test, WAYS, 1, 2)
    per_task = evaluate_accuracy(learner, params, tasks, torch.Generator().manual_seed(1), 6)
    assert list(per_task) == [1] and 0.0 <= per_task[1].min() <= per_task[1].max() <= 1.0


def test_bad_protocol_settings(splits):
    learner, params = small_learner()
    sample = FewShotTasks(splits.test, WAYS, 1, 2)
    with pytest.raises(ValueError, match="num_tasks must be an integer >= 1"):
        evaluate_accuracy(learner, params, sample, torch.Generator(), num_tasks=0)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        evaluate_accuracy(learner, params, sample, torch.Generator(), chunk_size=0)
    with pytest.raises(ValueError, match="steps must be non-negative"):
        evaluate_accuracy(learner, params, sample, torch.Generator(), steps=(-1,))


def test_maml_trained_briefly_on_glyphs_beats_chance(splits):
    """5-way 1-shot on unseen alphabets, 600 tasks: adapted accuracy above 1/5, intervals apart."""
    learner, params = small_learner()
    generator = torch.Generator().manual_seed(0)
    train_tasks = FewShotTasks(splits.train, WAYS, 1, 3)
    train(
        learner,
        params,
        train_tasks,
        30,
        generator,
        outer_lr=1e-2,
        progress=False,
        meta_batch=8,
    )
    per_task = evaluate_accuracy(
        learner,
        params,
        FewShotTasks(splits.test, WAYS, 1, 3),
        torch.Generator().manual_seed(1),
        steps=(0, 1),
        chunk_size=100,
    )
    adapted, unadapted = mean_interval(per_task[1]), mean_interval(per_task[0])
    assert per_task[1].numel() == 600
    assert adapted.low > 1 / WAYS and adapted.low > unadapted.high, (unadapted, adapted)
