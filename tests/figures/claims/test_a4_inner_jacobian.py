"""Claim A4: the bound is exact for the ridge head; it fails above 1/L or on the MLP head."""

from __future__ import annotations

from dataclasses import replace

import pytest

from figures.claims.a4_inner_jacobian import JacobianConfig, jacobian_check, jacobian_experiment
from figures.claims.anil_setup import CONVEX, NONCONVEX
from tests.figures.claims.anil_cases import as_reported


def test_a4_bound_is_exact_for_the_ridge_head_and_the_check_passes():
    convex = JacobianConfig(replace(CONVEX), steps=(1, 2, 5), num_tasks=4)
    nonconvex = replace(convex, setup=NONCONVEX, role="nonconvex")
    results = [as_reported(jacobian_experiment(c, 0)) for c in (convex, nonconvex)]
    assert results[0]["bound"]["max_ratio"] == pytest.approx(1.0, abs=1e-12)
    assert results[0]["fitted_rate"]["rate"] == pytest.approx(results[0]["bound_rate"])
    assert max(results[1]["max_norm"]) > 1.0
    assert jacobian_check(results).status == "PASS"


def test_a4_fails_with_a_step_above_one_over_l():
    config = JacobianConfig(replace(CONVEX, step_scale=4.0), steps=(1, 2, 5), num_tasks=4)
    result = as_reported(jacobian_experiment(config, 0))
    assert result["step_times_smoothness"] > 1.0
    verdict = jacobian_check([result])
    assert verdict.status == "FAIL" and "exceeds (1 − αμ)^N" in verdict.reason


def test_a4_fails_when_the_nonconvex_head_stands_in_for_the_convex_one():
    config = JacobianConfig(replace(CONVEX, head="mlp"), steps=(1, 2, 5), num_tasks=4)
    verdict = jacobian_check([as_reported(jacobian_experiment(config, 0))])
    assert verdict.status == "FAIL" and "premise violated" in verdict.reason
