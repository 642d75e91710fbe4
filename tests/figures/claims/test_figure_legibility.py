"""Figures people share: no repeated legend entries, no offset axis, integer ticks for integer
axes, mathtext instead of raw TeX-like text, no band below zero for a non-negative loss, every
plotted series named, no point clipped and no legend over the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from figures.claims.anil_convergence import _band
from figures.claims.b1_sinusoid import _named
from figures.claims.catalogue import select
from figures.engine.runner import results_of, run_claims


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    claims = select(["L1", "L2", "L3", "L5", "L6", "A4"])
    outcomes = run_claims(claims, "smoke", tmp_path_factory.mktemp("cache"), progress=False)
    made = {claim.id: claim.figure(results_of(outcomes[claim.id])) for claim in claims}
    for figure in made.values():
        figure.canvas.draw()
    yield made
    for figure in made.values():
        plt.close(figure)


def test_legends_name_each_series_once_and_l2_has_no_offset_axis(figures):
    for claim, figure in figures.items():
        for axis in figure.axes:
            legend = axis.get_legend()
            if legend is not None:
                labels = [text.get_text() for text in legend.get_texts()]
                assert len(labels) == len(set(labels)), (claim, labels)
    (axis,) = figures["L2"].axes
    assert axis.yaxis.get_offset_text().get_text() == ""


def test_integer_axes_have_integer_ticks_and_titles_use_mathtext(figures):
    (axis,) = figures["A4"].axes
    ticks = [tick for tick in axis.get_xticks() if axis.get_xlim()[0] <= tick <= axis.get_xlim()[1]]
    assert all(float(tick).is_integer() for tick in ticks), ticks
    for claim in ("A4", "L5"):
        title = figures[claim].axes[0].get_title()
        outside_math = title.split("$")[::2]
        assert "$" in title and not any("^{" in part for part in outside_math), title


def test_a_non_negative_band_stays_above_zero_and_roles_are_not_named_twice():
    figure, axis = plt.subplots()
    _band(axis, [0, 1, 2], [[0.1, 0.05, 0.0], [5.0, 0.2, 0.01]], "C0")
    low = axis.collections[0].get_paths()[0].vertices[:, 1]
    assert low.min() >= 0
    plt.close(figure)
    assert _named("maml", "maml") == "maml" and _named("nal", "fo-maml") == "nal (fo-maml)"


def test_every_series_is_named_in_its_axes_legend(figures):
    for claim in ("L3", "L6"):
        for axis in figures[claim].axes:
            if axis.get_legend() is None:
                continue
            in_containers = {id(part) for c in axis.containers for part in c.get_children()}
            scatters = [c for c in axis.collections if id(c) not in in_containers]
            series = [*scatters, *axis.containers]
            unnamed = [type(s).__name__ for s in series if s.get_label().startswith("_")]
            assert not unnamed, (claim, axis.get_title(), unnamed)


def test_l1_keeps_every_point_inside_and_its_legend_off_the_data(figures):
    (axis,) = figures["L1"].axes
    (low_x, high_x), (low_y, high_y) = axis.get_xlim(), axis.get_ylim()
    for collection in axis.collections:
        for x, y in collection.get_offsets():
            assert low_x < x < high_x and low_y < y < high_y, (x, y)
    renderer = figures["L1"].canvas.get_renderer()
    legend_box = axis.get_legend().get_window_extent(renderer)
    assert not legend_box.overlaps(axis.get_window_extent(renderer))
