"""The Omniglot loader on the shared small background splits, and on broken inputs.

The two zips live next to the repository, in ``../shared/data/omniglot``
(REFERENCE.md §8); the tests that need them skip, saying so, where they are
absent. The broken inputs are built in ``tmp_path``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from synthetic import ClassSplits, FewShotTasks, load_omniglot

OMNIGLOT = Path(__file__).parents[3] / "shared" / "data" / "omniglot"
SMALL_SPLITS = {"images_background_small1.zip": 136, "images_background_small2.zip": 156}
SMALL1_ALPHABETS = ("Balinese", "Early_Aramaic", "Greek", "Korean", "Latin")


def shared_zip(name: str) -> Path:
    path = OMNIGLOT / name
    if not path.is_file():
        pytest.skip(f"the shared Omniglot data is absent: expected {path} (REFERENCE.md §8)")
    return path


@pytest.fixture(scope="module")
def small1():
    return load_omniglot(shared_zip("images_background_small1.zip"))


@pytest.mark.parametrize(("name", "characters"), SMALL_SPLITS.items())
def test_small_splits_load_with_and_without_rotations(name, characters):
    data = load_omniglot(shared_zip(name), rotations=True)
    assert data.num_classes == 4 * characters
    assert data.num_drawings == 20 and data.image_shape == (1, 28, 28)
    assert len(data.group_names) == 5 and {"Greek", "Latin"} <= set(data.group_names)
    plain = data.subset(range(0, data.num_classes, 4))
    assert plain.num_classes == characters and all("/rot" not in n for n in plain.names)
    turned = data.images[1::4]
    assert torch.equal(turned, torch.rot90(plain.images, 1, dims=(-2, -1)))


def test_images_are_ink_on_paper(small1):
    assert small1.names[0] == "Balinese/character01" and small1.group_names == SMALL1_ALPHABETS
    ink = small1.images.double() / 255
    assert ink.mean() < 0.25, "ink (255) is the minority; the paper is 0"
    assert (ink.flatten(1).max(dim=1).values > 0.9).all()


def test_folder_and_zip_give_the_same_array(tmp_path, small1):
    with zipfile.ZipFile(shared_zip("images_background_small1.zip")) as archive:
        archive.extractall(tmp_path)
    from_folder = load_omniglot(tmp_path / "images_background_small1")
    assert from_folder.names == small1.names
    assert torch.equal(from_folder.images, small1.images)


def test_cache_dir_keeps_the_decoded_array(tmp_path, small1):
    source = shared_zip("images_background_small1.zip")
    first = load_omniglot(source, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.npz")
    again = load_omniglot(source, cache_dir=tmp_path)
    assert torch.equal(first.images, small1.images) and torch.equal(again.images, small1.images)
    assert again.names == small1.names and list(tmp_path.glob("*.npz")) == [cached]
    assert load_omniglot(source, image_size=14, cache_dir=tmp_path).image_shape == (1, 14, 14)
    assert len(list(tmp_path.glob("*.npz"))) == 2, "another size is another cache entry"


def test_splits_by_alphabet_are_disjoint(small1):
    splits = ClassSplits.by_group(
        small1.with_rotations(), (0.6, 0.2, 0.2), torch.Generator().manual_seed(0)
    )
    parts = (splits.train, splits.val, splits.test)
    assert sum(p.num_classes for p in parts) == 4 * 136
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert not set(a.groups) & set(b.groups) and not set(a.names) & set(b.names)
    batch = FewShotTasks(splits.test, ways=5, shots=1, queries=2).sample(
        3, torch.Generator().manual_seed(0)
    )
    assert batch.support_x.shape == (3, 5, 1, 28, 28)


def test_the_two_small_splits_overlap_and_are_refused_as_train_and_test(small1):
    small2 = load_omniglot(shared_zip("images_background_small2.zip"))
    greek, korean = (
        [i for i, g in enumerate(small1.groups) if g == a] for a in ("Greek", "Korean")
    )
    with pytest.raises(ValueError, match=r"splits 'train' and 'test' share 24 classes"):
        ClassSplits(small1.subset(greek), small1.subset(korean), small2)


def png_bytes() -> bytes:
    stream = io.BytesIO()
    Image.new("1", (105, 105), 1).save(stream, format="PNG")
    return stream.getvalue()


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_missing_path(tmp_path):
    with pytest.raises(ValueError, match=r"does not exist; expected <split>/<Alphabet>/"):
        load_omniglot(tmp_path / "images_background.zip")


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match=r"or a zip like images_background\.zip; found no PNG"):
        load_omniglot(tmp_path)


def test_folder_of_zips_says_which_to_pass(tmp_path):
    write_zip(tmp_path / "images_background.zip", {"a/b/c/0.png": png_bytes()})
    with pytest.raises(ValueError, match=r"holds the zips \['images_background.zip'\]"):
        load_omniglot(tmp_path)


def test_corrupt_zip(tmp_path):
    path = tmp_path / "images_background.zip"
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="is not a readable zip"):
        load_omniglot(path)


def test_zip_without_the_layout(tmp_path):
    path = write_zip(tmp_path / "images_background.zip", {"readme.txt": b"hello"})
    with pytest.raises(ValueError, match="found nothing in that layout"):
        load_omniglot(path)


def test_corrupt_png_is_named(tmp_path):
    members = {"s/Greek/character01/1.png": png_bytes(), "s/Greek/character01/2.png": b"junk"}
    path = write_zip(tmp_path / "images_background.zip", members)
    with pytest.raises(ValueError, match=r"could not decode the image .*character01/2.png"):
        load_omniglot(path)


def test_characters_with_unequal_drawings(tmp_path):
    png = png_bytes()
    members = {
        "s/Greek/character01/1.png": png,
        "s/Greek/character01/2.png": png,
        "s/Greek/character02/1.png": png,
    }
    path = write_zip(tmp_path / "images_background.zip", members)
    with pytest.raises(ValueError, match=r"different numbers of drawings \[1, 2\]"):
        load_omniglot(path)


def test_folder_holding_two_copies_of_a_character(tmp_path):
    for split in ("images_background_small1", "images_background_small2"):
        folder = tmp_path / split / "Greek" / "character01"
        folder.mkdir(parents=True)
        (folder / "0394_01.png").write_bytes(png_bytes())
    with pytest.raises(ValueError, match="appears more than once"):
        load_omniglot(tmp_path)


def test_bad_image_size(tmp_path):
    with pytest.raises(ValueError, match="image_size must be an integer >= 1"):
        load_omniglot(tmp_path, image_size=0)
