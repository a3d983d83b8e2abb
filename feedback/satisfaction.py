"""Which checklist items and conversation metrics go with low post-call ratings.

For a checklist item the calls where it failed are compared with those where it passed; for a metric the calls
above its median with those at or below it. Each comparison gives the difference in mean rating with a Welch 95 %
confidence interval and p-value, Cohen's d and Cliff's delta (ratings are an ordinal 1-5 scale, so the
rank-based delta is the one to trust when they disagree). A comparison with fewer than MIN_CALLS calls on either
side says so instead of claiming an effect.

Operators who skip one item tend to skip others, so a harmless item that fails beside a harmful one also goes
with low ratings. Each item therefore also gets an adjusted difference: its coefficient in a least-squares fit of
the rating on every item's failure at once, with its 95 % interval. Where the plain and adjusted differences part,
the adjusted one says what fixing that item alone is worth.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from feedback.records import RatedCall

GROUPINGS = ("topic", "operator")
MIN_CALLS = 10  # on each side of a comparison
CONFIDENCE = 0.95
CHECKLIST_ITEM, METRIC = "checklist_item", "metric"


@dataclass(frozen=True)
class Driver:
    group: str | None  # the topic or operator compared within; None for all calls
    factor: str  # checklist item id or metric name
    kind: str  # CHECKLIST_ITEM | METRIC
    comparison: str  # what the exposed and reference calls are, in words
    n_exposed: int  # calls where the item failed / the metric was above its median
    n_reference: int
    mean_exposed: float | None
    mean_reference: float | None
    difference: float | None  # mean rating exposed minus reference: negative goes with lower ratings
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    cohens_d: float | None
    cliffs_delta: float | None  # P(exposed > reference) - P(exposed < reference)
    enough_calls: bool
    note: str  # why there is no estimate, or ''
    # checklist items only: the difference with every other item's failure held fixed
    adjusted_difference: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None


def drivers_of(calls: Sequence[RatedCall], by: str | None = None) -> list[Driver]:
    """Drivers over all rated calls (`by` None) or within each topic or operator; the best-supported harmful
    drivers first: comparisons with enough calls, most negative difference first."""
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"drivers can be grouped by {', '.join(GROUPINGS)}, got {by!r}")
    groups: dict[str | None, list[RatedCall]] = defaultdict(list)
    for call in calls:
        key = None if by is None else call.topic if by == "topic" else call.operator_id
        if by is None or key is not None:
            groups[key].append(call)
    drivers = [d for group, members in groups.items() for d in _group_drivers(group, members)]
    drivers.sort(key=lambda d: (not d.enough_calls, d.difference if d.difference is not None else math.inf,
                                d.group or "", d.factor))
    return drivers


_CODES = {"passed": 1, "failed": 2, "not_applicable": 3}  # 0: the item was not on the call's checklist


def _group_drivers(group: str | None, calls: list[RatedCall]) -> list[Driver]:
    # one pass over the calls into arrays: groups of 100,000 calls are compared item by item without Python loops
    ratings = np.array([c.rating for c in calls], dtype=float)
    items = sorted({item for call in calls for item in call.verdicts})
    codes = _verdict_codes(calls, items)
    adjusted = _adjusted_effects(ratings, codes, items)
    drivers = []
    for j, item in enumerate(items):
        driver = compare(group, item, CHECKLIST_ITEM, "failed vs passed", ratings[codes[:, j] == _CODES["failed"]],
                         ratings[codes[:, j] == _CODES["passed"]])
        if driver.enough_calls and item in adjusted:
            driver = replace(driver, adjusted_difference=adjusted[item][0], adjusted_ci_low=adjusted[item][1],
                             adjusted_ci_high=adjusted[item][2])
        drivers.append(driver)
    # conversation metrics are numbers or None (not measurable on that call), which numpy reads as NaN
    names = sorted(set().union(*(c.metrics for c in calls)))
    values = np.array([[c.metrics.get(name) for name in names] for c in calls], dtype=float).reshape(len(calls), -1)
    for j, name in enumerate(names):
        column = values[:, j]
        known = np.isfinite(column)
        if not known.any():
            continue
        middle = float(np.median(column[known]))
        drivers.append(compare(group, name, METRIC, f"above the median {middle:.3g} vs at or below",
                               ratings[known & (column > middle)], ratings[known & (column <= middle)]))
    return drivers


def compare(group: str | None, factor: str, kind: str, comparison: str, exposed: Sequence[float],
            reference: Sequence[float]) -> Driver:
    x, y = np.asarray(exposed, dtype=float), np.asarray(reference, dtype=float)
    n1, n2 = len(x), len(y)
    m1 = float(x.mean()) if n1 else None
    m2 = float(y.mean()) if n2 else None
    if n1 < MIN_CALLS or n2 < MIN_CALLS:
        note = f"too few calls to compare: {n1} vs {n2} (need {MIN_CALLS} on each side)"
        return Driver(group, factor, kind, comparison, n1, n2, m1, m2,
                      None if m1 is None or m2 is None else m1 - m2, None, None, None, None, None, False, note)
    v1, v2 = float(x.var(ddof=1)), float(y.var(ddof=1))
    difference = m1 - m2
    se = math.sqrt(v1 / n1 + v2 / n2)
    if se == 0:
        return Driver(group, factor, kind, comparison, n1, n2, m1, m2, difference, difference, difference, None,
                      None, _cliffs_delta(x, y), True, "every rating on each side is the same")
    # Welch-Satterthwaite degrees of freedom: the two sides' variances need not be equal
    df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    margin = float(stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    p_value = float(2 * stats.t.sf(abs(difference) / se, df))
    pooled = math.sqrt(((n1 - 1) * v1 + (n2 - 1) * v2) / (n1 + n2 - 2))
    return Driver(group, factor, kind, comparison, n1, n2, m1, m2, difference, difference - margin,
                  difference + margin, p_value, difference / pooled if pooled else None, _cliffs_delta(x, y), True, "")


def adjusted_item_effects(calls: Sequence[RatedCall], items: Sequence[str]) -> dict[str, tuple[float, float, float]]:
    """{item: (coefficient, 95 % low, high)} of failing each item, from one least-squares fit of the rating on
    all items' failures (and on their being not applicable, which is no failure). Items that never vary, or that
    other items' columns already determine, get no estimate; nor does anything when the fit has too few calls to
    spare for its residual."""
    return _adjusted_effects(np.array([c.rating for c in calls], dtype=float), _verdict_codes(calls, items), items)


def _verdict_codes(calls: Sequence[RatedCall], items: Sequence[str]) -> np.ndarray:
    return np.array([[_CODES.get(c.verdicts.get(item), 0) for item in items] for c in calls],
                    dtype=np.int8).reshape(len(calls), len(items))


def _adjusted_effects(ratings: np.ndarray, codes: np.ndarray, items: Sequence[str]
                      ) -> dict[str, tuple[float, float, float]]:
    n = len(ratings)
    columns, names = [], []
    for j, item in enumerate(items):
        for code, name in ((_CODES["failed"], item), (_CODES["not_applicable"], None)):
            column = (codes[:, j] == code).astype(float)
            if 0 < column.sum() < n:
                columns.append(column)
                names.append(name)
    full = np.column_stack([np.ones(n), *columns])
    # ranks of the small Gram matrix instead of the tall design: the same answer, far cheaper on many calls
    gram = full.T @ full
    keep = [0]
    for j in range(1, full.shape[1]):
        candidate = keep + [j]
        if np.linalg.matrix_rank(gram[np.ix_(candidate, candidate)]) == len(candidate):
            keep = candidate
    kept = [None] + [names[j - 1] for j in keep[1:]]
    p = len(keep)
    if n - p < MIN_CALLS:
        return {}
    design, inverse = full[:, keep], np.linalg.inv(gram[np.ix_(keep, keep)])
    coefficients = inverse @ (design.T @ ratings)
    residual = ratings - design @ coefficients
    covariance = (residual @ residual / (n - p)) * inverse
    margin = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - p))
    return {
        name: (float(b), float(b - margin * math.sqrt(v)), float(b + margin * math.sqrt(v)))
        for name, b, v in zip(kept, coefficients, np.diag(covariance)) if name is not None
    }


def _cliffs_delta(x: np.ndarray, y: np.ndarray) -> float:
    ys = np.sort(y)
    below = np.searchsorted(ys, x, side="left").sum()  # pairs with y < x
    above = (len(ys) - np.searchsorted(ys, x, side="right")).sum()  # pairs with y > x
    return float((below - above) / (len(x) * len(y)))
