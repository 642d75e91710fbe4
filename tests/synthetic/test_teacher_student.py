"""Teacher–student tasks: shapes, determinism, the cluster geometry and the teacher's form."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse
from synthetic.teacher_student import TeacherCluster, TeacherStudentTasks


def easy_hard(**overrides) -> TeacherStudentTasks:
    settings = {
        "input_dim": 3,
        "hidden": 4,
        "scale_easy": 1.0,
        "scale_hard": 0.25,
        "p_hard": 0.5,
        "distance": 2.0,
        "generator": torch.Generator().manual_seed(0),
        "spread_easy": 0.5,
        "spread_hard": 0.1,
    }
    return TeacherStudentTasks.easy_hard(**{**settings, **overrides})


def test_batches_have_the_task_batch_shapes_and_info():
    batch = easy_hard().sampler(7, 9).sample(5, torch.Generator().manual_seed(1))
    assert tuple(batch.support_x.shape) == (5, 7, 3) and tuple(batch.query_y.shape) == (5, 9, 1)
    assert tuple(batch.info["teacher"].shape) == (5, 16) and batch.info["cluster"].shape == (5,)
    assert batch.support_x.dtype == torch.float32


def test_same_generator_state_gives_the_same_tasks():
    tasks = easy_hard()
    first = tasks.sampler(5, 5).sample(4, torch.Generator().manual_seed(3))
    second = tasks.sampler(5, 5).sample(4, torch.Generator().manual_seed(3))
    assert torch.equal(first.support_x, second.support_x)
    assert torch.equal(first.query_y, second.query_y)


def test_centres_are_distance_d_apart_and_spreads_match():
    tasks = easy_hard(distance=1.5)
    assert (tasks.centres[1] - tasks.centres[0]).norm().item() == pytest.approx(1.5)
    cluster, teachers = tasks.sample_teachers(40000, torch.Generator().manual_seed(2))
    for index, spread in enumerate((0.5, 0.1)):
        offsets = teachers[cluster == index] - tasks.centres[index]
        assert offsets.square().sum(1).mean().item() == pytest.approx(spread, rel=0.03)


def test_labels_are_the_teacher_network_and_inputs_have_the_cluster_scale():
    tasks = easy_hard()
    batch = tasks.sampler(50, 1).sample(2000, torch.Generator().manual_seed(4), torch.float64)
    teacher = batch.info["teacher"]
    weights, outputs = teacher[:, :12].reshape(-1, 4, 3), teacher[:, 12:]
    expected = torch.einsum("bnk,bk->bn", torch.relu(batch.support_x @ weights.mT), outputs)
    assert torch.allclose(batch.support_y[..., 0], expected)
    for index, scale in enumerate((1.0, 0.25)):
        x = batch.support_x[batch.info["cluster"] == index]
        assert x.std().item() == pytest.approx(scale, rel=0.03)


def test_the_teacher_is_positively_homogeneous():
    tasks = easy_hard()
    teachers = tasks.sample_teachers(3, torch.Generator().manual_seed(5))[1]
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    assert torch.allclose(
        tasks.teacher_outputs(teachers, 2.5 * x), 2.5 * tasks.teacher_outputs(teachers, x)
    )


def test_a_student_of_the_teachers_shape_fits_its_own_teacher_exactly():
    tasks = easy_hard(spread_hard=0.0, spread_easy=0.0, distance=0.0)
    batch = tasks.sampler(5, 5).sample(2, torch.Generator().manual_seed(6))
    teacher = tasks.centres[0].float()
    params = {"layers.0.weight": teacher[:12].reshape(4, 3), "layers.1.weight": teacher[12:][None]}
    learner = make("nal", MLP((3, 4, 1), bias=False), mse, inner_lr=0.1)
    assert learner.evaluate(params, batch, steps=(0,))[0].max().item() < 1e-10


def test_shared_features_keep_the_hidden_layer_and_vary_the_output_weights():
    tasks = TeacherStudentTasks.shared_features(3, 4, torch.Generator().manual_seed(0), spread=2.0)
    teachers = tasks.sample_teachers(20000, torch.Generator().manual_seed(7))[1]
    assert torch.equal(teachers[:, :12], tasks.centres[0, :12].expand(20000, 12))
    assert teachers[:, 12:].square().sum(1).mean().item() == pytest.approx(2.0, rel=0.03)
    shared = easy_hard(shared_hidden=True)
    assert torch.equal(shared.centres[0, :12], shared.centres[1, :12])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: easy_hard(p_hard=1.5), "p_hard must be in"),
        (lambda: easy_hard(distance=-1.0), "distance must be >= 0"),
        (lambda: easy_hard(scale_hard=0.0), "input_scale must be > 0"),
        (lambda: easy_hard(spread_hard=-0.1), "spread must be >= 0"),
        (lambda: easy_hard(hidden=0), "hidden must be an integer >= 1"),
        (lambda: TeacherStudentTasks(2, 2, [TeacherCluster(1.0, 1.0, torch.zeros(5))]), "P ="),
        (lambda: TeacherStudentTasks(2, 2, [TeacherCluster(0.5, 1.0, torch.zeros(6))]), "sum to"),
        (lambda: TeacherStudentTasks(2, 2, []), "at least one"),
        (lambda: easy_hard().sampler(5, 5).sample(0, torch.Generator()), "num_tasks must be"),
    ],
)
def test_bad_values_raise_naming_the_field(build, message):
    with pytest.raises(ValueError, match=message):
        build()
