"""What the few-shot claim tests (S2, L7) share: a small set-up, results as reported."""

from __future__ import annotations

import json

from figures.claims.fewshot import FewShotSetup

SMALL = FewShotSetup(filters=8, iterations=150, test_tasks=300, eval_steps=(1,))


def run(experiment, config) -> list[dict]:
    return [json.loads(json.dumps(experiment(config, 0)))]
