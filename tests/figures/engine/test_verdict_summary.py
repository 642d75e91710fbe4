"""The README's verdict tables come from a run: the command rewrites them, the test checks them."""

from __future__ import annotations

import json

import pytest

from figures.commands.cli import main
from figures.engine.verdict_summary import BEGIN, END, merge_summaries, render_summary

SUMMARY = {
    "scale": "quick",
    "commit": "abc1234",
    "claims": [
        {
            "id": "L5",
            "kind": "paper claim",
            "status": "PASS",
            "reason": "κ_MAML 14.8 vs κ_NAL 4.0",
            "evidence": {"statistic": "exact κ", "seeds": 5, "resolvable": "1 iteration"},
        },
        {"id": "S1", "kind": "implementation check", "status": "FAIL", "reason": "a|b"},
    ],
}


def test_readme_command_rewrites_only_the_block_and_keeps_the_verdicts_beside(tmp_path):
    SUMMARY["claims"][1]["evidence"] = None
    verdicts, readme = tmp_path / "verdicts.json", tmp_path / "README.md"
    verdicts.write_text(json.dumps(SUMMARY))
    readme.write_text(f"# title\n\n{BEGIN}\nhand-written\n{END}\n\nrest\n")
    assert main(["readme", "--verdicts", str(verdicts), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# title\n\n") and text.endswith("\n\nrest\n")
    assert "hand-written" not in text and render_summary(SUMMARY) in text
    assert "| S1 | FAIL | — | — | — | a\\|b |" in text
    assert json.loads((tmp_path / "README.verdicts.json").read_text()) == SUMMARY


def test_readme_command_names_a_missing_marker_and_leaves_the_file(tmp_path, capsys):
    verdicts, readme = tmp_path / "verdicts.json", tmp_path / "README.md"
    verdicts.write_text(json.dumps(SUMMARY))
    readme.write_text("# no markers\n")
    with pytest.raises(SystemExit) as stop:
        main(["readme", "--verdicts", str(verdicts), "--readme", str(readme)])
    assert stop.value.code == 2 and BEGIN in capsys.readouterr().err
    assert readme.read_text() == "# no markers\n"
    with pytest.raises(SystemExit):
        main(["readme", "--verdicts", str(tmp_path / "absent.json"), "--readme", str(readme)])
    assert "give a run's verdicts.json" in capsys.readouterr().err


def test_merged_runs_name_each_claims_commit_and_refuse_mixed_scales(tmp_path):
    rerun = {
        "scale": "quick",
        "commit": "def5678",
        "claims": [{"id": "S1", "kind": "implementation check", "status": "PASS", "reason": "ok"}],
    }
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    readme = tmp_path / "README.md"
    first.write_text(json.dumps(SUMMARY))
    second.write_text(json.dumps(rerun))
    readme.write_text(f"{BEGIN}\n{END}\n")
    args = ["readme", "--verdicts", str(first), "--verdicts", str(second), "--readme", str(readme)]
    assert main(args) == 0
    text = readme.read_text()
    assert "from runs at commits `abc1234` (L5), `def5678` (S1)" in text
    assert "| S1 | PASS |" in text and "| S1 | FAIL |" not in text
    kept = json.loads((tmp_path / "README.verdicts.json").read_text())
    assert kept["commit"] is None
    assert [claim["commit"] for claim in kept["claims"]] == ["abc1234", "def5678"]
    with pytest.raises(ValueError, match="several scales"):
        merge_summaries([SUMMARY, {**rerun, "scale": "omniglot"}])
