"""Where a report gets plotly.js (``--plotly-js inline|cdn|directory``), and ``--png`` for the
Monte Carlo and sweep reports: the page each mode writes, the shared ``plotly.min.js``, and the
same options on every command that writes HTML."""

from __future__ import annotations

import io
import re
import struct
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from guardsim.cli import main
from guardsim.cli.args import PLOTLY_JS_CHOICES
from guardsim.errors import ReportError
from guardsim.reports.html import (
    PLOTLY_JS_FILE,
    PLOTLY_JS_MODES,
    render_html,
    write_html,
    write_plotly_js,
)
from guardsim.scenarios.loading import load_scenario
from guardsim.simulator import simulate

CANARY_RECORD = Path(__file__).parent / "data" / "seed-canary-rollback.json"
WAIT = "deployment_config.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.WaitIntervalInSeconds"
FAULT = "models.green.error_rate_5xx"
#: A marker of the plotly.js library itself (its licence banner), present only when inlined.
LIBRARY = "plotly.js v"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def two_figures() -> list[go.Figure]:
    return [go.Figure(go.Scatter(x=[0, 1], y=[1, 2])), go.Figure(go.Bar(x=[1], y=[3]))]


def script_sources(page: str) -> list[str]:
    return re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)


def test_the_cli_offers_exactly_the_writer_modes() -> None:
    assert PLOTLY_JS_CHOICES == PLOTLY_JS_MODES == ("inline", "cdn", "directory")


def test_inline_is_the_default_and_self_contained() -> None:
    page = render_html(two_figures(), title="t")
    assert page == render_html(two_figures(), title="t", plotly_js="inline")
    assert page.count(LIBRARY) == 1  # once, however many figures
    assert script_sources(page) == []


def test_directory_names_the_file_beside_the_page() -> None:
    page = render_html(two_figures(), title="t", plotly_js="directory")
    assert LIBRARY not in page
    assert script_sources(page) == [PLOTLY_JS_FILE]  # relative: the folder can move


def test_cdn_is_plotlys_documented_script_tag() -> None:
    from plotly.io._utils import plotly_cdn_url

    page = render_html(two_figures(), title="t", plotly_js="cdn")
    assert LIBRARY not in page
    assert script_sources(page) == [plotly_cdn_url()]
    assert script_sources(page)[0].startswith("https://cdn.plot.ly/plotly-")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ReportError, match="plotly_js='web': expected one of inline, cdn"):
        render_html(two_figures(), title="t", plotly_js="web")


def test_directory_writes_one_copy_of_the_installed_plotly_js(tmp_path: Path) -> None:
    for k in range(3):
        write_html(two_figures(), tmp_path / f"r{k}.html", plotly_js="directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        PLOTLY_JS_FILE,
        "r0.html",
        "r1.html",
        "r2.html",
    ]
    library = tmp_path / PLOTLY_JS_FILE
    assert library.read_text(encoding="utf-8") == get_plotlyjs()
    # an identical copy is left alone; a different file of that name is replaced
    before = library.stat().st_mtime_ns
    assert write_plotly_js(tmp_path) == library
    assert library.stat().st_mtime_ns == before
    library.write_text("not plotly", encoding="utf-8")
    write_html(two_figures(), tmp_path / "r3.html", plotly_js="directory")
    assert library.read_text(encoding="utf-8") == get_plotlyjs()
    for k in range(4):
        assert (tmp_path / f"r{k}.html").stat().st_size < 50_000


def test_run_and_report_take_plotly_js(tmp_path: Path) -> None:
    status, _, err = run(
        "run",
        "seed-canary-rollback",
        "--report",
        str(tmp_path / "a.html"),
        "--plotly-js",
        "directory",
    )
    assert status == 0, err
    assert (tmp_path / PLOTLY_JS_FILE).is_file()
    status, _, err = run(
        "report", str(CANARY_RECORD), "--html", str(tmp_path / "b.html"), "--plotly-js", "cdn"
    )
    assert status == 0, err
    assert script_sources((tmp_path / "b.html").read_text())[0].startswith("https://cdn.plot.ly/")
    status, _, err = run("report", str(CANARY_RECORD), "--html", str(tmp_path / "c.html"))
    assert status == 0, err
    assert LIBRARY in (tmp_path / "c.html").read_text()  # the default: inline


def test_mc_and_sweep_take_plotly_js(tmp_path: Path) -> None:
    mc = tmp_path / "mc.html"
    status, _, err = run(
        "mc", "seed-canary-rollback", "-n", "6", "--workers", "1", "--mode", "fast",
        "--report", str(mc), "--plotly-js", "directory",
    )  # fmt: skip
    assert status == 0, err
    sweep = tmp_path / "sweep.html"
    status, _, err = run(
        "sweep", "seed-canary-rollback", "--vary", f"{WAIT}=60,300", "-n", "4", "--workers", "1",
        "--mode", "fast", "--no-checkpoint", "--report", str(sweep), "--plotly-js", "directory",
    )  # fmt: skip
    assert status == 0, err
    for page in (mc, sweep):
        text = page.read_text()
        assert LIBRARY not in text and script_sources(text) == [PLOTLY_JS_FILE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc.html", PLOTLY_JS_FILE, "sweep.html"]


def test_compare_takes_plotly_js(tmp_path: Path) -> None:
    scenario = load_scenario("seed-canary-rollback")
    for seed in (1, 2):
        record = simulate(scenario, seed=seed, mode="fast")
        (tmp_path / f"run{seed}.json").write_text(record.to_json())
    report = tmp_path / "cmp.html"
    status, _, err = run(
        "compare", str(tmp_path / "run1.json"), str(tmp_path / "run2.json"),
        "--report", str(report), "--plotly-js", "directory",
    )  # fmt: skip
    assert status == 0, err
    assert script_sources(report.read_text()) == [PLOTLY_JS_FILE]
    assert (tmp_path / PLOTLY_JS_FILE).is_file()


@pytest.mark.parametrize("command", ["run", "report", "mc", "sweep", "compare"])
def test_a_bad_plotly_js_value_exits_2(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, _ = run(command, "x", "--plotly-js", "web")
    assert status == 2
    assert "--plotly-js: invalid choice: 'web'" in capsys.readouterr().err  # argparse's usage


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_mc_and_sweep_write_png(chromium_path: str, tmp_path: Path) -> None:
    mc_png = tmp_path / "mc.png"
    status, out, err = run(
        "mc", "seed-canary-rollback", "-n", "6", "--workers", "1", "--mode", "fast",
        "--png", str(mc_png),
    )  # fmt: skip
    assert status == 0, err
    assert f"Monte Carlo figure written to {mc_png}" in out
    assert png_size(mc_png)[0] == 1400
    sweep_png = tmp_path / "sweep.png"
    status, out, err = run(
        "sweep", "seed-canary-rollback", "--vary", f"{WAIT}=60,300", "--vary", f"{FAULT}=0,0.05",
        "-n", "4", "--workers", "1", "--mode", "fast", "--no-checkpoint", "--recommend",
        "--bad", f"{FAULT}=0.05", "--healthy", f"{FAULT}=0", "--png", str(sweep_png),
    )  # fmt: skip
    assert status == 0, err
    assert f"sweep figure written to {sweep_png}" in out
    assert png_size(sweep_png)[0] == 1400
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc.png", "sweep.png"]  # no HTML


def test_png_without_a_browser_exits_2_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-browser"))
    for argv in (
        ["mc", "seed-canary-rollback", "-n", "6", "--workers", "1"],
        ["sweep", "seed-canary-rollback", "--vary", f"{WAIT}=60,300", "-n", "4", "--no-checkpoint"],
    ):
        status, out, err = run(*argv, "--png", str(tmp_path / "x.png"))
        assert status == 2
        assert "PNG export needs a browser" in err
        assert "replications" not in out and "Sweep of" not in out  # nothing was simulated
