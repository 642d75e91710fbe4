"""The miniImageNet loader on a tiny Ravi–Larochelle tree and a tiny pickle made in tmp_path."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from synthetic import ClassSplits, FewShotTasks, load_mini_imagenet
from tests.mini_imagenet_tree import flat_colour, write_mini_imagenet

CLASSES = {"train": ["n01", "n02", "n03"], "val": ["n04", "n05"], "test": ["n06", "n07"]}
IMAGES_PER_CLASS = 4


def make_tree(root: Path) -> Path:
    """Flat-colour 84×84 images of ``CLASSES`` (see ``tests.mini_imagenet_tree``)."""
    return write_mini_imagenet(root, CLASSES, IMAGES_PER_CLASS)


def make_pickle(path: Path, class_dict: dict, images: np.ndarray | None = None) -> Path:
    if images is None:
        images = np.arange(6 * 84 * 84 * 3, dtype=np.int64).astype(np.uint8).reshape(6, 84, 84, 3)
    path.write_bytes(pickle.dumps({"image_data": images, "class_dict": class_dict}))
    return path


def test_csv_tree_loads_each_split(tmp_path):
    root = make_tree(tmp_path)
    splits = ClassSplits(*(load_mini_imagenet(root, split) for split in ("train", "val", "test")))
    assert splits.train.names == ("n01", "n02", "n03") and splits.test.names == ("n06", "n07")
    assert splits.train.groups == splits.train.names
    assert splits.train.images.shape == (3, IMAGES_PER_CLASS, 3, 84, 84)
    pixel = splits.train.images[1, 2, :, 40, 40].tolist()
    assert pixel == list(flat_colour("n02", 2)), "class n02, third row of the csv, channels first"
    batch = FewShotTasks(splits.train, ways=3, shots=1, queries=3).sample(
        2, torch.Generator().manual_seed(0)
    )
    assert batch.query_x.shape == (2, 9, 3, 84, 84)


def test_csv_tree_resized_and_cached(tmp_path):
    root = make_tree(tmp_path / "mini")
    first = load_mini_imagenet(root, "val", image_size=32, cache_dir=tmp_path / "cache")
    again = load_mini_imagenet(root, "val", image_size=32, cache_dir=tmp_path / "cache")
    assert first.image_shape == (3, 32, 32) and torch.equal(first.images, again.images)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1


def test_pickle_file_and_folder(tmp_path):
    path = make_pickle(tmp_path / "mini-imagenet-cache-test.pkl", {"n09": [5, 1], "n08": [0, 2]})
    data = load_mini_imagenet(path)
    assert data.names == ("n08", "n09") and data.images.shape == (2, 2, 3, 84, 84)
    images = pickle.loads(path.read_bytes())["image_data"]
    assert np.array_equal(data.images[1, 0].numpy(), images[5].transpose(2, 0, 1))
    from_folder = load_mini_imagenet(tmp_path, "test", image_size=16)
    assert from_folder.image_shape == (3, 16, 16)


def test_missing_source(tmp_path):
    with pytest.raises(ValueError, match=r"does not exist; expected \{train,val,test\}.csv"):
        load_mini_imagenet(tmp_path / "nowhere")


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match=r"expected train.csv with images/ under .*found nothing"):
        load_mini_imagenet(tmp_path)


def test_unknown_split(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \('train', 'val', 'test'\)"):
        load_mini_imagenet(tmp_path, "validation")


def test_csv_without_the_columns(tmp_path):
    (tmp_path / "train.csv").write_text("path,class\na.jpg,n01\n")
    with pytest.raises(ValueError, match="header with columns filename,label"):
        load_mini_imagenet(tmp_path)


def test_csv_naming_missing_images(tmp_path):
    root = make_tree(tmp_path)
    (root / "images" / "n0200000001.jpg").unlink()
    with pytest.raises(ValueError, match=r"1 images listed in .*train.csv are missing"):
        load_mini_imagenet(root)


def test_csv_with_unequal_classes(tmp_path):
    root = make_tree(tmp_path)
    lines = (root / "train.csv").read_text().splitlines()
    (root / "train.csv").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match=r"different numbers of images \[3, 4\]"):
        load_mini_imagenet(root)


def test_corrupt_image(tmp_path):
    root = make_tree(tmp_path)
    (root / "images" / "n0100000003.jpg").write_bytes(b"junk")
    with pytest.raises(ValueError, match=r"could not decode the image .*n0100000003.jpg"):
        load_mini_imagenet(root)


def test_corrupt_pickle(tmp_path):
    path = tmp_path / "mini-imagenet-cache-train.pkl"
    path.write_bytes(b"junk")
    with pytest.raises(ValueError, match="is not a readable pickle"):
        load_mini_imagenet(path)


def test_pickle_without_the_keys(tmp_path):
    path = tmp_path / "train.pkl"
    path.write_bytes(pickle.dumps({"data": 1}))
    with pytest.raises(ValueError, match=r"must hold a dict with image_data and class_dict"):
        load_mini_imagenet(path)


def test_pickle_with_bad_images_or_indices(tmp_path):
    floats = np.zeros((2, 84, 84, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="image_data must be uint8 N×H×W×3"):
        load_mini_imagenet(make_pickle(tmp_path / "a.pkl", {"n01": [0, 1]}, floats))
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 6\)"):
        load_mini_imagenet(make_pickle(tmp_path / "b.pkl", {"n01": [0, 6]}))
    with pytest.raises(ValueError, match="different numbers of images"):
        load_mini_imagenet(make_pickle(tmp_path / "c.pkl", {"n01": [0, 1], "n02": [2]}))


def test_folder_with_two_pickles_for_a_split(tmp_path):
    make_pickle(tmp_path / "mini-imagenet-cache-train.pkl", {"n01": [0]})
    make_pickle(tmp_path / "other-train.pkl", {"n01": [0]})
    with pytest.raises(ValueError, match="found several"):
        load_mini_imagenet(tmp_path, "train")
