"""Script pilots: which calls a pilot takes, and whether the piloted script did better than the control.

A call is in the pilot when its operator is one of the pilot's operators, or when its call id hashes below the
pilot's share: the same call always lands in the same arm, in any process. Continuous outcomes are compared with
Welch's t-test (and Mann-Whitney for the 1-5 ratings, which are ordinal), rates with the two-proportion z-test
(Fisher's exact test when a cell is small); every difference comes with its 95 % confidence interval and a
sample-size check against the smallest difference worth detecting. Compliance is the question a pilot asks; the
other three outcomes guard against harm and are Holm-adjusted as a family.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import numpy as np
from scipy import stats

from feedback.records import Pilot, PilotCall

ALPHA = 0.05
POWER = 0.8
DECISIONS = ("adopt", "extend", "reject")


def in_pilot(pilot: Pilot, call_id: str, operator_id: str | None) -> bool:
    if operator_id is not None and operator_id in pilot.operators:
        return True
    # sha256, not hash(): a str's hash changes from one process to the next
    position = int.from_bytes(hashlib.sha256(f"{pilot.pilot_id}/{call_id}".encode()).digest()[:8], "big") / 2**64
    return position < pilot.share


@dataclass(frozen=True)
class ScriptChoice:
    """What decides the script a call is scored with when no script file is named: the piloted version when the
    call falls in a pilot that is running on its day, else the version adopted as default; None: the shipped
    script. Read once per batch (`script_choice`), it needs no database per call."""

    adopted: str | None
    running: tuple[Pilot, ...]
    texts: dict[tuple[str, str], str]  # (script name, version) of each running pilot -> its YAML

    def for_call(self, call_id: str, operator_id: str | None, started_at: datetime | None) -> str | None:
        # a pilot's days are UTC days
        day = started_at.astimezone(timezone.utc).date() if started_at is not None else None
        pilot = next((p for p in self.running if day is not None and p.started_on <= day
                      and (p.ended_on is None or day <= p.ended_on) and in_pilot(p, call_id, operator_id)), None)
        return self.adopted if pilot is None else self.texts[(pilot.script_name, pilot.script_version)]


def with_repeats(calls: Sequence[PilotCall], links: Sequence[tuple[str, str, float]]) -> list[PilotCall]:
    """The calls with whether each was repeated and the hours to the last call of the chain of repeats after it;
    `links` are (call, the call it repeats, hours between them)."""
    followers: dict[str, list[tuple[str, float]]] = {}
    for call_id, repeat_of, hours in links:
        followers.setdefault(repeat_of, []).append((call_id, hours))
    return [replace(c, repeated=bool(followers.get(c.call_id)),
                    resolution_hours=_resolution_hours(c.call_id, followers)) for c in calls]


def _resolution_hours(call_id: str, followers: dict[str, list[tuple[str, float]]]) -> float:
    longest, stack, seen = 0.0, [(call_id, 0.0)], {call_id}
    while stack:
        current, hours = stack.pop()
        longest = max(longest, hours)
        for follower, apart in followers.get(current, ()):
            if follower not in seen:
                seen.add(follower)
                stack.append((follower, hours + apart))
    return longest


@dataclass(frozen=True)
class Targets:
    """The smallest pilot-minus-control difference worth detecting, per outcome."""

    score: float = 3.0  # compliance points
    rating: float = 0.3  # stars
    resolution_hours: float = 12.0
    repeat_share: float = 0.05


@dataclass(frozen=True)
class Comparison:
    metric: str
    better: str  # "higher" or "lower"
    test: str
    pilot_n: int
    control_n: int
    pilot_value: float | None
    control_value: float | None
    difference: float | None  # pilot minus control
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    needed_per_arm: int | None  # calls per arm to detect the target difference at 80 % power
    enough: bool
    p_adjusted: float | None = None  # secondary outcomes: Holm-adjusted for being tested together

    @property
    def significant(self) -> bool:
        p = self.p_adjusted if self.p_adjusted is not None else self.p_value
        return p is not None and p < ALPHA

    @property
    def verdict(self) -> str:
        """better, worse, no difference (with enough calls to tell) or too few calls."""
        if self.significant and self.difference is not None:
            improved = self.difference > 0 if self.better == "higher" else self.difference < 0
            return "better" if improved else "worse"
        return "no difference" if self.enough else "too few calls"


@dataclass(frozen=True)
class PilotAnalysis:
    pilot_id: str
    pilot_calls: int
    control_calls: int
    left_out: int  # calls scored with neither the pilot's nor the control's version
    comparisons: tuple[Comparison, ...]
    recommendation: str
    reason: str

    def comparison(self, metric: str) -> Comparison:
        return next(c for c in self.comparisons if c.metric == metric)


_Z_ALPHA = stats.norm.ppf(1 - ALPHA / 2)
_Z_POWER = stats.norm.ppf(POWER)


def compare_means(metric: str, pilot: list[float], control: list[float], target: float, better: str = "higher",
                  ordinal: bool = False) -> Comparison:
    a, b = np.asarray(pilot, dtype=float), np.asarray(control, dtype=float)
    test = "Mann-Whitney U" if ordinal else "Welch t"
    if len(a) < 2 or len(b) < 2:
        return Comparison(metric, better, test, len(a), len(b), _mean(a), _mean(b), None, None, None, None, None, False)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    difference = float(a.mean() - b.mean())
    se = math.sqrt(va + vb)
    if se == 0:
        p, low, high = (1.0 if difference == 0 else 0.0), difference, difference
    else:
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        half = stats.t.ppf(1 - ALPHA / 2, df) * se
        low, high = difference - half, difference + half
        p = (stats.mannwhitneyu(a, b, alternative="two-sided").pvalue if ordinal
             else stats.ttest_ind(a, b, equal_var=False).pvalue)
    variance = (a.var(ddof=1) + b.var(ddof=1)) / 2
    needed = math.ceil(2 * (_Z_ALPHA + _Z_POWER) ** 2 * variance / target ** 2) if variance else 2
    return Comparison(metric, better, test, len(a), len(b), round(float(a.mean()), 3), round(float(b.mean()), 3),
                      round(difference, 3), round(low, 3), round(high, 3), float(p), needed,
                      min(len(a), len(b)) >= needed)


def compare_rates(metric: str, pilot_hits: int, pilot_n: int, control_hits: int, control_n: int, target: float,
                  better: str = "lower") -> Comparison:
    if not pilot_n or not control_n:
        return Comparison(metric, better, "two-proportion z", pilot_n, control_n, None, None, None, None, None, None,
                          None, False)
    p1, p2 = pilot_hits / pilot_n, control_hits / control_n
    difference = p1 - p2
    pooled = (pilot_hits + control_hits) / (pilot_n + control_n)
    expected_small = min(pooled * min(pilot_n, control_n), (1 - pooled) * min(pilot_n, control_n)) < 5
    if expected_small:
        test = "Fisher exact"
        p = stats.fisher_exact([[pilot_hits, pilot_n - pilot_hits], [control_hits, control_n - control_hits]]).pvalue
    else:
        test = "two-proportion z"
        se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / pilot_n + 1 / control_n))
        p = 2 * stats.norm.sf(abs(difference) / se_pooled) if se_pooled else 1.0
    half = _Z_ALPHA * math.sqrt(p1 * (1 - p1) / pilot_n + p2 * (1 - p2) / control_n)
    # the sample needed to tell the control's rate from one `target` away from it
    step = target if better == "higher" else -target
    q1 = p2 + step if 0 <= p2 + step <= 1 else p2 - step
    mean_rate = (p2 + q1) / 2
    needed = math.ceil((_Z_ALPHA * math.sqrt(2 * mean_rate * (1 - mean_rate))
                        + _Z_POWER * math.sqrt(p2 * (1 - p2) + q1 * (1 - q1))) ** 2 / target ** 2)
    return Comparison(metric, better, test, pilot_n, control_n, round(p1, 4), round(p2, 4), round(difference, 4),
                      round(difference - half, 4), round(difference + half, 4), float(p), needed,
                      min(pilot_n, control_n) >= needed)


def _mean(values: np.ndarray) -> float | None:
    return round(float(values.mean()), 3) if len(values) else None


def analyse(pilot: Pilot, calls: list[PilotCall], targets: Targets = Targets()) -> PilotAnalysis:
    """Pilot against control over the calls of the pilot's period: each arm counts only calls scored with its own
    script version (a call re-scored with another version says nothing about either)."""
    arms: dict[bool, list[PilotCall]] = {True: [], False: []}
    left_out = 0
    for call in calls:
        piloted = in_pilot(pilot, call.call_id, call.operator_id)
        if call.script_version != (pilot.script_version if piloted else pilot.control_version):
            left_out += 1
            continue
        arms[piloted].append(call)
    p, c = arms[True], arms[False]
    comparisons = (
        compare_means("compliance score", [x.score for x in p if x.score is not None],
                      [x.score for x in c if x.score is not None], targets.score),
        compare_means("satisfaction rating", [x.rating for x in p if x.rating is not None],
                      [x.rating for x in c if x.rating is not None], targets.rating, ordinal=True),
        compare_means("resolution hours", [x.resolution_hours for x in p], [x.resolution_hours for x in c],
                      targets.resolution_hours, better="lower"),
        compare_rates("repeat-call share", sum(x.repeated for x in p), len(p), sum(x.repeated for x in c), len(c),
                      targets.repeat_share),
    )
    comparisons = (comparisons[0], *holm(comparisons[1:]))
    recommendation, reason = recommend(comparisons)
    return PilotAnalysis(pilot.pilot_id, len(p), len(c), left_out, comparisons, recommendation, reason)


def holm(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Holm's step-down adjustment: compliance is the pilot's question, the other outcomes are checked for harm
    together, and three tests at 5 % would otherwise flag a chance difference one time in seven."""
    tested = sorted((c.p_value, n) for n, c in enumerate(comparisons) if c.p_value is not None)
    adjusted: dict[int, float] = {}
    running = 0.0
    for rank, (p, n) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[n] = running
    return [replace(c, p_adjusted=adjusted.get(n)) for n, c in enumerate(comparisons)]


def recommend(comparisons: tuple[Comparison, ...]) -> tuple[str, str]:
    """Reject when any outcome is significantly worse; adopt when compliance is significantly better and no
    outcome is short of calls; otherwise extend the pilot."""
    worse = [c.metric for c in comparisons if c.verdict == "worse"]
    if worse:
        return "reject", f"significantly worse {', '.join(worse)}"
    short = [c.metric for c in comparisons if c.pilot_n and c.control_n and not c.enough]
    compliance = comparisons[0]
    if compliance.verdict == "better" and not short:
        return "adopt", "compliance significantly better, no outcome worse"
    if short:
        return "extend", f"too few calls to tell for {', '.join(short)}"
    return "extend", "no significant improvement in compliance yet"
