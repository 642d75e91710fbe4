"""Wall time of claims A1–A4 and L6 at the quick scale, from an empty cache.

The issue's budget is 4 minutes on a 2-core CPU (run with ``OMP_NUM_THREADS=1``).
Each cell's time and each claim's total are reported with the verdicts, and
the rerun (every cell from the cache) is timed too.

    python -m benchmarks.anil_convergence --out results/bench_anil_convergence.json
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.family_timing import main
from figures.claims.a1_convex_convergence import A1
from figures.claims.a2_nonconvex_convergence import A2
from figures.claims.a3_anil_cost import A3
from figures.claims.a4_inner_jacobian import A4
from figures.claims.l6_two_layer import L6

BUDGET_SECONDS = 240.0

if __name__ == "__main__":
    main(
        __doc__.splitlines()[0],
        [A1, A2, A3, A4, L6],
        BUDGET_SECONDS,
        Path("results/bench_anil_convergence.json"),
    )
