"""The README's Python examples run as written; its verdict tables are a run's."""

from __future__ import annotations

import json
import re
from pathlib import Path

from figures.claims.catalogue import CLAIMS, claim_ids
from figures.engine.verdict_summary import BEGIN, END, markers, render_summary, summary_copy

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


def test_readme_omniglot_verdicts_are_rendered_from_an_omniglot_run():
    """Regenerate with ``mamlscape readme --verdicts results/omniglot/verdicts.json``."""
    begin, end = markers("omniglot")
    summary = json.loads(summary_copy(README, "omniglot").read_text())
    block = README.read_text().split(begin)[1].split(end)[0]
    assert block.strip("\n") == render_summary(summary)
    assert summary["scale"] == "omniglot"
    image_claims = [claim.id for claim in CLAIMS if "omniglot" in claim.scales]
    assert [claim["id"] for claim in summary["claims"]] == image_claims
