"""Wall time of the whole L1–L5 family at the quick scale, from an empty cache.

The issue's budget is 30 s on a 2-core CPU. Each cell's time is reported,
so the expensive ones (the trained simulations) are visible, and the rerun
(every cell from the cache) is timed too.

    python -m benchmarks.task_landscape --out results/bench_task_landscape.json
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.family_timing import main
from figures.claims.l1_minimisers import L1
from figures.claims.l2_equal_hardness import L2
from figures.claims.l3_gain_growth import L3
from figures.claims.l4_finite_samples import L4
from figures.claims.l5_conditioning import L5

BUDGET_SECONDS = 30.0

if __name__ == "__main__":
    main(
        __doc__.splitlines()[0],
        [L1, L2, L3, L4, L5],
        BUDGET_SECONDS,
        Path("results/bench_task_landscape.json"),
    )
