"""What the feedback loop works on: each call as it reads it (when it was, whether it repeated an earlier call, how
it was scored, what the caller said in the post-call survey), script pilots with their calls, problems of the
register and the corrective actions taken on them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# a corrective action's statuses, in the order it moves through them
STATUSES = ("planned", "in_progress", "done", "dropped")
FINAL = ("done", "dropped")


@dataclass(frozen=True)
class KpiCall:
    call_id: str
    started_at: datetime  # in the regional centre's local time: its week is the week the call counts in
    duration_s: float | None
    repeat_of: str | None
    request_open: bool  # a request registered on this call is not closed yet
    request_closed_at: datetime | None
    rating: int | None  # the latest post-call survey answer for the call, if any
    resolved: bool | None
    score: float | None  # 0-100 with analysts' overrides applied; None when not scored or no item applied
    critical_failure: bool | None  # None when not scored


@dataclass(frozen=True)
class RatedCall:
    """A scored call with a post-call rating: what satisfaction drivers compare."""

    call_id: str
    operator_id: str | None
    topic: str | None
    rating: int
    verdicts: dict[str, str]  # item id -> passed | failed | not_applicable, overrides applied
    metrics: dict[str, float | None]


@dataclass(frozen=True)
class Pilot:
    pilot_id: str
    script_name: str
    script_version: str
    control_version: str
    operators: tuple[str, ...]
    share: float
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True)
class PilotDecision:
    pilot_id: str
    decision: str
    note: str | None
    analysis: dict
    decided_at: datetime


@dataclass(frozen=True)
class PilotCall:
    """A call as pilot analysis sees it: its arm's inputs and the outcomes compared."""

    call_id: str
    operator_id: str | None
    started_at: datetime
    script_version: str | None  # the version the call's stored score was made with
    score: float | None
    rating: float | None  # mean survey rating; None when not surveyed
    # filled from the repeat calls found (feedback.pilots.with_repeats)
    repeated: bool = False  # the caller called again about it
    resolution_hours: float = 0.0  # from this call to the last repeat call about it; 0 when there was none


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


@dataclass(frozen=True)
class ProblemStats:
    """What storage counted for one candidate problem in the window ending at `as_of` and the window before."""

    problem_id: str
    kind: str
    source_key: str
    title: str
    calls: int
    previous_calls: int
    applicable_calls: int | None  # checklist items: calls where the item applied; None for other kinds
    rated_calls: int
    rating_sum: float


@dataclass(frozen=True)
class WindowTotals:
    calls: int
    rated_calls: int
    rating_sum: float


@dataclass(frozen=True)
class UrgencyRule:
    share_high: float = 0.10  # 2 volume points from this share of the window's calls
    share_medium: float = 0.03
    effect_high: float = -1.0  # 2 effect points when its calls are rated this many stars lower than the rest
    effect_medium: float = -0.3
    growth_high: float = 1.5  # 2 growth points when calls grew by this factor on the window before
    growth_medium: float = 1.2
    growth_min_calls: int = 5  # fewer calls than this never count as growth (2 calls after 1 is noise)
    min_rated_calls: int = 5  # an effect needs this many rated calls of the problem
    topic_effect: float = -0.3  # a topic is a problem when its calls are rated at least this much lower
    item_failure_rate: float = 0.15  # a checklist item is a problem when it fails this often where it applies
    min_calls: int = 3  # a candidate with fewer calls in the window is not a problem


@dataclass(frozen=True)
class RankedProblem:
    problem_id: str
    kind: str
    source_key: str
    title: str
    as_of: date
    window_days: int
    calls: int
    share: float
    previous_calls: int
    growth: float | None
    rating_effect: float | None
    rated_calls: int
    volume_points: int
    effect_points: int
    growth_points: int
    urgency: str

    @property
    def points(self) -> int:
        return self.volume_points + self.effect_points + self.growth_points
