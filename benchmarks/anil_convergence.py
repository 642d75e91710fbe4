"""Wall time of claims A1–A4 and L6 at the quick scale, from an empty cache.

The issue's budget is 4 minutes on a 2-core CPU (run with ``OMP_NUM_THREADS=1``).
Each cell's time and each claim's total are reported with the verdicts, and
the rerun (every cell from the cache) is timed too.

    python -m benchmarks.anil_convergence --out results/bench_anil_convergence.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from figures.anil_convergence import A1, A2, A3, A4
from figures.claims import select
from figures.runner import run_claims
from figures.two_layer_landscape import L6

BUDGET_SECONDS = 240.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--out", type=Path, default=Path("results/bench_anil_convergence.json"))
    args = parser.parse_args()
    claims = select([claim.id for claim in (A1, A2, A3, A4, L6)])
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        outcomes = run_claims(claims, args.scale, Path(cache), progress=False)
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        run_claims(claims, args.scale, Path(cache), progress=False)
        rerun = time.perf_counter() - start
    report = {
        "scale": args.scale,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "cpu_count": os.cpu_count(),
        "fresh_seconds": fresh,
        "rerun_seconds": rerun,
        "budget_seconds": BUDGET_SECONDS,
        "fraction_of_budget": fresh / BUDGET_SECONDS,
        "claim_seconds": {
            claim.id: sum(outcome.seconds for outcome in outcomes[claim.id]) for claim in claims
        },
        "verdicts": {
            claim.id: claim.check([outcome.result for outcome in outcomes[claim.id]]).status
            for claim in claims
        },
        "cell_seconds": {
            claim_id: [round(outcome.seconds, 3) for outcome in claim_outcomes]
            for claim_id, claim_outcomes in outcomes.items()
        },
    }
    print(json.dumps(report, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
