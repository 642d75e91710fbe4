"""The figures of an HTML report as a reader meets them, read with ``html.parser``.

:func:`page_figures` lists every ``<figure>`` of a page (its image source,
caption and the links in the caption) and :func:`figure_problems` says what is
wrong with one: an image that is neither embedded nor beside the page, not a
PNG, a caption that is only a file name, a PNG without its PDF and SVG;
:func:`page_problems` does it for every figure of a page. ``make check-report``
(``figures.commands.check_report``) and the tests use it.

Example:
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> _ = page.write_text("<figure><img src='a.png'><figcaption>The loss along one "
    ...                     "direction.</figcaption></figure>")
    >>> [figure.caption for figure in page_figures(page)]
    ['The loss along one direction.']
    >>> figure_problems(page, page_figures(page)[0], page.parent / "a.png")
    ['a.png: the image is missing']
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class PageFigure:
    """One ``<figure>``: the ``src`` of its image, its caption text and the links in it."""

    source: str = ""
    caption: str = ""
    links: tuple[str, ...] = ()


class FigureParser(HTMLParser):
    """Collects the ``<figure>`` elements and any ``<img>`` outside one."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[PageFigure] = []
        self.stray_images: list[str] = []
        self._current: PageFigure | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "figure":
            self._current = PageFigure()
        elif tag == "img":
            if self._current is None:
                self.stray_images.append(values.get("src") or "")
            else:
                self._current.source = values.get("src") or ""
        elif tag == "figcaption":
            self._in_caption = True
        elif tag == "a" and self._current is not None and self._in_caption:
            self._current.links += (values.get("href") or "",)

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self._current is not None:
            self.figures.append(self._current)
            self._current = None
        elif tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._current is not None and self._in_caption:
            self._current.caption += data


def page_figures(page: Path) -> list[PageFigure]:
    """The figures of ``page``, and a figure without a caption for each ``<img>`` outside one."""
    parser = FigureParser()
    parser.feed(page.read_text())
    return parser.figures + [PageFigure(source=source) for source in parser.stray_images]


def figure_file(page: Path, figure: PageFigure) -> Path | None:
    """The PNG file of ``figure``: the first ``.png`` its caption links to, else its ``src``
    (``None`` for an embedded image that names no file)."""
    linked = [link for link in figure.links if link.endswith(".png")]
    if linked:
        return page.parent / linked[0]
    return None if figure.source.startswith("data:") else page.parent / figure.source


def page_problems(page: Path) -> list[str]:
    """Every :func:`figure_problems` of every figure of ``page`` (paths relative to the
    page's folder), or that it has no figure at all."""
    figures = page_figures(page)
    if not figures:
        return ["no figures"]
    problems = []
    for figure in figures:
        png = figure_file(page, figure)
        if png is None:
            problems.append(f"{figure.source[:40]}: links to no PNG file")
        else:
            problems += figure_problems(page, figure, png)
    return problems


def figure_problems(page: Path, figure: PageFigure, png: Path) -> list[str]:
    """What is wrong with ``figure`` of ``page`` ([] when nothing): its image must be a PNG,
    embedded or at its ``src``; its caption must say what it shows in words (four or more,
    not a file name); ``png``, its file, must have its PDF and SVG beside it."""
    name = figure.source[:40]
    if figure.source.startswith("data:image/png;base64,"):
        shown = base64.b64decode(figure.source.split(",", 1)[1])
    elif (page.parent / figure.source).is_file():
        shown = (page.parent / figure.source).read_bytes()
    else:
        return [f"{name}: the image is missing"]
    problems = [] if shown.startswith(PNG_MAGIC) else [f"{name}: not a PNG"]
    caption = figure.caption.strip()
    if len(caption.split()) < 4 or caption.endswith(".png"):
        problems.append(f"{name}: caption {caption!r} does not say what the figure shows")
    for suffix, kind, check in FORMATS:
        if not check(png.with_suffix(suffix)):
            problems.append(
                f"{_relative(png.with_suffix(suffix), page.parent)}: missing or not {kind}"
            )
    return problems


def _relative(path: Path, folder: Path) -> Path:
    return path.relative_to(folder) if path.is_relative_to(folder) else path


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes().startswith(PNG_MAGIC)


def _is_pdf(path: Path) -> bool:
    return path.is_file() and path.read_bytes().startswith(b"%PDF")


def _is_svg(path: Path) -> bool:
    try:
        return ElementTree.parse(path).getroot().tag.endswith("svg")
    except (OSError, ElementTree.ParseError):
        return False


FORMATS = ((".png", "a PNG", _is_png), (".pdf", "a PDF", _is_pdf), (".svg", "an SVG", _is_svg))
"""Every figure's files: suffix, what it must be, and the check that it is."""
