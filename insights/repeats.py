"""Repeat calls and first-call resolution.

A repeat call is the same caller about the same problem within a window (7 days by default) of their previous
call about it. The evidence, strongest first:
- the caller quotes the number of the request registered on their earlier call («мне дали номер обращения
  …»): that names the call, whatever words or topic the problem got this time. Recognition garbles a digit or
  two on either call, so the number need only be nearly there;
- the complaints: the same topic and somewhat alike wording, or very alike wording whatever topic was assigned
  (a topic can be wrong, a caller's words about their own case rarely change completely);
- the caller says they already called about it: the call repeats their most alike call within the window.
A first call is resolved first time when no repeat call follows it within the window.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from insights.records import ProblemCall, RepeatLink
from insights.topics import OTHER
from insights.trends import week_of


@dataclass(frozen=True)
class RepeatSettings:
    window: timedelta = timedelta(days=7)
    # cosine between two complaints of one caller; tuned on the generated tune calls. A caller rewords the
    # same problem down to ~0.23 there (linked so far only when they also said they had called before, which
    # recognition may garble), while their different problems reach 0.32 but with another topic
    same_topic_similarity: float = 0.2
    any_topic_similarity: float = 0.6
    # a request number is quoted when this many digits of it at most are wrong, missing or extra; recognition
    # of a dictated 8-digit number was seen to lose or change two. A shorter number is no evidence: it may be a
    # sum, a date or a house number
    request_number_digits: int = 6
    request_number_edits: int = 2


def same_problem(later: ProblemCall, earlier: ProblemCall, settings: RepeatSettings = RepeatSettings()) -> bool:
    similarity = float(later.vector @ earlier.vector)
    same_topic = later.topic == earlier.topic and later.topic != OTHER
    if same_topic and similarity >= settings.same_topic_similarity:
        return True
    return similarity >= settings.any_topic_similarity


def _edits_to_appear(number: str, said: str) -> int:
    """The fewest digits changed, dropped or added for `number` to appear somewhere in `said` (Sellers'
    approximate search: the match may start anywhere, since recognition runs a quoted number into the next)."""
    previous = list(range(len(number) + 1))
    fewest = previous[-1]
    for digit in said:
        current = [0]
        for i, wanted in enumerate(number, start=1):
            current.append(min(previous[i] + 1, current[i - 1] + 1, previous[i - 1] + (wanted != digit)))
        fewest = min(fewest, current[-1])
        previous = current
    return fewest


def quotes_request_of(later: ProblemCall, earlier: ProblemCall, settings: RepeatSettings = RepeatSettings()) -> bool:
    """The later call quotes the number of the request registered on the earlier one."""
    number = earlier.request_number
    if not number or len(number) < settings.request_number_digits:
        return False
    return any(_edits_to_appear(number, said) <= settings.request_number_edits
               for said in later.numbers_said)


def find_repeats(calls: Sequence[ProblemCall], settings: RepeatSettings = RepeatSettings()) -> list[RepeatLink]:
    by_caller: defaultdict[str, list[ProblemCall]] = defaultdict(list)
    for call in calls:
        if call.caller_id and call.has_problem:
            by_caller[call.caller_id].append(call)
    links = []
    for own in by_caller.values():
        own.sort(key=lambda c: c.started_at)
        for n, later in enumerate(own):
            within = [e for e in reversed(own[:n]) if later.started_at - e.started_at <= settings.window]
            earlier = next((e for e in within if quotes_request_of(later, e, settings)), None)
            if earlier is None:
                earlier = next((e for e in within if same_problem(later, e, settings)), None)
            if earlier is None and later.refers_to_earlier_call and within:
                # the caller says it is the same matter; the words only pick which of their calls it was
                earlier = max(within, key=lambda e: float(later.vector @ e.vector))
            if earlier is not None:
                gap = later.started_at - earlier.started_at
                links.append(RepeatLink(later.call_id, earlier.call_id, round(gap.total_seconds() / 3600, 2)))
    return sorted(links, key=lambda link: link.call_id)


@dataclass(frozen=True)
class ResolutionRate:
    """`first_calls` counts calls that were not repeats; `pending` those of them whose window is still open
    without a repeat, which cannot be called resolved yet and are left out of first-call resolution."""

    group: str
    calls: int
    repeats: int
    first_calls: int
    resolved_first_time: int
    pending: int

    @property
    def repeat_rate(self) -> float:
        return self.repeats / self.calls if self.calls else 0.0

    @property
    def first_call_resolution(self) -> float | None:
        decided = self.first_calls - self.pending
        return self.resolved_first_time / decided if decided else None


GROUPINGS: dict[str, Callable[[ProblemCall], str]] = {
    "topic": lambda c: c.topic,
    "operator": lambda c: c.operator_id or "-",
    "week": lambda c: week_of(c.started_at).isoformat(),
}


def resolution_rates(calls: Sequence[ProblemCall], links: Sequence[RepeatLink], by: str, as_of: datetime,
                     settings: RepeatSettings = RepeatSettings()) -> list[ResolutionRate]:
    """Repeat-call rate and first-call resolution per topic, operator (who took the call) or week."""
    key = GROUPINGS[by]
    repeat_of = {link.call_id: link.repeat_of for link in links}
    followed_up = set(repeat_of.values())
    rows: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for call in calls:
        if not call.has_problem:
            continue
        row = rows[key(call)]
        row[0] += 1
        if call.call_id in repeat_of:
            row[1] += 1
            continue
        row[2] += 1
        if call.call_id in followed_up:
            continue
        if as_of - call.started_at < settings.window:
            row[4] += 1
        else:
            row[3] += 1
    return [ResolutionRate(group, *counts) for group, counts in sorted(rows.items())]
