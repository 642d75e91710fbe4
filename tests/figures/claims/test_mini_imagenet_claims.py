"""miniImageNet for the Sign-MAML and Sharp-MAML claims: the path reaches their cells only, the
paper scale needs each paper's dataset, and a run on a miniature in the published layout ends in
verdicts on miniImageNet's own test classes."""

from __future__ import annotations

import json

import pytest
import torch

from figures.claims.catalogue import select
from figures.claims.fewshot import FewShotSetup
from figures.commands.cli import main
from figures.engine.cost import protocol_rows
from figures.engine.runner import cells_of, check_inputs
from tests.mini_imagenet_tree import write_learnable_mini_imagenet

MINI_IMAGENET_CLAIMS = ("S2", "H1", "H2", "H3", "G2")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_learnable_mini_imagenet(tmp_path_factory.mktemp("mini-imagenet"))


def wnids(tree, split):
    return [line.split(",")[1] for line in (tree / f"{split}.csv").read_text().split()[1:]]


def test_the_path_reaches_the_sign_and_sharp_maml_image_cells_only(tree):
    claims = {claim.id: claim for claim in select(["L7", *MINI_IMAGENET_CLAIMS])}
    data = {"mini_imagenet": str(tree), "omniglot": None}
    for claim_id in MINI_IMAGENET_CLAIMS:
        image_cells = [
            cell
            for cell in cells_of(claims[claim_id], "quick", "cpu", data)
            if hasattr(cell.config, "mini_imagenet")
        ]
        assert image_cells, claim_id
        assert {cell.config.mini_imagenet for cell in image_cells} == {str(tree)}, claim_id
    l7 = cells_of(claims["L7"], "quick", "cpu", data)
    assert l7[0].config == claims["L7"].cells("quick")[0].config, "L7 is about alphabets"


def test_a_setup_on_mini_imagenet_reads_rgb_images_in_the_published_splits(tree):
    setup = FewShotSetup(filters=2, image_size=16, blocks=2, queries=1, mini_imagenet=str(tree))
    splits = setup.splits()
    assert setup.source == "mini-imagenet" and setup.channels == 3
    for split in ("train", "val", "test"):
        assert list(getattr(splits, split).names) == sorted(set(wnids(tree, split)))
    assert splits.train.image_shape == (3, 16, 16)
    generator = torch.Generator().manual_seed(0)
    batch = setup.tasks(splits.train).sample(2, generator)
    assert tuple(setup.convnet(generator)(batch.query_x[0]).shape) == (5, 5)


@pytest.mark.parametrize(
    ("claim", "option"), [("S2", "--mini-imagenet PATH"), ("L7", "--omniglot PATH")]
)
def test_the_paper_scale_refuses_to_run_a_protocol_on_other_data(claim, option, tmp_path, capsys):
    out = tmp_path / "out"
    words = ["reproduce", "--claims", claim, "--scale", "paper", "--dry-run", "--out", str(out)]
    with pytest.raises(SystemExit) as stop:
        main(words)
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "at this scale runs its paper's protocol on" in error and f"give {option}" in error


def test_the_paper_protocol_on_mini_imagenet_is_the_official_one(tree):
    (s2,) = select(["S2"])
    cells = cells_of(s2, "paper", "cpu", {"mini_imagenet": str(tree)})
    check_inputs(cell.config for cell in cells)
    (row,) = protocol_rows(cell.config for cell in cells)
    assert row["data"] == f"miniImageNet {tree.name}, 84 px, its train / val / test classes"
    assert row["tasks"] == "5-way 1-shot, 1 queries per class"
    assert row["net"].startswith("4-block conv net, 32 filters")
    assert (row["inner steps (train / test)"], row["meta-batch, iterations"]) == (
        "5 / 10",
        "8, 60000",
    )


def test_a_run_on_mini_imagenet_scores_its_test_classes_and_records_the_data(tree, tmp_path):
    out = tmp_path / "out"
    words = ["reproduce", "--claims", "H2", "--scale", "smoke", "--serial", "--no-progress"]
    assert main([*words, "--mini-imagenet", str(tree), "--out", str(out)]) == 0
    document = json.loads((out / "results.json").read_text())
    (claim,) = document["claims"]
    assert claim["verdict"]["status"] in ("PASS", "FAIL", "INCONCLUSIVE")
    for cell in claim["cells"]:
        assert cell["result"]["train_classes"] == sorted(set(wnids(tree, "train")))
        assert cell["result"]["test_classes"] == sorted(set(wnids(tree, "test")))
    assert "miniImageNet" in claim["protocol"][0]["data"]
    assert f"mini-imagenet {tree.name}" in document["provenance"]["datasets"]


def test_a_mini_imagenet_file_or_missing_folder_is_refused(tree, tmp_path, capsys):
    for path, what in ((tree / "train.csv", "is a file"), (tmp_path / "nowhere", "does not exist")):
        with pytest.raises(SystemExit):
            main(["reproduce", "--claims", "H2", "--mini-imagenet", str(path), "--dry-run"])
        assert f"{what}; give the folder holding train.csv" in capsys.readouterr().err


def test_a_mini_imagenet_too_small_for_the_tasks_is_refused_before_any_cell(tmp_path, capsys):
    small = write_learnable_mini_imagenet(tmp_path / "small", classes=(6, 5, 3))
    out = tmp_path / "out"
    words = ["reproduce", "--claims", "H2", "--scale", "smoke", "--serial", "--no-progress"]
    with pytest.raises(SystemExit) as stop:
        main([*words, "--mini-imagenet", str(small), "--out", str(out)])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "5-way 1-shot tasks with 3 queries per class (mode 'any') in the meta-test split, " in (
        error
    )
    assert "which holds 3 classes" in error and "Give the full miniImageNet" in error
    assert not list((out / "cache").rglob("*.json")), "no cell ran"


def test_the_omniglot_scale_refuses_mini_imagenet(tree, tmp_path, capsys):
    words = ["reproduce", "--scale", "omniglot", "--omniglot", str(tree), "--dry-run"]
    with pytest.raises(SystemExit):
        main([*words, "--mini-imagenet", str(tree), "--out", str(tmp_path / "out")])
    assert "--scale omniglot runs the image claims on Omniglot; drop --mini-imagenet" in (
        capsys.readouterr().err
    )
