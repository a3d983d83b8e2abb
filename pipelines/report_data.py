"""The weekly management report's data (dashboards.reports.records), gathered from the database in one place."""
from __future__ import annotations

from datetime import date, timedelta

from dashboards.reports.records import PilotResult, ProblemWithActions, ReportData
from feedback.pilots import analyse
from feedback.records import CorrectiveAction
from pipelines.pilots import pilot_calls
from pipelines.problem_register import action_outcome, rebuild_problems
from pipelines.survey_analysis import satisfaction_drivers, weekly_kpis
from storage import improvement as store
from storage import pilots as pilot_store
from storage.db import Database

TREND_WEEKS = 12
TOP_PROBLEMS = 8
COACHING_WEEKS = 4
COACHING_OPERATORS = 8
TOP_DRIVERS = 5


def gather(db: Database, as_of: date | None = None) -> ReportData:
    """Everything for the report of the week ending `as_of` (default: the latest call's day); rebuilds the problem
    register first so the report and `hotline-qc problems` agree."""
    as_of = as_of or store.latest_call_day(db) or date.today()
    ranked = rebuild_problems(db, as_of)
    actions_by_problem: dict[str, list[CorrectiveAction]] = {}
    for action in store.actions(db):
        actions_by_problem.setdefault(action.problem_id, []).append(action)
    until = as_of + timedelta(days=1)
    problems = tuple(
        ProblemWithActions(p, tuple((a, action_outcome(db, a, until)) for a in actions_by_problem.get(p.problem_id, ())))
        for p in ranked[:TOP_PROBLEMS]
    )
    overdue = sum(a.overdue(as_of) for listed in actions_by_problem.values() for a in listed)
    latest_decision = {d.pilot_id: d.decision for d in pilot_store.decisions(db)}
    pilots = tuple(
        PilotResult(p, analyse(p, pilot_calls(db, p.started_on, min(p.ended_on or as_of, as_of))),
                    latest_decision.get(p.pilot_id))
        for p in pilot_store.pilots(db) if p.started_on <= as_of
    )
    drivers = tuple(d for d in satisfaction_drivers(db) if d.enough_calls and d.difference is not None
                    and d.difference < 0)[:TOP_DRIVERS]
    coaching = tuple(store.operator_compliance(db, until - timedelta(weeks=COACHING_WEEKS), until)[:COACHING_OPERATORS])
    kpis = tuple(k for k in weekly_kpis(db) if k.week_start <= as_of)[-TREND_WEEKS:]
    return ReportData(as_of, as_of - timedelta(days=as_of.weekday()), kpis, problems, len(ranked), overdue, pilots,
                      drivers, coaching)
