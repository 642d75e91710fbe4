"""S1 (implementation check): the sign inner loop's meta-gradient is the query gradient at θ'."""

from __future__ import annotations

from figures.claims.s1_sign_jacobian import S1, SignJacobianConfig
from figures.engine.claim import Cell, Results


def test_s1_passes_for_sign_steps_at_every_inner_step_count():
    verdict = S1.check(Results.computed(S1.cells("smoke")))
    assert verdict.status == "PASS"
    assert verdict.evidence is not None and verdict.evidence.seeds == 1


def test_s1_fails_when_gradient_steps_take_the_sign_learners_place():
    cells = [Cell(SignJacobianConfig(learner="maml", inner_steps=(1, 2), tasks=2), 0)]
    assert S1.check(Results.computed(cells)).status == "FAIL"


def test_s1_is_an_implementation_check():
    assert S1.kind == "implementation check"
