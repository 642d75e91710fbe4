"""The claims report as a reader sees it: a composite verdict's parts each with its own
status, every figure embedded, captioned and written as PNG, PDF and SVG."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from figures.claims.catalogue import select
from figures.engine.claim import Evidence, Verdict
from figures.engine.page_figures import figure_problems, page_figures, page_problems
from figures.engine.report import write_report
from figures.engine.runner import run_claims
from figures.engine.verdict_summary import render_summary
from tests.figures.engine.test_runner import COUNTING

EVIDENCE = Evidence("a seed-paired difference", 5, "±0.01")


def two_part_verdict(results) -> Verdict:
    """A PASS part, a FAIL part and undeciding details, as A2 and S2 have."""
    parts = [("cost", Verdict("PASS", "2 > 1")), ("accuracy", Verdict("FAIL", "Δ = −0.07 ± 0.03"))]
    return Verdict.all_of(parts, EVIDENCE, details="published 70.1%")


@pytest.fixture
def composite_report(tmp_path):
    claim = replace(COUNTING, check=two_part_verdict)
    outcomes = run_claims([claim], "quick", tmp_path / "cache", progress=False)
    write_report(tmp_path, [claim], outcomes, "quick", "cpu")
    return tmp_path


def test_a_composite_verdict_lists_each_part_with_its_status(composite_report):
    (claim,) = json.loads((composite_report / "results.json").read_text())["claims"]
    verdict = claim["verdict"]
    assert verdict["status"] == "FAIL" and verdict["reason"] == "cost: PASS; accuracy: FAIL"
    assert [(p["label"], p["status"]) for p in verdict["parts"]] == [
        ("cost", "PASS"),
        ("accuracy", "FAIL"),
    ]
    assert verdict["details"] == "published 70.1%"
    markdown = (composite_report / "report.md").read_text()
    why = "| **PASS** cost: 2 > 1<br>**FAIL** accuracy: Δ = −0.07 ± 0.03 |"
    assert why in markdown, "the table's why: one line per part, deciding numbers first"
    assert "- **FAIL** accuracy: Δ = −0.07 ± 0.03\n- details: published 70.1%" in markdown
    page = (composite_report / "report.html").read_text()
    assert "<b style='color:#cf222e'>FAIL</b> accuracy: Δ = −0.07 ± 0.03" in page
    summary = json.loads((composite_report / "verdicts.json").read_text())
    assert "**FAIL** accuracy: Δ = −0.07 ± 0.03" in render_summary(summary)


def test_a_one_part_verdict_keeps_its_one_line(tmp_path):
    outcomes = run_claims([COUNTING], "quick", tmp_path / "cache", progress=False)
    write_report(tmp_path, [COUNTING], outcomes, "quick", "cpu")
    markdown = (tmp_path / "report.md").read_text()
    assert "| all positive |" in markdown and "details:" not in markdown


def test_every_claim_figure_is_embedded_captioned_and_written_in_three_formats(tmp_path):
    claims = select(["L5", "A2"])
    outcomes = run_claims(claims, "smoke", tmp_path / "cache", progress=False)
    write_report(tmp_path, claims, outcomes, "smoke", "cpu")
    page = tmp_path / "report.html"
    figures = page_figures(page)
    assert len(figures) == len(claims)
    for claim, figure in zip(claims, figures):
        assert figure.source.startswith("data:image/png;base64,"), "embedded, not linked"
        assert claim.statement in figure.caption
        assert figure_problems(page, figure, tmp_path / "figures" / f"{claim.id}.png") == []
        assert figure.links == tuple(f"figures/{claim.id}.{e}" for e in ("png", "pdf", "svg"))
    a2 = json.loads((tmp_path / "results.json").read_text())["claims"][1]["verdict"]
    assert [part["label"] for part in a2["parts"]] == ["at α = 0.075 (α·L ≈ 1 at initialisation)"]


def test_a_section_without_claims_is_left_out(composite_report):
    markdown = (composite_report / "report.md").read_text()
    assert "## Paper claims" in markdown and "## Implementation checks" not in markdown


def test_a_broken_figure_is_named(tmp_path):
    claims = select(["L5"])
    write_report(
        tmp_path,
        claims,
        run_claims(claims, "smoke", tmp_path / "c", progress=False),
        "smoke",
        "cpu",
    )
    (tmp_path / "figures" / "L5.svg").write_text("not svg")
    (tmp_path / "figures" / "L5.pdf").unlink()
    assert page_problems(tmp_path / "report.html") == [
        "figures/L5.pdf: missing or not a PDF",
        "figures/L5.svg: missing or not an SVG",
    ]
    page = tmp_path / "bare.html"
    page.write_text("<img src='figures/L5.png'><figure><img src='x.png'></figure>")
    assert page_problems(page) == [
        "x.png: the image is missing",
        "figures/L5.png: caption '' does not say what the figure shows",
        "figures/L5.pdf: missing or not a PDF",
        "figures/L5.svg: missing or not an SVG",
    ]
