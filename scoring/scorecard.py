"""Scorecards: what supervisors read from many calls — averages of the weighted score per
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

from scoring.records import FAILED, GROUPINGS, NOT_APPLICABLE, PERIODS, ScorecardCell, ScorecardRow, ScoredCall


@dataclass(frozen=True)
class ItemFailures:
    item_id: str
    failed: int
    applicable: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.applicable if self.applicable else 0.0


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
    return scorecard_rows(
        ScorecardCell(group, start, len(members), sum(1 for c in members if c.score is not None),
                      sum(c.score for c in members if c.score is not None),
                      sum(1 for c in members if c.critical_failures))
        for (group, start), members in sorted(cells.items()))


def scorecard_rows(cells: Iterable[ScorecardCell]) -> list[ScorecardRow]:
    """Rows from cells sorted by group and period: the mean score of the scored calls, the share of calls with a
    failed critical item, and the change of the mean from the group's previous period with a mean."""
    rows, previous = [], {}
    for cell in cells:
        # call scores carry one decimal, so their sum is exact to far fewer places than a float keeps: summed in
        # another order (SQL by day, then by week) it differs in the last bits, which swung a mean of 72.45 to
        # 72.4 on the dashboard and 72.5 in the export
        mean = round(round(cell.score_sum, 6) / cell.scored, 1) if cell.scored else None
        before = previous.get(cell.group)
        rows.append(ScorecardRow(
            group=cell.group, period_start=cell.period_start, calls=cell.calls, mean_score=mean,
            critical_calls=cell.critical_calls, critical_share=round(cell.critical_calls / cell.calls, 3),
            trend=round(mean - before, 1) if mean is not None and before is not None else None,
        ))
        if mean is not None:
            previous[cell.group] = mean
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
