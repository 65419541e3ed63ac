"""Opening a report in the shared headless Chromium, for the browser tests of every report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: true once the whole page is parsed (a figure not parsed yet is not counted: on a slow machine
#: the first figures can be drawn while later ones are still on their way, which read as a page
#: with fewer figures) and every figure on it has finished drawing (the writer marks each one)
RENDERED = (
    "() => { if (document.readyState !== 'complete') return false;"
    " const f = document.querySelectorAll('.js-plotly-plot');"
    " return f.length > 0"
    " && [...f].every(d => d.dataset.guardsimRendered === 'true'); }"
)


def open_report(
    browser: Any,
    path: Path,
    errors: list[str],
    requests: list[str],
    *,
    also: Sequence[Path] = (),
    width: int = 1500,
) -> Any:
    """A new tab ``width`` px wide loading ``path``: console errors and page errors go to
    ``errors``, and every request other than the file itself (and the local files ``also``,
    such as a shared plotly.min.js) is aborted and recorded in ``requests`` (a report must work
    offline). Returns the page without waiting for it."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.on(
        "console",
        lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    uri = path.as_uri()
    allowed = {uri, *(p.as_uri() for p in also)}

    def route(r: Any) -> None:
        if r.request.url in allowed:
            r.continue_()
        else:
            requests.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(uri, wait_until="commit")
    return page


def wait_rendered(page: Any) -> None:
    page.wait_for_function(RENDERED, timeout=90_000)


#: At the page's current width: the box of every event label (the text over a figure's time
#: axis that names a moment: "UpdateEndpoint", "detected", "done", ...), per figure, and the
#: pairs of labels in one figure whose boxes intersect.
EVENT_LABEL_OVERLAPS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const names = (gd.layout.annotations || []).map(a => a.name);
  const boxes = [];
  for (const g of gd.querySelectorAll('g.annotation')) {
    const i = Number(g.dataset.index);
    if (names[i] !== 'event-label') continue;
    const r = g.querySelector('.annotation-text').getBoundingClientRect();
    boxes.push({text: g.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  }
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        overlaps.push([a.text, b.text]);
      }
    }
  }
  return {labels: boxes.map(b => b.text), overlaps};
})"""


#: Per figure: the subplot titles (annotations placed on the paper, not event labels) as drawn,
#: which of them intersect, and which reach past the left or right edge of the window.
TITLE_OVERLAPS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const anns = gd.layout.annotations || [];
  const boxes = [];
  for (const g of gd.querySelectorAll('g.annotation')) {
    const a = anns[Number(g.dataset.index)];
    if (!a || a.name === 'event-label' || a.yref !== 'paper' || a.xref !== 'paper') continue;
    const r = g.querySelector('.annotation-text').getBoundingClientRect();
    boxes.push({text: g.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom});
  }
  const overlaps = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
        overlaps.push([a.text, b.text]);
      }
    }
  }
  const outside = boxes.filter(b => b.left < 0 || b.right > window.innerWidth).map(b => b.text);
  return {titles: boxes.map(b => b.text), overlaps, outside};
})"""


def resize(page: Any, width: int) -> None:
    """Make the tab ``width`` px wide and wait until every figure is redrawn to fit it."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.evaluate(
        "() => Promise.all([...document.querySelectorAll('.js-plotly-plot')]"
        ".map(gd => Plotly.Plots.resize(gd)))"
    )
