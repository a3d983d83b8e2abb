"""Summaries the dashboard's pages and the search add up instead of a million calls, each rebuilt when what it was
made from changed (its fingerprint moved on)."""
from __future__ import annotations

from collections.abc import Iterable

from storage.db import Database

# the regional centre's local time: its day is the day the operator worked
LOCAL_START = "make_timestamp(epoch_us(c.started_at) + coalesce(c.utc_offset_s, 0)::BIGINT * 1000000)"

_SUMMARIES = {
    "scorecard_days": (
        "SELECT concat_ws('|', (SELECT count(*) || '/' || max(scored_at) FROM call_scores),"
        " (SELECT max(override_id) FROM verdict_overrides), (SELECT count(*) || '/' || max(updated_at) FROM calls))",
        f"""
        INSERT INTO scorecard_days
        SELECT c.operator_id, c.regional_center, {LOCAL_START}::DATE, count(*), count(e.score),
               coalesce(sum(e.score), 0), count(*) FILTER (WHERE len(e.critical_failures) > 0)
        FROM scores_in_force AS e JOIN calls AS c USING (call_id)
        WHERE c.started_at IS NOT NULL
        GROUP BY ALL
        """,
    ),
    "cluster_weeks": (
        "SELECT concat_ws('|', (SELECT count(*) || '/' || max(started_at) FROM cluster_runs),"
        " (SELECT count(*) FROM call_clusters), (SELECT count(*) || '/' || max(updated_at) FROM operator_teams),"
        " (SELECT count(*) || '/' || max(updated_at) FROM calls))",
        f"""
        INSERT INTO cluster_weeks
        SELECT k.cluster_id, t.team, date_trunc('week', {LOCAL_START})::DATE, count(*)
        FROM call_clusters AS k JOIN calls AS c USING (call_id) LEFT JOIN operator_teams AS t USING (operator_id)
        WHERE c.started_at IS NOT NULL
        GROUP BY ALL
        """,
    ),
    # follows the full-text index, which storage rebuilds on the first search after segments changed
    "search_postings": (
        "SELECT coalesce(indexed_version::VARCHAR, '') FROM search_index_state",
        """
        INSERT INTO search_postings
        SELECT w.term, d.name, g.call_id, count(*), d.len
        FROM fts_main_segments.terms AS t JOIN fts_main_segments.dict AS w USING (termid)
             JOIN fts_main_segments.docs AS d USING (docid) JOIN segments AS g ON g.segment_id = d.name
        GROUP BY ALL
        ORDER BY w.term
        """,
    ),
}
PAGE_SUMMARIES = ("scorecard_days", "cluster_weeks")


def refresh_summaries(db: Database, names: Iterable[str] = PAGE_SUMMARIES) -> list[str]:
    """Rebuild the summaries whose sources changed since they were made; returns the names rebuilt.

    Each source change (a scoring run, an override, new calls, a re-cluster) costs one rebuild, paid by the
    first page read after it."""
    rebuilt = []
    for name in names:
        fingerprint_sql, rebuild_sql = _SUMMARIES[name]
        with db.read() as cur:
            if _summary_is_fresh(cur, name, fingerprint_sql) is True:
                continue
        with db.write() as cur:
            fingerprint = _summary_is_fresh(cur, name, fingerprint_sql)  # another request may have rebuilt it
            if fingerprint is True:
                continue
            cur.execute(f"DELETE FROM {name}")
            cur.execute(rebuild_sql)
            cur.execute("INSERT OR REPLACE INTO dashboard_summaries (name, fingerprint, refreshed_at)"
                        " VALUES (?, ?, now())", [name, fingerprint])
        rebuilt.append(name)
    return rebuilt


def _summary_is_fresh(cur, name: str, fingerprint_sql: str) -> bool | str:
    """True when the stored fingerprint matches; otherwise the current fingerprint."""
    (fingerprint,) = cur.execute(fingerprint_sql).fetchone()
    stored = cur.execute("SELECT fingerprint FROM dashboard_summaries WHERE name = ?", [name]).fetchone()
    return True if stored is not None and stored[0] == fingerprint else fingerprint
