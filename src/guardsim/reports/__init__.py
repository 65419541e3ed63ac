"""Reports: pure functions from run records to text and Plotly figures, and their writers.

* :mod:`guardsim.reports.text`: the timeline and summary a terminal shows;
* :mod:`guardsim.reports.series`: a record as plain series over time (what figures draw);
* :mod:`guardsim.reports.run`: the run report, :func:`run_figure` (a notebook can show it as is);
* :mod:`guardsim.reports.montecarlo`: the Monte Carlo report, :func:`mc_figure`;
* :mod:`guardsim.reports.sweep`: the sweep report, :func:`sweep_figure`;
* :mod:`guardsim.reports.html`: standalone HTML (plotly.js inline, works offline) and PNG.
"""

from guardsim.errors import ReportError
from guardsim.reports.html import find_chromium, render_html, write_html, write_png
from guardsim.reports.montecarlo import mc_figure, mc_report, write_mc_report
from guardsim.reports.run import run_figure, run_header, run_report_sections, write_run_report
from guardsim.reports.sweep import sweep_figure, sweep_report, write_sweep_report
from guardsim.reports.text import format_seconds, summary_text, timeline_text

__all__ = [
    "ReportError",
    "find_chromium",
    "format_seconds",
    "mc_figure",
    "mc_report",
    "render_html",
    "run_figure",
    "run_header",
    "run_report_sections",
    "summary_text",
    "sweep_figure",
    "sweep_report",
    "timeline_text",
    "write_html",
    "write_mc_report",
    "write_png",
    "write_run_report",
    "write_sweep_report",
]
