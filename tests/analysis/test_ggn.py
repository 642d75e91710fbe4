"""Gauss–Newton and Fisher operators against matrices built from exact Jacobians and Hessians."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from algorithms import cross_entropy, make, mse
from analysis.flat import ParamLayout
from analysis.ggn import FisherOperator, GGNOperator, hessian_ggn_gap, model_outputs
from analysis.hvp import HessianOperator
from synthetic import SinusoidTasks
from synthetic.task_batch import TaskBatch


def seeded_model(*layers: nn.Module, seed: int = 0) -> nn.Module:
    model = nn.Sequential(*layers).double()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.normal_(generator=generator)
    return model


def params_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: t.detach().clone() for name, t in model.named_parameters()}


def regression_data(seed: int = 1):
    """Two tasks of five points, inputs in ℝ³ and targets in ℝ²."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 5, 3, generator=generator, dtype=torch.float64)
    return x, torch.randn(2, 5, 2, generator=generator, dtype=torch.float64)


def classification_data(seed: int = 1):
    """Two tasks of four points in ℝ³ with labels in {0, 1, 2}."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(2, 4, 3, generator=generator, dtype=torch.float64)
    return x, torch.randint(0, 3, (2, 4), generator=generator)


def matrix_of(operator) -> torch.Tensor:
    """The operator's matrix, one product per column."""
    identity = torch.eye(operator.size, dtype=torch.float64)
    return torch.stack([operator.hvp(column) for column in identity], dim=1)


def exact_hessian(objective, params) -> torch.Tensor:
    layout = ParamLayout.of(params)
    return torch.autograd.functional.hessian(
        lambda v: objective(layout.unflatten(v)), layout.flatten(params)
    )


def exact_jacobian(outputs_fn, params) -> torch.Tensor:
    """J = ∂ vec f / ∂θ, [M, n]."""
    layout = ParamLayout.of(params)
    return torch.autograd.functional.jacobian(
        lambda v: outputs_fn(layout.unflatten(v)).reshape(-1), layout.flatten(params)
    )


def test_linear_model_with_mse_has_ggn_equal_to_the_hessian():
    model = seeded_model(nn.Linear(3, 2))
    parts = model_outputs(model, *regression_data(), "mse")
    params = params_of(model)
    hessian = exact_hessian(parts, params)
    ggn = parts.ggn(params)
    assert torch.allclose(matrix_of(ggn), hessian, rtol=0, atol=1e-12)
    assert ggn.hvp_count == 8
    assert torch.allclose(matrix_of(parts.fisher(params)), hessian, rtol=0, atol=1e-12)


def test_mlp_with_cross_entropy_has_ggn_equal_to_jt_h_out_j_and_psd():
    model = seeded_model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    x, labels = classification_data()
    parts = model_outputs(model, x, labels, "cross_entropy")
    params = params_of(model)
    jacobian = exact_jacobian(parts.outputs_fn, params)
    outputs = parts.outputs_fn(params).detach()
    output_hessian = torch.autograd.functional.hessian(
        lambda f: parts.loss_fn(f.view(outputs.shape)), outputs.reshape(-1)
    )
    expected = jacobian.T @ output_hessian @ jacobian
    matrix = matrix_of(parts.ggn(params))
    assert torch.allclose(matrix, expected, rtol=0, atol=1e-12)
    assert torch.allclose(matrix, matrix.T, rtol=0, atol=1e-12)
    assert torch.linalg.eigvalsh((matrix + matrix.T) / 2).min() >= -1e-12
    hessian = exact_hessian(parts, params)
    assert (hessian - matrix).abs().max() > 1e-2
    assert torch.linalg.eigvalsh(hessian).min() < -1e-3


def test_categorical_fisher_is_the_expected_outer_product_over_model_labels():
    """F = (1/N) Σ_i Σ_c p(c | x_i) ∇log p(c | x_i) ∇log p(c | x_i)ᵀ, enumerated, and F = G."""
    model = seeded_model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    x, labels = classification_data()
    parts = model_outputs(model, x, labels, "cross_entropy")
    params = params_of(model)
    layout = ParamLayout.of(params)
    theta = layout.flatten(params)
    logits = parts.outputs_fn(params).detach().reshape(-1, 3)
    expected = torch.zeros(layout.size, layout.size, dtype=torch.float64)
    for row in range(logits.shape[0]):
        for label in range(3):

            def log_likelihood(v, row=row, label=label):
                flat = parts.outputs_fn(layout.unflatten(v)).reshape(-1, 3)
                return flat[row].log_softmax(dim=0)[label]

            score = torch.autograd.functional.jacobian(log_likelihood, theta)
            expected += logits[row].softmax(dim=0)[label] * torch.outer(score, score)
    expected /= logits.shape[0]
    fisher = matrix_of(FisherOperator(parts.outputs_fn, params, "categorical"))
    assert torch.allclose(fisher, expected, rtol=0, atol=1e-12)
    assert torch.allclose(fisher, matrix_of(parts.ggn(params)), rtol=0, atol=1e-12)


def test_gaussian_fisher_is_two_over_m_jt_j_and_equals_the_ggn_of_mse():
    model = seeded_model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    parts = model_outputs(model, *regression_data(), "mse")
    params = params_of(model)
    jacobian = exact_jacobian(parts.outputs_fn, params)
    expected = 2.0 / jacobian.shape[0] * jacobian.T @ jacobian
    fisher = matrix_of(parts.fisher(params))
    assert torch.allclose(fisher, expected, rtol=0, atol=1e-12)
    assert torch.allclose(matrix_of(parts.ggn(params)), expected, rtol=0, atol=1e-12)


def test_gap_is_zero_for_a_linear_model_and_not_for_an_mlp():
    linear = seeded_model(nn.Linear(3, 2))
    parts = model_outputs(linear, *regression_data(), "mse")
    params = params_of(linear)
    gap = hessian_ggn_gap(HessianOperator(parts, params), parts.ggn(params), k=2, probes=3)
    assert gap["relative_frobenius_gap"] <= 1e-12
    assert max(gap["relative_residuals"]) <= 1e-12
    assert abs(gap["trace_gap"]["trace"]) <= 1e-12
    np.testing.assert_allclose(gap["hessian_largest"], gap["ggn_largest"], atol=1e-10)

    mlp = seeded_model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    parts = model_outputs(mlp, *classification_data(), "cross_entropy")
    params = params_of(mlp)
    hessian, ggn = HessianOperator(parts, params), parts.ggn(params)
    gap = hessian_ggn_gap(hessian, ggn, probes=5, trace_budget=30)
    exact = exact_hessian(parts, params) - matrix_of(parts.ggn(params))
    frobenius = (exact.norm() / exact_hessian(parts, params).norm()).item()
    assert 0.2 * frobenius <= gap["relative_frobenius_gap"] <= 5 * frobenius
    trace = gap["trace_gap"]
    assert trace["trace"] - trace["half_width"] <= torch.trace(exact).item()
    assert torch.trace(exact).item() <= trace["trace"] + trace["half_width"]
    assert gap["ggn_smallest"][0] >= -1e-10 > gap["hessian_smallest"][0]
    assert gap["hessian_hvp_count"] == hessian.hvp_count and gap["ggn_hvp_count"] == ggn.hvp_count
    assert gap["hessian_hvp_count"] > 30


def test_counting_scipy_dict_products_and_rebuilt_graphs():
    model = seeded_model(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    parts = model_outputs(model, *classification_data(), "cross_entropy")
    params = params_of(model)
    kept, rebuilt = parts.ggn(params), parts.ggn(params, keep_graph=False)
    block = np.random.default_rng(0).standard_normal((kept.size, 3))
    np.testing.assert_allclose(kept @ block, rebuilt @ block, rtol=1e-12, atol=1e-14)
    assert kept.hvp_count == rebuilt.hvp_count == 3
    direction = kept.layout.unflatten(torch.from_numpy(block[:, 0]))
    as_dict = kept.hvp_params(direction)
    np.testing.assert_allclose(kept.layout.flatten(as_dict).numpy(), kept @ block[:, 0])
    assert kept.hvp_count == 5
    kept.release()
    np.testing.assert_allclose(kept @ block[:, 1], rebuilt @ block[:, 1], rtol=1e-12)


def test_nal_and_task_objectives_equal_the_learners_losses():
    model = seeded_model(nn.Linear(1, 6), nn.Tanh(), nn.Linear(6, 1))
    batch = SinusoidTasks(support_size=4, query_size=3).sample(
        3, torch.Generator().manual_seed(0), dtype=torch.float64
    )
    learner = make("nal", model, mse, inner_lr=0.1)
    params = params_of(model)
    for data in (batch, batch.select(slice(0, 1))):
        parts = model_outputs(model, *data.pooled(), "mse")
        assert torch.allclose(parts(params), learner.meta_loss(params, data), rtol=1e-14)

    classifier = seeded_model(nn.Linear(2, 3))
    generator = torch.Generator().manual_seed(0)
    tasks = TaskBatch(
        torch.randn(2, 3, 2, generator=generator, dtype=torch.float64),
        torch.randint(0, 3, (2, 3), generator=generator),
        torch.randn(2, 5, 2, generator=generator, dtype=torch.float64),
        torch.randint(0, 3, (2, 5), generator=generator),
    )
    learner = make("nal", classifier, cross_entropy, inner_lr=0.1)
    parts = model_outputs(classifier, *tasks.pooled(), "cross_entropy")
    classifier_params = params_of(classifier)
    expected = learner.meta_loss(classifier_params, tasks)
    assert torch.allclose(parts(classifier_params), expected, rtol=1e-14)


def test_meta_loss_ggn_of_a_linear_model_is_its_hessian():
    """With outputs = post-adaptation query predictions, a linear model under MSE adapts by an
    affine map of θ, so the meta-loss is quadratic and its GGN is its Hessian."""
    model = seeded_model(nn.Linear(2, 1))
    batch = SinusoidTasks(support_size=4, query_size=3).sample(
        3, torch.Generator().manual_seed(0), dtype=torch.float64
    )
    batch = TaskBatch(
        batch.support_x.expand(-1, -1, 2) * torch.tensor([1.0, -0.5], dtype=torch.float64),
        batch.support_y,
        batch.query_x.expand(-1, -1, 2) ** 2,
        batch.query_y,
    )
    learner = make("maml", model, mse, inner_lr=0.3)
    params = params_of(model)

    def query_predictions(p):
        return learner.predict(learner.adapt(p, batch.support_x, batch.support_y), batch.query_x)

    ggn = GGNOperator(query_predictions, lambda f: mse(f, batch.query_y), params)
    hessian = exact_hessian(lambda p: learner.meta_loss(p, batch), params)
    assert torch.allclose(matrix_of(ggn), hessian, rtol=0, atol=1e-12)


def test_a_loss_linear_in_the_outputs_has_a_zero_ggn():
    params = {"w": torch.tensor([1.0, 2.0], dtype=torch.float64)}
    ggn = GGNOperator(lambda p: p["w"] ** 3, lambda f: f.sum(), params)
    assert ggn.hvp(torch.ones(2, dtype=torch.float64)).tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda m, x, y: model_outputs(m, x, y, "hinge"),
            r"loss must be one of \('mse', 'cross_entropy'\), got 'hinge'",
        ),
        (
            lambda m, x, y: model_outputs(m, x[0], y[0], "mse"),
            r"x and y need leading axes \[tasks, examples\] that agree.*x.unsqueeze\(0\)",
        ),
        (
            lambda m, x, y: model_outputs(m, x, y[..., :1], "mse")(params_of(m)),
            r"mse needs outputs of the targets' shape \(2, 5, 1\), got \(2, 5, 2\)",
        ),
        (
            lambda m, x, y: model_outputs(m, x, y[..., :1].long(), "cross_entropy")(params_of(m)),
            r"cross_entropy needs logits \[B, N, classes\] for labels \(2, 5, 1\), "
            r"got outputs \(2, 5, 2\)",
        ),
        (
            lambda m, x, y: FisherOperator(lambda p: p["0.weight"].sum(), params_of(m), "poisson"),
            r"likelihood must be one of \('gaussian', 'categorical'\), got 'poisson'",
        ),
        (
            lambda m, x, y: GGNOperator(lambda p: 1.0, lambda f: f, params_of(m)),
            r"outputs_fn must return a floating point tensor, got float",
        ),
        (
            lambda m, x, y: GGNOperator(lambda p: p["0.weight"], lambda f: f, params_of(m)),
            r"objective must return a scalar tensor",
        ),
        (lambda m, x, y: model_outputs("model", x, y, "mse"), r"model must be a torch.nn.Module"),
    ],
)
def test_bad_input(build, message):
    model = nn.Sequential(nn.Linear(3, 2)).double()
    x, y = regression_data()
    with pytest.raises(ValueError, match=message):
        build(model, x, y)
