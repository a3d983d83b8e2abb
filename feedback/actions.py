"""Corrective actions: what may change an action's status, and its outcome — how often its problem came up
before the action against after it was done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

STATUSES = ("planned", "in_progress", "done", "dropped")
FINAL = ("done", "dropped")


@dataclass(frozen=True)
class ActionEvent:
    status: str
    owner: str
    due_date: date
    note: str | None
    effective_on: date


@dataclass(frozen=True)
class CorrectiveAction:
    action_id: int
    problem_id: str
    title: str
    owner: str
    due_date: date
    status: str
    started_on: date
    history: tuple[ActionEvent, ...]

    @property
    def done_on(self) -> date | None:
        return next((e.effective_on for e in reversed(self.history) if e.status == "done"), None)

    def overdue(self, today: date) -> bool:
        return self.status not in FINAL and self.due_date < today


@dataclass(frozen=True)
class Outcome:
    """The problem's calls per week in the weeks before the action started and since it was done."""

    weeks_before: float
    calls_before: int
    weeks_after: float
    calls_after: int

    @property
    def weekly_before(self) -> float:
        return self.calls_before / self.weeks_before if self.weeks_before else 0.0

    @property
    def weekly_after(self) -> float | None:
        return self.calls_after / self.weeks_after if self.weeks_after else None

    @property
    def change(self) -> float | None:
        """Relative change of the weekly volume: -0.4 is 40 % fewer calls a week; None until there is an after."""
        after = self.weekly_after
        if after is None or not self.weekly_before:
            return None
        return round(after / self.weekly_before - 1, 3)


def check_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise ValueError(f"a corrective action needs {what}")
    return value.strip()


def check_change(current: str, new: str) -> None:
    """Statuses move forward; a finished action is not reopened (a new action is added instead, so the
    outcome of the old one stays what it was)."""
    if new not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {new!r}")
    if current in FINAL and new != current:
        raise ValueError(f"the action is {current}; add a new action instead of reopening it")
    if STATUSES.index(new) < STATUSES.index(current):
        raise ValueError(f"status cannot go back from {current} to {new}")
