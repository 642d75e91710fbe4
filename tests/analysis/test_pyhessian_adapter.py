"""PyHessian 0.1 through the adapter: same objective, its known failures caught and reported."""

from __future__ import annotations

import pytest
import torch

from analysis.pyhessian_adapter import (
    ObjectiveModule,
    cross_check,
    objective_criterion,
    pyhessian_density,
    pyhessian_eigenvalues,
    pyhessian_trace,
)
from tests.curvature_cases import meta_loss_case, quadratic_case

POSITIVE = (9.0, 4.0, 2.0, 1.0, 0.5, 0.25)
MAGNITUDE_TRAP = (2.0, 1.0, 0.5, -1.5, -6.0)


def test_module_and_criterion_reproduce_the_objective():
    case = meta_loss_case()
    module = ObjectiveModule(case.objective, case.params)
    value = objective_criterion(module(torch.zeros(1)), torch.zeros(1))
    assert value.item() == pytest.approx(case.objective(case.params).item(), rel=1e-14)
    assert [p.numel() for p in module.parameters()] == [97]


def test_top_eigenvalue_of_a_positive_definite_quadratic_and_its_cost():
    case = quadratic_case(POSITIVE)
    run = pyhessian_eigenvalues(case.objective, case.params, top_n=1, tol=1e-6)
    assert run.values[0] == pytest.approx(9.0, rel=1e-3)
    assert 1 <= run.hvp_count <= 100 and run.error is None


def test_its_top_eigenvalue_is_the_largest_magnitude_and_the_cross_check_says_so():
    case = quadratic_case(MAGNITUDE_TRAP)
    run = pyhessian_eigenvalues(case.objective, case.params, top_n=1, tol=1e-6)
    assert run.values[0] == pytest.approx(-6.0, rel=1e-3)
    check = cross_check(case.objective, case.params, k=2)
    assert check.ours["spectrum"]["largest"][0] == pytest.approx(2.0, rel=1e-10)
    eigenvalue_notes = [d for d in check.disagreements if d.startswith("eigenvalue 1")]
    assert len(eigenvalue_notes) == 1 and "ranked by |λ|" in eigenvalue_notes[0]


def test_cross_check_agrees_where_pyhessian_is_right():
    case = quadratic_case(POSITIVE)
    check = cross_check(case.objective, case.params, k=1, tolerance=1e-2)
    assert not [d for d in check.disagreements if d.startswith("eigenvalue")]
    assert check.as_dict()["pyhessian"]["eigenvalues"]["hvp_count"] > 0


def test_its_trace_stops_early_when_the_running_mean_is_negative():
    """REFERENCE.md §7: its relative stopping rule divides by the previous (negative) mean."""
    case = meta_loss_case()
    exact = torch.trace(case.hessian).item()
    run = pyhessian_trace(case.objective, case.params, seed=0)
    assert len(run.values) == run.hvp_count == 2 and run.mean < 0 < exact
    check = cross_check(case.objective, case.params, k=2, seed=0)
    ours = check.ours["trace"]
    assert ours["trace"] - ours["half_width"] <= exact <= ours["trace"] + ours["half_width"]
    assert any(d.startswith("trace: PyHessian says") for d in check.disagreements)


def test_density_failure_is_reported_not_raised():
    case = quadratic_case(POSITIVE)
    run = pyhessian_density(case.objective, case.params, steps=3)
    assert run.values == () and "torch.eig" in run.error
    assert run.hvp_count == 3


def test_global_random_state_and_gradients_are_left_alone():
    case = quadratic_case(POSITIVE)
    before = torch.get_rng_state()
    first = pyhessian_eigenvalues(case.objective, case.params, top_n=2, seed=5)
    assert torch.equal(torch.get_rng_state(), before)
    again = pyhessian_eigenvalues(case.objective, case.params, top_n=2, seed=5)
    assert first.values == again.values


def test_params_neither_on_the_cpu_nor_on_cuda_are_refused():
    params = {"theta": torch.zeros(3, device="meta")}
    with pytest.raises(ValueError, match="got params on meta; move them to 'cpu' or 'cuda'"):
        pyhessian_eigenvalues(lambda p: p["theta"].sum(), params)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda o, p: pyhessian_eigenvalues(o, p, top_n=0), "top_n must be"),
        (lambda o, p: pyhessian_trace(o, p, tol=0.0), "tol must be > 0"),
        (lambda o, p: pyhessian_density(o, p, steps=0), "steps must be"),
        (lambda o, p: cross_check(o, p, tolerance=-1.0), "tolerance must be > 0"),
    ],
)
def test_bad_settings(call, message):
    case = quadratic_case(POSITIVE)
    with pytest.raises(ValueError, match=message):
        call(case.objective, case.params)
