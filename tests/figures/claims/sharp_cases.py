"""What the sharpness claim tests (H2, G2) share: a tiny glyph set-up and per-seed accuracies."""

from __future__ import annotations

from dataclasses import replace

from figures.claims.h2_sharp_accuracy import (
    QUICK_SETUP,
)

TINY_GLYPHS = {"glyph_alphabets": 4, "glyph_characters": 5, "glyph_drawings": 4}


TINY_SETUP = replace(QUICK_SETUP, iterations=2, test_tasks=4, filters=2, **TINY_GLYPHS)


def accuracies(values: dict[str, list[float]], key: str = "test_accuracy") -> list[dict]:
    """Results of len(seeds) seeds with the given per-seed accuracy of each role."""
    seeds = len(next(iter(values.values())))
    return [
        {"noise": 0.4, "roles": {role: {key: {"mean": v[s]}} for role, v in values.items()}}
        for s in range(seeds)
    ]
