"""Writing reports out: one standalone HTML file, and PNG images.

The figures come from the pure report functions (:func:`guardsim.reports.run_figure`, ...);
this module only writes them:

* :func:`write_html` writes ONE self-contained HTML file: plotly.js is embedded inline (no CDN,
  no network), so the report opens offline, from an e-mail attachment or an air-gapped laptop.
  The file is written atomically (a temporary file, then a rename) and is byte-identical for the
  same sections.
* :func:`write_png` renders a figure to PNG for pasting into documents, through Plotly's
  `kaleido` (>= 1), which drives a Chrome or Chromium already installed on the machine: the
  Debian package ``chromium`` (``apt-get install chromium``), or whatever ``BROWSER_PATH``
  names. guardsim never downloads a browser.

Both raise :class:`ReportError` (a :class:`~guardsim.errors.GuardsimError`) with a plain message
when the file cannot be written or no browser is found.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import plotly.graph_objects as go

from guardsim.errors import RecordError, ReportError
from guardsim.record import write_atomically

#: Executable names tried, in order, when ``BROWSER_PATH`` is not set.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome")
CHROMIUM_HINT = (
    "install Chromium (Debian/Ubuntu: 'apt-get install chromium') or set BROWSER_PATH "
    "to a Chrome or Chromium executable"
)
#: Width of a PNG export in CSS pixels (the height is the figure's own).
PNG_WIDTH = 1400

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.2em 2em;
       color: #222; }
header h1 { font-size: 1.4em; margin: 0 0 .2em 0; }
header .meta { color: #666; margin: 0 0 .8em 0; }
header .outcome { font-size: 1.15em; font-weight: 600; margin: .3em 0; }
header .outcome.ROLLED_BACK { color: #b2182b; }
header .outcome.SUCCEEDED { color: #1a7f37; }
header .outcome.FAILED { color: #8b0000; }
header .facts { margin: .3em 0 .8em 0; }
table.summary { border-collapse: collapse; margin: .5em 0 1em 0; }
table.summary th { text-align: left; font-weight: normal; color: #555; padding: 1px 1.2em 1px 0; }
table.summary td { padding: 1px 0; }
.notes { color: #8b0000; }
details { margin: .5em 0 1em 0; color: #444; max-width: 70em; }
.figure { margin: 0 0 2em 0; }
"""


#: Run once Plotly has drawn a figure: marks its div ``data-guardsim-rendered="true"``, so a
#: browser (or a test) can wait for the drawing to be complete.
_RENDERED_MARK = "document.getElementById('{plot_id}').dataset.guardsimRendered = 'true';"


@dataclass(frozen=True)
class Html:
    """A trusted HTML fragment, placed in the page as it is (plain ``str`` sections are escaped)."""

    markup: str


#: One part of a page: a figure, a trusted HTML fragment, or plain text (escaped).
Section: TypeAlias = "go.Figure | Html | str"


def render_html(sections: go.Figure | Sequence[Section], *, title: str) -> str:
    """The whole standalone page as text: sections in order, plotly.js inline once."""
    items: list[Section] = [sections] if isinstance(sections, go.Figure) else list(sections)
    parts: list[str] = []
    plotly_included = False
    n_fig = 0
    for item in items:
        if isinstance(item, go.Figure):
            n_fig += 1
            parts.append(
                '<div class="figure">'
                + item.to_html(
                    full_html=False,
                    include_plotlyjs=not plotly_included,  # True: the library inline, no CDN
                    div_id=f"guardsim-figure-{n_fig}",
                    default_width="100%",
                    default_height=f"{int(item.layout.height or 600)}px",
                    config={"displaylogo": False, "responsive": True},
                    validate=False,
                    post_script=_RENDERED_MARK,
                )
                + "</div>"
            )
            plotly_included = True
        elif isinstance(item, Html):
            parts.append(item.markup)
        else:
            parts.append(f"<p>{html.escape(item)}</p>")
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="guardsim">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def write_html(
    sections: go.Figure | Sequence[Section], path: str | Path, *, title: str = "guardsim report"
) -> None:
    """Write one standalone HTML file (plotly.js inline, works offline), atomically."""
    _check_folder(path)
    try:
        write_atomically(path, render_html(sections, title=title))
    except RecordError as exc:  # write_atomically's error names the path already
        raise ReportError(str(exc)) from None


def find_chromium() -> str | None:
    """The Chrome/Chromium executable to use: ``BROWSER_PATH`` if set, else the first found."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """:func:`find_chromium`, or a :class:`ReportError` that says how to install one."""
    path = find_chromium()
    if path is None:
        env = os.environ.get("BROWSER_PATH")
        where = f"no browser at BROWSER_PATH={env!r}" if env else "no Chrome or Chromium found"
        raise ReportError(f"PNG export needs a browser: {where}; {CHROMIUM_HINT}")
    return path


@contextmanager
def _quiet_browser_logs() -> Iterator[None]:
    # choreographer logs (with a traceback) every DevTools message it cannot decode and then
    # ignores it; recent Chromium sends such messages routinely. Not an error for us.
    logger = logging.getLogger("choreographer")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def png_bytes(
    figure: go.Figure, *, width: int = PNG_WIDTH, scale: float = 1.0, browser: str | None = None
) -> bytes:
    """Render ``figure`` to PNG bytes with kaleido and a system Chrome/Chromium."""
    path = browser or require_chromium()
    try:
        import kaleido
    except ImportError:
        raise ReportError(
            "PNG export needs the 'kaleido' package (>= 1): pip install 'kaleido>=1'"
        ) from None
    opts: dict[str, Any] = {
        "format": "png",
        "width": width,
        "height": int(figure.layout.height or 800),
        "scale": scale,
    }
    try:
        with _quiet_browser_logs():
            data = kaleido.calc_fig_sync(figure, opts=opts, kopts={"path": path, "mathjax": False})
    except Exception as exc:  # kaleido/choreographer raise many kinds; the browser is the cause
        raise ReportError(
            f"PNG export with the browser {path} failed: {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(data, bytes) or not data.startswith(b"\x89PNG"):
        raise ReportError(f"PNG export with the browser {path} returned no PNG image")
    return data


def write_png(
    figure: go.Figure,
    path: str | Path,
    *,
    width: int = PNG_WIDTH,
    scale: float = 1.0,
    browser: str | None = None,
) -> None:
    """Write ``figure`` as a PNG image (for documents), atomically."""
    _check_folder(path)
    data = png_bytes(figure, width=width, scale=scale, browser=browser)
    p = Path(path)
    tmp = p.with_name(f".{p.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(p)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"cannot write {path}: {exc}") from None


def _check_folder(path: str | Path) -> None:
    p = Path(path)
    if p.is_dir():
        raise ReportError(f"output path {path} is a directory")
    if not p.parent.is_dir():
        raise ReportError(f"cannot write {path}: folder {p.parent} does not exist")


__all__ = [
    "CHROMIUM_HINT",
    "Html",
    "ReportError",
    "Section",
    "find_chromium",
    "png_bytes",
    "render_html",
    "require_chromium",
    "write_html",
    "write_png",
]
