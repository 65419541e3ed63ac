"""Reports: pure functions from run records to text (and, later, figures and HTML)."""

from guardsim.reports.text import format_seconds, summary_text, timeline_text

__all__ = ["format_seconds", "summary_text", "timeline_text"]
