"""Keeping the problem register and the outcomes of its corrective actions up to date from the database."""
from __future__ import annotations

from datetime import date, timedelta

from feedback.actions import CorrectiveAction, Outcome
from feedback.problems import RankedProblem, UrgencyRule, rank_all
from storage import improvement as store
from storage.db import Database

WINDOW_DAYS = 28


def rebuild_problems(db: Database, as_of: date | None = None, window_days: int = WINDOW_DAYS,
                     rule: UrgencyRule = UrgencyRule()) -> list[RankedProblem]:
    """Rank every candidate over the window ending `as_of` (default: the day of the latest call) and store the
    register; an empty database gives an empty register."""
    if window_days < 1:
        raise ValueError(f"the window must be at least one day, got {window_days}")
    as_of = as_of or store.latest_call_day(db)
    if as_of is None:
        return []
    candidates, totals = store.problem_candidates(db, as_of, window_days)
    ranked = rank_all(candidates, totals, as_of, window_days, rule)
    store.save_rankings(db, ranked, as_of, rule)
    return ranked


def action_outcome(db: Database, action: CorrectiveAction, until: date | None = None,
                   weeks_before: int = 4) -> Outcome:
    """The problem's calls per week in the `weeks_before` weeks before the action started against those from
    the day it was done up to `until` (default: the day after the latest call)."""
    until = until or (store.latest_call_day(db) or action.started_on) + timedelta(days=1)
    start = action.started_on - timedelta(weeks=weeks_before)
    before = store.problem_calls(db, action.problem_id, start, action.started_on)
    done_on = action.done_on
    if done_on is None or done_on >= until:
        return Outcome(float(weeks_before), before, 0.0, 0)
    after = store.problem_calls(db, action.problem_id, done_on, until)
    return Outcome(float(weeks_before), before, (until - done_on).days / 7, after)
