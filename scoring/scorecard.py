"""Scorecards: the weighted 0-100 score of a call, and what supervisors read from many calls — averages per
operator, team or regional centre by day, week or month with the change from the period before, and the
items each operator fails most (what to coach).

Analysts' overrides are already applied to the verdicts handed in here: a scorecard never sees an automatic
verdict an analyst corrected.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scoring.records import FAILED, NOT_APPLICABLE, PASSED, ItemVerdict

GROUPINGS = ("operator", "team", "regional_center")
PERIODS = ("day", "week", "month")


@dataclass(frozen=True)
class ItemOutcome:
    """The verdict a scorecard counts for one item of one call: the analyst's override if any, else the automatic one."""

    item_id: str
    verdict: str
    weight: float
    critical: bool
    overridden: bool = False


@dataclass(frozen=True)
class ScoredCall:
    call_id: str
    started_at: datetime | None  # in the regional centre's local time: its day is the day the operator worked
    operator_id: str | None
    team: str | None
    regional_center: str | None
    script_version: str
    items: tuple[ItemOutcome, ...]

    @property
    def score(self) -> float | None:
        return weighted_score(self.items)

    @property
    def critical_failures(self) -> tuple[str, ...]:
        return critical_failures(self.items)


@dataclass(frozen=True)
class ScorecardRow:
    group: str
    period_start: date
    calls: int
    mean_score: float | None
    critical_calls: int  # calls with at least one critical item failed
    critical_share: float
    trend: float | None  # mean score minus that of the group's previous period with calls


@dataclass(frozen=True)
class ItemFailures:
    item_id: str
    failed: int
    applicable: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.applicable if self.applicable else 0.0


def weighted_score(items: Iterable[ItemOutcome | ItemVerdict]) -> float | None:
    """Points of passed items over points of applicable ones; not applicable items neither add nor cost."""
    applicable = [i for i in items if i.verdict != NOT_APPLICABLE]
    possible = sum(i.weight for i in applicable)
    if not possible:
        return None
    return round(100.0 * sum(i.weight for i in applicable if i.verdict == PASSED) / possible, 1)


def critical_failures(items: Iterable[ItemOutcome | ItemVerdict]) -> tuple[str, ...]:
    return tuple(i.item_id for i in items if i.critical and i.verdict == FAILED)


def period_start(moment: datetime, period: str) -> date:
    day = moment.date()
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")


def scorecards(calls: Sequence[ScoredCall], by: str = "operator", period: str = "week") -> list[ScorecardRow]:
    """One row per group and period, oldest first within each group; calls of unknown group or time are left out."""
    if by not in GROUPINGS:
        raise ValueError(f"scorecards group by one of {', '.join(GROUPINGS)}, got {by!r}")
    cells: dict[tuple[str, date], list[ScoredCall]] = defaultdict(list)
    for call in calls:
        group = getattr(call, f"{by}_id" if by == "operator" else by)
        if group is None or call.started_at is None:
            continue
        cells[(group, period_start(call.started_at, period))].append(call)
    rows, previous = [], {}
    for (group, start), members in sorted(cells.items()):
        scores = [c.score for c in members if c.score is not None]
        mean = round(sum(scores) / len(scores), 1) if scores else None
        critical = sum(1 for c in members if c.critical_failures)
        before = previous.get(group)
        rows.append(ScorecardRow(
            group=group, period_start=start, calls=len(members), mean_score=mean, critical_calls=critical,
            critical_share=round(critical / len(members), 3),
            trend=round(mean - before, 1) if mean is not None and before is not None else None,
        ))
        if mean is not None:
            previous[group] = mean
    return rows


def worst_items(calls: Sequence[ScoredCall], top: int = 3) -> dict[str, list[ItemFailures]]:
    """Per operator, the items failed most often where they applied: the coaching focus."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for call in calls:
        if call.operator_id is None:
            continue
        for item in call.items:
            if item.verdict == NOT_APPLICABLE:
                continue
            tally = counts[call.operator_id][item.item_id]
            tally[0] += item.verdict == FAILED
            tally[1] += 1
    result = {}
    for operator_id, items in sorted(counts.items()):
        failures = [ItemFailures(item_id, failed, applicable) for item_id, (failed, applicable) in items.items() if failed]
        failures.sort(key=lambda f: (-f.failure_rate, -f.failed, f.item_id))
        result[operator_id] = failures[:top]
    return result
