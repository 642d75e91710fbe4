"""The README's verdict tables, generated from a run, never written by hand.

``write_report`` also writes ``verdicts.json``: for each paper claim and
implementation check its id, status, reason and evidence, with the scale and
the git commit of the run (:func:`verdict_summary`). ``mamlscape readme
--verdicts OUT/verdicts.json`` copies that file beside the README as
``README.verdicts.json`` and rewrites the block between ``BEGIN`` and ``END``
with :func:`render_summary` of it. A run at another scale (``omniglot``) has
a block of its own, between the :func:`markers` of that scale, and its copy
is ``README.verdicts-<scale>.json``. A test checks that the README's block is
exactly the rendering of the committed file, and that the file covers every
registered claim, so a stale README fails ``make test``.

Example:
    >>> summary = {"scale": "quick", "commit": "abc1234", "claims": [
    ...     {"id": "L5", "kind": "paper claim", "status": "PASS", "reason": "κ 14.8 vs 4.0",
    ...      "evidence": {"statistic": "exact κ", "seeds": 5, "resolvable": "1 iteration"}}]}
    >>> print(render_summary(summary).splitlines()[4])
    | L5 | PASS | exact κ | 5 | 1 iteration | κ 14.8 vs 4.0 |
    >>> replace_block(f"intro\\n{BEGIN}\\nold\\n{END}\\nrest", "new").splitlines()
    ['intro', '<!-- verdicts:begin -->', 'new', '<!-- verdicts:end -->', 'rest']
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

BEGIN = "<!-- verdicts:begin -->"
END = "<!-- verdicts:end -->"
README_SCALE = "quick"
"""The scale whose verdicts the README's main block shows; other scales have blocks of their own."""
KINDS = (("paper claim", "Paper claims"), ("implementation check", "Implementation checks"))
NO_EVIDENCE = {"statistic": "—", "seeds": "—", "resolvable": "—"}


def evidence_columns(evidence: dict[str, Any] | None) -> list[str]:
    """The deciding statistic, the seeds and the resolvable effect, "—" where none was given."""
    shown = evidence or NO_EVIDENCE
    return [shown["statistic"], str(shown["seeds"]), shown["resolvable"]]


def why_lines(verdict: dict[str, Any], details: bool = True) -> list[tuple[str | None, str]]:
    """A verdict's "why", deciding numbers first: ``(status, text)`` per part of a composite
    verdict (``Verdict.all_of``), else its one reason with ``None``; then (if ``details``)
    the numbers that decided nothing.

    >>> why_lines({"status": "FAIL", "reason": "a: PASS; b: FAIL", "details": "n = 3",
    ...            "parts": [{"label": "a", "status": "PASS", "reason": "2 > 1"},
    ...                      {"label": "b", "status": "FAIL", "reason": "0 < 1"}]})
    [('PASS', 'a: 2 > 1'), ('FAIL', 'b: 0 < 1'), (None, 'details: n = 3')]
    """
    parts = verdict.get("parts") or []
    lines = [(part["status"], f"{part['label']}: {part['reason']}") for part in parts]
    lines = lines or [(None, verdict["reason"])]
    if details and verdict.get("details"):
        lines.append((None, f"details: {verdict['details']}"))
    return lines


def why_markdown(verdict: dict[str, Any]) -> str:
    """The deciding lines of :func:`why_lines` as one Markdown table cell, statuses in bold
    (the details stay in the claim's own section)."""
    lines = why_lines(verdict, details=False)
    return "<br>".join(f"**{status}** {text}" if status else text for status, text in lines)


def markdown_row(cells: list[str]) -> str:
    """One Markdown table row, with the pipes inside cells escaped."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def git_commit(folder: Path) -> str | None:
    """The short commit of the checkout holding ``folder``, with ``-dirty`` when tracked files
    differ from it, or ``None`` outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "describe", "--always", "--dirty", "--exclude=*"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def verdict_summary(document: dict[str, Any], commit: str | None) -> dict[str, Any]:
    """The verdicts of a ``results.json`` document, without cells: what the README shows."""
    entries = [*document["claims"], *document["implementation_checks"]]
    return {
        "scale": document["environment"]["scale"],
        "commit": commit,
        "claims": [
            {
                "id": entry["id"],
                "kind": entry["kind"],
                **entry["verdict"],
            }
            for entry in entries
        ],
    }


def merge_summaries(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary from runs of the same scale, each claim taken from the last run that holds
    it and carrying that run's commit; ``commit`` is the runs' common commit, else None.

    For a claim rerun on its own (``reproduce --claims H1``) beside an earlier full run.

    >>> old = {"scale": "omniglot", "commit": "aaa", "claims": [{"id": "L7"}, {"id": "H1"}]}
    >>> new = {"scale": "omniglot", "commit": "bbb", "claims": [{"id": "H1"}]}
    >>> merged = merge_summaries([old, new])
    >>> merged["commit"], [(c["id"], c["commit"]) for c in merged["claims"]]
    (None, [('L7', 'aaa'), ('H1', 'bbb')])
    """
    scales = {summary["scale"] for summary in summaries}
    if len(scales) != 1:
        raise ValueError(
            f"the verdicts come from runs at several scales ({', '.join(sorted(scales))}); "
            "merge runs of one scale"
        )
    claims: dict[str, dict[str, Any]] = {}
    for summary in summaries:
        for claim in summary["claims"]:
            claims[claim["id"]] = {**claim, "commit": claim.get("commit", summary["commit"])}
    commits = {claim["commit"] for claim in claims.values()}
    return {
        "scale": scales.pop(),
        "commit": commits.pop() if len(commits) == 1 else None,
        "claims": list(claims.values()),
    }


def provenance(summary: dict[str, Any]) -> str:
    """The line above the tables: the run's commit, or each commit with the claims it ran."""
    scale = summary["scale"]
    if summary["commit"] is not None or not summary["claims"]:
        return (
            f"Verdicts of `mamlscape reproduce --scale {scale}` at commit "
            f"`{summary['commit'] or 'unknown'}` (generated from its `verdicts.json`):"
        )
    by_commit: dict[str, list[str]] = {}
    for claim in summary["claims"]:
        by_commit.setdefault(claim["commit"] or "unknown", []).append(claim["id"])
    runs = ", ".join(f"`{commit}` ({', '.join(ids)})" for commit, ids in by_commit.items())
    return (
        f"Verdicts of `mamlscape reproduce --scale {scale}`, from runs at commits {runs} "
        "(generated from their `verdicts.json`):"
    )


def render_summary(summary: dict[str, Any]) -> str:
    """Markdown tables of ``summary``'s verdicts, paper claims first, with their provenance."""
    lines = [provenance(summary)]
    for kind, title in KINDS:
        chosen = [claim for claim in summary["claims"] if claim["kind"] == kind]
        if not chosen:
            continue
        lines += ["", "| " + title.lower() + " | verdict | decided by | seeds | resolves | why |"]
        lines.append("|---|---|---|---|---|---|")
        for claim in chosen:
            cells = [claim["id"], claim["status"], *evidence_columns(claim.get("evidence"))]
            lines.append(markdown_row([*cells, why_markdown(claim)]))
    return "\n".join(lines)


def markers(scale: str = README_SCALE) -> tuple[str, str]:
    """The lines around a scale's verdict block: ``BEGIN``/``END`` for the quick scale,
    ``<!-- verdicts-<scale>:begin -->``/``…:end -->`` for another."""
    if scale == README_SCALE:
        return BEGIN, END
    return f"<!-- verdicts-{scale}:begin -->", f"<!-- verdicts-{scale}:end -->"


def summary_copy(readme: Path, scale: str) -> Path:
    """The file beside ``readme`` that keeps the verdicts its ``scale`` block renders:
    ``README.verdicts.json`` for the quick scale, ``README.verdicts-<scale>.json`` else."""
    suffix = ".verdicts.json" if scale == README_SCALE else f".verdicts-{scale}.json"
    return readme.with_suffix(suffix)


def replace_block(text: str, block: str, scale: str = README_SCALE) -> str:
    """``text`` with what lies between ``scale``'s markers replaced by ``block``."""
    begin, end = markers(scale)
    if text.count(begin) != 1 or text.count(end) != 1 or text.index(begin) > text.index(end):
        raise ValueError(
            f"the README must hold one {begin} line followed by one {end} line; add them "
            f"where the {scale} scale's verdict tables belong"
        )
    before, rest = text.split(begin)
    _, after = rest.split(end)
    return f"{before}{begin}\n{block}\n{end}{after}"
