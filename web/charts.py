"""Charts drawn on the server as SVG: bars for a breakdown, a line over the quarters of a year.

No chart library and nothing fetched from the internet: the SVG is part of the page, so it prints, works
without JavaScript and passes the Content-Security-Policy. Each chart is an image with a title and a
description (``role="img"``, ``aria-labelledby``) and always sits beside the table of the same figures,
which is what a screen reader reads. Colour is never the only signal: a protected figure is a hatched
outline with the letter "c" written beside it, as in the tables and exports.
"""

from __future__ import annotations

from html import escape
from itertools import count

from markupsafe import Markup

WIDTH = 520
BAR = 22
GAP = 8
LABEL = 175  # room for the category's name at the left of each bar
_ids = count(1)


def _svg(n: int, width: int, height: int, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-labelledby="chart-{n}-t chart-{n}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{n}-t">{escape(title)}</title><desc id="chart-{n}-d">{escape(desc)}</desc>'
        f'<defs><pattern id="hatch-{n}" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch"/></pattern></defs>'
    )
    return Markup(head + "".join(body) + "</svg>")


def bars(items: list[tuple[str, int | None]], title: str, desc: str, fmt=str, protected_mark: str = "c") -> Markup:
    """Horizontal bars, one per ``(label, value)``; ``None`` is a protected figure (hatched, marked)."""
    n = next(_ids)
    top = max([v for _, v in items if v is not None] or [1]) or 1
    room = WIDTH - LABEL - 70
    body = []
    for i, (label, value) in enumerate(items):
        y = i * (BAR + GAP)
        short = label if len(label) <= 19 else label[:18] + "…"  # the table beside it has the whole name
        body.append(
            f'<text x="{LABEL - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" class="axis">{escape(short)}</text>'
        )
        if value is None:
            w = room * 0.12
            body.append(
                f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}" class="bar protected" '
                f'fill="url(#hatch-{n})"/>'
            )
            body.append(f'<text x="{LABEL + w + 6:.1f}" y="{y + BAR * 0.7:.1f}" class="value">{protected_mark}</text>')
        else:
            w = max(room * value / top, 1 if value else 0)
            body.append(f'<rect x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}" class="bar"/>')
            body.append(
                f'<text x="{LABEL + w + 6:.1f}" y="{y + BAR * 0.7:.1f}" class="value">{escape(fmt(value))}</text>'
            )
    height = max(len(items) * (BAR + GAP), BAR)
    return _svg(n, WIDTH, height, title, desc, body)


def line(points: list[tuple[str, int | None]], title: str, desc: str, fmt=str, protected_mark: str = "c") -> Markup:
    """A line over ordered ``(label, value)`` or ``(label, value, mark)`` points (the quarters); a point without
    a value breaks the line and shows its mark (``protected_mark`` unless it has its own)."""
    n = next(_ids)
    height, left, bottom, top_pad = 220, 50, 30, 20
    plot_w, plot_h = WIDTH - left - 30, height - bottom - top_pad
    points = [(p[0], p[1], p[2] if len(p) > 2 else protected_mark) for p in points]
    known = [v for _, v, _ in points if v is not None]
    top = max(known or [1]) or 1
    step = plot_w / max(len(points) - 1, 1)
    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}" class="axis-line"/>'
    ]
    segment: list[str] = []
    for i, (label, value, mark) in enumerate(points):
        x = left + i * step
        body.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" class="axis">{escape(label)}</text>')
        if value is None:
            if len(segment) > 1:
                body.append(f'<polyline points="{" ".join(segment)}" class="series"/>')
            segment = []
            body.append(
                f'<text x="{x:.1f}" y="{top_pad + plot_h - 6}" text-anchor="middle" class="value">{escape(mark)}</text>'
            )
            continue
        y = top_pad + plot_h - plot_h * value / top
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="point"/>')
        body.append(f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" class="value">{escape(fmt(value))}</text>')
    if len(segment) > 1:
        body.insert(1, f'<polyline points="{" ".join(segment)}" class="series"/>')
    return _svg(n, WIDTH, height, title, desc, body)
