"""The README's Python examples run as written; its verdict tables are a run's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from figures.claims.catalogue import claim_ids
from figures.engine.verdict_summary import BEGIN, END, render_summary

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 2
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert namespace["result"].losses


def test_readme_verdicts_are_rendered_from_a_quick_run_of_every_claim():
    """Regenerate with ``mamlscape readme --verdicts results/quick/verdicts.json``."""
    summary = json.loads(README.with_suffix(".verdicts.json").read_text())
    block = README.read_text().split(BEGIN)[1].split(END)[0]
    assert block.strip("\n") == render_summary(summary)
    assert summary["scale"] == "quick"
    assert [claim["id"] for claim in summary["claims"]] == claim_ids()
    missing = [claim["id"] for claim in summary["claims"] if not claim["evidence"]]
    assert not missing, f"verdicts without their deciding statistic: {missing}"
