"""miniImageNet (Vinyals et al. 2016; Ravi & Larochelle 2017 splits) as users have it.

Two layouts are read, never downloaded:

- Ravi–Larochelle CSVs: a folder with ``{train,val,test}.csv`` (columns
  ``filename,label``) and ``images/`` holding the 84 × 84 images the
  ``filename`` column names (64 / 16 / 20 classes × 600 images);
- pickles of decoded images, one per split (e.g. ``mini-imagenet-cache-train.pkl``):
  a dict with ``image_data`` (uint8 ``N × 84 × 84 × 3``) and ``class_dict``
  ``{wnid: [indices into image_data]}``. Pass the file, or the folder that
  holds exactly one pickle whose name ends in ``-<split>.pkl``. Pickles run
  code when read: load only files you trust.

A class is a wnid (``n01532829``) and its own group (miniImageNet has no
alphabets), sorted by name; the splits of the published CSVs share no class,
which ``synthetic.ClassSplits`` checks. Images become uint8
``[classes, 600, 3, image_size, image_size]``, resized with a Lanczos filter
if they are not ``image_size`` already. Decoding the CSV layout's JPEGs is
slow (minutes for the 38 400 training images): give a ``cache_dir`` to keep
the decoded array as ``.npz``.

Example:
    >>> import pickle, tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "mini-imagenet-cache-val.pkl"
    >>> content = {"image_data": np.zeros((6, 84, 84, 3), dtype=np.uint8),
    ...            "class_dict": {"n02": [3, 4, 5], "n01": [0, 1, 2]}}
    >>> path.write_bytes(pickle.dumps(content)) > 0
    True
    >>> data = load_mini_imagenet(path.parent, "val")
    >>> data.names, data.num_drawings, data.image_shape
    (('n01', 'n02'), 3, (3, 84, 84))
"""

from __future__ import annotations

import csv
import pickle
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from synthetic.image_dataset import ImageClasses
from synthetic.image_files import (
    cached_arrays,
    decode_image,
    existing_source,
    file_stamp,
    fingerprint,
)
from synthetic.validation import require_count

MINI_IMAGENET_SPLITS = ("train", "val", "test")
IMAGE_SIZE = 84
FORMAT_VERSION = 1
EXPECTED_LAYOUT = (
    "{train,val,test}.csv (filename,label) with an images/ folder, or a pickle "
    "(e.g. mini-imagenet-cache-train.pkl) with image_data and class_dict"
)


def load_mini_imagenet(
    source: str | Path,
    split: str = "train",
    image_size: int = IMAGE_SIZE,
    cache_dir: str | Path | None = None,
) -> ImageClasses:
    """The classes of one split of miniImageNet at ``source`` as an ``ImageClasses``.

    Args:
        source: the folder with ``<split>.csv`` and ``images/`` (or with the split's
            pickle), or the pickle file itself.
        split: ``"train"``, ``"val"`` or ``"test"`` (ignored when ``source`` is a pickle file).
        image_size: output height and width (84 in the papers).
        cache_dir: if given, keep images decoded from the CSV layout there and reuse them.
    """
    if split not in MINI_IMAGENET_SPLITS:
        raise ValueError(f"split must be one of {MINI_IMAGENET_SPLITS}, got {split!r}")
    require_count("image_size", image_size)
    path = existing_source(source, "miniImageNet", EXPECTED_LAYOUT)
    if path.is_file():
        arrays = _from_pickle(path, image_size)
    elif (path / f"{split}.csv").is_file():
        arrays = _from_csv(path, split, image_size, cache_dir)
    else:
        arrays = _from_pickle(_split_pickle(path, split), image_size)
    names = tuple(arrays["names"].tolist())
    return ImageClasses(torch.from_numpy(arrays["images"]), names, names)


def _split_pickle(folder: Path, split: str) -> Path:
    found = sorted(
        file
        for pattern in ("*.pkl", "*.pickle")
        for file in folder.glob(pattern)
        if file.stem.endswith(f"-{split}") or file.stem == split
    )
    if len(found) != 1:
        what = "found nothing" if not found else f"found several: {[f.name for f in found]}"
        raise ValueError(
            f"expected {split}.csv with images/ under {folder}, or one pickle named like "
            f"mini-imagenet-cache-{split}.pkl; {what}. Pass the folder or the pickle file."
        )
    return found[0]


def _from_csv(
    folder: Path, split: str, image_size: int, cache_dir: str | Path | None
) -> dict[str, np.ndarray]:
    table = folder / f"{split}.csv"
    with table.open(newline="") as stream:
        reader = csv.DictReader(stream)
        if reader.fieldnames is None or not {"filename", "label"} <= set(reader.fieldnames):
            raise ValueError(
                f"{table} must have a header with columns filename,label (Ravi–Larochelle "
                f"format), got {reader.fieldnames}"
            )
        classes: dict[str, list[Path]] = defaultdict(list)
        for row in reader:
            classes[row["label"]].append(folder / "images" / row["filename"])
    if not classes:
        raise ValueError(f"{table} lists no images; expected rows filename,label")
    missing = [file for files in classes.values() for file in files if not file.is_file()]
    if missing:
        raise ValueError(
            f"{len(missing)} images listed in {table} are missing from {folder / 'images'}, "
            f"e.g. {missing[0].name}; put the 84×84 images there"
        )
    _require_equal_counts({label: len(files) for label, files in classes.items()}, table)
    ordered = dict(sorted(classes.items()))
    stamps = [file_stamp(file) for files in ordered.values() for file in files]
    key = fingerprint(("mini_imagenet", FORMAT_VERSION, image_size, file_stamp(table), stamps))

    def decode() -> dict[str, np.ndarray]:
        images = np.stack(
            [
                np.stack([decode_image(file, image_size, "RGB", str(file)) for file in files])
                for files in ordered.values()
            ]
        )
        return {"images": _channels_first(images), "names": np.array(list(ordered))}

    return cached_arrays(cache_dir, f"mini_imagenet-{split}-{image_size}px-{key}", decode)


def _from_pickle(path: Path, image_size: int) -> dict[str, np.ndarray]:
    try:
        with path.open("rb") as stream:
            content = pickle.load(stream)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as error:
        raise ValueError(
            f"{path} is not a readable pickle ({type(error).__name__}: {error}); expected "
            f"{EXPECTED_LAYOUT}"
        ) from error
    if not isinstance(content, Mapping) or not {"image_data", "class_dict"} <= set(content):
        keys = sorted(content) if isinstance(content, Mapping) else type(content).__name__
        raise ValueError(f"{path} must hold a dict with image_data and class_dict, got {keys}")
    images, class_dict = np.asarray(content["image_data"]), content["class_dict"]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"{path}: image_data must be uint8 N×H×W×3, got {images.dtype} {images.shape}"
        )
    if not isinstance(class_dict, Mapping) or not class_dict:
        raise ValueError(f"{path}: class_dict must be a non-empty dict {{wnid: [indices]}}")
    _require_equal_counts({wnid: len(indices) for wnid, indices in class_dict.items()}, path)
    ordered = sorted(class_dict)
    index = np.asarray([list(class_dict[wnid]) for wnid in ordered], dtype=np.int64)
    if index.min() < 0 or index.max() >= len(images):
        raise ValueError(
            f"{path}: class_dict indices must lie in [0, {len(images)}) (the rows of "
            f"image_data), got indices from {index.min()} to {index.max()}"
        )
    chosen = images[index]
    if chosen.shape[2:4] != (image_size, image_size):
        chosen = np.stack(
            [
                np.stack(
                    [decode_image(image, image_size, "RGB", f"{path}[{wnid}]") for image in row]
                )
                for wnid, row in zip(ordered, chosen)
            ]
        )
    return {"images": _channels_first(chosen), "names": np.array(ordered)}


def _require_equal_counts(counts: dict[str, int], source: Path) -> None:
    if len(set(counts.values())) > 1:
        smallest = min(counts, key=counts.__getitem__)
        raise ValueError(
            f"classes in {source} have different numbers of images "
            f"{sorted(set(counts.values()))}, e.g. {smallest} has {counts[smallest]}; every "
            "class needs the same number (miniImageNet has 600)"
        )


def _channels_first(images: np.ndarray) -> np.ndarray:
    """``[C, D, H, W, 3]`` → contiguous ``[C, D, 3, H, W]``."""
    return np.ascontiguousarray(images.transpose(0, 1, 4, 2, 3))
