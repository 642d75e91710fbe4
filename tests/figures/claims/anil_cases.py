"""What the ANIL claim tests (A1–A4) share: a small set-up, results as reported, trends."""

from __future__ import annotations

import json

from figures.claims.anil_setup import AnilSetup

SMALL = AnilSetup(body_widths=(8, 6, 4), head_hidden=3, support_size=3, query_size=4)


def as_reported(result: dict) -> dict:
    """A result as the report sees it, after the cache's JSON round trip."""
    return json.loads(json.dumps(result))


def trend_results(finals: dict[int, list[float]]) -> list[dict]:
    return [
        {"inner_steps": steps, "seed": seed, "final_meta_loss": {"mean": value}}
        for steps, values in finals.items()
        for seed, value in enumerate(values)
    ]
