"""Every registered claim runs end to end at the smoke scale; every verdict states its evidence."""

from __future__ import annotations

import json

from figures.claims.catalogue import CLAIMS
from figures.commands.cli import main


def test_every_claim_runs_at_smoke_scale_with_its_evidence_and_pipeline_label(tmp_path, capsys):
    assert main(["reproduce", "--scale", "smoke", "--out", str(tmp_path), "--no-progress"]) == 0
    assert "Pipeline check, not results" in capsys.readouterr().out
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["pipeline_check"] is True
    entries = document["claims"] + document["implementation_checks"]
    assert [entry["id"] for entry in entries] == [claim.id for claim in CLAIMS]
    assert all(entry["kind"] == "paper claim" for entry in document["claims"])
    missing = [entry["id"] for entry in entries if "evidence" not in entry["verdict"]]
    assert not missing, f"verdicts without evidence: {missing}"
    assert all(entry["verdict"]["evidence"]["statistic"] for entry in entries)
    summary = json.loads((tmp_path / "verdicts.json").read_text())
    assert [claim["id"] for claim in summary["claims"]] == [claim.id for claim in CLAIMS]
