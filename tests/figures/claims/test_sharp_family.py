"""Claims H1–H3, G1–G2 together: cells at every scale; bad configs are named."""

from __future__ import annotations

import pytest

from figures.claims.catalogue import REGISTRY
from figures.claims.fewshot import FewShotSetup
from figures.claims.g1_label_noise import NoisyLabelConfig
from figures.claims.g1_noisy_data import NoisyGaussianClasses
from figures.claims.h1_flatness_arms import SinusoidFlatnessArm
from figures.claims.h2_sharp_accuracy import (
    AccuracyConfig,
)
from figures.claims.h3_sharp_cost import CostConfig
from figures.engine.claim import GENERAL_SCALES, SCALES


def test_every_claim_is_registered_with_cells_at_every_scale():
    for claim_id in ("H1", "H2", "H3", "G1", "G2"):
        claim = REGISTRY[claim_id]
        for scale in claim.scales:
            assert claim.cells_at(scale)
    assert REGISTRY["G1"].scales == GENERAL_SCALES, "G1 has no image tasks"
    assert all(REGISTRY[i].scales == SCALES for i in ("H1", "H2", "H3", "G2"))


@pytest.mark.parametrize(
    ("make_config", "message"),
    [
        (
            lambda: SinusoidFlatnessArm(algorithm="fo-maml"),
            "algorithm must be a non-empty tuple from",
        ),
        (lambda: SinusoidFlatnessArm(rho=-1.0), "rho must be"),
        (lambda: FewShotSetup(iterations=0), "iterations must be an integer >= 1"),
        (lambda: FewShotSetup(glyph_drawings=0), "glyph_drawings must be an integer >= 1"),
        (lambda: AccuracyConfig(rho=-1.0), "rho must be"),
        (lambda: AccuracyConfig(roles=(("maml", "sam"),)), "roles' algorithms must be"),
        (lambda: CostConfig(roles=(("x", "sam"),)), "roles' algorithms must be"),
        (lambda: NoisyGaussianClasses(noise=1.0), r"noise must be in \[0, 1 − 1/C\)"),
        (lambda: NoisyLabelConfig(role="adam"), "role and method must be from"),
    ],
)
def test_bad_configs_name_the_field(make_config, message):
    with pytest.raises(ValueError, match=message):
        make_config()
