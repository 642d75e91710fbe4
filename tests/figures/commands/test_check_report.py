"""``make check-report``: figures checked on any page; pages rendered where Chromium is."""

from __future__ import annotations

import pytest

from figures.claims.catalogue import select
from figures.commands import check_report
from figures.engine.report import write_report
from figures.engine.runner import run_claims


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    claims = select(["L5"])
    outcomes = run_claims(claims, "smoke", folder / "cache", progress=False)
    write_report(folder, claims, outcomes, "smoke", "cpu")
    return folder / "report.html"


def test_without_chromium_the_figures_are_still_checked(report_page, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(check_report, "browser", lambda: None)
    assert check_report.main([str(report_page), "--out", str(tmp_path)]) == 0
    assert "chromium is not installed" in capsys.readouterr().out
    assert not list(tmp_path.iterdir()), "no screenshot without a browser"


def test_a_missing_page_is_named_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        check_report.main([str(tmp_path / "report.html")])
    assert "no such page" in capsys.readouterr().err


@pytest.mark.skipif(check_report.browser() is None, reason="chromium is not installed")
def test_chromium_renders_the_report_to_a_screenshot(report_page, tmp_path, capsys):
    assert check_report.main([str(report_page), "--out", str(tmp_path)]) == 0
    (shot,) = tmp_path.glob("*.png")
    assert "rendered to" in capsys.readouterr().out and shot.stat().st_size > 10_000
