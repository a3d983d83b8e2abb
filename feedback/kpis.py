"""The feedback loop's yardsticks, week by week: how long a caller's question takes to resolve, how often callers
have to ring again, how many questions are resolved on the first call, how satisfied callers are, and how well
operators keep to the script.

A question is a first call and the repeat calls that followed it (insights links each repeat call to the call it
repeats). It counts in the week of its first call and is resolved when its last call ended, or when the request
registered on one of its calls was closed if that came later. A question whose request is still open, or whose
caller said in the survey after its last call that it was not resolved, is open: it has no time to resolution yet.
Weeks start on Monday in the regional centre's local time.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import fmean

from feedback.records import KpiCall

SATISFIED_RATINGS = (4, 5)


@dataclass(frozen=True)
class WeeklyKpis:
    week_start: date  # a Monday
    calls: int
    questions: int  # first calls of the week: each opens a question
    resolved_questions: int
    avg_resolution_hours: float | None  # from the first call to resolution, repeat calls included
    repeat_call_share: float | None  # the week's calls that repeat an earlier call
    first_call_resolution: float | None  # questions resolved with no repeat call, of the week's questions
    survey_responses: int
    mean_rating: float | None
    satisfied_share: float | None  # ratings of 4 or 5
    scored_calls: int
    mean_compliance: float | None  # mean script score, 0-100
    no_critical_failure_share: float | None  # scored calls without a failed critical checklist item


@dataclass
class _Question:
    first: KpiCall
    calls: list[KpiCall]

    @property
    def last(self) -> KpiCall:
        return max(self.calls, key=lambda c: c.started_at)

    def resolved_at(self) -> datetime | None:
        if any(c.request_open for c in self.calls) or self.last.resolved is False:
            return None
        last = self.last
        ended = last.started_at + timedelta(seconds=last.duration_s or 0.0)
        closings = [c.request_closed_at for c in self.calls if c.request_closed_at is not None]
        return max([ended, *closings])


def kpis_by_week(calls: list[KpiCall], weeks: int | None = None) -> list[WeeklyKpis]:
    """One row per week, oldest first, from the first week with calls (or the last `weeks` weeks) to the week of
    the latest call; a week without calls is listed with zero counts, so trends show the gap."""
    if weeks is not None and weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    if not calls:
        return []
    by_week: dict[date, list[KpiCall]] = defaultdict(list)
    for call in calls:
        by_week[week_start(call.started_at)].append(call)
    questions_by_week: dict[date, list[_Question]] = defaultdict(list)
    for question in _questions(calls):
        questions_by_week[week_start(question.first.started_at)].append(question)
    last = max(by_week)
    first = min(by_week) if weeks is None else max(min(by_week), last - timedelta(weeks=weeks - 1))
    rows = []
    monday = first
    while monday <= last:
        rows.append(_week(monday, by_week.get(monday, []), questions_by_week.get(monday, [])))
        monday += timedelta(weeks=1)
    return rows


def week_start(at: datetime) -> date:
    day = at.date()
    return day - timedelta(days=day.weekday())


def _questions(calls: list[KpiCall]) -> list[_Question]:
    """Group each repeat call with the first call of its chain. A repeat of a call that is not stored (outside
    the data, or failed) starts its own question, as it is the first the data knows of."""
    by_id = {c.call_id: c for c in calls}
    roots: dict[str, str] = {}

    def root(call_id: str) -> str:
        chain = []
        while call_id not in roots:
            chain.append(call_id)
            earlier = by_id[call_id].repeat_of
            if earlier is None or earlier not in by_id or earlier in chain:
                roots[call_id] = call_id
                break
            call_id = earlier
        found = roots[call_id]
        for visited in chain:
            roots[visited] = found
        return found

    questions: dict[str, _Question] = {}
    for call in calls:
        first = root(call.call_id)
        questions.setdefault(first, _Question(by_id[first], [])).calls.append(call)
    return list(questions.values())


def _week(monday: date, calls: list[KpiCall], questions: list[_Question]) -> WeeklyKpis:
    resolution_hours = []
    first_call_resolved = 0
    for question in questions:
        resolved_at = question.resolved_at()
        if resolved_at is None:
            continue
        resolution_hours.append((resolved_at - question.first.started_at).total_seconds() / 3600)
        if len(question.calls) == 1:
            first_call_resolved += 1
    ratings = [c.rating for c in calls if c.rating is not None]
    scored = [c for c in calls if c.critical_failure is not None]
    scores = [c.score for c in scored if c.score is not None]
    return WeeklyKpis(
        week_start=monday,
        calls=len(calls),
        questions=len(questions),
        resolved_questions=len(resolution_hours),
        avg_resolution_hours=fmean(resolution_hours) if resolution_hours else None,
        repeat_call_share=sum(c.repeat_of is not None for c in calls) / len(calls) if calls else None,
        first_call_resolution=first_call_resolved / len(questions) if questions else None,
        survey_responses=len(ratings),
        mean_rating=fmean(ratings) if ratings else None,
        satisfied_share=sum(r in SATISFIED_RATINGS for r in ratings) / len(ratings) if ratings else None,
        scored_calls=len(scored),
        mean_compliance=fmean(scores) if scores else None,
        no_critical_failure_share=sum(not c.critical_failure for c in scored) / len(scored) if scored else None,
    )
