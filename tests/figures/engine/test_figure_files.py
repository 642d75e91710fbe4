"""Figures are written as PNG, and as PDF and SVG beside it for publication."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from figures.engine.files import save_figure


def test_a_figure_is_written_as_png_pdf_and_svg(tmp_path):
    figure, axes = plt.subplots()
    axes.plot([0, 1], [1, 0])
    save_figure(tmp_path / "line.png", figure)
    plt.close(figure)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.pdf", "line.png", "line.svg"]
    assert (tmp_path / "line.pdf").read_bytes().startswith(b"%PDF")
    assert b"<svg" in (tmp_path / "line.svg").read_bytes()
