"""Small inline SVG charts: no JavaScript and no chart library, so pages stay fast and work offline."""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def trend_chart(points: Sequence[tuple[str, float | None]], *, width: int = 220, height: int = 48,
                low: float | None = None, high: float | None = None, title: str = "") -> Markup:
    """A line through the known values, a dot on the latest, and every value in the tooltip; a None value
    breaks the line. Kept to a few hundred bytes: a scorecard page draws one per operator."""
    known = [v for _, v in points if v is not None]
    if not known:
        return Markup("")
    low = min(known) if low is None else low
    high = max(known) if high is None else high
    span = (high - low) or 1.0
    pad = 4
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    runs, run, last = [], [], ""
    for n, (_, value) in enumerate(points):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        x, y = round(pad + n * step, 1), round(height - pad - (value - low) / span * (height - 2 * pad), 1)
        run.append(f"{x},{y}")
        last = f'<circle cx="{x}" cy="{y}" r="2.5"/>'
    if run:
        runs.append(run)
    lines = "".join(f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{" ".join(r)}"/>'
                    if len(r) > 1 else "" for r in runs)
    dots = "".join(f'<circle cx="{r[0].split(",")[0]}" cy="{r[0].split(",")[1]}" r="1.5"/>' for r in runs if len(r) == 1)
    tooltip = "; ".join(f"{label}: {value:g}" for label, value in points if value is not None)
    return Markup(f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}"'
                  f' viewBox="0 0 {width} {height}"><title>{escape(tooltip)}</title>{lines}{dots}{last}</svg>')


def bar_chart(points: Sequence[tuple[str, int]], *, width: int = 220, height: int = 48, title: str = "") -> Markup:
    """Bars for counts (calls per week), scaled to the largest."""
    if not points:
        return Markup("")
    top = max(v for _, v in points) or 1
    gap = 2
    bar = (width - gap * (len(points) - 1)) / len(points)
    rects = []
    for n, (label, value) in enumerate(points):
        h = round(value / top * (height - 2), 1)
        rects.append(f'<rect x="{round(n * (bar + gap), 1)}" y="{round(height - h, 1)}" width="{round(bar, 1)}"'
                     f' height="{h}"><title>{escape(label)}: {value}</title></rect>')
    return Markup(f'<svg class="chart bars" role="img" aria-label="{escape(title)}" width="{width}" height="{height}"'
                  f' viewBox="0 0 {width} {height}">{"".join(rects)}</svg>')
