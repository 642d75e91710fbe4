"""Omniglot (Lake et al. 2015) from a folder or zip the user already has; never downloaded.

The standard layout is ``<split>/<Alphabet>/characterNN/*.png``: 105 × 105
binary PNGs, 20 drawings per character. ``load_omniglot`` accepts

- a zip as distributed: ``images_background.zip`` (30 alphabets, 964
  characters), ``images_evaluation.zip`` (20 alphabets, 659 characters),
  ``images_background_small1.zip`` / ``_small2.zip`` (5 alphabets each);
- the folder such a zip unpacks to (``images_background/``), or a folder
  holding ``<Alphabet>/characterNN/*.png`` directly.

A class is a character, named ``"<Alphabet>/characterNN"``, its group is its
alphabet. Each image is resized to ``image_size`` with a Lanczos filter and
inverted so that ink is 255 and paper 0 (as in Finn et al. 2017);
``rotations=True`` adds the 90°, 180°, 270° rotations of every character as
new classes of the same alphabet (4× the classes).

Decoding happens once per call (about 0.3 s per 2 700 images); with a
``cache_dir`` the decoded array is kept there as ``.npz`` and reused while
the source is unchanged.

Example:
    >>> import io, pathlib, tempfile, zipfile
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.new("1", (105, 105), 1).save(png, format="PNG")
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "images_background.zip"
    >>> with zipfile.ZipFile(path, "w") as archive:
    ...     for name in ("Greek/character01", "Greek/character02", "Latin/character01"):
    ...         for drawing in range(3):
    ...             archive.writestr(f"images_background/{name}/{drawing}.png", png.getvalue())
    >>> data = load_omniglot(path, rotations=True)
    >>> data.num_classes, data.num_drawings, data.image_shape, data.group_names
    (12, 3, (1, 28, 28), ('Greek', 'Latin'))
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PurePosixPath

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

OMNIGLOT_ZIPS = (
    "images_background.zip",
    "images_evaluation.zip",
    "images_background_small1.zip",
    "images_background_small2.zip",
)
EXPECTED_LAYOUT = "<split>/<Alphabet>/characterNN/*.png"
PIXEL_MAX = 255
FORMAT_VERSION = 1

Reader = Callable[[str], bytes]


def load_omniglot(
    source: str | Path,
    image_size: int = 28,
    rotations: bool = False,
    cache_dir: str | Path | None = None,
) -> ImageClasses:
    """The characters in ``source`` (an Omniglot zip or folder) as an ``ImageClasses``.

    Args:
        source: ``images_background.zip`` and friends, or an unpacked split folder.
        image_size: output height and width (28 in the MAML papers).
        rotations: add each character rotated by 90°, 180°, 270° as three more classes.
        cache_dir: if given, keep the decoded images there and reuse them.
    """
    require_count("image_size", image_size)
    path = existing_source(
        source, "Omniglot", f"{EXPECTED_LAYOUT} under a folder or a zip like {OMNIGLOT_ZIPS[0]}"
    )
    if path.is_file():
        arrays = _load_zip(path, image_size, cache_dir)
    else:
        arrays = _load_folder(path, image_size, cache_dir)
    data = ImageClasses(
        torch.from_numpy(arrays["images"]).unsqueeze(2),
        tuple(arrays["names"].tolist()),
        tuple(arrays["groups"].tolist()),
    )
    return data.with_rotations() if rotations else data


def _load_zip(path: Path, image_size: int, cache_dir: str | Path | None) -> dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            classes = _classes(members, path)
            key = fingerprint(("omniglot", FORMAT_VERSION, image_size, file_stamp(path)))
            return cached_arrays(
                cache_dir,
                f"omniglot-{path.stem}-{image_size}px-{key}",
                lambda: _decode(classes, archive.read, image_size, path),
            )
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a readable zip ({error}); expected a zip like {OMNIGLOT_ZIPS[0]} "
            f"holding {EXPECTED_LAYOUT}. Replace the file with a fresh copy or pass the "
            "unpacked folder."
        ) from error


def _load_folder(
    path: Path, image_size: int, cache_dir: str | Path | None
) -> dict[str, np.ndarray]:
    files = sorted(path.rglob("*.png"))
    members = [file.relative_to(path).as_posix() for file in files]
    if not members:
        zips = sorted(file.name for file in path.glob("*.zip"))
        hint = f" It holds the zips {zips}: pass one of them." if zips else ""
        raise ValueError(
            f"expected {EXPECTED_LAYOUT} under {path} or a zip like {OMNIGLOT_ZIPS[0]}; "
            f"found no PNG files.{hint}"
        )
    classes = _classes(members, path)
    stamps = [(member, *file_stamp(file)[1:]) for member, file in zip(members, files)]
    key = fingerprint(("omniglot", FORMAT_VERSION, image_size, stamps))
    return cached_arrays(
        cache_dir,
        f"omniglot-{path.name}-{image_size}px-{key}",
        lambda: _decode(classes, lambda member: (path / member).read_bytes(), image_size, path),
    )


def _classes(members: list[str], source: Path) -> dict[tuple[str, str], list[str]]:
    """The PNG members of each (alphabet, character), sorted; checks the layout."""
    classes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for member in members:
        parts = PurePosixPath(member).parts
        if (
            member.endswith(".png")
            and len(parts) >= 3
            and not any(part.startswith((".", "__MACOSX")) for part in parts)
        ):
            classes[(parts[-3], parts[-2])].append(member)
    if not classes:
        raise ValueError(
            f"expected {EXPECTED_LAYOUT} under {source} or a zip like {OMNIGLOT_ZIPS[0]}; "
            "found nothing in that layout"
        )
    for (alphabet, character), files in classes.items():
        names = [PurePosixPath(file).name for file in files]
        if len(set(names)) != len(names):
            raise ValueError(
                f"{alphabet}/{character} appears more than once under {source} (the same "
                "drawings in several splits); pass one split folder or one zip"
            )
        files.sort()
    counts = {len(files) for files in classes.values()}
    if len(counts) > 1:
        smallest = min(classes, key=lambda name: len(classes[name]))
        raise ValueError(
            f"characters under {source} have different numbers of drawings {sorted(counts)}, "
            f"e.g. {'/'.join(smallest)} has {len(classes[smallest])}; every character needs the "
            "same number (Omniglot has 20): restore the missing files"
        )
    return dict(sorted(classes.items()))


def _decode(
    classes: dict[tuple[str, str], list[str]], read: Reader, image_size: int, source: Path
) -> dict[str, np.ndarray]:
    images = np.stack(
        [
            np.stack(
                [
                    decode_image(read(member), image_size, "L", f"{source}:{member}")
                    for member in files
                ]
            )
            for files in classes.values()
        ]
    )
    return {
        "images": PIXEL_MAX - images,
        "names": np.array([f"{alphabet}/{character}" for alphabet, character in classes]),
        "groups": np.array([alphabet for alphabet, _ in classes]),
    }
