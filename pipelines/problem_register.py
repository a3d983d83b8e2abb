"""Keeping the problem register and the outcomes of its corrective actions up to date from the database."""
from __future__ import annotations

from datetime import date, timedelta

from feedback.actions import changed, check_text
from feedback.problems import WINDOW_DAYS, rank_all
from feedback.records import CorrectiveAction, Outcome, RankedProblem, UrgencyRule
from storage import improvement as store
from storage.db import Database


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


def add_action(db: Database, problem_id: str, title: str, owner: str, due_date: date, *,
               started_on: date | None = None, note: str | None = None) -> CorrectiveAction:
    """A planned corrective action for a problem of the register; `started_on` (default today) is the day from
    which its outcome is measured."""
    return store.add_action(db, problem_id, check_text(title, "a title"), check_text(owner, "an owner"), due_date,
                            started_on or date.today(), note)


def update_action(db: Database, action_id: int, *, status: str | None = None, owner: str | None = None,
                  due_date: date | None = None, note: str | None = None, on: date | None = None) -> CorrectiveAction:
    """Change an action's status, owner or due date; every change is kept in its history with `note`."""
    found = store.actions(db, action_id=action_id)
    if not found:
        raise KeyError(f"no corrective action {action_id}")
    status, owner, due_date = changed(found[0], status, owner, due_date, note)
    return store.save_action_change(db, action_id, found[0].status, status, owner, due_date, note, on or date.today())
