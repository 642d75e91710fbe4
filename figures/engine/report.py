"""The claims report: ``report.html``, ``report.md``, ``results.json`` and one PNG per claim.

Everything is drawn from the cell results (the cache), so a rerun that
reuses every cell writes the same report. Every number carries the config,
its hash and the seed that produced it, with the software versions and the
device.

Example:
    >>> import tempfile, pathlib
    >>> from figures.claims.catalogue import select
    >>> from figures.engine.runner import run_claims
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> outcomes = run_claims(select(["L5"]), "smoke", out / "cache", progress=False)
    >>> verdicts = write_report(out, select(["L5"]), outcomes, scale="smoke", device="cpu")
    >>> verdicts["L5"].status, sorted(p.name for p in out.glob("report.*"))
    ('PASS', ['report.html', 'report.md'])
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

from figures.engine.claim import Claim, Verdict
from figures.engine.files import save_figure, write_json
from figures.engine.runner import CellOutcome, results_of
from synthetic.files import write_atomically

STATUS_COLOURS = {"PASS": "#1a7f37", "FAIL": "#cf222e", "INCONCLUSIVE": "#9a6700"}


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
) -> dict[str, Verdict]:
    """Check every claim, draw its figure, and write the three report files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    verdicts, figures, entries = {}, {}, []
    for claim in claims:
        results = results_of(outcomes[claim.id])
        verdicts[claim.id] = claim.check(results)
        figure = claim.figure(results)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        figures[claim.id] = buffer.getvalue()
        save_figure(out_dir / "figures" / f"{claim.id}.png", figure)
        plt.close(figure)
        entries.append(claim_entry(claim, verdicts[claim.id], outcomes[claim.id]))
    document = {"environment": environment(device, scale), "claims": entries}
    write_json(out_dir / "results.json", document)
    markdown = render_markdown(document)
    write_atomically(out_dir / "report.md", lambda stream: stream.write(markdown.encode()))
    page = render_html(document, figures)
    write_atomically(out_dir / "report.html", lambda stream: stream.write(page.encode()))
    return verdicts


def claim_entry(claim: Claim, verdict: Verdict, outcomes: list[CellOutcome]) -> dict[str, Any]:
    return {
        "id": claim.id,
        "paper": claim.paper,
        "statement": claim.statement,
        "verdict": verdict.as_dict(),
        "figure": f"figures/{claim.id}.png",
        "cells": [
            {
                "config": outcome.entry.description["config"],
                "config_hash": outcome.entry.key,
                "seed": outcome.cell.seed,
                "seconds": outcome.seconds,
                "environment": outcome.environment,
                "result": outcome.result,
            }
            for outcome in outcomes
        ],
    }


def render_markdown(document: dict[str, Any]) -> str:
    env = document["environment"]
    lines = [
        "# mamlscape claims report",
        "",
        f"Scale `{env['scale']}` on `{env['device']}`; torch {env['torch']}, "
        f"Python {env['python']}.",
        "",
        "| claim | verdict | paper | why |",
        "|---|---|---|---|",
    ]
    for claim in document["claims"]:
        verdict = claim["verdict"]
        lines.append(
            f"| {claim['id']} | **{verdict['status']}** | {claim['paper']} | {verdict['reason']} |"
        )
    for claim in document["claims"]:
        lines += [
            "",
            f"## {claim['id']}: {claim['statement']}",
            "",
            f"*{claim['paper']}* — **{claim['verdict']['status']}**: {claim['verdict']['reason']}",
            "",
            f"![{claim['id']}]({claim['figure']})",
            "",
        ]
        for cell in claim["cells"]:
            lines.append(
                f"- cell `{cell['config_hash'][:12]}` (seed {cell['seed']}, "
                f"{cell['seconds']:.2f} s): `{json.dumps(cell['result'])[:400]}`"
            )
    return "\n".join(lines) + "\n"


def render_html(document: dict[str, Any], figures: dict[str, bytes]) -> str:
    env = document["environment"]
    rows = "".join(
        f"<tr><td><a href='#{c['id']}'>{c['id']}</a></td>"
        f"<td style='color:{STATUS_COLOURS[c['verdict']['status']]}'><b>"
        f"{c['verdict']['status']}</b></td><td>{html.escape(c['paper'])}</td>"
        f"<td>{html.escape(c['verdict']['reason'])}</td></tr>"
        for c in document["claims"]
    )
    sections = "".join(
        f"<section id='{c['id']}'><h2>{c['id']}: {html.escape(c['statement'])}</h2>"
        f"<p><i>{html.escape(c['paper'])}</i> — <b style='color:"
        f"{STATUS_COLOURS[c['verdict']['status']]}'>{c['verdict']['status']}</b>: "
        f"{html.escape(c['verdict']['reason'])}</p>"
        f"<img alt='{c['id']}' src='data:image/png;base64,"
        f"{base64.b64encode(figures[c['id']]).decode()}'>"
        f"<details><summary>numbers ({len(c['cells'])} cells)</summary><pre>"
        f"{html.escape(json.dumps(c['cells'], indent=1))}</pre></details></section>"
        for c in document["claims"]
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mamlscape report</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}"
        "td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}"
        "img{max-width:100%}pre{max-height:300px;overflow:auto;background:#f6f8fa}</style>"
        f"</head><body><h1>mamlscape claims report</h1><p>Scale <code>{env['scale']}</code> "
        f"on <code>{env['device']}</code>; torch {env['torch']}, Python {env['python']}.</p>"
        f"<table><tr><th>claim</th><th>verdict</th><th>paper</th><th>why</th></tr>{rows}"
        f"</table>{sections}</body></html>"
    )
