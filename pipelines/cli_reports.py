"""`hotline-qc` commands of the improvement loop: the problem register, corrective actions, script pilots and the
weekly management report."""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import language
from language import gettext as _


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(_("database %(path)s does not exist; run `hotline-qc process` first") % {"path": path})
    return path


def _database(path: Path):
    from storage.db import Database

    return Database(_require(path))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a date (YYYY-MM-DD): %(text)r") % {"text": text}) from None


def cmd_problems(args) -> int:
    from pipelines.problem_register import rebuild_problems
    from storage import improvement as store

    with _database(args.db) as db:
        ranked = rebuild_problems(db, args.as_of, args.window_days)
        open_actions = {}
        for action in store.actions(db):
            if action.status in ("planned", "in_progress"):
                open_actions[action.problem_id] = open_actions.get(action.problem_id, 0) + 1
    if not ranked:
        print(_("no problems: no calls in the window, or none above the rule's thresholds"))
        return 0
    lang = language.current()
    print(language.ngettext("%(num)d problem over the %(days)d days to %(date)s",
                            "%(num)d problems over the %(days)d days to %(date)s", len(ranked))
          % {"num": len(ranked), "days": ranked[0].window_days, "date": lang.date(ranked[0].as_of)}
          + _("; points are volume + satisfaction effect + growth (0-2 each)"))
    urgency, problem, calls, share, before, effect, points, open_, title = (
        _("urgency"), _("problem"), _("calls"), _("share"), _("before"), _("effect"), _("points"), _("open actions"),
        _("title"))
    print(f"{urgency:11} {problem:22} {calls:>6} {share:>7} {before:>6} {effect:>7} {points:>8} {open_:>16}  {title}")
    for p in ranked:
        print(f"{lang.label(p.urgency):11} {p.problem_id[:22]:22} {p.calls:6} {lang.percent(p.share):>7} "
              f"{p.previous_calls:6} {lang.signed(p.rating_effect):>7} "
              f"{p.volume_points}+{p.effect_points}+{p.growth_points}={p.points} {open_actions.get(p.problem_id, 0):16}"
              f"  {p.title}")
    return 0


def _print_action(action, outcome=None) -> None:
    lang = language.current()
    print(_("#%(id)s [%(status)s] %(title)s — %(owner)s, due %(date)s, problem %(problem)s") % {
        "id": action.action_id, "status": lang.label(action.status), "title": action.title, "owner": action.owner,
        "date": lang.date(action.due_date), "problem": action.problem_id})
    for event in action.history:
        note = f": {event.note}" if event.note else ""
        print("    " + _("%(on)s %(status)s (%(owner)s, due %(date)s)") % {
            "on": lang.date(event.effective_on), "status": lang.label(event.status), "owner": event.owner,
            "date": lang.date(event.due_date)} + note)
    if outcome is not None:
        after = (_("%(calls)s a week since done (%(change)s)") % {
            "calls": lang.number(outcome.weekly_after), "change": lang.signed(100 * outcome.change, 0) + " %"}
                 if outcome.weekly_after is not None and outcome.change is not None else _("not done yet"))
        print("    " + _("outcome: %(calls)s calls a week before, %(after)s") % {
            "calls": lang.number(outcome.weekly_before), "after": after})


def cmd_actions_add(args) -> int:
    from pipelines.problem_register import add_action

    with _database(args.db) as db:
        action = add_action(db, args.problem, args.title, args.owner, args.due, started_on=args.started, note=args.note)
    _print_action(action)
    return 0


def cmd_actions_update(args) -> int:
    from pipelines.problem_register import update_action

    with _database(args.db) as db:
        action = update_action(db, args.action_id, status=args.status, owner=args.owner, due_date=args.due,
                               note=args.note, on=args.on)
    _print_action(action)
    return 0


def cmd_actions_list(args) -> int:
    from pipelines.problem_register import action_outcome
    from storage import improvement as store

    with _database(args.db) as db:
        listed = store.actions(db, problem_id=args.problem)
        if not listed:
            print(_("no corrective actions"))
        for action in listed:
            _print_action(action, action_outcome(db, action))
    return 0


def cmd_pilots_add(args) -> int:
    from scoring.script import load_script, parse_script
    from storage import pilots as pilot_store
    from storage.scores import save_script

    piloted = load_script(args.script)
    with _database(args.db) as db:
        adopted = pilot_store.adopted_script_text(db)
        control = parse_script(adopted, source="adopted script") if adopted else load_script()
        if piloted.name != control.name or piloted.version == control.version:
            raise ValueError(_("a pilot needs a new version of %(name)s (in force: %(version)s); %(path)s is "
                               "%(its_name)s %(its_version)s") % {
                "name": control.name, "version": control.version, "path": args.script, "its_name": piloted.name,
                "its_version": piloted.version})
        save_script(db, control)
        save_script(db, piloted)
        pilot_store.save_pilot(db, pilot_store.Pilot(args.pilot_id, piloted.name, piloted.version, control.version,
                                         tuple(args.operators), args.share, args.start, args.end))
    lang = language.current()
    print(_("pilot %(id)s: %(name)s %(version)s against %(control)s from %(start)s, operators %(operators)s, "
            "%(share)s of other calls") % {
        "id": args.pilot_id, "name": piloted.name, "version": piloted.version, "control": control.version,
        "start": lang.date(args.start), "operators": ", ".join(args.operators) or _("none"),
        "share": lang.percent(args.share, 0)})
    return 0


def _analysis(db, pilot_id: str):
    from feedback.pilots import analyse
    from pipelines.pilots import pilot_calls
    from storage import pilots as pilot_store

    pilot = pilot_store.pilot(db, pilot_id)
    return analyse(pilot, pilot_calls(db, pilot.started_on, pilot.ended_on))


def _print_analysis(analysis) -> None:
    lang = language.current()
    print(_("pilot %(id)s: %(pilot)s, %(control)s, %(left_out)s scored with another version left out") % {
        "id": analysis.pilot_id,
        "pilot": language.ngettext("%(num)d pilot call", "%(num)d pilot calls", analysis.pilot_calls)
        % {"num": analysis.pilot_calls},
        "control": language.ngettext("%(num)d control call", "%(num)d control calls", analysis.control_calls)
        % {"num": analysis.control_calls},
        "left_out": analysis.left_out})
    for c in analysis.comparisons:
        if c.difference is None:
            print(f"  {c.metric:20} " + _("no data (%(pilot)s pilot, %(control)s control)")
                  % {"pilot": c.pilot_n, "control": c.control_n})
            continue
        held = (" " + _("(Holm %(p)s)") % {"p": f"{c.p_adjusted:.3g}"}) if c.p_adjusted is not None else ""
        print(f"  {c.metric:20} " + _("%(pilot)s vs %(control)s: %(difference)s [%(low)s, %(high)s] %(test)s p=%(p)s"
                                      "%(held)s; %(needed)s calls/arm needed: %(verdict)s") % {
            "pilot": c.pilot_value, "control": c.control_value, "difference": f"{c.difference:+}", "low": c.ci_low,
            "high": c.ci_high, "test": c.test, "p": f"{c.p_value:.3g}", "held": held, "needed": c.needed_per_arm,
            "verdict": lang.label(c.verdict)})
    print(_("recommendation: %(what)s (%(why)s)") % {"what": lang.label(analysis.recommendation),
                                                     "why": analysis.reason})


def cmd_pilots_analyse(args) -> int:
    with _database(args.db) as db:
        _print_analysis(_analysis(db, args.pilot_id))
    return 0


def cmd_pilots_decide(args) -> int:
    from dataclasses import asdict

    from storage import pilots as pilot_store

    with _database(args.db) as db:
        analysis = _analysis(db, args.pilot_id)
        pilot_store.record_decision(db, args.pilot_id, args.decision, asdict(analysis), note=args.note)
    _print_analysis(analysis)
    print(_("decision recorded: %(decision)s") % {"decision": language.current().label(args.decision)}
          + (_(" (its version is now the default for scoring)") if args.decision == "adopt" else ""))
    return 0


def cmd_weekly_report(args) -> int:
    from rich.console import Console

    from pipelines.cli_checks import require_db
    from pipelines.report_flows import weekly_report

    require_db(args.db)
    with Console(stderr=True).status(_("building the weekly report: register, KPIs, pilots, charts, PDF")):
        paths = weekly_report(db_path=args.db, out_dir=args.out, as_of=args.as_of, lang=language.current().code)
    print(_("report for the week of %(date)s: %(html)s") % {"date": language.current().date(paths.week_start),
                                                            "html": paths.html})
    print("    " + language.ngettext("%(path)s (%(num)d page)", "%(path)s (%(num)d pages)", paths.pages)
          % {"path": paths.pdf, "num": paths.pages})
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    problems = sub.add_parser("problems", help=_("rebuild and show the problem register, most urgent first"))
    problems.add_argument("--db", type=Path, required=True)
    problems.add_argument("--as-of", type=_day, help=_("last day of the window (default: the latest call's day)"))
    problems.add_argument("--window-days", type=int, default=28)
    problems.set_defaults(func=cmd_problems)

    actions = sub.add_parser("actions", help=_("corrective actions for problems of the register")) \
        .add_subparsers(dest="actions_command", required=True)
    add = actions.add_parser("add", help=_("plan a corrective action"))
    add.add_argument("--db", type=Path, required=True)
    add.add_argument("--problem", required=True, help=_("problem id from `hotline-qc problems`"))
    add.add_argument("--title", required=True)
    add.add_argument("--owner", required=True)
    add.add_argument("--due", type=_day, required=True)
    add.add_argument("--started", type=_day, help=_("day its outcome is measured from (default today)"))
    add.add_argument("--note")
    add.set_defaults(func=cmd_actions_add)
    update = actions.add_parser("update", help=_("change an action's status, owner or due date"))
    update.add_argument("action_id", type=int)
    update.add_argument("--db", type=Path, required=True)
    update.add_argument("--status", choices=("planned", "in_progress", "done", "dropped"))
    update.add_argument("--owner")
    update.add_argument("--due", type=_day)
    update.add_argument("--note")
    update.add_argument("--on", type=_day, help=_("day the change took effect (default today)"))
    update.set_defaults(func=cmd_actions_update)
    listing = actions.add_parser("list", help=_("actions with their history and outcome"))
    listing.add_argument("--db", type=Path, required=True)
    listing.add_argument("--problem")
    listing.set_defaults(func=cmd_actions_list)

    pilots = sub.add_parser("pilots", help=_("pilot a new script version against the one in force")) \
        .add_subparsers(dest="pilots_command", required=True)
    start = pilots.add_parser("add", help=_("start a pilot of a script YAML on chosen operators or a share of calls"))
    start.add_argument("pilot_id")
    start.add_argument("--db", type=Path, required=True)
    start.add_argument("--script", type=Path, required=True)
    start.add_argument("--operators", type=lambda s: [o for o in s.split(",") if o], default=[],
                       help=_("comma-separated operator ids whose every call is in the pilot"))
    start.add_argument("--share", type=float, default=0.0, help=_("share of other calls in the pilot (0-1)"))
    start.add_argument("--start", type=_day, default=date.today())
    start.add_argument("--end", type=_day)
    start.set_defaults(func=cmd_pilots_add)
    analyse = pilots.add_parser("analyse", help=_("compare pilot and control calls"))
    analyse.add_argument("pilot_id")
    analyse.add_argument("--db", type=Path, required=True)
    analyse.set_defaults(func=cmd_pilots_analyse)
    decide = pilots.add_parser("decide", help=_("record adopt, extend or reject with the analysis it rests on"))
    decide.add_argument("pilot_id")
    decide.add_argument("--db", type=Path, required=True)
    decide.add_argument("--decision", choices=("adopt", "extend", "reject"), required=True)
    decide.add_argument("--note")
    decide.set_defaults(func=cmd_pilots_decide)

    report = sub.add_parser("weekly-report", help=_("build the management report (HTML and PDF with charts)"))
    report.add_argument("--db", type=Path, required=True)
    report.add_argument("--out", type=Path, required=True)
    report.add_argument("--as-of", type=_day, help=_("the report's last day (default: the latest call's day)"))
    report.set_defaults(func=cmd_weekly_report)
