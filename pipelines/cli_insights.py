"""`hotline-qc cluster-complaints` and `hotline-qc insights …`: the periodic flow by hand, its reports, topic re-labels."""
from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

import language
from language import gettext as _

REPORTS = ("clusters", "repeats", "routing", "deadlines")
RELABEL = "relabel"
GROUPINGS = ("topic", "operator", "week")


def add_commands(sub) -> None:
    cc = sub.add_parser("cluster-complaints",
                        help=_("analyse new calls, add their complaints to the clusters and link repeat calls"))
    cc.add_argument("--db", type=Path, required=True)
    cc.add_argument("--full-recluster", action="store_true",
                    help=_("group every complaint afresh (clusters that match old ones keep their ids)"))
    cc.set_defaults(func=cmd_cluster_complaints)

    ins = sub.add_parser("insights", help=_("complaint clusters, repeat calls, misrouting or request deadlines; "
                                          "`relabel` corrects a call's topic"))
    ins.add_argument("report", choices=(*REPORTS, RELABEL))
    ins.add_argument("--db", type=Path, required=True)
    ins.add_argument("--by", choices=GROUPINGS, action="append",
                     help=_("repeats: group by topic, operator or week (repeatable; default all three)"))
    ins.add_argument("--as-of", type=_moment, help=_("judge trends and deadlines at this ISO time (default now)"))
    ins.add_argument("--call-id", help=_("relabel: the call whose topic is wrong"))
    ins.add_argument("--topic", help=_("relabel: the right topic id from the catalogue (insights/topics.yaml)"))
    ins.add_argument("--analyst", help=_("relabel: who corrects it"))
    ins.add_argument("--reason", help=_("relabel: why (optional)"))
    ins.set_defaults(func=cmd_insights)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not an ISO date or time: %(text)r") % {"text": text}) from None
    return moment if moment.tzinfo else moment.astimezone()


def cmd_cluster_complaints(args) -> int:
    from pipelines.cli_checks import require_db

    require_db(args.db)
    from pipelines.insights_flows import cluster_complaints

    summary = cluster_complaints(db_path=args.db, full_recluster=args.full_recluster)
    run = summary.clustering
    how = (_("%(num)d complaints re-clustered") if run.kind == "recluster" else _("%(num)d complaints clustered")) % {
        "num": run.calls}
    print(_("%(analysed)d new calls analysed; %(how)s; %(clusters)d clusters (%(emerging)d emerging); "
            "%(repeats)d repeat calls") % {"analysed": summary.analysed, "how": how, "clusters": run.clusters,
                                           "emerging": len(run.emerging), "repeats": summary.repeat_calls})
    return 0


def cmd_insights(args) -> int:
    from pipelines.cli_checks import require_db
    from storage.db import Database

    require_db(args.db)
    if args.report == RELABEL:
        return cmd_relabel(args)
    console = Console()
    with Database(args.db) as db:
        for table in _REPORTS[args.report](db, args):
            console.print(table)
    return 0


def cmd_relabel(args) -> int:
    """The analyst's topic becomes the call's, and the next `cluster-complaints` learns from it."""
    from insights.catalogue import default_catalogue
    from pipelines.cli_checks import UsageError
    from pipelines.insights_steps import relabel_call_topic
    from storage.db import Database

    missing = [f"--{name.replace('_', '-')}" for name in ("call_id", "topic", "analyst") if not getattr(args, name)]
    if missing:
        raise UsageError(_("insights relabel needs %(options)s") % {"options": ", ".join(missing)})
    try:
        with Database(args.db) as db:
            relabel_call_topic(db, args.call_id, args.topic, args.analyst, args.reason)
    except KeyError:
        raise UsageError(_("call %(call)s has no topic yet; run `hotline-qc cluster-complaints` first")
                         % {"call": args.call_id}) from None
    print(_("call %(call)s: topic %(topic)s (%(name)s); the classifier learns from it on the next "
            "cluster-complaints run") % {"call": args.call_id, "topic": args.topic,
                                         "name": default_catalogue().topics[args.topic].name})
    return 0


def cluster_table(db, as_of: datetime | None = None) -> Table:
    from pipelines.insights_steps import cluster_report

    table = Table(title=_("Complaint clusters, largest first"))
    for column in (_("cluster"), _("calls"), _("last 4 weeks")):
        table.add_column(column, justify="right", no_wrap=True)
    for column in (_("keywords"), _("representative quote")):
        table.add_column(column, overflow="fold")
    for row in cluster_report(db, now=as_of):
        weeks = " ".join(str(n) for _week, n in row.trend.weeks[-4:]) if row.trend else ""
        flag = f" [bold red]{_('emerging')}[/]" if row.trend and row.trend.emerging else ""
        table.add_row(str(row.label.cluster_id), str(row.size), weeks + flag, row.label.title, row.label.quote)
    if not table.rows:
        table.caption = _("no clusters yet: run `hotline-qc cluster-complaints`")
    return table


def _clusters(db, args) -> list[Table]:
    return [cluster_table(db, args.as_of)]


def _repeats(db, args) -> list[Table]:
    from pipelines.insights_steps import repeat_report

    tables = []
    for by in args.by or GROUPINGS:
        table = Table(title=_("Repeat calls and first-call resolution (FCR) by %(group)s") % {
                          "group": language.current().label(by)},
                      caption=_("open: first calls still inside their window, left out of FCR"))
        table.add_column(language.current().label(by), no_wrap=True)
        for column in (_("calls"), _("repeats"), _("rate"), _("first calls"), _("resolved"), _("open"), _("FCR")):
            table.add_column(column, justify="right")
        for r in repeat_report(db, by, as_of=args.as_of):
            fcr = r.first_call_resolution
            table.add_row(r.group, str(r.calls), str(r.repeats), f"{r.repeat_rate:.1%}", str(r.first_calls),
                          str(r.resolved_first_time), str(r.pending), "-" if fcr is None else f"{fcr:.1%}")
        tables.append(table)
    return tables


def _routing(db, args) -> list[Table]:
    from insights.catalogue import default_catalogue
    from pipelines.insights_steps import routing_report

    table = Table(title=_("Misrouting per IVR branch (the call's topic does not belong to the branch chosen)"))
    for column in (_("branch"), _("calls"), _("misrouted"), _("rate")):
        table.add_column(column)
    branches = default_catalogue().ivr_branches
    for r in routing_report(db):
        table.add_row(f"{r.ivr_branch} {branches.get(r.ivr_branch, '')}", str(r.calls), str(r.misrouted),
                      f"{r.misrouting_rate:.1%}")
    return [table]


def _deadlines(db, args) -> list[Table]:
    from pipelines.insights_steps import deadline_report

    due_soon, overdue = deadline_report(db, now=args.as_of)
    tables = []
    lang = language.current()
    for title, requests in ((_("Overdue requests"), overdue), (_("Requests due within a day"), due_soon)):
        table = Table(title=title)
        for column in (_("call"), _("request number"), _("type"), _("registered"), _("due")):
            table.add_column(column, overflow="fold")
        for r in requests:
            table.add_row(r.call_id, r.number or "-", r.request_type, lang.datetime(r.registered_at),
                          lang.datetime(r.due_at) + (" " + _("(extended)") if r.extended else ""))
        if not requests:
            table.caption = _("none")
        tables.append(table)
    return tables


_REPORTS = {"clusters": _clusters, "repeats": _repeats, "routing": _routing, "deadlines": _deadlines}
