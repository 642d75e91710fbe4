"""The L6 experiment: its cells pair by seed, its starts, and its config's validation."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from figures.claims.l6_gain_experiment import (
    TeacherMixtureSpec,
    TwoLayerGainConfig,
    starting_point,
    two_layer_gain_experiment,
)

NEAR, FAR = TeacherMixtureSpec(distance=0.0), TeacherMixtureSpec(distance=2.0)


def flat(params: dict[str, torch.Tensor]) -> torch.Tensor:
    return torch.cat([params["layers.0.weight"].reshape(-1), params["layers.1.weight"].reshape(-1)])


def weighted_centre(tasks) -> torch.Tensor:
    return (tasks.probabilities[:, None] * tasks.centres).sum(0).float()


def test_cells_of_one_seed_share_the_easy_centre_the_random_start_and_the_start_noise():
    near, far = NEAR.build(seed=3), FAR.build(seed=3)
    assert torch.equal(near.centres[0], far.centres[0])
    assert (far.centres[1] - far.centres[0]).norm().item() == pytest.approx(2.0)
    random = TwoLayerGainConfig(init="random")
    near_start = starting_point(random, near, seed=3)
    assert torch.equal(flat(near_start), flat(starting_point(random, far, seed=3)))
    centre = TwoLayerGainConfig(init="centre")
    near_noise = flat(starting_point(centre, near, seed=3)) - weighted_centre(near)
    far_noise = flat(starting_point(centre, far, seed=3)) - weighted_centre(far)
    assert torch.allclose(near_noise, far_noise, atol=1e-6)
    assert near_noise.norm() > 0


def test_seeds_draw_other_teachers_and_other_random_starts():
    assert not torch.equal(FAR.build(seed=0).centres, FAR.build(seed=1).centres)
    config = TwoLayerGainConfig(init="random")
    tasks = FAR.build(seed=0)
    zero, one = starting_point(config, tasks, seed=0), starting_point(config, tasks, seed=1)
    assert not torch.equal(zero["layers.0.weight"], one["layers.0.weight"])


def test_the_centre_start_without_noise_is_the_teachers_weighted_centre():
    tasks = FAR.build(seed=0)
    start = starting_point(TwoLayerGainConfig(init_noise=0.0), tasks, seed=0)
    assert torch.allclose(flat(start), weighted_centre(tasks))


def test_swapped_roles_invert_the_gain():
    config = TwoLayerGainConfig(iterations=20, test_tasks=50, support_size=20)
    swapped = replace(config, roles=(("maml", "nal"), ("nal", "maml")))
    gain = two_layer_gain_experiment(config, seed=0)["gain"]["mean"]
    inverted = two_layer_gain_experiment(swapped, seed=0)["gain"]["mean"]
    assert gain * inverted == pytest.approx(1.0, rel=1e-5)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TeacherMixtureSpec(p_hard=1.0), "p_hard must be in"),
        (lambda: TeacherMixtureSpec(scale_hard=0.0), "scale_hard must be > 0"),
        (lambda: TeacherMixtureSpec(distance=-1.0), "distance must be >= 0"),
        (lambda: TwoLayerGainConfig(inner_lr=0.0), "inner_lr must be > 0"),
        (lambda: TwoLayerGainConfig(test_tasks=0), "test_tasks must be an integer >= 1"),
        (lambda: TwoLayerGainConfig(init_noise=-0.1), "init_noise must be >= 0"),
        (lambda: TwoLayerGainConfig(init="teacher"), "init must be one of"),
        (lambda: TwoLayerGainConfig(roles=(("maml", "maml"),)), "roles must name each of"),
    ],
)
def test_bad_config_values_raise_naming_the_field(build, message):
    with pytest.raises(ValueError, match=message):
        build()
