"""The feedback-improvement loop in the database: problem candidates counted from insights and scores, the
problem register with its rankings, corrective actions with their history, and operators' compliance for
coaching. Script pilots are in `storage.pilots`.

Writes go through the `Database` writer like every other write; reads use their own cursor.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone

from feedback.records import ActionEvent, CorrectiveAction, ProblemStats, RankedProblem, UrgencyRule, WindowTotals
from storage.db import Database

# the latest post-call rating of each call (a caller may answer the survey again)
RATINGS_SQL = """
SELECT call_id, arg_max(rating, answered_at)::DOUBLE AS rating FROM survey_results
WHERE source = 'post_call' AND call_id IS NOT NULL AND rating IS NOT NULL GROUP BY call_id
"""

# One row per (problem, call) a problem is made of; checklist items carry every call where they applied,
# with `hit` telling the failed ones.
_MEMBERS = """
members AS (
    SELECT 'cluster:' || k.cluster_id AS problem_id, 'complaint_cluster' AS kind, k.cluster_id::VARCHAR AS key,
           k.call_id, true AS hit
    FROM call_clusters AS k JOIN complaint_clusters AS c USING (cluster_id) WHERE NOT c.retired
    UNION ALL
    SELECT 'topic:' || topic, 'topic', topic, call_id, true FROM call_topics
    UNION ALL
    SELECT 'item:' || item_id, 'checklist_item', item_id, call_id, verdict = 'failed'
    FROM verdicts_in_force WHERE verdict <> 'not_applicable'
)
"""

_CANDIDATES = """
WITH ratings AS ({ratings}), {members},
windowed AS (
    SELECT call_id, started_at >= $current_start AS current FROM calls
    WHERE status = 'done' AND started_at >= $previous_start AND started_at < $end
)
SELECT m.problem_id, m.kind, m.key,
       count(*) FILTER (m.hit AND w.current), count(*) FILTER (m.hit AND NOT w.current),
       count(*) FILTER (w.current),
       count(r.rating) FILTER (m.hit AND w.current), coalesce(sum(r.rating) FILTER (m.hit AND w.current), 0)
FROM members AS m JOIN windowed AS w USING (call_id) LEFT JOIN ratings AS r USING (call_id)
GROUP BY ALL
"""

_TOTALS = """
WITH ratings AS ({ratings})
SELECT count(*), count(r.rating), coalesce(sum(r.rating), 0)
FROM calls AS c LEFT JOIN ratings AS r USING (call_id)
WHERE c.status = 'done' AND c.started_at >= $current_start AND c.started_at < $end
"""


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def latest_call_day(db: Database) -> date | None:
    with db.read() as cur:
        (latest,) = cur.execute("SELECT max(started_at) FROM calls WHERE status = 'done'").fetchone()
    return latest.astimezone(timezone.utc).date() if latest is not None else None


def problem_candidates(db: Database, as_of: date, window_days: int) -> tuple[list[ProblemStats], WindowTotals]:
    """Every cluster, topic and checklist item counted over the `window_days` ending with `as_of` (UTC days) and
    the window before, with the window's totals."""
    end = day_start(as_of + timedelta(days=1))
    params = {"current_start": end - timedelta(days=window_days), "previous_start": end - timedelta(days=2 * window_days),
              "end": end}
    with db.read() as cur:
        rows = cur.execute(_CANDIDATES.format(ratings=RATINGS_SQL, members=_MEMBERS), params).fetchall()
        totals = cur.execute(_TOTALS.format(ratings=RATINGS_SQL),
                             {k: params[k] for k in ("current_start", "end")}).fetchone()
        labels = dict(cur.execute("SELECT cluster_id::VARCHAR, coalesce(nullif(quote, ''), array_to_string(keywords, ', '))"
                                  " FROM complaint_clusters").fetchall())
    candidates = [
        ProblemStats(problem_id, kind, key, _title(kind, key, labels), calls, previous, applicable if kind ==
                     "checklist_item" else None, rated, float(rating_sum))
        for problem_id, kind, key, calls, previous, applicable, rated, rating_sum in rows
    ]
    candidates.sort(key=lambda c: c.problem_id)
    return candidates, WindowTotals(totals[0], totals[1], float(totals[2]))


def _title(kind: str, key: str, cluster_labels: dict[str, str]) -> str:
    if kind == "complaint_cluster":
        label = cluster_labels.get(key, "")
        return f"Complaints «{label[:90]}{'…' if len(label) > 90 else ''}»" if label else f"Complaint cluster {key}"
    if kind == "topic":
        return f"Low satisfaction on topic {key}"
    return f"Checklist item often failed: {key}"


def save_rankings(db: Database, ranked: Sequence[RankedProblem], as_of: date, rule: UrgencyRule) -> None:
    """Store one rebuild of the register: its problems become active with their ranking at `as_of`, those it did
    not find stay in the register as inactive (their actions and history remain)."""
    ids = [p.problem_id for p in ranked]
    with db.write() as cur:
        cur.execute("UPDATE problems SET active = list_contains(?, problem_id), updated_at = now()", [ids])
        cur.execute("DELETE FROM problem_rankings WHERE as_of = ?", [as_of])
        for p in ranked:
            cur.execute(
                "INSERT INTO problems (problem_id, kind, source_key, title, first_seen_at, updated_at, active)"
                " VALUES (?, ?, ?, ?, now(), now(), true)"
                " ON CONFLICT (problem_id) DO UPDATE SET title = excluded.title, updated_at = now(), active = true",
                [p.problem_id, p.kind, p.source_key, p.title],
            )
        if not ranked:
            return
        cur.executemany(
            "INSERT INTO problem_rankings (problem_id, as_of, window_days, calls, share, previous_calls, growth,"
            " rating_effect, rated_calls, volume_points, effect_points, growth_points, urgency, rule, ranked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [[p.problem_id, as_of, p.window_days, p.calls, p.share, p.previous_calls, p.growth, p.rating_effect,
              p.rated_calls, p.volume_points, p.effect_points, p.growth_points, p.urgency, json.dumps(asdict(rule))]
             for p in ranked],
        )


_URGENCY_ORDER = "CASE r.urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"


def current_problems(db: Database) -> list[RankedProblem]:
    """The active problems with their latest ranking, most urgent first."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT p.problem_id, p.kind, p.source_key, p.title, r.as_of, r.window_days, r.calls, r.share,"
            " r.previous_calls, r.growth, r.rating_effect, r.rated_calls, r.volume_points, r.effect_points,"
            " r.growth_points, r.urgency FROM problems AS p"
            " JOIN (SELECT * FROM problem_rankings QUALIFY row_number() OVER (PARTITION BY problem_id"
            "       ORDER BY as_of DESC) = 1) AS r USING (problem_id)"
            f" WHERE p.active ORDER BY {_URGENCY_ORDER},"
            " r.volume_points + r.effect_points + r.growth_points DESC, r.calls DESC, p.problem_id").fetchall()
    return [RankedProblem(*row) for row in rows]


def problem_calls(db: Database, problem_id: str, start: date, end: date) -> int:
    """How many calls of the problem started on the days from `start` up to, not including, `end` (UTC)."""
    with db.read() as cur:
        (count,) = cur.execute(
            f"WITH {_MEMBERS} SELECT count(*) FROM members AS m JOIN calls AS c USING (call_id)"
            " WHERE m.problem_id = ? AND m.hit AND c.started_at >= ? AND c.started_at < ?",
            [problem_id, day_start(start), day_start(end)]).fetchone()
    return count


def add_action(db: Database, problem_id: str, title: str, owner: str, due_date: date, started_on: date,
               note: str | None = None) -> CorrectiveAction:
    """A planned corrective action for a problem of the register, its outcome measured from `started_on`."""
    with db.write() as cur:
        if cur.execute("SELECT 1 FROM problems WHERE problem_id = ?", [problem_id]).fetchone() is None:
            raise KeyError(f"no problem {problem_id!r} in the register; `hotline-qc problems` lists them")
        (action_id,) = cur.execute(
            "INSERT INTO corrective_actions (problem_id, title, owner, due_date, status, started_on, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 'planned', ?, now(), now()) RETURNING action_id",
            [problem_id, title, owner, due_date, started_on]).fetchone()
        _add_event(cur, action_id, "planned", owner, due_date, note, started_on)
    return actions(db, action_id=action_id)[0]


def save_action_change(db: Database, action_id: int, was: str, status: str, owner: str, due_date: date,
                       note: str | None, on: date) -> CorrectiveAction:
    """Store a change of an action that had status `was`, with `note` in its history; refused when another change
    came first, so a change is always checked against the status it changes."""
    with db.write() as cur:
        if not cur.execute("UPDATE corrective_actions SET status = ?, owner = ?, due_date = ?, updated_at = now()"
                           " WHERE action_id = ? AND status = ? RETURNING action_id",
                           [status, owner, due_date, action_id, was]).fetchall():
            raise ValueError(f"corrective action {action_id} changed meanwhile; look at it again")
        _add_event(cur, action_id, status, owner, due_date, note, on)
    return actions(db, action_id=action_id)[0]


def _add_event(cur, action_id: int, status: str, owner: str, due_date: date, note: str | None, on: date) -> None:
    cur.execute("INSERT INTO action_events (action_id, status, owner, due_date, note, effective_on, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, now())", [action_id, status, owner, due_date, note, on])


def actions(db: Database, *, problem_id: str | None = None, action_id: int | None = None) -> list[CorrectiveAction]:
    """Corrective actions with their history, oldest first (all, a problem's, or one)."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT action_id, problem_id, title, owner, due_date, status, started_on FROM corrective_actions"
            " WHERE ($problem IS NULL OR problem_id = $problem) AND ($action IS NULL OR action_id = $action)"
            " ORDER BY action_id", {"problem": problem_id, "action": action_id}).fetchall()
        history = defaultdict(list)
        for aid, *event in cur.execute(
                "SELECT action_id, status, owner, due_date, note, effective_on FROM action_events"
                " WHERE list_contains($ids, action_id) ORDER BY event_id", {"ids": [r[0] for r in rows]}).fetchall():
            history[aid].append(ActionEvent(*event))
    return [CorrectiveAction(*row, history=tuple(history[row[0]])) for row in rows]


@dataclass(frozen=True)
class OperatorCompliance:
    operator_id: str
    calls: int
    mean_score: float | None
    critical_share: float  # calls with a failed critical item
    worst_items: tuple[tuple[str, float], ...]  # (item id, failure rate where it applied), most failed first


_OPERATOR_COMPLIANCE = """
WITH windowed AS (
    SELECT call_id, operator_id FROM calls
    WHERE operator_id IS NOT NULL AND started_at >= $start AND started_at < $end
), effective AS (
    SELECT w.operator_id, v.call_id, v.item_id, v.verdict FROM verdicts_in_force AS v JOIN windowed AS w USING (call_id)
), per_call AS (
    SELECT w.operator_id, s.call_id, s.score, len(s.critical_failures) > 0 AS critical_failed
    FROM scores_in_force AS s JOIN windowed AS w USING (call_id)
), per_item AS (
    SELECT operator_id, item_id, count(*) FILTER (WHERE verdict = 'failed') / count(*) AS failure_rate
    FROM effective WHERE verdict <> 'not_applicable' GROUP BY ALL
)
SELECT p.operator_id, count(*), round(avg(p.score), 1), avg(p.critical_failed::INTEGER),
       (SELECT list([i.item_id, i.failure_rate::VARCHAR] ORDER BY i.failure_rate DESC, i.item_id)[:$top]
        FROM per_item AS i WHERE i.operator_id = p.operator_id AND i.failure_rate > 0)
FROM per_call AS p GROUP BY p.operator_id HAVING count(*) >= $min_calls
ORDER BY avg(p.score), p.operator_id
"""


def operator_compliance(db: Database, start: date, end: date, *, min_calls: int = 5,
                        top_items: int = 3) -> list[OperatorCompliance]:
    """Operators with at least `min_calls` scored calls on the days from `start` up to `end` (UTC), lowest mean
    score first, with the items each fails most often: the coaching list."""
    with db.read() as cur:
        rows = cur.execute(_OPERATOR_COMPLIANCE, {"start": day_start(start), "end": day_start(end),
                                                  "min_calls": min_calls, "top": top_items}).fetchall()
    return [OperatorCompliance(operator_id, calls, score, round(critical, 3),
                               tuple((item, round(float(rate), 3)) for item, rate in (items or [])))
            for operator_id, calls, score, critical, items in rows]
