"""``reproduce --dry-run``: the protocols and estimated cost, and nothing run or written."""

from __future__ import annotations

from figures.claims.catalogue import select
from figures.commands.cli import main
from figures.commands.run_plan import run_plan


def test_dry_run_prints_protocols_and_cost_and_runs_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    words = ["reproduce", "--claims", "L7,L5", "--scale", "smoke", "--serial", "--dry-run"]
    assert main([*words, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "L7 protocol: data procedural glyphs" in printed
    assert "tasks 5-way 1-shot, 5 queries per class" in printed
    assert "L7: 8 cells to run" in printed, "2 seeds × 4 arms"
    l5 = next(line for line in printed.splitlines() if line.startswith("L5:"))
    assert l5.endswith("not probed)"), "L5's closed forms have no probe"
    assert "wall on 1 workers" in printed
    assert not out.exists(), "a dry run writes nothing"


def test_the_plan_counts_only_cells_not_in_the_cache(tmp_path):
    claims = select(["L5"])
    assert (
        main(
            [
                "reproduce",
                "--claims",
                "L5",
                "--scale",
                "smoke",
                "--serial",
                "--no-progress",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    plan = run_plan(claims, "smoke", tmp_path / "cache", "cpu", None, 2)
    assert "L5" not in plan.split("total")[0].split("plan at scale smoke:")[1]
    assert "total: 0 CPU-s" in plan


def test_every_image_claim_estimates_its_cells(tmp_path):
    plan = run_plan(select(["L7", "S2", "H2", "H3", "G2"]), "smoke", tmp_path, "cpu", None, 2)
    for claim in ("L7", "S2", "H2", "H3", "G2"):
        line = next(line for line in plan.splitlines() if line.startswith(f"{claim}:"))
        assert "not probed" not in line, line
        assert float(line.split(", ")[1].split(" CPU-s")[0]) >= 0
