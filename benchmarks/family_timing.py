"""Wall time of one claim family at a scale, from an empty cache, and of the rerun.

Shared by the per-family benchmarks: each names its claims, budget and
output file and calls :func:`main`. The report gives the fresh and rerun
wall times, the fraction of the budget, each claim's seconds and verdict, and
every cell's seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from figures.claims.catalogue import select
from figures.engine.claim import Claim
from figures.engine.files import write_json
from figures.engine.runner import results_of, run_claims


def time_family(claims: list[Claim], scale: str, budget_seconds: float) -> dict:
    """Run ``claims`` from an empty cache, then again from the cache; the timing report."""
    claims = select([claim.id for claim in claims])
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        outcomes = run_claims(claims, scale, Path(cache), progress=False)
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        run_claims(claims, scale, Path(cache), progress=False)
        rerun = time.perf_counter() - start
    return {
        "scale": scale,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "fresh_seconds": fresh,
        "rerun_seconds": rerun,
        "budget_seconds": budget_seconds,
        "fraction_of_budget": fresh / budget_seconds,
        "claim_seconds": {
            claim.id: sum(outcome.seconds for outcome in outcomes[claim.id]) for claim in claims
        },
        "verdicts": {
            claim.id: claim.check(results_of(outcomes[claim.id])).status for claim in claims
        },
        "cell_seconds": {
            claim_id: [round(outcome.seconds, 3) for outcome in claim_outcomes]
            for claim_id, claim_outcomes in outcomes.items()
        },
    }


def main(description: str, claims: list[Claim], budget_seconds: float, out: Path) -> None:
    """The command line of a family benchmark: ``--scale`` and ``--out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args()
    report = time_family(claims, args.scale, budget_seconds)
    print(json.dumps(report, indent=2))
    write_json(args.out, report)
