"""The few-shot set-up: an Omniglot path reaches only the image claims; a missing one is refused."""

from __future__ import annotations

import pytest


def test_omniglot_path_reaches_the_few_shot_cells_only(tmp_path):
    from figures.claims.catalogue import select
    from figures.engine.runner import cells_of

    claims = {claim.id: claim for claim in select(["L1", "S2", "L7", "H2"])}
    l1, s2 = claims["L1"], claims["S2"]
    for claim_id in ("S2", "L7", "H2"):
        cells = cells_of(claims[claim_id], "quick", "cpu", {"omniglot": (str(tmp_path),)})
        assert {c.config.omniglot for c in cells} == {(str(tmp_path),)}, claim_id
    assert {c.config.omniglot for c in cells_of(s2, "quick", "cpu")} == {None}
    data = {"omniglot": (str(tmp_path),)}
    assert cells_of(l1, "quick", "cpu", data)[0].config == l1.cells("quick")[0].config


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


def test_the_omniglot_scale_runs_the_image_claims_and_refuses_the_others(tmp_path, capsys):
    from figures.claims.catalogue import CLAIMS, select
    from figures.commands.cli import main, omniglot_claims

    image_claims = [claim.id for claim in CLAIMS if "omniglot" in claim.scales]
    assert image_claims == ["L7", "S2", "H1", "H2", "H3", "G2"]
    chosen = omniglot_claims(select(None), True, (str(tmp_path),))
    assert [claim.id for claim in chosen] == image_claims
    with pytest.raises(ValueError, match="claim L1 has no 'omniglot' scale"):
        omniglot_claims(select(["L1", "L7"]), False, (str(tmp_path),))
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--scale", "omniglot", "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    assert "give the data with --omniglot PATH" in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "refused before any work"


def test_data_too_small_for_a_claim_is_refused_before_any_cell_runs(tmp_path, capsys):
    from figures.commands.cli import main
    from tests.omniglot_zips import write_omniglot_zip

    source = write_omniglot_zip(tmp_path / "images_background.zip", alphabets=3, characters=4)
    out = tmp_path / "out"
    words = ["reproduce", "--scale", "omniglot", "--claims", "L7", "--serial", "--no-progress"]
    with pytest.raises(SystemExit) as stop:
        main([*words, "--omniglot", str(source), "--out", str(out)])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "L7 needs ≥ 7 alphabets (3 meta-train, 1 meta-val, 3 meta-test)" in error
    assert not list((out / "cache").rglob("*.json")), "no cell ran"


def test_the_image_claims_carry_the_papers_own_numbers():
    from figures.claims.catalogue import select

    published = {claim.id: " ".join(claim.published) for claim in select(["L7", "S2", "H2"])}
    assert "98.7%" in published["L7"] and "89.4%" in published["L7"], "MAML / FO-MAML Omniglot"
    assert "Sign-MAML 46.5%" in published["S2"] and "0.319 / 0.109 / 0.120" in published["S2"]
    assert "+3% over MAML" in published["H2"] and "48.70%" in published["H2"]
