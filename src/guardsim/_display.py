"""How results show themselves: a readable ``repr`` and, in Jupyter, a small HTML card.

Run records, Monte Carlo results, sweep results and recommendations each define ``__repr__``
(one or two plain lines: what ran and the key figure) and ``_repr_html_`` (the key figure, a
small table of numbers and, where it helps, the first rows of a table). The wording comes from
the same functions the command line prints with; this module only lays it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

#: At most this many rows of a table are shown inline (the object holds them all).
TABLE_ROWS = 12


def card(
    title: str,
    headline: str,
    rows: Sequence[tuple[str, str]] = (),
    tables: Sequence[tuple[str, str]] = (),
) -> str:
    """A self-contained HTML fragment: a title, the key figure, a two-column table of
    ``(label, value)`` rows, then ``(caption, table HTML)`` sections."""
    parts = [
        '<div class="guardsim-card">',
        f"<p><strong>{escape(title)}</strong></p>",
        f'<p class="guardsim-key-figure">{escape(headline)}</p>',
    ]
    if rows:
        parts.append("<table>")
        parts += [
            f'<tr><th style="text-align:left">{escape(k)}</th><td>{escape(v)}</td></tr>'
            for k, v in rows
        ]
        parts.append("</table>")
    for caption, html in tables:
        parts += [f"<p>{escape(caption)}</p>", html]
    parts.append("</div>")
    return "\n".join(parts)


def frame_html(frame: Any, columns: Sequence[str] | None = None) -> str:
    """The first :data:`TABLE_ROWS` rows of a pandas DataFrame (only ``columns`` that exist),
    as HTML, saying how many rows are left out."""
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    html = str(frame.head(TABLE_ROWS).to_html(index=False, na_rep="-", float_format=_number))
    if len(frame) > TABLE_ROWS:
        html += f"<p>... {len(frame) - TABLE_ROWS} more row(s)</p>"
    return html


def _number(x: float) -> str:
    return f"{x:.4g}"
