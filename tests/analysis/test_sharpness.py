"""Sharpness: closed forms on quadratics, the rescaling invariance of the adaptive kind."""

from __future__ import annotations

import pytest
import torch

from analysis.sharpness import adaptive_sharpness, average_sharpness, sam_sharpness
from tests.curvature_cases import meta_loss_case, quadratic_case

INDEFINITE = (2.0, 1.0, 0.25, -1.0, -5.0)


def test_sam_sharpness_of_a_quadratic_at_its_centre_is_half_rho_squared_lambda_max():
    """λ_max = 2, but |λ_min| = 5 is larger: a magnitude-based answer would give ρ²·5/2."""
    case = quadratic_case(INDEFINITE)
    rho, tol = 0.1, 1e-9
    result = sam_sharpness(case.objective, case.params, rho=rho, tol=tol, max_steps=500)
    exact = rho**2 * max(INDEFINITE) / 2
    assert result.converged and result.rho == rho
    assert result.sharpness == pytest.approx(exact, rel=tol)
    assert abs(result.sharpness - rho**2 * 5.0 / 2) > 0.01
    assert result.perturbation_norm == pytest.approx(rho)
    assert result.one_step_sharpness <= result.sharpness


def test_a_looser_tolerance_stops_earlier_and_is_still_within_it():
    case = quadratic_case(INDEFINITE)
    loose = sam_sharpness(case.objective, case.params, rho=0.1, tol=1e-4, max_steps=500)
    tight = sam_sharpness(case.objective, case.params, rho=0.1, tol=1e-10, max_steps=500)
    assert loose.gradient_count < tight.gradient_count
    assert loose.sharpness == pytest.approx(0.01, rel=1e-4)


def test_one_step_sam_is_the_first_order_ascent_value():
    """Away from a stationary point the one-step ε is ρ∇L/‖∇L‖, as in SAM."""
    case = quadratic_case(INDEFINITE)
    theta = torch.linspace(-1.0, 1.0, len(INDEFINITE), dtype=torch.float64)
    gradient = case.hessian @ theta
    epsilon = 0.05 * gradient / gradient.norm()
    expected = (
        case.objective({"theta": theta + epsilon}) - case.objective({"theta": theta})
    ).item()
    result = sam_sharpness(case.objective, {"theta": theta}, rho=0.05)
    assert result.one_step_sharpness == pytest.approx(expected, rel=1e-12)
    assert result.sharpness >= result.one_step_sharpness


def relu_network() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1)
    ).double()
    with torch.no_grad():
        for tensor in model.parameters():
            tensor.copy_(torch.randn(tensor.shape, generator=generator, dtype=torch.float64))
    x = torch.randn(32, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(32, 1, generator=generator, dtype=torch.float64)
    return model, x, y


def test_adaptive_sharpness_is_invariant_to_rescaling_relu_layers_and_sam_is_not():
    model, x, y = relu_network()

    def objective(params):
        return ((torch.func.functional_call(model, params, (x,)) - y) ** 2).mean()

    params = {name: t.detach().clone() for name, t in model.named_parameters()}
    c = 7.0
    rescaled = {
        "0.weight": c * params["0.weight"],
        "0.bias": c * params["0.bias"],
        "2.weight": params["2.weight"] / c,
        "2.bias": params["2.bias"],
    }
    assert objective(rescaled).item() == pytest.approx(objective(params).item(), rel=1e-12)
    options = {"tol": 1e-10, "max_steps": 300, "generator": torch.Generator().manual_seed(0)}
    adaptive = adaptive_sharpness(objective, params, rho=0.3, **options)
    adaptive_rescaled = adaptive_sharpness(objective, rescaled, rho=0.3, **options)
    assert adaptive.sharpness > 0
    assert adaptive_rescaled.sharpness == pytest.approx(adaptive.sharpness, rel=1e-6)
    sam = sam_sharpness(objective, params, rho=0.3, **options)
    sam_rescaled = sam_sharpness(objective, rescaled, rho=0.3, **options)
    assert abs(sam_rescaled.sharpness - sam.sharpness) > 0.05 * sam.sharpness


def test_average_sharpness_of_a_quadratic_is_half_sigma_squared_trace():
    case = quadratic_case(INDEFINITE)
    sigma = 0.2
    exact = sigma**2 * sum(INDEFINITE) / 2
    result = average_sharpness(
        case.objective, case.params, sigma, samples=400, generator=torch.Generator().manual_seed(1)
    )
    assert result.sigma == sigma and result.samples == 400
    assert result.sharpness - result.half_width <= exact <= result.sharpness + result.half_width
    assert result.half_width < abs(exact)


def test_meta_loss_sharpness_runs_and_records_its_settings():
    case = meta_loss_case()
    sam = sam_sharpness(case.objective, case.params, rho=0.01, max_steps=20)
    average = average_sharpness(case.objective, case.params, sigma=0.01, samples=4)
    assert sam.as_dict()["rho"] == 0.01 and sam.gradient_count <= 20
    assert sam.sharpness >= sam.one_step_sharpness > 0
    assert average.as_dict()["sigma"] == 0.01 and average.loss_evaluations == 9


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda o, p: sam_sharpness(o, p, rho=0.0), "rho must be > 0"),
        (lambda o, p: sam_sharpness(o, p, max_steps=1), "max_steps must be an integer >= 2"),
        (lambda o, p: adaptive_sharpness(o, p, offset=-0.1), "offset must be >= 0"),
        (lambda o, p: average_sharpness(o, p, sigma=-1.0), "sigma must be > 0"),
        (lambda o, p: average_sharpness(o, p, samples=1), "samples must be an integer >= 2"),
    ],
)
def test_bad_settings(call, message):
    case = quadratic_case(INDEFINITE)
    with pytest.raises(ValueError, match=message):
        call(case.objective, case.params)
