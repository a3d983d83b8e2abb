"""Corrective actions: what a new action needs and what may change an action's status."""
from __future__ import annotations

from datetime import date

from feedback.records import FINAL, STATUSES, CorrectiveAction


def check_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise ValueError(f"a corrective action needs {what}")
    return value.strip()


def changed(action: CorrectiveAction, status: str | None, owner: str | None, due_date: date | None,
            note: str | None) -> tuple[str, str, date]:
    """The action's (status, owner, due date) after a change; a change must change something or say why (`note`)."""
    new_status = status or action.status
    check_change(action.status, new_status)
    new_owner = check_text(owner, "an owner") if owner is not None else action.owner
    new_due = due_date or action.due_date
    if (new_status, new_owner, new_due) == (action.status, action.owner, action.due_date) and not note:
        raise ValueError("nothing to change: give a status, owner, due date or note")
    return new_status, new_owner, new_due


def check_change(current: str, new: str) -> None:
    """Statuses move forward; a finished action is not reopened (a new action is added instead, so the
    outcome of the old one stays what it was)."""
    if new not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {new!r}")
    if current in FINAL and new != current:
        raise ValueError(f"the action is {current}; add a new action instead of reopening it")
    if STATUSES.index(new) < STATUSES.index(current):
        raise ValueError(f"status cannot go back from {current} to {new}")
