"""What the weekly management report shows, gathered from the database in one place: KPI trends, the most urgent
problems with their corrective actions, pilot results, satisfaction drivers and the operators to coach."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from feedback.actions import CorrectiveAction, Outcome
from feedback.kpis import WeeklyKpis, weekly_kpis
from feedback.pilots import PilotAnalysis, analyse
from feedback.problems import RankedProblem
from feedback.register import action_outcome, rebuild_problems
from feedback.satisfaction import Driver, satisfaction_drivers
from storage import improvement as store
from storage import pilots as pilot_store
from storage.db import Database

TREND_WEEKS = 12
TOP_PROBLEMS = 8
COACHING_WEEKS = 4
COACHING_OPERATORS = 8
TOP_DRIVERS = 5


@dataclass(frozen=True)
class ProblemWithActions:
    problem: RankedProblem
    actions: tuple[tuple[CorrectiveAction, Outcome], ...]


@dataclass(frozen=True)
class PilotResult:
    pilot: pilot_store.Pilot
    analysis: PilotAnalysis
    decision: str | None  # the latest recorded decision


@dataclass(frozen=True)
class ReportData:
    as_of: date
    week_start: date
    kpis: tuple[WeeklyKpis, ...]
    problems: tuple[ProblemWithActions, ...]
    problem_count: int
    overdue_actions: int
    pilots: tuple[PilotResult, ...]
    drivers: tuple[Driver, ...]
    coaching: tuple[store.OperatorCompliance, ...]

    @property
    def this_week(self) -> WeeklyKpis | None:
        return self.kpis[-1] if self.kpis else None

    @property
    def last_week(self) -> WeeklyKpis | None:
        return self.kpis[-2] if len(self.kpis) > 1 else None


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
        PilotResult(p, analyse(p, pilot_store.pilot_calls(db, p.started_on, min(p.ended_on or as_of, as_of))),
                    latest_decision.get(p.pilot_id))
        for p in pilot_store.pilots(db) if p.started_on <= as_of
    )
    drivers = tuple(d for d in satisfaction_drivers(db) if d.enough_calls and d.difference is not None
                    and d.difference < 0)[:TOP_DRIVERS]
    coaching = tuple(store.operator_compliance(db, until - timedelta(weeks=COACHING_WEEKS), until)[:COACHING_OPERATORS])
    kpis = tuple(k for k in weekly_kpis(db) if k.week_start <= as_of)[-TREND_WEEKS:]
    return ReportData(as_of, as_of - timedelta(days=as_of.weekday()), kpis, problems, len(ranked), overdue, pilots,
                      drivers, coaching)
