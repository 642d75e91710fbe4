"""The ANIL set-up of A1–A4: exact inner-loop Jacobians, the ridge step, named bad configs."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from algorithms import parameters_of
from algorithms.inner_rules import ridge_step
from analysis.flat import ParamLayout
from figures.claims.a3_anil_cost import CostConfig
from figures.claims.a4_inner_jacobian import JacobianConfig
from figures.claims.anil_convergence import ConvergenceConfig
from figures.claims.anil_setup import AnilSetup, inner_loop_jacobian
from tests.figures.claims.anil_cases import SMALL


@pytest.mark.parametrize("head", ["linear", "mlp"])
def test_inner_loop_jacobian_matches_finite_differences(head):
    setup = replace(SMALL, head=head, step_scale=0.5)
    model = setup.model(seed=0).double()
    params = {name: tensor.detach() for name, tensor in parameters_of(model).items()}
    learner = setup.learner(model, "anil", 1)
    batch = setup.tasks().sampler(3, 4).sample(2, torch.Generator().manual_seed(1), torch.float64)
    jacobian = inner_loop_jacobian(learner, params, batch, steps=3)
    layout = ParamLayout.of({name: params[name] for name in learner.adapted})
    start = layout.flatten({name: params[name] for name in learner.adapted})

    def adapted(vector: torch.Tensor) -> torch.Tensor:
        out = learner.adapt(
            {**params, **layout.unflatten(vector)}, batch.support_x, batch.support_y, steps=3
        )
        return torch.cat([out[name].detach().reshape(2, -1) for name in layout.names], dim=1)

    step = 1e-6
    columns = [
        (adapted(start + step * e) - adapted(start - step * e)) / (2 * step)
        for e in torch.eye(layout.size, dtype=torch.float64)
    ]
    assert jacobian.shape == (2, layout.size, layout.size)
    assert torch.allclose(jacobian, torch.stack(columns, dim=2), atol=1e-6, rtol=1e-5)


def test_ridge_step_is_a_gradient_step_on_the_ridge_loss():
    w = {"w": torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)}
    data_loss = lambda p: (p["w"] ** 3).sum(dim=1)  # noqa: E731
    stepped = ridge_step(0.3)(data_loss, w, ("w",), 0.1, create_graph=False)["w"]
    total = (data_loss(w) + 0.15 * w["w"].square().sum(dim=1)).sum()
    expected = w["w"] - 0.1 * torch.autograd.grad(total, w["w"])[0]
    assert torch.allclose(stepped, expected)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: AnilSetup(head="conv"), "head must be one of"),
        (lambda: AnilSetup(body_widths=(7, 16)), "must start with input_dim=8"),
        (lambda: AnilSetup(ridge=-0.1), "ridge must be >= 0"),
        (lambda: AnilSetup(step_scale=0.0), "step_scale must be > 0"),
        (lambda: AnilSetup(support_size=0), "support_size must be an integer >= 1"),
        (lambda: ConvergenceConfig(iterations=0), "iterations must be an integer >= 1"),
        (lambda: ConvergenceConfig(outer_lr=-1.0), "outer_lr must be > 0"),
        (lambda: CostConfig(algorithms=("anil", "fo-maml")), "algorithms must be a pair"),
        (lambda: CostConfig(repeats=1), "repeats must be an integer >= 2"),
        (lambda: JacobianConfig(role="convex"), "role must be one of"),
        (lambda: JacobianConfig(steps=(0, 1)), "steps must be a non-empty tuple"),
        (lambda: ridge_step(-1.0), "strength must be >= 0"),
    ],
)
def test_bad_config_values_raise_naming_the_field(build, message):
    with pytest.raises(ValueError, match=message):
        build()
