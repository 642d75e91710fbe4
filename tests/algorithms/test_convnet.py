"""The 4-block conv net: shapes, ANIL's head, and meta-gradients against a per-task loop.

All gradient checks run in float64 on a tiny net (8 filters) and 3-way
2-shot glyph tasks, so agreement to 1e-10 is a statement about the
computation, not about rounding.
"""

from __future__ import annotations

import pytest
import torch

from algorithms import ConvNet, available, cross_entropy, make, parameters_of
from algorithms.convnet import exact_higher_derivatives
from algorithms.forward import batched_forward, vmap_forward
from algorithms.reference import looped_meta_loss
from synthetic import FewShotTasks, GlyphAlphabets, TaskBatch

WAYS = 3


@pytest.fixture(scope="module")
def batch64() -> TaskBatch:
    glyphs = GlyphAlphabets(alphabets=3, characters=4, drawings=5, supersample=1).render()
    tasks = FewShotTasks(glyphs, ways=WAYS, shots=2, queries=2)
    return tasks.sample(4, torch.Generator().manual_seed(0), dtype=torch.float64)


def tiny_net() -> ConvNet:
    return ConvNet(WAYS, filters=8, generator=torch.Generator().manual_seed(0)).double()


def gradients(loss: torch.Tensor, params: dict) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, list(params.values())))


@pytest.mark.parametrize(
    ("model", "image", "features"),
    [
        (ConvNet.omniglot(5), (1, 28, 28), 64),
        (ConvNet.mini_imagenet(5), (3, 84, 84), 32 * 5 * 5),
        (ConvNet(20, filters=16), (1, 28, 28), 16),
    ],
)
def test_forward_shapes(model, image, features):
    assert model.features_size == features
    assert model(torch.rand(7, *image)).shape == (7, model.head.out_features)
    params = {k: v.detach().expand(2, *v.shape) for k, v in parameters_of(model).items()}
    assert model.batched_forward(params, torch.rand(2, 7, *image)).shape == (
        2,
        7,
        model.head.out_features,
    )


def test_batch_norm_uses_batch_statistics_in_any_mode():
    model = tiny_net()
    x = torch.rand(6, 1, 28, 28, dtype=torch.float64)
    assert not list(model.buffers()), "no running statistics"
    assert torch.equal(model.train()(x), model.eval()(x))


def test_head_is_what_anil_adapts():
    learner = make("anil", tiny_net(), cross_entropy, 0.4)
    assert learner.adapted == ("head.weight", "head.bias")


def test_generator_initialisation_is_deterministic():
    a, b = tiny_net(), tiny_net()
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert torch.equal(a.features[0][1].weight, torch.ones(8))


@pytest.mark.parametrize("forward_path", ["vmap", "auto"])
def test_maml_meta_gradient_matches_the_per_task_loop(batch64, forward_path):
    model = tiny_net()
    params = parameters_of(model)
    learner = make("maml", model, cross_entropy, 0.4, 2, forward_path=forward_path)
    expected = gradients(
        looped_meta_loss(model, torch.nn.functional.cross_entropy, params, batch64, 0.4, 2), params
    )
    for got, want in zip(gradients(learner.meta_loss(params, batch64), params), expected):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_fast_path_gives_the_generic_outputs(batch64):
    model = tiny_net()
    assert batched_forward(model) == model.batched_forward
    params = {
        k: v + 0.01 * torch.randn(4, *v.shape, dtype=v.dtype)
        for k, v in parameters_of(model).items()
    }
    torch.testing.assert_close(
        model.batched_forward(params, batch64.query_x),
        vmap_forward(model)(params, batch64.query_x),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("algorithm", available())
def test_fast_and_generic_meta_gradients_agree(batch64, algorithm):
    model = tiny_net()
    params = parameters_of(model)
    fast = make(algorithm, model, cross_entropy, 0.4, 2)
    generic = make(algorithm, model, cross_entropy, 0.4, 2, forward_path="vmap")
    for a, b in zip(
        gradients(fast.meta_loss(params, batch64), params),
        gradients(generic.meta_loss(params, batch64), params),
    ):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"image_size": 15}, "image_size must be >= 16 so 4 2×2 max-pools leave a pixel"),
        ({"filters": 0}, "filters must be an integer >= 1"),
        ({"ways": 0}, "ways must be an integer >= 1"),
    ],
)
def test_bad_sizes(options, message):
    with pytest.raises(ValueError, match=message):
        ConvNet(**{"ways": 5, **options})


def hessian_asymmetry(model: ConvNet, batch: TaskBatch) -> float:
    """|uᵀHv − vᵀHu| / |uᵀHv| for the MAML meta-loss "Hessian" H by double backward
    (random u, v): 0 to rounding for a true Hessian."""
    learner = make("maml", model, cross_entropy, 0.4)
    params = parameters_of(model)
    gradient = torch.autograd.grad(
        learner.meta_loss(params, batch), list(params.values()), create_graph=True
    )
    generator = torch.Generator().manual_seed(2)
    u, v = (
        [torch.randn(g.shape, generator=generator, dtype=g.dtype) for g in gradient] for _ in "uv"
    )

    def product(direction: list[torch.Tensor]) -> list[torch.Tensor]:
        inner = sum((g * d).sum() for g, d in zip(gradient, direction, strict=True))
        return list(torch.autograd.grad(inner, list(params.values()), retain_graph=True))

    def dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
        return sum((x * y).sum() for x, y in zip(a, b, strict=True)).item()

    u_hv, v_hu = dot(u, product(v)), dot(v, product(u))
    return abs(u_hv - v_hu) / abs(u_hv)


def test_the_meta_loss_hessian_is_symmetric_with_exact_batch_norm(batch64):
    """Third derivatives of batch norm are exact from primitives; through torch's fused
    kernel they are not, so the same measurement outside the block is not symmetric."""
    model = tiny_net()
    with exact_higher_derivatives(model):
        assert hessian_asymmetry(model, batch64) < 1e-10
    assert hessian_asymmetry(model, batch64) > 1e-4


def test_exact_batch_norm_gives_the_fused_meta_gradient(batch64):
    model = tiny_net()
    params = parameters_of(model)
    learner = make("maml", model, cross_entropy, 0.4, meta_gradient_path="autograd")
    fused = learner.meta_gradient(params, batch64)[1]
    with exact_higher_derivatives(model):
        exact = learner.meta_gradient(params, batch64)[1]
    for name in fused:
        torch.testing.assert_close(exact[name], fused[name], rtol=1e-10, atol=1e-12)
