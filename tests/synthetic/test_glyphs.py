"""Procedural glyphs: deterministic, in range, and harder within an alphabet than between.

The hardness check uses a fixed simple learner, nearest class mean on
pixels (a prototype classifier), over many 5-way 1-shot tasks with 95%
intervals. It must flip (fail) when alphabets share no strokes or when
drawings have no jitter: the negative controls show the check can fail.
"""

from __future__ import annotations

import pytest
import torch

from analysis.statistics import MeanInterval, mean_interval
from synthetic import FewShotTasks, GlyphAlphabets, TaskBatch, glyphs

HARDNESS = {"alphabets": 16, "characters": 8, "drawings": 6, "supersample": 1}


def prototype_accuracy(batch: TaskBatch, ways: int) -> torch.Tensor:
    """Per-task query accuracy of the nearest class mean of the support pixels."""
    support, query = batch.support_x.flatten(2), batch.query_x.flatten(2)
    sums = torch.zeros(batch.num_tasks, ways, support.shape[2]).index_add_(
        1, batch.support_y[0], support
    )
    counts = torch.bincount(batch.support_y[0], minlength=ways)[None, :, None]
    prediction = torch.cdist(query, sums / counts).argmin(dim=-1)
    return (prediction == batch.query_y).double().mean(dim=1)


def mode_accuracy(glyphs: GlyphAlphabets, mode: str) -> MeanInterval:
    tasks = FewShotTasks(glyphs.render(), ways=5, shots=1, queries=5, mode=mode)
    batch = tasks.sample(1000, torch.Generator().manual_seed(0))
    return mean_interval(prototype_accuracy(batch, 5))


def within_is_harder(glyphs: GlyphAlphabets) -> bool:
    """The check: between-alphabet accuracy above within-alphabet accuracy, intervals apart."""
    return mode_accuracy(glyphs, "between").low > mode_accuracy(glyphs, "within").high


def test_same_seed_same_images_other_seed_other_images():
    config = {"alphabets": 3, "characters": 4, "drawings": 5}
    first = GlyphAlphabets(**config, seed=3).render()
    glyphs._render.cache_clear()  # render again from scratch, not from the memo
    again = GlyphAlphabets(**config, seed=3).render()
    assert again is not first and torch.equal(first.images, again.images)
    assert not torch.equal(first.images, GlyphAlphabets(**config, seed=4).render().images)


def test_render_is_memoised_and_well_formed():
    glyphs = GlyphAlphabets(alphabets=3, characters=4, drawings=5, image_size=20)
    data = glyphs.render()
    assert glyphs.render() is data
    assert data.images.shape == (12, 5, 1, 20, 20) and data.images.dtype == torch.uint8
    assert data.group_names == ("alphabet00", "alphabet01", "alphabet02")
    assert data.names[5] == "alphabet01/character01" and data.groups[5] == "alphabet01"
    ink = data.images.double() / 255
    assert 0.05 < ink.mean() < 0.5, "strokes on a dark background"
    assert ((ink > 0) & (ink < 1)).any(), "antialiased edges"
    drawing_sums = ink.flatten(2).sum(-1)
    assert (drawing_sums > 5).all(), "every drawing has visible strokes"


def test_jitter_zero_draws_every_drawing_alike():
    data = GlyphAlphabets(alphabets=2, characters=3, drawings=4, jitter=0.0).render()
    assert torch.equal(data.images, data.images[:, :1].expand_as(data.images))
    assert not torch.equal(data.images[0], data.images[1])


def test_within_alphabet_tasks_are_harder_than_between():
    glyphs = GlyphAlphabets(**HARDNESS)
    within, between = mode_accuracy(glyphs, "within"), mode_accuracy(glyphs, "between")
    assert between.low > within.high, (within, between)
    assert within.mean > 0.2 and between.mean < 1.0, "neither trivial nor hopeless"


@pytest.mark.parametrize("control", [{"sharing": 0.0}, {"jitter": 0.0}])
def test_hardness_check_flips_without_shared_strokes_or_jitter(control):
    assert not within_is_harder(GlyphAlphabets(**HARDNESS, **control))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alphabets", 0, "alphabets must be an integer >= 1"),
        ("sharing", 1.5, r"sharing must be in \[0, 1\]"),
        ("jitter", -0.1, "jitter must be >= 0"),
        ("stroke_width", 0.0, "stroke_width must be > 0"),
        ("control_points", 1, "control_points must be an integer >= 2"),
        ("pool", 2, "pool must be an integer >= 3"),
        ("characters", 30, r"characters must be <= C\(pool, strokes\) = C\(6, 3\) = 20"),
    ],
)
def test_bad_glyph_configs(field, value, message):
    with pytest.raises(ValueError, match=message):
        GlyphAlphabets(**{field: value})
