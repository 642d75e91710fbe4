"""The shared L2–L4 experiments: results survive the cache's JSON round trip."""

from __future__ import annotations

import math

from figures.claims.linear_gains import GainGridConfig
from tests.figures.claims.linear_cases import results


def test_infinite_samples_round_trip_through_json():
    grid = results(GainGridConfig(samples=math.inf, distances=(0.0,), hard_spreads=(1.0,)))[0]
    assert grid["samples"] == "inf"
