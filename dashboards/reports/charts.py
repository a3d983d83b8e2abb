"""The report's charts, drawn on axes handed in so that the HTML (one PNG per chart) and the PDF (charts placed on
A4 pages) show the same pictures. Figures are made without pyplot: no GUI backend, safe in worker threads."""
from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.reports.records import PilotResult, ProblemWithActions, ReportData
from feedback.kpis import WeeklyKpis
from language import Language
from storage.improvement import OperatorCompliance

URGENCY_COLOURS = {"critical": "#b2182b", "high": "#ef8a62", "medium": "#f4c542", "low": "#9ebcda"}
PILOT, CONTROL = "#2166ac", "#969696"


def _series(ax: Axes, kpis: Sequence[WeeklyKpis], field: str, label: str, lang: Language, scale: float = 1.0,
            colour: str = PILOT):
    values = [getattr(k, field) * scale if getattr(k, field) is not None else float("nan") for k in kpis]
    ax.plot([lang.date(k.week_start, "dd.MM") for k in kpis], values, marker="o", markersize=3, color=colour,
            label=label)


def draw_kpis(axes: Sequence[Axes], kpis: Sequence[WeeklyKpis], lang: Language) -> None:
    """Four panels: resolution time, repeat calls and first-call resolution, satisfaction, script compliance."""
    _ = lang.gettext
    resolution, repeats, satisfaction, compliance = axes
    _series(resolution, kpis, "avg_resolution_hours", _("hours"), lang)
    resolution.set_title(_("Average time to resolution, hours"), fontsize=9)
    _series(repeats, kpis, "repeat_call_share", _("repeat calls"), lang, 100)
    _series(repeats, kpis, "first_call_resolution", _("first-call resolution"), lang, 100, "#1b7837")
    repeats.set_title(_("Repeat calls and first-call resolution, %"), fontsize=9)
    repeats.legend(fontsize=7, loc="best")
    _series(satisfaction, kpis, "mean_rating", _("mean rating"), lang)
    satisfaction.set_title(_("Mean post-call rating (1-5)"), fontsize=9)
    _series(compliance, kpis, "mean_compliance", _("mean score"), lang)
    _series(compliance, kpis, "no_critical_failure_share", _("calls without critical failure"), lang, 100, "#1b7837")
    compliance.set_title(_("Script compliance, score and %"), fontsize=9)
    compliance.legend(fontsize=7, loc="best")
    for ax in axes:
        ax.yaxis.set_major_formatter(lambda value, _position: lang.number(value, 0 if value == int(value) else 1))
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", rotation=60)
        ax.grid(alpha=0.3)


def draw_problems(ax: Axes, problems: Sequence[ProblemWithActions], lang: Language) -> None:
    shown = list(reversed(problems))
    ax.barh([p.problem.problem_id for p in shown], [p.problem.calls for p in shown],
            color=[URGENCY_COLOURS[p.problem.urgency] for p in shown])
    for n, p in enumerate(shown):
        ax.text(p.problem.calls, n, f" {lang.label(p.problem.urgency)}", va="center", fontsize=7)
    ax.set_title(lang.gettext("Top problems: calls in the last 4 weeks, by urgency"), fontsize=9)
    ax.tick_params(labelsize=7)
    ax.margins(x=0.2)


def draw_pilot(axes: Sequence[Axes], result: PilotResult, lang: Language) -> None:
    """Pilot minus control per outcome, with its 95 % confidence interval."""
    for ax, c in zip(axes, result.analysis.comparisons):
        ax.axvline(0, color="black", linewidth=0.8)
        if c.difference is not None:
            colour = {"better": "#1b7837", "worse": "#b2182b"}.get(c.verdict, CONTROL)
            ax.errorbar([c.difference], [0], xerr=[[c.difference - c.ci_low], [c.ci_high - c.difference]], fmt="o",
                        color=colour, capsize=4)
            ax.set_xlim(min(c.ci_low, 0) - abs(c.ci_high - c.ci_low) * 0.3 - 1e-6,
                        max(c.ci_high, 0) + abs(c.ci_high - c.ci_low) * 0.3 + 1e-6)
        else:
            ax.text(0.5, 0.5, lang.gettext("no data"), transform=ax.transAxes, ha="center", fontsize=8)
        ax.set_yticks([])
        ax.set_title(f"{c.metric}\n{lang.label(c.verdict)}", fontsize=8)
        ax.tick_params(labelsize=7)


def draw_coaching(ax: Axes, coaching: Sequence[OperatorCompliance], lang: Language) -> None:
    shown = list(reversed(coaching))
    ax.barh([o.operator_id for o in shown], [o.mean_score or 0 for o in shown], color=PILOT)
    for n, o in enumerate(shown):
        ax.text(o.mean_score or 0, n, f" {lang.number(o.mean_score)}", va="center", fontsize=7)
    ax.set_xlim(0, 110)
    ax.set_title(lang.gettext("Operators needing coaching: mean script score, last 4 weeks"), fontsize=9)
    ax.tick_params(labelsize=7)


def chart_pngs(data: ReportData, lang: Language) -> dict[str, bytes]:
    """Every chart of the report as PNG bytes, by name."""
    pngs = {}
    fig = Figure(figsize=(9, 5.5))
    draw_kpis(fig.subplots(2, 2).flatten(), data.kpis, lang)
    pngs["kpis"] = _png(fig)
    if data.problems:
        fig = Figure(figsize=(9, 0.4 * len(data.problems) + 1.2))
        draw_problems(fig.subplots(), data.problems, lang)
        pngs["problems"] = _png(fig)
    for result in data.pilots:
        fig = Figure(figsize=(9, 1.9))
        draw_pilot(fig.subplots(1, len(result.analysis.comparisons)), result, lang)
        pngs[f"pilot-{result.pilot.pilot_id}"] = _png(fig)
    if data.coaching:
        fig = Figure(figsize=(9, 0.35 * len(data.coaching) + 1.2))
        draw_coaching(fig.subplots(), data.coaching, lang)
        pngs["coaching"] = _png(fig)
    return pngs


def _png(fig: Figure) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()
