"""Planning a set of calls: who rings, about what, when, to whom, and how the call is recorded.

The set-level facts live here because they span calls: repeat calls need an earlier call of the same caller,
and the shares of transfers, holds and stereo recordings are quotas over the whole set, so a small set still
shows each of them.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from demo_calls import people
from demo_calls.records import Caller, Operator
from demo_calls.topics import PROBLEMS_BY_TOPIC, TOPIC_BRANCHES, TRANSFER, Problem

MOSCOW = timezone(timedelta(hours=3))
FIRST_DAY = datetime(2025, 3, 3, tzinfo=MOSCOW)
SPAN_DAYS = 28
REPEAT_WINDOW_DAYS = 7

# a 24/7 line: calls at any hour, most in the working day
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 9, 10, 10, 9, 8, 7, 6, 5, 4, 3, 2)

MISROUTE_SHARE = 0.15
TRANSFER_SHARE = 0.15
HOLD_SHARE = 0.2
STEREO_SHARE = 2 / 3


@dataclass(frozen=True)
class CallSpec:
    call_id: str
    started_at: datetime
    caller: Caller
    operator: Operator
    problem: Problem | None  # None: a silent line, the caller never speaks
    resolution: str | None  # topics.SOLVED | REQUEST | TRANSFER
    ivr_branch: int
    misrouted: bool
    channels: str
    operator_channel: int | None
    hold_count: int
    repeat_of: str | None  # an earlier call of this caller about the same problem, within REPEAT_WINDOW_DAYS
    earlier_call: str | None  # the caller's earlier call about the same problem, however long ago
    seed: int  # for everything decided inside the call


@dataclass
class _Draft:
    caller: Caller
    problem: Problem | None
    started_at: datetime
    earlier: "_Draft | None" = None
    is_repeat: bool = False
    call_id: str = ""


def plan_calls(count: int, seed: int) -> list[CallSpec]:
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = random.Random(seed)
    drafts = _episodes(rng, count)
    drafts.sort(key=lambda d: d.started_at)
    _assign_call_ids(drafts)

    speaking = [d for d in drafts if d.problem is not None]
    transfers = _pick_transfers(rng, speaking, round(count * TRANSFER_SHARE))
    holds = {id(d) for d in rng.sample(speaking, min(len(speaking), round(count * HOLD_SHARE)))}
    stereo = set(rng.sample(range(count), round(count * STEREO_SHARE)))

    specs = []
    for i, draft in enumerate(drafts):
        problem = draft.problem
        if problem is None:
            resolution = None
        elif id(draft) in transfers:
            resolution = TRANSFER
        else:
            resolution = rng.choice([r for r in problem.resolutions if r != TRANSFER])
        branch, misrouted = _ivr_choice(rng, problem)
        specs.append(CallSpec(
            call_id=draft.call_id,
            started_at=draft.started_at,
            caller=draft.caller,
            operator=rng.choice([op for op in people.FIRST_LINE_OPERATORS if op.voice.name != draft.caller.voice.name]),
            problem=problem,
            resolution=resolution,
            ivr_branch=branch,
            misrouted=misrouted,
            channels="stereo" if i in stereo else "mono",
            operator_channel=rng.randint(0, 1) if i in stereo else None,
            hold_count=(2 if rng.random() < 0.25 else 1) if id(draft) in holds else 0,
            repeat_of=draft.earlier.call_id if draft.is_repeat else None,
            earlier_call=draft.earlier.call_id if draft.earlier else None,
            seed=rng.getrandbits(63),
        ))
    return specs


def _episodes(rng: random.Random, count: int) -> list[_Draft]:
    """Callers and their calls: singles, repeats within days, returns after weeks, a second unrelated call."""
    silent = 1 if count >= 12 else 0
    repeat_pairs = count // 8
    late_returns = 1 if count >= 16 else 0
    second_problems = 1 if count >= 12 else 0
    singles = count - silent - 2 * (repeat_pairs + late_returns + second_problems)

    cases = singles + repeat_pairs + late_returns + 2 * second_problems
    topics = _balanced_topics(rng, cases)
    drafts: list[_Draft] = []

    def new_case(at: datetime, caller: Caller | None = None, personal: bool = False) -> _Draft:
        # people ring back about their own unresolved case far more than about general information
        options = [p for p in PROBLEMS_BY_TOPIC[topics.pop()] if p.personal or not personal]
        draft = _Draft(caller or people.make_caller(rng), rng.choice(options), at)
        drafts.append(draft)
        return draft

    for _ in range(repeat_pairs):
        first = new_case(_moment(rng, 0, SPAN_DAYS - REPEAT_WINDOW_DAYS), personal=True)
        gap = timedelta(days=rng.randint(1, 6) + rng.uniform(-0.4, 0.4))
        drafts.append(_Draft(first.caller, first.problem, first.started_at + gap, earlier=first, is_repeat=True))
    for _ in range(late_returns):
        first = new_case(_moment(rng, 0, SPAN_DAYS - 17), personal=True)
        gap = timedelta(days=rng.randint(10, 16) + rng.uniform(0, 0.5))
        drafts.append(_Draft(first.caller, first.problem, first.started_at + gap, earlier=first))
    for _ in range(second_problems):
        first = new_case(_moment(rng, 0, SPAN_DAYS - 3))
        second = new_case(first.started_at + timedelta(days=rng.uniform(0.5, 3)), caller=first.caller)
        if second.problem.topic == first.problem.topic:  # a different problem, so not a repeat call
            others = [t for t in TOPIC_BRANCHES if t != first.problem.topic]
            second.problem = rng.choice(PROBLEMS_BY_TOPIC[rng.choice(others)])
    for _ in range(singles):
        new_case(_moment(rng, 0, SPAN_DAYS))
    for _ in range(silent):
        drafts.append(_Draft(people.make_caller(rng), None, _moment(rng, 0, SPAN_DAYS)))
    return drafts


def _balanced_topics(rng: random.Random, n: int) -> list[str]:
    topics: list[str] = []
    while len(topics) < n:
        block = list(TOPIC_BRANCHES)
        rng.shuffle(block)
        topics.extend(block)
    return topics[:n]


def _moment(rng: random.Random, first_day: int, last_day: int) -> datetime:
    day = rng.randrange(first_day, last_day)
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    return FIRST_DAY + timedelta(days=day, hours=hour, seconds=rng.randrange(3600))


def _assign_call_ids(drafts: list[_Draft]) -> None:
    seen: set[str] = set()
    for draft in drafts:
        at = draft.started_at
        while (call_id := f"call-{at:%Y%m%d-%H%M%S}") in seen:
            at += timedelta(seconds=1)
        draft.started_at = at
        draft.call_id = call_id
        seen.add(call_id)


def _pick_transfers(rng: random.Random, drafts: list[_Draft], wanted: int) -> set[int]:
    able = [d for d in drafts if TRANSFER in d.problem.resolutions]
    return {id(d) for d in rng.sample(able, min(wanted, len(able)))}


def _ivr_choice(rng: random.Random, problem: Problem | None) -> tuple[int, bool]:
    if problem is None:
        return rng.randint(1, 4), False
    fitting = TOPIC_BRANCHES[problem.topic]
    if rng.random() < MISROUTE_SHARE:
        return rng.choice([b for b in (1, 2, 3, 4) if b not in fitting]), True
    return rng.choice(fitting), False
