"""A claim of one long few-shot cell, run by ``python long_cell.py CACHE_DIR`` (the kill test).

The cell meta-trains MAML for ``ITERATIONS`` iterations on tiny glyph tasks,
saving its state every few milliseconds (``save_seconds``), with the
meta-gradient path pinned so that separate processes compute bit for bit alike.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from figures.claims.h2_sharp_accuracy import AccuracyConfig
from figures.claims.sharp_family import QUICK_SETUP
from figures.engine.claim import Cell, Claim, Verdict
from figures.engine.runner import run_claims

ITERATIONS = 600
SETUP = replace(
    QUICK_SETUP,
    iterations=ITERATIONS,
    filters=4,
    test_tasks=10,
    save_seconds=0.02,
    meta_gradient_path="autograd",
)
CONFIG = AccuracyConfig(SETUP, roles=(("maml", "maml"),))
LONG_CELL = Claim(
    "LONG",
    "a test",
    "one long cell",
    lambda scale: [Cell(CONFIG, 0)],
    lambda results: Verdict("INCONCLUSIVE", "not judged"),
    lambda results: None,
)

if __name__ == "__main__":
    run_claims([LONG_CELL], "smoke", Path(sys.argv[1]), progress=False)
