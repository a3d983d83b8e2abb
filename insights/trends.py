"""How a complaint cluster grows week by week, and which clusters grow fast enough to call emerging."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class TrendSettings:
    # the weeks before the latest one that make its baseline
    baseline_weeks: int = 4
    # emerging: the latest week has at least this many calls and this many times the baseline's weekly mean
    min_calls: int = 3
    growth: float = 2.0


@dataclass(frozen=True)
class ClusterTrend:
    cluster_id: int
    weeks: tuple[tuple[date, int], ...]  # (Monday of the week, calls), every week of the period, zeros included
    emerging: bool

    @property
    def latest(self) -> int:
        return self.weeks[-1][1] if self.weeks else 0


def week_of(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def cluster_trends(calls: Iterable[tuple[int, datetime]], until: datetime | date,
                   settings: TrendSettings = TrendSettings()) -> list[ClusterTrend]:
    """`calls`: (cluster_id, started_at) per clustered call. The latest week is the one holding `until`; a
    week that has only begun is compared as it stands, so a burst shows on its first days."""
    per_week: defaultdict[int, Counter[date]] = defaultdict(Counter)
    first = last = week_of(until)
    for cluster_id, started_at in calls:
        week = week_of(started_at)
        if week > last:
            continue
        per_week[cluster_id][week] += 1
        first = min(first, week)
    span = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    trends = []
    for cluster_id in sorted(per_week):
        counts = per_week[cluster_id]
        weeks = tuple((w, counts[w]) for w in span)
        baseline = [n for _, n in weeks[-1 - settings.baseline_weeks:-1]]
        mean = sum(baseline) / len(baseline) if baseline else 0.0
        latest = weeks[-1][1]
        # a cluster with no history is emerging when it reaches min_calls; +1 keeps a quiet baseline from
        # turning every pair of calls into a "doubling"
        emerging = latest >= settings.min_calls and latest >= settings.growth * (mean + 1) - 1
        trends.append(ClusterTrend(cluster_id, weeks, emerging))
    return trends
