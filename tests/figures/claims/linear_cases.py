"""What the linear-landscape claim tests (L1–L5) share: short training, results as reported."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.linear_experiments import LinearTraining
from figures.claims.linear_gains import SimulatedGainConfig
from figures.engine.claim import Cell, Results

FAST = LinearTraining(support_size=500, iterations=250)


def results(*configs) -> Results:
    """Experiment results as the report sees them (after a JSON round trip)."""
    return Results.computed(Cell(config, 0) for config in configs)


def simulated(**overrides) -> SimulatedGainConfig:
    return replace(SimulatedGainConfig(test_tasks=1500, training=FAST), **overrides)
