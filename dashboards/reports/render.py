"""The weekly management report as one self-contained HTML file (charts inlined) and a PDF of A4 pages."""
from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from jinja2 import Environment, PackageLoader, StrictUndefined
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from dashboards.reports.charts import draw_coaching, draw_kpis, draw_pilot, draw_problems
from dashboards.reports.records import ReportData

A4 = (8.27, 11.69)
TITLE_CHARS = 70


def number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def signed(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def p_value(value: float | None) -> str:
    return "–" if value is None else "< 0.001" if value < 0.001 else f"{value:.3f}"


def short(text: str, limit: int = TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def kpi_rows(data: ReportData) -> list[tuple[str, str, str]]:
    """(KPI, this week, last week) as the summary shows them."""
    fields = (("Calls", "calls", lambda v: str(v)),
              ("Average time to resolution, h", "avg_resolution_hours", number),
              ("Repeat-call share", "repeat_call_share", percent),
              ("First-call resolution", "first_call_resolution", percent),
              ("Survey responses", "survey_responses", lambda v: str(v)),
              ("Mean rating (1-5)", "mean_rating", lambda v: number(v, 2)),
              ("Script compliance (0-100)", "mean_compliance", number),
              ("Calls without critical failure", "no_critical_failure_share", percent))
    weeks = (data.this_week, data.last_week)
    return [(label, *(fmt(getattr(w, field)) if w is not None else "–" for w in weeks)) for label, field, fmt in fields]


def render_html(data: ReportData, charts: dict[str, bytes]) -> str:
    env = Environment(loader=PackageLoader("dashboards.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(number=number, percent=percent, signed=signed, short=short, p_value=p_value)
    images = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in charts.items()}
    return env.get_template("weekly.html.j2").render(data=data, kpi_rows=kpi_rows(data), images=images)


def write_pdf(data: ReportData, path: Path) -> int:
    """The report as A4 pages; returns the page count. Fonts are embedded as TrueType so that the Cyrillic text
    of complaint quotes can be searched and copied."""
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}), PdfPages(path) as pdf:
        pages = [_kpi_page(data), _problems_page(data), _pilots_and_coaching_page(data)]
        for page in pages:
            pdf.savefig(page)
        pdf.infodict().update(Title=f"Weekly report {data.week_start}", Author="hotline-qc")
    return len(pages)


def _page(title: str, subtitle: str) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.06, 0.965, title, fontsize=15, weight="bold")
    fig.text(0.06, 0.945, subtitle, fontsize=9, color="#444444")
    return fig


def _table(ax: Axes, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           font: float = 7) -> None:
    ax.axis("off")
    if not rows:
        ax.text(0, 1, "none", fontsize=font, va="top")
        return
    table = ax.table(cellText=[list(r) for r in rows], colLabels=list(header), colWidths=list(widths),
                     loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    table.scale(1, 1.25)


def _kpi_page(data: ReportData) -> Figure:
    fig = _page(f"Weekly management report — week of {data.week_start:%d.%m.%Y}",
                f"Data up to {data.as_of:%d.%m.%Y}; {data.problem_count} open problems, "
                f"{data.overdue_actions} overdue corrective actions")
    grid = fig.add_gridspec(3, 2, top=0.92, bottom=0.06, left=0.08, right=0.96, hspace=0.45, wspace=0.25,
                            height_ratios=[0.45, 1, 1])
    _table(fig.add_subplot(grid[0, :]), ["KPI", "this week", "last week"], kpi_rows(data), [0.5, 0.25, 0.25], 8)
    draw_kpis([fig.add_subplot(grid[r, c]) for r in (1, 2) for c in (0, 1)], data.kpis)
    return fig


def _problems_page(data: ReportData) -> Figure:
    fig = _page("Top problems and corrective actions",
                "Urgency = volume + effect on satisfaction + growth, 0-2 points each: 5-6 critical, 3-4 high, "
                "1-2 medium")
    grid = fig.add_gridspec(2, 1, top=0.92, bottom=0.04, left=0.26, right=0.96, hspace=0.15, height_ratios=[1, 1.6])
    if data.problems:
        draw_problems(fig.add_subplot(grid[0]), data.problems)
    rows = []
    for entry in data.problems:
        p = entry.problem
        rows.append([p.urgency, short(p.title, 58), str(p.calls), signed(p.rating_effect),
                     f"{p.volume_points}+{p.effect_points}+{p.growth_points}"])
        for action, outcome in entry.actions:
            change = f", {outcome.change:+.0%}/week" if outcome.change is not None else ""
            rows.append(["", short(f"→ #{action.action_id} {action.title} ({action.owner}, due "
                                   f"{action.due_date:%d.%m})", 58), "", action.status + change, ""])
    table_ax = fig.add_subplot(grid[1])
    table_ax.set_position([0.06, 0.04, 0.9, table_ax.get_position().height])
    _table(table_ax, ["urgency", "problem / corrective action", "calls", "effect", "points"], rows,
           [0.09, 0.57, 0.07, 0.19, 0.08])
    return fig


def _pilots_and_coaching_page(data: ReportData) -> Figure:
    fig = _page("Script pilots, satisfaction drivers, coaching",
                "Pilot minus control with 95 % confidence intervals; drivers: mean rating where an item failed "
                "minus where it passed")
    top = 0.92
    for result in data.pilots[:2]:
        a = result.analysis
        fig.text(0.06, top, f"Pilot {a.pilot_id}: {result.pilot.script_version} against "
                            f"{result.pilot.control_version}, {a.pilot_calls} pilot and {a.control_calls} control calls; "
                            f"decision: {result.decision or 'none yet'}", fontsize=8, weight="bold")
        fig.text(0.06, top - 0.015, short(f"Recommendation: {a.recommendation} ({a.reason})", 130), fontsize=7.5)
        axes = [fig.add_axes([0.06 + n * 0.235, top - 0.135, 0.19, 0.075]) for n in range(len(a.comparisons))]
        draw_pilot(axes, result)
        top -= 0.17
    if not data.pilots:
        fig.text(0.06, top, "No script pilots.", fontsize=9)
        top -= 0.04
    drivers_ax = fig.add_axes([0.06, top - 0.17, 0.9, 0.16])
    _table(drivers_ax, ["checklist item / metric", "rated calls", "rating difference [95 % CI]", "p",
                        "adjusted for other items"],
           [[d.factor, f"{d.n_exposed} / {d.n_reference}",
             f"{signed(d.difference)} [{signed(d.ci_low)}, {signed(d.ci_high)}]",
             p_value(d.p_value),
             f"{signed(d.adjusted_difference)} [{signed(d.adjusted_ci_low)}, {signed(d.adjusted_ci_high)}]"
             if d.adjusted_difference is not None else "–"] for d in data.drivers],
           [0.24, 0.14, 0.26, 0.1, 0.26])
    coaching_top = top - 0.21
    if data.coaching:
        draw_coaching(fig.add_axes([0.16, coaching_top - 0.25, 0.8, 0.24]), data.coaching)
    _table(fig.add_axes([0.06, 0.03, 0.9, coaching_top - 0.33]), ["operator", "calls", "mean score",
                                                                  "critical failures", "items failed most"],
           [[o.operator_id, str(o.calls), number(o.mean_score), percent(o.critical_share),
             ", ".join(f"{item} {rate:.0%}" for item, rate in o.worst_items)] for o in data.coaching],
           [0.12, 0.08, 0.12, 0.14, 0.54])
    return fig
