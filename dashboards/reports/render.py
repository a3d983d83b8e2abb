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
from language import N_, Language, translations

A4 = (8.27, 11.69)
TITLE_CHARS = 70
URGENCY_RULE = N_("Urgency = volume + effect on satisfaction + growth, 0-2 points each: 5-6 critical, 3-4 high, "
                  "1-2 medium")


def p_value(lang: Language, value: float | None) -> str:
    return "–" if value is None else "< " + lang.number(0.001, 3) if value < 0.001 else lang.number(value, 3)


def short(text: str, limit: int = TITLE_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


KPIS = ((N_("Calls"), "calls", 0),
        (N_("Average time to resolution, h"), "avg_resolution_hours", 1),
        (N_("Repeat-call share"), "repeat_call_share", None),
        (N_("First-call resolution"), "first_call_resolution", None),
        (N_("Survey responses"), "survey_responses", 0),
        (N_("Mean rating (1-5)"), "mean_rating", 2),
        (N_("Script compliance (0-100)"), "mean_compliance", 1),
        (N_("Calls without critical failure"), "no_critical_failure_share", None))


def kpi_rows(data: ReportData, lang: Language) -> list[tuple[str, str, str]]:
    """(KPI, this week, last week) as the summary shows them; digits None: a share, shown as a percentage."""
    weeks = (data.this_week, data.last_week)

    def shown(value, digits):
        return lang.percent(value) if digits is None else lang.number(value, digits)

    return [(lang.gettext(label), *(shown(getattr(w, field), digits) if w is not None else "–" for w in weeks))
            for label, field, digits in KPIS]


def title(data: ReportData, lang: Language) -> str:
    return lang.gettext("Weekly management report — week of %(date)s") % {"date": lang.date(data.week_start)}


def summary(data: ReportData, lang: Language) -> str:
    """Data up to …; N open problems, N overdue corrective actions."""
    return lang.gettext("Data up to %(date)s; %(problems)s, %(actions)s") % {
        "date": lang.date(data.as_of),
        "problems": lang.ngettext("%(num)d open problem", "%(num)d open problems", data.problem_count)
        % {"num": data.problem_count},
        "actions": lang.ngettext("%(num)d overdue corrective action", "%(num)d overdue corrective actions",
                                 data.overdue_actions) % {"num": data.overdue_actions}}


def render_html(data: ReportData, charts: dict[str, bytes], lang: Language) -> str:
    env = Environment(loader=PackageLoader("dashboards.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang.code), newstyle=True)
    env.filters.update(number=lang.number, percent=lang.percent, signed=lang.signed, short=short, date=lang.date,
                       p_value=lambda v: p_value(lang, v), label=lang.label)
    images = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in charts.items()}
    return env.get_template("weekly.html.j2").render(data=data, kpi_rows=kpi_rows(data, lang), images=images,
                                                     lang=lang, title=title(data, lang), summary=summary(data, lang))


def write_pdf(data: ReportData, path: Path, lang: Language) -> int:
    """The report as A4 pages; returns the page count. Matplotlib's own DejaVu Sans covers Cyrillic; fonts are
    embedded as TrueType so that the Russian text can be searched and copied."""
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}), PdfPages(path) as pdf:
        pages = [_kpi_page(data, lang), _problems_page(data, lang), _pilots_and_coaching_page(data, lang)]
        for page in pages:
            pdf.savefig(page)
        pdf.infodict().update(Title=title(data, lang), Author="hotline-qc")
    return len(pages)


def _page(title: str, subtitle: str) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.06, 0.965, title, fontsize=15, weight="bold")
    fig.text(0.06, 0.945, subtitle, fontsize=9, color="#444444")
    return fig


def _table(ax: Axes, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           lang: Language, font: float = 7) -> None:
    ax.axis("off")
    if not rows:
        ax.text(0, 1, lang.gettext("none"), fontsize=font, va="top")
        return
    table = ax.table(cellText=[list(r) for r in rows], colLabels=list(header), colWidths=list(widths),
                     loc="upper left", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    table.scale(1, 1.25)


def _kpi_page(data: ReportData, lang: Language) -> Figure:
    _ = lang.gettext
    fig = _page(title(data, lang), summary(data, lang))
    grid = fig.add_gridspec(3, 2, top=0.92, bottom=0.06, left=0.08, right=0.96, hspace=0.45, wspace=0.25,
                            height_ratios=[0.45, 1, 1])
    _table(fig.add_subplot(grid[0, :]), [_("KPI"), _("this week"), _("last week")], kpi_rows(data, lang),
           [0.5, 0.25, 0.25], lang, 8)
    draw_kpis([fig.add_subplot(grid[r, c]) for r in (1, 2) for c in (0, 1)], data.kpis, lang)
    return fig


def _problems_page(data: ReportData, lang: Language) -> Figure:
    _ = lang.gettext
    fig = _page(_("Top problems and corrective actions"), _(URGENCY_RULE))
    grid = fig.add_gridspec(2, 1, top=0.92, bottom=0.04, left=0.26, right=0.96, hspace=0.15, height_ratios=[1, 1.6])
    if data.problems:
        draw_problems(fig.add_subplot(grid[0]), data.problems, lang)
    rows = []
    for entry in data.problems:
        p = entry.problem
        rows.append([lang.label(p.urgency), short(p.title, 58), lang.number(p.calls, 0), lang.signed(p.rating_effect),
                     f"{p.volume_points}+{p.effect_points}+{p.growth_points}"])
        for action, outcome in entry.actions:
            change = (_(", %(change)s a week") % {"change": ("+" if outcome.change > 0 else "")
                                                   + lang.percent(outcome.change, 0)}
                      if outcome.change is not None else "")
            rows.append(["", short("→ " + _("#%(id)s %(title)s (%(owner)s, due %(date)s)") % {
                "id": action.action_id, "title": action.title, "owner": action.owner,
                "date": lang.date(action.due_date, "d MMM")}, 58), "", lang.label(action.status) + change, ""])
    table_ax = fig.add_subplot(grid[1])
    table_ax.set_position([0.06, 0.04, 0.9, table_ax.get_position().height])
    _table(table_ax, [_("urgency"), _("problem / corrective action"), _("calls"), _("effect"), _("points")], rows,
           [0.12, 0.52, 0.07, 0.21, 0.08], lang)
    return fig


def _pilots_and_coaching_page(data: ReportData, lang: Language) -> Figure:
    _ = lang.gettext
    fig = _page(_("Script pilots, satisfaction drivers, coaching"),
                _("Pilot minus control with confidence intervals (95 %); drivers: mean rating where an item "
                  "failed minus where it passed"))
    top = 0.92
    for result in data.pilots[:2]:
        a = result.analysis
        fig.text(0.06, top, short(_("Pilot %(id)s: %(version)s against %(control)s, %(calls)s and %(control_calls)s")
                                  % {"id": a.pilot_id, "version": result.pilot.script_version,
                                     "control": result.pilot.control_version,
                                     "calls": lang.ngettext("%(num)d pilot call", "%(num)d pilot calls", a.pilot_calls)
                                     % {"num": a.pilot_calls},
                                     "control_calls": lang.ngettext("%(num)d control call", "%(num)d control calls",
                                                                    a.control_calls) % {"num": a.control_calls}},
                                  115), fontsize=8, weight="bold")
        fig.text(0.06, top - 0.015, short(_("Decision: %(decision)s. Recommendation: %(what)s (%(why)s)") % {
            "decision": lang.label(result.decision) if result.decision else _("none yet"),
            "what": lang.label(a.recommendation), "why": a.reason}, 130), fontsize=7.5)
        axes = [fig.add_axes([0.06 + n * 0.235, top - 0.135, 0.19, 0.075]) for n in range(len(a.comparisons))]
        draw_pilot(axes, result, lang)
        top -= 0.17
    if not data.pilots:
        fig.text(0.06, top, _("No script pilots."), fontsize=9)
        top -= 0.04
    drivers_ax = fig.add_axes([0.06, top - 0.17, 0.9, 0.16])
    signed = lang.signed
    _table(drivers_ax, [_("checklist item / metric"), _("rated calls"), _("rating difference [95 % CI]"), "p",
                        _("adjusted for other items")],
           [[d.factor, f"{d.n_exposed} / {d.n_reference}",
             f"{signed(d.difference)} [{signed(d.ci_low)}; {signed(d.ci_high)}]",
             p_value(lang, d.p_value),
             f"{signed(d.adjusted_difference)} [{signed(d.adjusted_ci_low)}; {signed(d.adjusted_ci_high)}]"
             if d.adjusted_difference is not None else "–"] for d in data.drivers],
           [0.24, 0.14, 0.26, 0.1, 0.26], lang)
    coaching_top = top - 0.21
    if data.coaching:
        draw_coaching(fig.add_axes([0.16, coaching_top - 0.25, 0.8, 0.24]), data.coaching, lang)
    _table(fig.add_axes([0.06, 0.03, 0.9, coaching_top - 0.33]), [_("operator"), _("calls"), _("mean score"),
                                                                  _("critical failures"), _("items failed most")],
           [[o.operator_id, lang.number(o.calls, 0), lang.number(o.mean_score), lang.percent(o.critical_share),
             ", ".join(f"{item} {lang.percent(rate, 0)}" for item, rate in o.worst_items)] for o in data.coaching],
           [0.1, 0.08, 0.12, 0.18, 0.52], lang)
    return fig
