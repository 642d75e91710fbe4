"""The claims report: ``report.html``, ``report.md``, ``results.json`` and one PNG per claim.

Everything is drawn from the cell results (the cache), so a rerun that
reuses every cell writes the same numbers; each cell says whether it came
from the cache. Every number carries the config, its hash, the code
fingerprint and the seed that produced it, with the software versions and
the device.

Paper claims and implementation checks (identities that only a bug can
break) are reported in sections of their own, in ``results.json`` under
``"claims"`` and ``"implementation_checks"``. Every row says which statistic
decided the verdict, over how many seeds, and the smallest effect it could
resolve (the verdict's :class:`~figures.engine.claim.Evidence`). At a
pipeline scale (``smoke``) every verdict is labelled a pipeline check: it
shows that the cells run and the checks decide, not what the papers claim.

Example:
    >>> import tempfile, pathlib
    >>> from figures.claims.catalogue import select
    >>> from figures.engine.runner import run_claims
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> outcomes = run_claims(select(["L5"]), "smoke", out / "cache", progress=False)
    >>> verdicts = write_report(out, select(["L5"]), outcomes, scale="smoke", device="cpu")
    >>> verdicts["L5"].status, sorted(p.name for p in out.glob("*.*"))
    ('PASS', ['report.html', 'report.md', 'results.json', 'verdicts.json'])
"""

from __future__ import annotations

import base64
import html
import io
import json
import platform
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy
import scipy
import torch

from figures.engine.claim import PIPELINE_SCALES, Claim, Verdict
from figures.engine.cost import protocol_rows
from figures.engine.files import VECTOR_FORMATS, figure_links, save_figure, write_json
from figures.engine.provenance import describe
from figures.engine.runner import CellOutcome, results_of
from figures.engine.verdict_summary import (
    evidence_columns,
    git_commit,
    markdown_row,
    verdict_summary,
    why_lines,
    why_markdown,
)
from synthetic.files import write_atomically

STATUS_COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INCONCLUSIVE": "#9a6700"}
SECTIONS = (
    ("claims", "paper claim", "Paper claims", "What the papers claim, at this run's scale."),
    (
        "implementation_checks",
        "implementation check",
        "Implementation checks",
        "Identities that only a bug can break (closed forms, bounds that hold by theorem, "
        "exact Jacobians): they test the code, not the papers.",
    ),
)
PIPELINE_NOTE = (
    "Pipeline check, not results: at this scale the verdicts only show that every cell runs "
    "and every check decides; they are not evidence about the papers."
)
PUBLISHED_LABEL = "Published (the papers' numbers on their protocols, not measured by this run)"
BRIEF_CHARACTERS = 400
"""How much of a cell's result ``report.md`` shows inline (all of it is in ``results.json``)."""
COLUMNS = ("claim", "verdict", "statement", "decided by", "seeds", "resolves", "why", "cached")


def environment(device: str, scale: str) -> dict[str, str]:
    """Versions and settings recorded with every report."""
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "machine": platform.machine(),
        "device": device,
        "scale": scale,
    }


def write_report(
    out_dir: Path,
    claims: list[Claim],
    outcomes: dict[str, list[CellOutcome]],
    scale: str,
    device: str,
    run: dict[str, Any] | None = None,
) -> dict[str, Verdict]:
    """Check every claim, draw its figure, and write the three report files into ``out_dir``;
    ``run`` is the run's provenance (``figures.engine.provenance``), shown at the top."""
    out_dir.mkdir(parents=True, exist_ok=True)
    verdicts, figures = {}, {}
    document: dict[str, Any] = {
        "provenance": run,
        "environment": environment(device, scale),
        "pipeline_check": scale in PIPELINE_SCALES,
        **{key: [] for key, *_ in SECTIONS},
    }
    section_of = {kind: key for key, kind, *_ in SECTIONS}
    for claim in claims:
        results = results_of(outcomes[claim.id])
        verdicts[claim.id] = claim.check(results)
        figure = claim.figure(results)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        figures[claim.id] = buffer.getvalue()
        save_figure(out_dir / "figures" / f"{claim.id}.png", figure)
        plt.close(figure)
        entry = claim_entry(claim, verdicts[claim.id], outcomes[claim.id])
        document[section_of[claim.kind]].append(entry)
    write_json(out_dir / "results.json", document)
    commit = run["commit"] if run is not None else git_commit(Path(__file__).parent)
    write_json(out_dir / "verdicts.json", verdict_summary(document, commit))
    markdown = render_markdown(document)
    write_atomically(out_dir / "report.md", lambda stream: stream.write(markdown.encode()))
    page = render_html(document, figures)
    write_atomically(out_dir / "report.html", lambda stream: stream.write(page.encode()))
    return verdicts


def claim_entry(claim: Claim, verdict: Verdict, outcomes: list[CellOutcome]) -> dict[str, Any]:
    return {
        "id": claim.id,
        "kind": claim.kind,
        "paper": claim.paper,
        "statement": claim.statement,
        "verdict": verdict.as_dict(),
        "published": list(claim.published),
        "figure": f"figures/{claim.id}.png",
        "cells_from_cache": sum(outcome.cached for outcome in outcomes),
        "protocol": protocol_rows(outcome.cell.config for outcome in outcomes),
        "cells": [
            {
                "config": outcome.entry.description["config"],
                "config_hash": outcome.entry.key,
                "code": outcome.entry.description["code"],
                "seed": outcome.cell.seed,
                "cached": outcome.cached,
                "seconds": outcome.seconds,
                "environment": outcome.environment,
                "result": outcome.result,
            }
            for outcome in outcomes
        ],
    }


def row_cells(claim: dict[str, Any], pipeline: bool, why: str) -> list[str]:
    """The cells of a claim's row in ``COLUMNS`` order, with ``why`` already rendered."""
    cached = f"{claim['cells_from_cache']}/{len(claim['cells'])}"
    evidence = evidence_columns(claim["verdict"].get("evidence"))
    return [claim["id"], status_text(claim, pipeline), claim["statement"], *evidence, why, cached]


def status_text(claim: dict[str, Any], pipeline: bool) -> str:
    """The verdict's status, marked as a pipeline check at a pipeline scale."""
    return claim["verdict"]["status"] + (" (pipeline check)" if pipeline else "")


def beyond_reason(verdict: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The lines of :func:`~figures.engine.verdict_summary.why_lines` that the verdict's
    reason does not already say: its parts and its details."""
    lines = why_lines(verdict)
    return lines if verdict.get("parts") else lines[1:]


def line_html(status: str | None, text: str) -> str:
    """One line of a verdict's "why" as HTML, its status (if any) coloured."""
    badge = f"<b style='color:{STATUS_COLOURS[status]}'>{status}</b> " if status else ""
    return badge + html.escape(text)


def why_html(verdict: dict[str, Any]) -> str:
    """The deciding lines of :func:`~figures.engine.verdict_summary.why_lines` as HTML."""
    return "<br>".join(line_html(*line) for line in why_lines(verdict, details=False))


def figure_caption(claim: dict[str, Any]) -> str:
    """What a claim's figure shows: the numbers its verdict was decided on."""
    return f"Figure {claim['id']}: the cells' numbers behind the verdict on “{claim['statement']}”."


def figure_html(claim: dict[str, Any], png: bytes) -> str:
    """The claim's figure embedded as PNG, captioned, with links to its PDF and SVG."""
    caption = html.escape(figure_caption(claim))
    return (
        f"<figure><img alt='{caption}' src='data:image/png;base64,"
        f"{base64.b64encode(png).decode()}'><figcaption>{caption} Files: "
        f"{figure_links(claim['figure'])}</figcaption></figure>"
    )


def why_list_html(verdict: dict[str, Any]) -> str:
    """:func:`beyond_reason` as an HTML list ('' when the reason says it all)."""
    items = "".join(f"<li>{line_html(*line)}</li>" for line in beyond_reason(verdict))
    return f"<ul class='why'>{items}</ul>" if items else ""


def brief_json(result: dict[str, Any], limit: int = BRIEF_CHARACTERS) -> str:
    """``result`` as JSON if it fits in ``limit`` characters, else its first whole top-level
    entries that fit and a note of how many more are in ``results.json``: never a value cut
    in the middle."""
    text = json.dumps(result)
    if len(text) <= limit:
        return text
    kept: dict[str, Any] = {}
    for key, value in result.items():
        if len(json.dumps({**kept, key: value})) > limit:
            break
        kept[key] = value
    shown = json.dumps(kept)[1:-1]
    more = f"… {len(result) - len(kept)} more entries in results.json"
    return "{" + (f"{shown}, {more}" if shown else more) + "}"


def render_markdown(document: dict[str, Any]) -> str:
    env = document["environment"]
    pipeline = document["pipeline_check"]
    lines = [
        "# mamlscape claims report",
        "",
        f"Scale `{env['scale']}` on `{env['device']}`; torch {env['torch']}, "
        f"Python {env['python']}.",
        "",
    ]
    if document.get("provenance"):
        lines += [f"Run: {describe(document['provenance'])}.", ""]
    if pipeline:
        lines += [f"**{PIPELINE_NOTE}**", ""]
    for key, _, title, note in SECTIONS:
        if not document[key]:
            continue
        lines += [f"## {title}", "", note, "", "| " + " | ".join(COLUMNS) + " |"]
        lines.append("|" + "---|" * len(COLUMNS))
        for claim in document[key]:
            cells = row_cells(claim, pipeline, why_markdown(claim["verdict"]))
            cells[1] = f"**{cells[1]}**"
            lines.append(markdown_row(cells))
        lines.append("")
    for key, *_ in SECTIONS:
        for claim in document[key]:
            lines += [
                "",
                f"## {claim['id']}: {claim['statement']}",
                "",
                f"*{claim['paper']}* ({claim['kind']}) — **{status_text(claim, pipeline)}**: "
                f"{claim['verdict']['reason']}",
                "",
                *(
                    f"- **{status}** {text}" if status else f"- {text}"
                    for status, text in beyond_reason(claim["verdict"])
                ),
                "",
                f"![{figure_caption(claim)}]({claim['figure']})",
                "",
                f"*{figure_caption(claim)}* Vector: "
                + ", ".join(
                    f"[{extension.upper()}]({claim['figure'].removesuffix('.png')}.{extension})"
                    for extension in VECTOR_FORMATS
                ),
                "",
            ]
            lines += [
                "Protocol: " + "; ".join(f"{what} {value}" for what, value in row.items())
                for row in claim.get("protocol", [])
            ]
            if claim.get("published"):
                lines += ["", f"{PUBLISHED_LABEL}:", *(f"- {n}" for n in claim["published"]), ""]
            for cell in claim["cells"]:
                origin = "from cache" if cell["cached"] else f"{cell['seconds']:.2f} s"
                lines.append(
                    f"- cell `{cell['config_hash'][:12]}` (seed {cell['seed']}, {origin}): "
                    f"`{brief_json(cell['result'])}`"
                )
    return "\n".join(lines) + "\n"


def published_html(numbers: list[str]) -> str:
    """The published numbers of a claim as a labelled list ('' when it has none)."""
    if not numbers:
        return ""
    items = "".join(f"<li>{html.escape(number)}</li>" for number in numbers)
    return f"<p>{html.escape(PUBLISHED_LABEL)}:</p><ul class='published'>{items}</ul>"


def render_html(document: dict[str, Any], figures: dict[str, bytes]) -> str:
    env = document["environment"]
    pipeline = document["pipeline_check"]
    header = "".join(f"<th>{column}</th>" for column in COLUMNS)
    tables = ""
    for key, _, title, note in SECTIONS:
        if not document[key]:
            continue
        rows = ""
        for claim in document[key]:
            cells = [html.escape(text) for text in row_cells(claim, pipeline, "")]
            cells[-2] = why_html(claim["verdict"])
            colour = STATUS_COLOURS[claim["verdict"]["status"]]
            cells[0] = f"<a href='#{cells[0]}'>{cells[0]}</a>"
            cells[1] = f"<b style='color:{colour}'>{cells[1]}</b>"
            rows += "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"
        tables += f"<h2>{title}</h2><p>{note}</p><table><tr>{header}</tr>{rows}</table>"
    sections = "".join(
        f"<section id='{c['id']}'><h2>{c['id']}: {html.escape(c['statement'])}</h2>"
        f"<p><i>{html.escape(c['paper'])}</i> ({c['kind']}) — <b style='color:"
        f"{STATUS_COLOURS[c['verdict']['status']]}'>"
        f"{html.escape(status_text(c, pipeline))}</b>: "
        f"{html.escape(c['verdict']['reason'])}</p>"
        + why_list_html(c["verdict"])
        + "".join(
            "<p>Protocol: " + html.escape("; ".join(f"{k} {v}" for k, v in row.items())) + "</p>"
            for row in c.get("protocol", [])
        )
        + published_html(c.get("published", []))
        + figure_html(c, figures[c["id"]])
        + f"<details><summary>numbers ({len(c['cells'])} cells, {c['cells_from_cache']} from "
        f"cache)</summary><pre>{html.escape(json.dumps(c['cells'], indent=1))}</pre>"
        "</details></section>"
        for key, *_ in SECTIONS
        for c in document[key]
    )
    note = f"<p><b>{PIPELINE_NOTE}</b></p>" if pipeline else ""
    if document.get("provenance"):
        note = f"<p>Run: {html.escape(describe(document['provenance']))}.</p>" + note
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mamlscape report</title>"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}"
        "img{max-width:100%}pre{max-height:300px;overflow:auto;background:#f6f8fa}</style>"
        f"</head><body><h1>mamlscape claims report</h1><p>Scale <code>{env['scale']}</code> "
        f"on <code>{env['device']}</code>; torch {env['torch']}, Python {env['python']}.</p>"
        f"{note}{tables}{sections}</body></html>"
    )
