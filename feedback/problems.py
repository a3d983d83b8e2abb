"""The problem register: recurring problems from complaint clusters, low-satisfaction topics and frequently failed
checklist items, each ranked by urgency with a rule simple enough to read off its stored inputs.

Urgency is the sum of three scores of 0-2 points: volume (the problem's share of the window's calls), effect on
satisfaction (how many stars lower its calls are rated than the others) and growth (its calls in this window
against the window before). 5-6 points: critical, 3-4: high, 1-2: medium, 0: low.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

KINDS = ("complaint_cluster", "topic", "checklist_item")
URGENCIES = ("critical", "high", "medium", "low")


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


def rating_effect(stats: ProblemStats, totals: WindowTotals, rule: UrgencyRule) -> float | None:
    """Mean rating of the problem's calls minus that of the window's other rated calls."""
    others = totals.rated_calls - stats.rated_calls
    if stats.rated_calls < rule.min_rated_calls or others <= 0:
        return None
    return round(stats.rating_sum / stats.rated_calls - (totals.rating_sum - stats.rating_sum) / others, 3)


def is_problem(stats: ProblemStats, effect: float | None, rule: UrgencyRule) -> bool:
    if stats.calls < rule.min_calls:
        return False
    if stats.kind == "topic":
        return effect is not None and effect <= rule.topic_effect
    if stats.kind == "checklist_item":
        return bool(stats.applicable_calls) and stats.calls / stats.applicable_calls >= rule.item_failure_rate
    return True


def urgency(points: int) -> str:
    return "critical" if points >= 5 else "high" if points >= 3 else "medium" if points >= 1 else "low"


def rank(stats: ProblemStats, totals: WindowTotals, as_of: date, window_days: int,
         rule: UrgencyRule = UrgencyRule()) -> RankedProblem | None:
    """The ranked problem, or None when the candidate is not a problem by the rule."""
    if stats.kind not in KINDS:
        raise ValueError(f"problem kind must be one of {', '.join(KINDS)}, got {stats.kind!r}")
    effect = rating_effect(stats, totals, rule)
    if not is_problem(stats, effect, rule):
        return None
    share = stats.calls / totals.calls if totals.calls else 0.0
    growth = stats.calls / stats.previous_calls if stats.previous_calls else None
    volume_points = 2 if share >= rule.share_high else 1 if share >= rule.share_medium else 0
    effect_points = 0 if effect is None else 2 if effect <= rule.effect_high else 1 if effect <= rule.effect_medium else 0
    if stats.calls < rule.growth_min_calls:
        growth_points = 0
    elif growth is None:  # new this window
        growth_points = 2
    else:
        growth_points = 2 if growth >= rule.growth_high else 1 if growth >= rule.growth_medium else 0
    return RankedProblem(
        problem_id=stats.problem_id, kind=stats.kind, source_key=stats.source_key, title=stats.title, as_of=as_of,
        window_days=window_days, calls=stats.calls, share=round(share, 4), previous_calls=stats.previous_calls,
        growth=round(growth, 3) if growth is not None else None, rating_effect=effect, rated_calls=stats.rated_calls,
        volume_points=volume_points, effect_points=effect_points, growth_points=growth_points,
        urgency=urgency(volume_points + effect_points + growth_points),
    )


def rank_all(candidates: list[ProblemStats], totals: WindowTotals, as_of: date, window_days: int,
             rule: UrgencyRule = UrgencyRule()) -> list[RankedProblem]:
    """The problems among the candidates, most urgent first (then by points and calls)."""
    ranked = [p for c in candidates if (p := rank(c, totals, as_of, window_days, rule)) is not None]
    ranked.sort(key=lambda p: (URGENCIES.index(p.urgency), -p.points, -p.calls, p.problem_id))
    return ranked
