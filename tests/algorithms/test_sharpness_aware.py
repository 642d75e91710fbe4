"""SAM / ASAM steps and Sharp-MAML: closed forms, ρ = 0 reductions, finite differences."""

from __future__ import annotations

import pytest
import torch

from algorithms import (
    MLP,
    Ascent,
    RecordingSamStep,
    ReplayingSamStep,
    SamStep,
    SharpOuterStep,
    make,
    mse,
    parameters_of,
    sharp_gradient,
    train,
)
from algorithms.outer_steps import BatchObjective
from analysis import HessianOperator
from synthetic import SinusoidTasks
from tests.algorithms.test_meta_gradients import central_differences, relative_error
from tests.conftest import smooth_mlp

SHARP = ("sharp-maml-low", "sharp-maml-up", "sharp-maml-both", "sharp-maml-efficient")


def flat(params: dict) -> torch.Tensor:
    return torch.cat([t.reshape(-1) for t in params.values()])


def test_sam_step_on_a_quadratic_matches_its_closed_form():
    """L_i = ½ θᵀAθ: θ' = θ − α A(θ + ρ Aθ/‖Aθ‖), with a separate norm for each task."""
    matrix = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    theta = torch.tensor([[1.0, -2.0], [0.3, 0.1], [-4.0, 5.0]], dtype=torch.float64)
    params = {"w": theta.clone().requires_grad_(True)}

    def loss_of(p):
        return 0.5 * torch.einsum("bi,ij,bj->b", p["w"], matrix, p["w"])

    rho, lr = 0.3, 0.1
    stepped = SamStep(Ascent(rho))(loss_of, params, ("w",), lr, False)["w"]
    gradient = theta @ matrix
    epsilon = rho * gradient / gradient.norm(dim=1, keepdim=True)
    torch.testing.assert_close(stepped, theta - lr * (theta + epsilon) @ matrix, rtol=0, atol=1e-14)


def sinusoid_run(name: str, **options) -> dict:
    model = MLP((1, 16, 16, 1), generator=torch.Generator().manual_seed(0))
    learner = make(name, model, mse, inner_lr=0.01, inner_steps=2, **options)
    params = parameters_of(model)
    tasks = SinusoidTasks(support_size=5, query_size=5)
    train(learner, params, tasks, 3, torch.Generator().manual_seed(1), progress=False, meta_batch=4)
    return params


@pytest.mark.parametrize(
    ("name", "base", "options"),
    [
        *[(name, "maml", {}) for name in SHARP],
        ("sharp-maml-low", "maml", {"perturbation": "differentiated"}),
        ("sharp-maml-agnostic", "maml", {}),
        ("sam", "nal", {}),
        ("asam", "nal", {}),
    ],
)
def test_rho_zero_reduces_every_variant_bit_for_bit(name, base, options):
    """Bit for bit against the base on the same (autograd) meta-gradient path; MAML's
    hand-written passes agree with it only to rounding."""
    reference = sinusoid_run(base, meta_gradient_path="autograd")
    reduced = sinusoid_run(name, rho=0.0, **options)
    perturbed = sinusoid_run(name, rho=0.05, **options)
    assert all(torch.equal(reduced[key], reference[key]) for key in reference)
    assert not all(torch.equal(perturbed[key], reference[key]) for key in reference)


def test_adaptive_ascent_is_invariant_to_a_per_parameter_rescaling():
    """With L_D(φ) = L(φ/d) and φ = dθ, ASAM's ε_D = d·ε (SAM's is not)."""
    theta = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64)
    scale = torch.tensor([10.0, 0.1, 3.0], dtype=torch.float64)

    def gradient(point, divisor):
        leaf = point.clone().requires_grad_(True)
        value = (torch.sin(leaf / divisor).sum() + (leaf / divisor).prod()) ** 2
        return torch.autograd.grad(value, leaf)[0]

    adaptive = Ascent(0.2, adaptive=True)
    epsilon = adaptive({"w": gradient(theta, 1.0)}, {"w": theta}, 0)["w"]
    rescaled = adaptive({"w": gradient(scale * theta, scale)}, {"w": scale * theta}, 0)["w"]
    torch.testing.assert_close(rescaled, scale * epsilon, rtol=1e-12, atol=0)
    plain = Ascent(0.2)({"w": gradient(scale * theta, scale)}, {"w": scale * theta}, 0)["w"]
    assert relative_error(plain, scale * Ascent(0.2)({"w": gradient(theta, 1.0)}, {}, 0)["w"]) > 0.1


def test_sharp_maml_up_gradient_matches_finite_differences_of_the_perturbed_objective(
    sinusoid_batch64,
):
    model = smooth_mlp()
    learner = make("maml", model, mse, inner_lr=0.05, inner_steps=2)
    params = parameters_of(model)
    rho = 0.1
    loss, gradients = sharp_gradient(
        lambda p: learner.meta_loss(p, sinusoid_batch64), params, Ascent(rho)
    )
    meta_gradient = torch.autograd.grad(
        learner.meta_loss(params, sinusoid_batch64), list(params.values())
    )
    norm = torch.cat([g.reshape(-1) for g in meta_gradient]).norm()
    moved = {
        name: (tensor + rho * g / norm).detach()
        for (name, tensor), g in zip(params.items(), meta_gradient)
    }
    numeric = central_differences(learner, moved, sinusoid_batch64)
    assert relative_error(flat(gradients), numeric) <= 1e-6
    assert loss == learner.meta_loss(params, sinusoid_batch64)
    unperturbed = central_differences(learner, params, sinusoid_batch64)
    assert relative_error(flat(gradients), unperturbed) > 1e-3


def test_sharp_maml_up_outer_step_applies_the_perturbed_gradient_at_theta(sinusoid_batch64):
    model = smooth_mlp()
    learner = make("sharp-maml-up", model, mse, inner_lr=0.05, rho_up=0.1)
    params = parameters_of(model)
    before = {k: v.detach().clone() for k, v in params.items()}
    objective = lambda p: learner.meta_loss(p, sinusoid_batch64)  # noqa: E731
    _, expected = sharp_gradient(objective, params, Ascent(0.1))
    learner.outer_step(objective, params, torch.optim.SGD(params.values(), lr=0.5))
    for name in params:
        torch.testing.assert_close(params[name], before[name] - 0.5 * expected[name])


def test_differentiated_and_constant_inner_perturbations_differ_by_its_derivative(
    sinusoid_batch64,
):
    """d F_diff − d F_const = −α (∂ε/∂θ)ᵀ H_S(θ+ε) v,  (∂ε/∂θ)ᵀ u = (ρ/‖g‖) H_S(θ)(u − ĝ ĝᵀu)."""
    batch = sinusoid_batch64.select(slice(0, 1))
    model, lr, rho = smooth_mlp(), 0.05, 0.2
    params = parameters_of(model)
    grads = {}
    for convention in ("constant", "differentiated"):
        learner = make("sharp-maml-low", model, mse, lr, rho=rho, perturbation=convention)
        grads[convention] = flat(
            dict(
                zip(
                    params,
                    torch.autograd.grad(learner.meta_loss(params, batch), [*params.values()]),
                )
            )
        )
    maml = make("maml", model, mse, lr)

    def support(p):
        return maml.task_losses(
            {k: v[None] for k, v in p.items()}, batch.support_x, batch.support_y
        )[0]

    def query(p):
        return maml.task_losses({k: v[None] for k, v in p.items()}, batch.query_x, batch.query_y)[0]

    g = dict(zip(params, torch.autograd.grad(support(params), [*params.values()])))
    g_flat = flat(g)
    epsilon = {k: rho * v / g_flat.norm() for k, v in g.items()}
    at_epsilon = {k: (params[k] + epsilon[k]).detach().requires_grad_(True) for k in params}
    g_eps = torch.autograd.grad(support(at_epsilon), [*at_epsilon.values()])
    adapted = {
        k: (params[k] - lr * ge).detach().requires_grad_(True) for k, ge in zip(params, g_eps)
    }
    v = dict(zip(params, torch.autograd.grad(query(adapted), [*adapted.values()])))
    u = flat(HessianOperator(support, at_epsilon).hvp_params(v))
    unit = g_flat / g_flat.norm()
    projected = (rho / g_flat.norm()) * (u - unit * (unit @ u))
    layout_params = {k: t.detach() for k, t in params.items()}
    operator = HessianOperator(support, layout_params)
    term = -lr * operator.hvp(projected)
    difference = grads["differentiated"] - grads["constant"]
    assert relative_error(difference, term) <= 1e-8
    assert difference.norm() > 1e-4 * grads["constant"].norm()


def test_efficient_variant_replays_the_inner_perturbations_of_the_ascent_pass(sinusoid_batch64):
    """Replayed at θ, the recorded ε_i give the SAM steps' own adaptation; a replaying rule
    takes exactly as many steps as were recorded."""
    model, batch = smooth_mlp(), sinusoid_batch64
    params = parameters_of(model)
    rule, recorded = SamStep(Ascent(0.1)), []
    recording = make("maml", model, mse, 0.05, 2, inner_rule=RecordingSamStep(rule, recorded))
    first_pass = recording.meta_loss(params, batch)
    assert len(recorded) == 2
    assert all(not e.requires_grad for step in recorded for e in step.values())
    replaying = make("maml", model, mse, 0.05, 2, inner_rule=ReplayingSamStep(iter(recorded)))
    torch.testing.assert_close(replaying.meta_loss(params, batch), first_pass, rtol=0, atol=0)
    plain = make("maml", model, mse, 0.05, 2, inner_rule=rule).meta_loss(params, batch)
    torch.testing.assert_close(first_pass, plain, rtol=1e-14, atol=0)
    with pytest.raises(ValueError, match="no recorded inner perturbation left"):
        replaying.adapt(params, batch.support_x, batch.support_y)


def test_efficient_outer_step_uses_the_learners_sam_step_and_a_batch_objective(sinusoid_batch64):
    model = MLP((1, 4, 1))
    efficient = make("sharp-maml-efficient", model, mse, 0.1, rho=0.2)
    assert efficient.outer_step == SharpOuterStep(Ascent(0.2), efficient=True)
    assert efficient.inner_rule == SamStep(Ascent(0.2))
    params = parameters_of(model)
    optimizer = torch.optim.SGD(params.values(), lr=0.1)
    with pytest.raises(ValueError, match=r"a BatchObjective.*got a function"):
        efficient.outer_step(lambda p: p["layers.0.weight"].sum(), params, optimizer)
    plain_rule = make("maml", model, mse, 0.1, outer_step=efficient.outer_step)
    with pytest.raises(ValueError, match="inner rule must be a SamStep, got <function gradient"):
        plain_rule.outer_step(BatchObjective(plain_rule, sinusoid_batch64), params, optimizer)


def test_rho_options_reach_the_right_levels():
    model = MLP((1, 4, 1))
    both = make("sharp-maml-both", model, mse, 0.1, rho=0.3, rho_up=0.7)
    assert both.inner_rule.ascent.rho == 0.3 and both.outer_step.ascent.rho == 0.7
    single = make("sharp-maml-both", model, mse, 0.1, rho=0.2)
    assert single.inner_rule.ascent.rho == single.outer_step.ascent.rho == 0.2
    assert make("asam", model, mse, 0.1).outer_step.ascent.adaptive


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("maml", {"rho": 0.1}, r"options \['rho'\] apply to the sharpness-aware algorithms"),
        ("sharp-maml-low", {"rho_low": -1.0}, "rho_low must be"),
        ("sharp-maml-low", {"perturbation": "both"}, "perturbation must be one of"),
        ("sharp-maml-up", {"radius": 1.0}, r"unknown options \['radius'\]"),
        ("sharp-maml-efficient", {"perturbation": "differentiated"}, "replays the inner"),
    ],
)
def test_bad_sharpness_options(name, options, message):
    with pytest.raises(ValueError, match=message):
        make(name, MLP((1, 4, 1)), mse, 0.1, **options)
