"""The few-shot set-up: an Omniglot path reaches only the image claims; a missing one is refused."""

from __future__ import annotations

import pytest


def test_omniglot_path_reaches_the_few_shot_cells_only(tmp_path):
    from figures.claims.catalogue import select
    from figures.engine.runner import cells_of

    claims = {claim.id: claim for claim in select(["L1", "S2", "L7", "H2"])}
    l1, s2 = claims["L1"], claims["S2"]
    for claim_id in ("S2", "L7", "H2"):
        cells = cells_of(claims[claim_id], "quick", "cpu", str(tmp_path))
        assert {c.config.omniglot for c in cells} == {str(tmp_path)}, claim_id
    assert {c.config.omniglot for c in cells_of(s2, "quick", "cpu")} == {None}
    assert cells_of(l1, "quick", "cpu", str(tmp_path))[0].config == l1.cells("quick")[0].config


def test_missing_omniglot_path_is_refused(tmp_path, capsys):
    from figures.commands.cli import main

    with pytest.raises(SystemExit) as stop:
        main(
            [
                "reproduce",
                "--claims",
                "S2",
                "--out",
                str(tmp_path / "out"),
                "--omniglot",
                str(tmp_path / "nowhere.zip"),
            ]
        )
    assert stop.value.code == 2
    assert "nowhere.zip does not exist" in capsys.readouterr().err
