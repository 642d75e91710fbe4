"""N-way K-shot episodes, class-indexed datasets and class splits."""

from __future__ import annotations

import pytest
import torch

from synthetic import ClassSplits, FewShotTasks, GlyphAlphabets, ImageClasses, check_disjoint

WAYS, SHOTS, QUERIES = 4, 2, 3


@pytest.fixture(scope="module")
def glyphs() -> ImageClasses:
    return GlyphAlphabets(alphabets=6, characters=5, drawings=7, supersample=1).render()


@pytest.mark.parametrize("mode", ["any", "within", "between"])
def test_episode_shapes_labels_and_pixels(glyphs, mode):
    tasks = FewShotTasks(glyphs, WAYS, SHOTS, QUERIES, mode)
    batch = tasks.sample(50, torch.Generator().manual_seed(0), dtype=torch.float64)
    assert batch.support_x.shape == (50, WAYS * SHOTS, 1, 28, 28)
    assert batch.query_x.shape == (50, WAYS * QUERIES, 1, 28, 28)
    assert batch.support_x.dtype == torch.float64 and batch.support_y.dtype == torch.int64
    for labels, per_class in ((batch.support_y, SHOTS), (batch.query_y, QUERIES)):
        assert labels.shape == (50, WAYS * per_class)
        expected = torch.arange(WAYS).repeat_interleave(per_class)
        assert torch.equal(labels, expected.expand_as(labels))
    classes, drawings = batch.info["classes"], batch.info["drawings"]
    assert classes.shape == (50, WAYS) and drawings.shape == (50, WAYS, SHOTS + QUERIES)
    pixels = glyphs.images[classes[..., None], drawings].double() / 255
    assert torch.equal(batch.support_x, pixels[:, :, :SHOTS].flatten(1, 2))
    assert torch.equal(batch.query_x, pixels[:, :, SHOTS:].flatten(1, 2))


def test_global_labels_are_the_dataset_classes_of_the_same_episode(glyphs):
    task_labels = FewShotTasks(glyphs, WAYS, SHOTS, QUERIES)
    global_labels = FewShotTasks(glyphs, WAYS, SHOTS, QUERIES, labels="global")
    assert (task_labels.num_labels, global_labels.num_labels) == (WAYS, glyphs.num_classes)
    ours = task_labels.sample(20, torch.Generator().manual_seed(3))
    theirs = global_labels.sample(20, torch.Generator().manual_seed(3))
    assert torch.equal(ours.support_x, theirs.support_x), "the same images"
    classes = theirs.info["classes"]
    assert torch.equal(theirs.support_y, classes.repeat_interleave(SHOTS, dim=1))
    assert torch.equal(theirs.query_y, classes.repeat_interleave(QUERIES, dim=1))
    assert torch.equal(classes.gather(1, ours.query_y), theirs.query_y)


@pytest.mark.parametrize("mode", ["any", "within", "between"])
def test_classes_distinct_and_support_never_shares_an_image_with_query(glyphs, mode):
    batch = FewShotTasks(glyphs, WAYS, SHOTS, QUERIES, mode).sample(
        200, torch.Generator().manual_seed(1)
    )
    classes, drawings = batch.info["classes"], batch.info["drawings"]
    assert (classes.sort(dim=1).values.diff(dim=1) > 0).all(), "N distinct classes per task"
    assert (drawings.sort(dim=-1).values.diff(dim=-1) > 0).all(), "K + Q distinct drawings"
    image_id = classes[..., None] * glyphs.num_drawings + drawings
    support, query = image_id[..., :SHOTS].flatten(1), image_id[..., SHOTS:].flatten(1)
    assert not (support[:, :, None] == query[:, None, :]).any()


def test_modes_choose_the_groups_they_promise(glyphs):
    group = glyphs.group_index()
    generator = torch.Generator().manual_seed(2)
    within = FewShotTasks(glyphs, WAYS, mode="within", queries=1).sample(100, generator)
    between = FewShotTasks(glyphs, WAYS, mode="between", queries=1).sample(100, generator)
    within_groups = group[within.info["classes"]]
    assert (within_groups == within_groups[:, :1]).all()
    between_groups = group[between.info["classes"]].sort(dim=1).values
    assert (between_groups.diff(dim=1) > 0).all()


def test_every_class_and_drawing_gets_drawn(glyphs):
    batch = FewShotTasks(glyphs, 5, 1, 1, "between").sample(2000, torch.Generator().manual_seed(3))
    counts = torch.bincount(batch.info["classes"].flatten(), minlength=glyphs.num_classes)
    assert (counts > 0).all()
    expected = counts.sum() / glyphs.num_classes
    assert ((counts - expected).abs() < 0.5 * expected).all(), "about uniform over classes"
    assert set(batch.info["drawings"].flatten().tolist()) == set(range(glyphs.num_drawings))


def test_same_seed_same_episode_other_seed_other_episode(glyphs):
    tasks = FewShotTasks(glyphs, WAYS, SHOTS, QUERIES, "within")
    first = tasks.sample(8, torch.Generator().manual_seed(5))
    again = tasks.sample(8, torch.Generator().manual_seed(5))
    other = tasks.sample(8, torch.Generator().manual_seed(6))
    for name in ("support_x", "support_y", "query_x", "query_y"):
        assert torch.equal(getattr(first, name), getattr(again, name))
    assert not torch.equal(first.info["classes"], other.info["classes"])


def test_rotations_multiply_classes_and_keep_groups(glyphs):
    rotated = glyphs.with_rotations()
    assert rotated.num_classes == 4 * glyphs.num_classes
    assert rotated.groups[:4] == (glyphs.groups[0],) * 4
    assert torch.equal(rotated.images[2], torch.rot90(glyphs.images[0], 2, dims=(-2, -1)))


def test_splits_by_group_are_disjoint_and_cover_the_dataset(glyphs):
    splits = ClassSplits.by_group(
        glyphs.with_rotations(), (0.5, 0.25, 0.25), torch.Generator().manual_seed(0)
    )
    parts = (splits.train, splits.val, splits.test)
    assert sum(part.num_classes for part in parts) == 4 * glyphs.num_classes
    assert all(part.num_classes % 4 == 0 for part in parts), "rotations stay together"
    names = [set(part.names) for part in parts]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    again = ClassSplits.by_group(
        glyphs.with_rotations(), (0.5, 0.25, 0.25), torch.Generator().manual_seed(0)
    )
    assert again.test.names == splits.test.names


def test_overlapping_splits_are_refused(glyphs):
    with pytest.raises(ValueError, match=r"splits 'train' and 'val' share 1 classes"):
        ClassSplits(glyphs.subset([0, 1]), glyphs.subset([1]), glyphs.subset([20]))
    with pytest.raises(ValueError, match=r"splits 'val' and 'test' share 1 groups"):
        ClassSplits(glyphs.subset([0]), glyphs.subset([10]), glyphs.subset([11]))
    with pytest.raises(ValueError, match=r"splits 'a' and 'b' share 1 groups, e.g. \['alphabet00'"):
        check_disjoint(a=glyphs.with_rotations().subset([1, 2]), b=glyphs.subset([1]))


@pytest.mark.parametrize(
    ("fractions", "message"),
    [
        ((0.5, 0.5), "fractions must be three numbers > 0"),
        ((0.6, 0.4, 0.0), "fractions must be numbers > 0"),
        ((0.5, 0.3, 0.3), "fractions must sum to 1"),
        ((0.96, 0.02, 0.02), "leave the 'val' split without any group"),
    ],
)
def test_bad_split_fractions(glyphs, fractions, message):
    with pytest.raises(ValueError, match=message):
        ClassSplits.by_group(glyphs, fractions, torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"ways": 31, "queries": 1},
            r"ways = 31 classes per task with mode='any' but the dataset has only 30",
        ),
        (
            {"ways": 6, "queries": 1, "mode": "within"},
            r"only 5 classes in its largest group; lower ways or",
        ),
        ({"ways": 7, "queries": 1, "mode": "between"}, r"has only 6 groups"),
        ({"shots": 5, "queries": 3}, r"shots \+ queries = 5 \+ 3 = 8 distinct drawings"),
        ({"mode": "across"}, r"mode must be one of \('any', 'within', 'between'\)"),
        ({"labels": "class"}, r"labels must be one of \('task', 'global'\)"),
        ({"ways": 0}, "ways must be an integer >= 1"),
        ({"queries": 0}, "queries must be an integer >= 1"),
    ],
)
def test_bad_episode_requests(glyphs, options, message):
    with pytest.raises(ValueError, match=message):
        FewShotTasks(glyphs, **options)


def test_bad_sample_size_and_dataset(glyphs):
    with pytest.raises(ValueError, match="num_tasks must be an integer >= 1"):
        FewShotTasks(glyphs, queries=1).sample(0, torch.Generator())
    with pytest.raises(ValueError, match=r"dataset must be a synthetic\.ImageClasses"):
        FewShotTasks(torch.zeros(3, 4, 1, 8, 8))


@pytest.mark.parametrize(
    ("images", "names", "groups", "message"),
    [
        (torch.zeros(2, 3, 1, 8, 8), ("a", "b"), ("g", "g"), "must be a uint8 tensor"),
        (torch.zeros(2, 3, 8, 8, dtype=torch.uint8), ("a", "b"), ("g", "g"), "five non-empty"),
        (torch.zeros(2, 3, 1, 8, 8, dtype=torch.uint8), ("a",), ("g", "g"), "names has 1"),
        (torch.zeros(2, 3, 1, 8, 8, dtype=torch.uint8), ("a", "a"), ("g", "g"), "distinct"),
    ],
)
def test_bad_image_classes(images, names, groups, message):
    with pytest.raises(ValueError, match=message):
        ImageClasses(images, names, groups)


def test_rotations_need_square_images():
    data = ImageClasses(torch.zeros(1, 2, 1, 8, 6, dtype=torch.uint8), ("a",), ("a",))
    with pytest.raises(ValueError, match="need square images"):
        data.with_rotations()
