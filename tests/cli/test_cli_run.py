"""``guardsim run --report/--png`` and ``guardsim report``: files written, bad input exits 2."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from guardsim.cli import main

#: The saved record the report tests share (tests/reports/data).
CANARY_RECORD = Path(__file__).parents[1] / "reports" / "data" / "seed-canary-rollback.json"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_run_writes_the_html_report(tmp_path: Path) -> None:
    report = tmp_path / "run.html"
    status, out, _ = run("run", "seed-canary-rollback", "--report", str(report))
    assert status == 0
    assert f"run report written to {report}" in out
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="guardsim-header"' in page
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file is left behind"


def test_json_to_stdout_stays_pure_json(tmp_path: Path) -> None:
    report = tmp_path / "run.html"
    status, out, err = run("run", "seed-canary-rollback", "--json", "-", "--report", str(report))
    assert status == 0
    assert out.startswith("{") and "report written" not in out
    assert f"run report written to {report}" in err
    assert report.is_file()


def test_report_renders_a_saved_record(tmp_path: Path) -> None:
    html = tmp_path / "saved.html"
    status, out, _ = run("report", str(CANARY_RECORD), "--html", str(html))
    assert status == 0, out
    assert f"run report written to {html}" in out
    assert "seed-canary-rollback" in html.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read run record"),
        ("{not json", "invalid JSON at line 1"),
        ('{"format": "something-else"}', "not a guardsim run record"),
        ('{"format": "guardsim.run-record/1"}', "malformed run record"),
    ],
)
def test_report_refuses_a_bad_record(tmp_path: Path, content: str | None, message: str) -> None:
    record = tmp_path / "record.json"
    if content is not None:
        record.write_text(content, encoding="utf-8")
    html = tmp_path / "r.html"
    status, _, err = run("report", str(record), "--html", str(html))
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not html.exists()


def test_report_needs_an_output(tmp_path: Path) -> None:
    status, _, err = run("report", str(CANARY_RECORD))
    assert status == 2
    assert "--html PATH and/or --png PATH" in err


def test_output_paths_are_checked_before_simulating(tmp_path: Path) -> None:
    status, out, err = run("run", "seed-canary-rollback", "--report", str(tmp_path / "no/r.html"))
    assert status == 2
    assert "does not exist" in err
    assert out == "", "nothing was simulated"


def test_png_without_a_browser_fails_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    status, out, err = run("run", "seed-canary-rollback", "--png", str(tmp_path / "r.png"))
    assert status == 2
    assert "PNG export needs a browser" in err and "apt-get install chromium" in err
    assert out == ""
    status, _, err = run("report", str(CANARY_RECORD), "--png", str(tmp_path / "r.png"))
    assert status == 2 and "BROWSER_PATH" in err
