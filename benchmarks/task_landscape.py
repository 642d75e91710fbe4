"""Wall time of the whole L1–L5 family at the quick scale, from an empty cache.

The issue's budget is 30 s on a 2-core CPU. Each cell's time is reported,
so the expensive ones (the trained simulations) are visible, and the rerun
(every cell from the cache) is timed too.

    python -m benchmarks.task_landscape --out results/bench_task_landscape.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from figures.claims import select
from figures.runner import run_claims
from figures.task_landscape import L1, L2, L3, L4, L5

BUDGET_SECONDS = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="quick")
    parser.add_argument("--out", type=Path, default=Path("results/bench_task_landscape.json"))
    args = parser.parse_args()
    claims = select([claim.id for claim in (L1, L2, L3, L4, L5)])
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        outcomes = run_claims(claims, args.scale, Path(cache), progress=False)
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        run_claims(claims, args.scale, Path(cache), progress=False)
        rerun = time.perf_counter() - start
    cells = {
        claim_id: [round(outcome.seconds, 3) for outcome in claim_outcomes]
        for claim_id, claim_outcomes in outcomes.items()
    }
    report = {
        "scale": args.scale,
        "fresh_seconds": fresh,
        "rerun_seconds": rerun,
        "budget_seconds": BUDGET_SECONDS,
        "fraction_of_budget": fresh / BUDGET_SECONDS,
        "cell_seconds": cells,
    }
    print(json.dumps(report, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
