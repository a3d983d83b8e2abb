"""Reads the feedback loop needs: every call with its repeat link, request, post-call survey answer and score.

Survey results join calls here, at read time, so a result stored before its call counts once the call is in.
"""
from __future__ import annotations

import json

from feedback.records import KpiCall, RatedCall
from storage.db import Database, local_datetime

_LATEST_SURVEYS = """
SELECT call_id, arg_max(rating, answered_at) AS rating, arg_max(resolved, answered_at) AS resolved
FROM survey_results WHERE source = 'post_call' GROUP BY call_id
"""
_KPI_CALLS = f"""
WITH surveys AS ({_LATEST_SURVEYS})
SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.duration_s, r.repeat_of,
       q.call_id IS NOT NULL AND q.closed_at IS NULL, epoch_us(q.closed_at), s.rating, s.resolved,
       k.score, len(k.critical_failures) > 0
FROM calls AS c
LEFT JOIN repeat_calls AS r USING (call_id)
LEFT JOIN requests AS q USING (call_id)
LEFT JOIN surveys AS s USING (call_id)
LEFT JOIN scores_in_force AS k USING (call_id)
WHERE c.status = 'done' AND c.started_at IS NOT NULL
ORDER BY c.started_at, c.call_id
"""
_RATED_CALLS = f"""
WITH verdicts AS (
    -- two lists, not a MAP: fetching DuckDB maps into Python took twice as long
    SELECT call_id, list(item_id ORDER BY item_no) AS items, list(verdict ORDER BY item_no) AS verdicts
    FROM verdicts_in_force GROUP BY call_id
), surveys AS ({_LATEST_SURVEYS})
SELECT c.call_id, c.operator_id, t.topic, s.rating, v.items, v.verdicts, k.metrics
FROM calls AS c
JOIN surveys AS s USING (call_id)
JOIN call_scores AS k USING (call_id)
JOIN verdicts AS v USING (call_id)
LEFT JOIN call_topics AS t USING (call_id)
WHERE c.status = 'done' AND s.rating IS NOT NULL
ORDER BY c.call_id
"""


def kpi_calls(db: Database) -> list[KpiCall]:
    """Every processed call with a start time, in start order."""
    with db.read() as cur:
        rows = cur.execute(_KPI_CALLS).fetchall()
    return [
        KpiCall(call_id, local_datetime(us, offset), duration, repeat_of, bool(request_open),
                local_datetime(closed_us, offset), rating, resolved, score,
                None if critical is None else bool(critical))
        for call_id, us, offset, duration, repeat_of, request_open, closed_us, rating, resolved, score, critical
        in rows
    ]


def rated_calls(db: Database) -> list[RatedCall]:
    """Scored calls whose caller rated them in the post-call survey."""
    with db.read() as cur:
        rows = cur.execute(_RATED_CALLS).fetchall()
    return [RatedCall(call_id, operator_id, topic, rating, dict(zip(items, verdicts)), json.loads(metrics))
            for call_id, operator_id, topic, rating, items, verdicts, metrics in rows]
