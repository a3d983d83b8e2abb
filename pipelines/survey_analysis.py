"""The feedback loop's yardsticks and satisfaction drivers over what the database holds."""
from __future__ import annotations

from feedback.kpis import WeeklyKpis, kpis_by_week
from feedback.satisfaction import Driver, drivers_of
from storage.call_outcomes import kpi_calls, rated_calls
from storage.db import Database


def weekly_kpis(db: Database, weeks: int | None = None) -> list[WeeklyKpis]:
    """One row per week, oldest first (feedback.kpis.kpis_by_week)."""
    return kpis_by_week(kpi_calls(db), weeks)


def satisfaction_drivers(db: Database, by: str | None = None) -> list[Driver]:
    """Drivers over all rated calls or within each topic or operator (feedback.satisfaction.drivers_of)."""
    return drivers_of(rated_calls(db), by)
