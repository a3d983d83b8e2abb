"""What the weekly management report shows: KPI trends, the most urgent problems with their corrective actions,
pilot results, satisfaction drivers and the operators to coach."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from feedback.kpis import WeeklyKpis
from feedback.pilots import PilotAnalysis
from feedback.records import CorrectiveAction, Outcome, Pilot, RankedProblem
from feedback.satisfaction import Driver
from storage.improvement import OperatorCompliance


@dataclass(frozen=True)
class ProblemWithActions:
    problem: RankedProblem
    actions: tuple[tuple[CorrectiveAction, Outcome], ...]


@dataclass(frozen=True)
class PilotResult:
    pilot: Pilot
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
    coaching: tuple[OperatorCompliance, ...]

    @property
    def this_week(self) -> WeeklyKpis | None:
        return self.kpis[-1] if self.kpis else None

    @property
    def last_week(self) -> WeeklyKpis | None:
        return self.kpis[-2] if len(self.kpis) > 1 else None
