"""`hotline-qc` commands of the feedback loop: survey import and intake, survey clients, KPIs and satisfaction
drivers."""
from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import language
from language import gettext as _


def cmd_surveys_import(args) -> int:
    from pipelines.survey_import import import_path
    from storage.db import Database

    with Database(args.db) as db, _file_progress(not args.no_progress) as progress:
        imports = import_path(db, args.path, args.source, progress=progress)
    if not imports:
        print(_("no .csv or .json files in %(path)s") % {"path": args.path})
    for item in imports:
        stored = item.stored
        print(_("%(file)s: %(accepted)s accepted, %(duplicates)s already stored, %(rejected)s rejected -> %(moved)s") % {
            "file": item.source_path.name, "accepted": stored.accepted, "duplicates": stored.duplicates,
            "rejected": stored.rejected, "moved": item.moved_to})
        for rejected in stored.rejects[:args.show_rejects]:
            print("    " + _("row %(row)s: %(reason)s") % {
                "row": rejected.row_no if rejected.row_no is not None else "-", "reason": rejected.reason})
        if item.report is not None:
            print("    " + _("rejected rows and reasons: %(path)s") % {"path": item.report})
    return 0


@contextmanager
def _file_progress(enabled: bool) -> Iterator[Callable[[int, int, str], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]survey files"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=Console(stderr=True), disable=not enabled) as bar:
        task = bar.add_task("", total=None)

        def advance(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        yield advance


def cmd_surveys_serve(args) -> int:
    import uvicorn

    from dashboards.survey_api import create_survey_app
    from pipelines.survey_import import import_payload

    uvicorn.run(create_survey_app(args.db, import_payload), host=args.host, port=args.port)
    return 0


def cmd_survey_clients_add(args) -> int:
    from dashboards.survey_api import issue_token
    from storage.db import Database

    with Database(args.db) as db:
        token = issue_token(db, args.name)
    print(_("survey client %(name)s added; its token (shown only now, keep it secret):") % {"name": args.name.strip()})
    print(token)
    return 0


def cmd_survey_clients_revoke(args) -> int:
    from storage.db import Database
    from storage.surveys import revoke_client

    with Database(args.db) as db:
        revoke_client(db, args.name)
    print(_("survey client %(name)s revoked") % {"name": args.name})
    return 0


def cmd_kpis(args) -> int:
    from pipelines.survey_analysis import weekly_kpis
    from storage.db import Database

    with Database(args.db) as db:
        rows = weekly_kpis(db, args.weeks)
    if not rows:
        print(_("no processed calls"))
    week, calls, resolution, repeat, fcr, rating, script, no_critical = (
        _("week"), _("calls"), _("resol. h"), _("repeat"), _("FCR"), _("rating"), _("script"), _("no crit"))
    print(f"{week:<10} {calls:>6} {resolution:>8} {repeat:>7} {fcr:>6} {rating:>6} {'4-5':>6} {script:>6} "
          f"{no_critical:>7}")
    for r in rows:
        print(f"{r.week_start:%Y-%m-%d} {r.calls:>6} {_num(r.avg_resolution_hours, '8.1f')} "
              f"{_num(r.repeat_call_share, '7.0%')} {_num(r.first_call_resolution, '6.0%')} "
              f"{_num(r.mean_rating, '6.2f')} {_num(r.satisfied_share, '6.0%')} {_num(r.mean_compliance, '6.1f')} "
              f"{_num(r.no_critical_failure_share, '7.0%')}")
    return 0


def cmd_drivers(args) -> int:
    from pipelines.survey_analysis import satisfaction_drivers
    from storage.db import Database

    with Database(args.db) as db:
        drivers = satisfaction_drivers(db, args.by)
    shown = [d for d in drivers if d.enough_calls][:args.limit]
    if not shown:
        print(_("no comparison has enough rated calls yet"))
    for d in shown:
        group = f"[{d.group}] " if d.group else ""
        adjusted = ("; " + _("adjusted for the other items %(difference)s [%(low)s, %(high)s]") % {
            "difference": f"{d.adjusted_difference:+.2f}", "low": f"{d.adjusted_ci_low:+.2f}",
            "high": f"{d.adjusted_ci_high:+.2f}"} if d.adjusted_difference is not None else "")
        print(f"{group}{d.factor} ({d.comparison}): " + _(
            "rating %(difference)s [%(low)s, %(high)s], d %(d)s, Cliff's delta %(delta)s, n %(n)s") % {
            "difference": f"{d.difference:+.2f}", "low": f"{d.ci_low:+.2f}", "high": f"{d.ci_high:+.2f}",
            "d": _num(d.cohens_d, "+.2f"), "delta": f"{d.cliffs_delta:+.2f}", "n": f"{d.n_exposed}/{d.n_reference}"}
            + adjusted)
    too_few = sum(not d.enough_calls for d in drivers)
    if too_few:
        print(language.ngettext("%(num)d comparison has too few rated calls to estimate",
                                "%(num)d comparisons have too few rated calls to estimate", too_few) % {"num": too_few})
    return 0


def _num(value: float | None, spec: str) -> str:
    width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
    return format(value, spec) if value is not None else "-".rjust(int(width or 1))


def add_commands(sub: argparse._SubParsersAction) -> None:
    from ingest.surveys import SOURCES

    surveys = sub.add_parser("surveys", help=_("post-call survey results and personal-account comments")) \
        .add_subparsers(dest="surveys_command", required=True)
    imp = surveys.add_parser("import", help=_("import a CSV/JSON file, or every such file in a drop folder "
                                            "(moved to done/ with a report of rejected rows)"))
    imp.add_argument("path", type=Path, metavar="FOLDER|FILE")
    imp.add_argument("--db", type=Path, required=True)
    imp.add_argument("--source", choices=SOURCES, default="post_call")
    imp.add_argument("--show-rejects", type=int, default=5, help=_("rejected rows to print per file (default 5)"))
    imp.add_argument("--no-progress", action="store_true")
    imp.set_defaults(func=cmd_surveys_import)

    serve = surveys.add_parser("serve", help=_("run the survey intake endpoint (POST /api/surveys) on its own"))
    serve.add_argument("--db", type=Path, required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8300)
    serve.set_defaults(func=cmd_surveys_serve)

    clients = sub.add_parser("survey-clients", help=_("systems allowed to push survey results")) \
        .add_subparsers(dest="clients_command", required=True)
    add = clients.add_parser("add", help=_("register a client and print its token once"))
    add.add_argument("name")
    add.add_argument("--db", type=Path, required=True)
    add.set_defaults(func=cmd_survey_clients_add)
    revoke = clients.add_parser("revoke", help=_("stop accepting a client's token"))
    revoke.add_argument("name")
    revoke.add_argument("--db", type=Path, required=True)
    revoke.set_defaults(func=cmd_survey_clients_revoke)

    kpis = sub.add_parser("kpis", help=_("weekly KPIs: resolution time, repeat calls, first-call resolution, "
                                       "satisfaction, script compliance"))
    kpis.add_argument("--db", type=Path, required=True)
    kpis.add_argument("--weeks", type=int, help=_("only the last N weeks"))
    kpis.set_defaults(func=cmd_kpis)

    drivers = sub.add_parser("drivers", help=_("checklist items and metrics that go with low survey ratings"))
    drivers.add_argument("--db", type=Path, required=True)
    drivers.add_argument("--by", choices=("topic", "operator"))
    drivers.add_argument("--limit", type=int, default=15)
    drivers.set_defaults(func=cmd_drivers)
