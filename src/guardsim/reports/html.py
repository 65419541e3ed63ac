"""Writing reports out: one standalone HTML file, and PNG images.

The figures come from the pure report functions (:func:`guardsim.reports.run_figure`, ...);
this module only writes them:

* :func:`write_html` writes ONE HTML file, atomically (a temporary file, then a rename),
  byte-identical for the same sections. Where plotly.js (about 4.8 MB) comes from is the
  ``plotly_js`` choice (:data:`PLOTLY_JS_MODES`):

  - ``"inline"`` (the default): embedded in the page, so the report is self-contained and opens
    offline, from an e-mail attachment or an air-gapped laptop;
  - ``"directory"``: a ``<script src="plotly.min.js">`` tag, and ONE copy of ``plotly.min.js``
    written beside the report (taken from the installed plotly package, never downloaded;
    rewritten only when it differs). Many reports in one folder share it and stay small
    (tens of kB each); they open offline as long as the folder is kept together;
  - ``"cdn"``: plotly's own documented CDN script tag (``https://cdn.plot.ly/``, with its
    subresource-integrity hash): the smallest file, but opening it needs the network.
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
#: Where a page's plotly.js comes from, the ``plotly_js`` argument (see the module docstring).
PLOTLY_JS_MODES = ("inline", "cdn", "directory")
#: The file ``plotly_js="directory"`` writes beside the reports, and their script tags name.
PLOTLY_JS_FILE = "plotly.min.js"
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
.recommendation { max-width: 70em; overflow-wrap: anywhere; border-left: 4px solid #ffd700;
                  padding: .2em 0 .2em 1em; margin: .5em 0 1em 0; }
.recommendation p, .recommendation ul { margin: .3em 0; }
.recommendation .best { font-size: 1.1em; }
.scroll { overflow-x: auto; max-width: 100%; }
table.grid { border-collapse: collapse; margin: .5em 0 1em 0; }
table.grid th, table.grid td { padding: 2px .8em 2px 0; text-align: left; vertical-align: top;
                               white-space: nowrap; }
table.grid th { font-weight: 600; color: #444; border-bottom: 1px solid #ccc;
                white-space: normal; }
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


def _check_mode(plotly_js: str) -> None:
    if plotly_js not in PLOTLY_JS_MODES:
        raise ReportError(f"plotly_js={plotly_js!r}: expected one of {', '.join(PLOTLY_JS_MODES)}")


def render_html(
    sections: go.Figure | Sequence[Section], *, title: str, plotly_js: str = "inline"
) -> str:
    """The whole page as text: sections in order, plotly.js once (inline by default; with
    ``"directory"`` the page expects :data:`PLOTLY_JS_FILE` beside it, see :func:`write_html`)."""
    _check_mode(plotly_js)
    # plotly's to_html: True inlines the library; "cdn" / "directory" write a script tag
    include: bool | str = True if plotly_js == "inline" else plotly_js
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
                    include_plotlyjs=False if plotly_included else include,
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
    sections: go.Figure | Sequence[Section],
    path: str | Path,
    *,
    title: str = "guardsim report",
    plotly_js: str = "inline",
) -> None:
    """Write one HTML file, atomically: standalone with plotly.js inline (the default, works
    offline); with ``plotly_js="directory"`` also :data:`PLOTLY_JS_FILE` beside it (see
    :func:`write_plotly_js`); with ``"cdn"`` a page that loads plotly.js from the network."""
    _check_mode(plotly_js)
    _check_folder(path)
    text = render_html(sections, title=title, plotly_js=plotly_js)
    if plotly_js == "directory":
        write_plotly_js(Path(path).parent)
    try:
        write_atomically(path, text)
    except RecordError as exc:  # write_atomically's error names the path already
        raise ReportError(str(exc)) from None


def write_plotly_js(folder: str | Path) -> Path:
    """Write the installed plotly package's ``plotly.min.js`` into ``folder`` (never downloaded),
    unless an identical copy is there already; return its path."""
    from plotly.offline import get_plotlyjs

    target = Path(folder) / PLOTLY_JS_FILE
    text = get_plotlyjs()
    try:
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
    except (OSError, UnicodeDecodeError):
        pass  # unreadable or not plotly.js: written anew below
    try:
        write_atomically(target, text)
    except RecordError as exc:
        raise ReportError(str(exc)) from None
    return target


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
    "PLOTLY_JS_FILE",
    "PLOTLY_JS_MODES",
    "Html",
    "ReportError",
    "Section",
    "find_chromium",
    "png_bytes",
    "render_html",
    "require_chromium",
    "write_html",
    "write_plotly_js",
    "write_png",
]
