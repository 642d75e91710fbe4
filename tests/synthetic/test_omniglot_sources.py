"""Several Omniglot sources: shared alphabets merged once, evaluation alphabets held out."""

from __future__ import annotations

from pathlib import Path

import pytest

from figures.claims.fewshot import FewShotSetup
from synthetic import load_omniglot_sources
from tests.omniglot_zips import write_omniglot_zip

OMNIGLOT = Path(__file__).parents[3] / "shared" / "data" / "omniglot"


def test_an_alphabet_in_two_sources_is_counted_once(tmp_path):
    first = write_omniglot_zip(tmp_path / "a.zip", alphabets=3, characters=2, drawings=3)
    second = write_omniglot_zip(
        tmp_path / "b.zip", alphabets=3, characters=2, drawings=3, first_alphabet=2
    )
    sources = load_omniglot_sources([first, second], rotations=True)
    merged = sources.background
    assert sources.evaluation is None
    assert merged.group_names == tuple(f"Alphabet{a:02d}" for a in range(5))
    assert merged.num_classes == 4 * 5 * 2, "five alphabets of two characters, each rotated"
    assert len(set(merged.names)) == merged.num_classes


def test_sources_that_disagree_on_a_character_are_refused(tmp_path):
    first = write_omniglot_zip(tmp_path / "a.zip", alphabets=2, characters=2, drawings=3)
    other = write_omniglot_zip(tmp_path / "b.zip", alphabets=2, characters=2, drawings=3, seed=7)
    with pytest.raises(
        ValueError, match=r"Alphabet00/character01 is in both .*a\.zip and .*b\.zip"
    ):
        load_omniglot_sources([first, other])


def test_the_evaluation_alphabets_become_the_meta_test_split(tmp_path):
    background = write_omniglot_zip(tmp_path / "images_background.zip", alphabets=6, characters=5)
    evaluation = write_omniglot_zip(
        tmp_path / "images_evaluation.zip", alphabets=2, characters=5, first_alphabet=10
    )
    setup = FewShotSetup(omniglot=(str(background), str(evaluation)))
    splits = setup.splits()
    assert splits.test.group_names == ("Alphabet10", "Alphabet11")
    assert set(splits.train.group_names) | set(splits.val.group_names) == {
        f"Alphabet{a:02d}" for a in range(6)
    }
    assert splits.val.num_classes > 0


def test_an_alphabet_in_background_and_evaluation_is_refused(tmp_path):
    background = write_omniglot_zip(tmp_path / "images_background.zip", alphabets=3, characters=2)
    evaluation = write_omniglot_zip(tmp_path / "images_evaluation.zip", alphabets=1, characters=2)
    with pytest.raises(ValueError, match="splits 'background' and 'evaluation' share"):
        load_omniglot_sources([background, evaluation])


def test_the_two_shared_small_splits_give_eight_alphabets_once():
    paths = [OMNIGLOT / f"images_background_small{i}.zip" for i in (1, 2)]
    if not all(path.is_file() for path in paths):
        pytest.skip(f"the shared Omniglot data is absent: expected {paths}")
    merged = load_omniglot_sources(paths).background
    assert len(merged.group_names) == 8
    assert merged.num_classes == 136 + 156 - 24 - 26, "Greek (24) and Latin (26) once"
