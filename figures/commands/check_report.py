"""``make check-report``: look at the HTML reports as a browser shows them, before they land.

    python -m figures.commands.check_report PAGE.html [PAGE.html ...] [--out DIR]

For each page: every figure must be a PNG (embedded or beside the page), with a
caption in words and its PDF and SVG beside it (``figures.engine.page_figures``);
then, when Debian's ``chromium`` is installed, the page is rendered headless to
``DIR/<page folder>-<page name>.png`` and the screenshot must not be blank. Without
Chromium the rendering is skipped with a note saying how to install it. Exit 1 if
any page has a problem (each is printed), else 0.

Example:
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> _ = page.write_text("<p>no figures</p>")
    >>> main([str(page), "--out", str(page.parent / "shots")])  # doctest: +ELLIPSIS
    /.../report.html: no figures
    1
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

from figures.engine.page_figures import page_problems

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WINDOW = (1280, 4000)
"""Screenshot size in pixels: wide enough for the tables, tall enough for several figures."""
RENDER_SECONDS = 120


def browser() -> str | None:
    """The first headless-capable Chromium on ``PATH``, or ``None``."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def screenshot(executable: str, page: Path, image: Path) -> list[str]:
    """Render ``page`` headless into ``image``; the problems seen ([] when it rendered)."""
    image.parent.mkdir(parents=True, exist_ok=True)
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--screenshot={image.resolve()}",
        page.resolve().as_uri(),
    ]
    try:
        subprocess.run(command, capture_output=True, timeout=RENDER_SECONDS, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        return [f"{Path(executable).name} could not render it ({error})"]
    if not image.is_file():
        return [f"{Path(executable).name} wrote no screenshot"]
    low, high = Image.open(image).convert("L").getextrema()
    return [] if high - low > 0 else [f"the rendered page is blank ({image})"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="check-report",
        description="check every figure of HTML reports and render them in headless Chromium",
    )
    parser.add_argument("pages", nargs="+", type=Path, help="report.html files to check")
    parser.add_argument(
        "--out", type=Path, default=Path("results/check-report"), help="folder for screenshots"
    )
    args = parser.parse_args(argv)
    missing = [str(page) for page in args.pages if not page.is_file()]
    if missing:
        parser.error(f"no such page: {', '.join(missing)}; write the reports first")
    executable = browser()
    if executable is None:
        print(
            "chromium is not installed: pages checked without rendering "
            "(`apt-get install chromium` to render them)"
        )
    failed = False
    for page in args.pages:
        problems = page_problems(page)
        if executable is not None and not problems:
            image = args.out / f"{page.parent.name}-{page.stem}.png"
            problems = screenshot(executable, page, image)
            if not problems:
                print(f"{page}: rendered to {image}")
        for problem in problems:
            print(f"{page}: {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
