"""The problem register: recurring problems from complaint clusters, low-satisfaction topics and frequently failed
checklist items, each ranked by urgency with a rule simple enough to read off its stored inputs.

Urgency is the sum of three scores of 0-2 points: volume (the problem's share of the window's calls), effect on
satisfaction (how many stars lower its calls are rated than the others) and growth (its calls in this window
against the window before). 5-6 points: critical, 3-4: high, 1-2: medium, 0: low.
"""
from __future__ import annotations

from datetime import date

from feedback.records import ProblemStats, RankedProblem, UrgencyRule, WindowTotals

KINDS = ("complaint_cluster", "topic", "checklist_item")
URGENCIES = ("critical", "high", "medium", "low")
WINDOW_DAYS = 28  # the register ranks the problems of the last four weeks


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
