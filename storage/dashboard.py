"""The reads behind the dashboard's pages, done in SQL so that a page stays fast with a million calls.

`teams` limits a read to the calls of operators in those teams (what a supervisor may see); None reads every
call. A call whose operator has no team is visible only to roles that see every team.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scoring.scorecard import GROUPINGS, PERIODS, ScorecardRow
from storage.db import Database, local_datetime

# Scorecards count an analyst's latest override over the automatic verdict. Overrides are few, so only the
# calls that have one are re-scored here; every other call keeps the score stored when it was scored.
_EFFECTIVE_SCORES = """
WITH latest AS (
    SELECT call_id, item_id, arg_max(verdict, override_id) AS verdict FROM verdict_overrides GROUP BY ALL
), rescored AS (
    SELECT v.call_id,
           round(100.0 * coalesce(sum(v.weight) FILTER (WHERE coalesce(o.verdict, v.verdict) = 'passed'), 0)
                 / nullif(sum(v.weight) FILTER (WHERE coalesce(o.verdict, v.verdict) <> 'not_applicable'), 0), 1)
               AS score,
           coalesce(bool_or(v.critical AND coalesce(o.verdict, v.verdict) = 'failed'), false) AS critical
    FROM checklist_verdicts AS v LEFT JOIN latest AS o USING (call_id, item_id)
    WHERE v.call_id IN (SELECT call_id FROM latest)
    GROUP BY v.call_id
), effective AS (
    SELECT s.call_id,
           CASE WHEN r.call_id IS NULL THEN s.score ELSE r.score END AS score,
           CASE WHEN r.call_id IS NULL THEN len(s.critical_failures) > 0 ELSE r.critical END AS critical
    FROM call_scores AS s LEFT JOIN rescored AS r USING (call_id)
)
"""
# the regional centre's local time: its day is the day the operator worked
_LOCAL_START = "make_timestamp(epoch_us(c.started_at) + coalesce(c.utc_offset_s, 0)::BIGINT * 1000000)"
_GROUP_COLUMN = {"operator": "c.operator_id", "team": "t.team", "regional_center": "c.regional_center"}


@dataclass(frozen=True)
class CallRow:
    call_id: str
    started_at: datetime | None
    operator_id: str | None
    team: str | None
    regional_center: str | None
    duration_s: float | None
    score: float | None
    critical: bool | None  # None: not scored


@dataclass(frozen=True)
class TranscriptLine:
    segment_no: int
    start: float
    end: float
    speaker: str | None
    role: str | None
    text: str


@dataclass(frozen=True)
class ItemReview:
    """One checklist item of a call as an analyst reviews it: the automatic verdict with its evidence, and
    the override in force, if any."""

    item_id: str
    automatic_verdict: str
    verdict: str  # in force: the latest override's, else the automatic one
    weight: float
    critical: bool
    reason: str
    evidence: tuple[dict, ...]  # {start, end, speaker, quote, method}
    override_reason: str | None
    override_by: str | None
    overridden_at: datetime | None


@dataclass(frozen=True)
class CallReview:
    call: CallRow
    script_version: str | None
    lines: tuple[TranscriptLine, ...]
    items: tuple[ItemReview, ...]
    recording_id: str | None


@dataclass(frozen=True)
class ClusterTrendRow:
    cluster_id: int
    keywords: tuple[str, ...]
    quote: str
    topic: str | None
    emerging: bool
    calls: int  # visible calls in the cluster, all time
    weeks: tuple[tuple[date, int], ...]  # (Monday, visible calls), oldest first, zeros included


@dataclass(frozen=True)
class Recording:
    recording_id: str
    path: str
    codec: str | None


@dataclass(frozen=True)
class FilterOptions:
    teams: tuple[str, ...]
    regional_centers: tuple[str, ...]
    operators: tuple[str, ...]


def _team_filter(teams: Iterable[str] | None) -> tuple[str, dict]:
    if teams is None:
        return "", {}
    return " AND list_contains($teams, t.team)", {"teams": sorted(teams)}


def latest_call_start(db: Database) -> date | None:
    """The local day of the newest call: pages show the periods up to it, not up to an empty today."""
    with db.read() as cur:
        (day,) = cur.execute(f"SELECT max({_LOCAL_START})::DATE FROM calls AS c").fetchone()
    return day


def scorecard(db: Database, by: str, period: str, *, teams: Iterable[str] | None = None,
              since: date | None = None, until: date | None = None) -> list[ScorecardRow]:
    """One row per group and period (oldest first within a group), the same rows as
    scoring.scorecard.scorecards, for calls started between `since` and `until` (local days, inclusive)."""
    if by not in GROUPINGS:
        raise ValueError(f"scorecards group by one of {', '.join(GROUPINGS)}, got {by!r}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    team_sql, params = _team_filter(teams)
    window = ""
    if since is not None:
        window += f" AND {_LOCAL_START} >= $since"
        params["since"] = datetime.combine(since, datetime.min.time())
    if until is not None:
        window += f" AND {_LOCAL_START} < $until"
        params["until"] = datetime.combine(until + timedelta(days=1), datetime.min.time())
    sql = _EFFECTIVE_SCORES + f"""
    SELECT grp, period_start, count(*), sum(score), count(score), count(*) FILTER (WHERE critical)
    FROM (
        SELECT {_GROUP_COLUMN[by]} AS grp, date_trunc('{period}', {_LOCAL_START})::DATE AS period_start,
               e.score, e.critical
        FROM effective AS e JOIN calls AS c USING (call_id) LEFT JOIN operator_teams AS t USING (operator_id)
        WHERE c.started_at IS NOT NULL {team_sql} {window}
    )
    WHERE grp IS NOT NULL
    GROUP BY ALL ORDER BY grp, period_start
    """
    with db.read() as cur:
        rows = cur.execute(sql, params).fetchall()
    result, previous = [], {}
    for group, start, calls, total, scored, critical in rows:
        # rounded in Python, as scoring.scorecard rounds: DuckDB rounds halves away from zero
        mean = round(total / scored, 1) if scored else None
        before = previous.get(group)
        result.append(ScorecardRow(group=group, period_start=start, calls=calls, mean_score=mean,
                                   critical_calls=critical, critical_share=round(critical / calls, 3),
                                   trend=round(mean - before, 1) if mean is not None and before is not None else None))
        if mean is not None:
            previous[group] = mean
    return result


def list_calls(db: Database, *, teams: Iterable[str] | None = None, operator_id: str | None = None,
               team: str | None = None, regional_center: str | None = None, limit: int = 50,
               offset: int = 0) -> list[CallRow]:
    """Transcribed calls, newest first, filtered by exact operator, team and regional centre."""
    if not 1 <= limit <= 500 or offset < 0:
        raise ValueError("limit must be 1-500 and offset not negative")
    team_sql, params = _team_filter(teams)
    for column, value, name in (("c.operator_id", operator_id, "operator"), ("t.team", team, "team"),
                                ("c.regional_center", regional_center, "centre")):
        if value:
            team_sql += f" AND {column} = ${name}"
            params[name] = value
    params.update(limit=limit, offset=offset)
    sql = f"""
    SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, t.team, c.regional_center,
           c.duration_s, s.score, len(s.critical_failures) > 0
    FROM calls AS c LEFT JOIN operator_teams AS t USING (operator_id) LEFT JOIN call_scores AS s USING (call_id)
    WHERE c.status = 'done' {team_sql}
    ORDER BY c.started_at DESC, c.call_id LIMIT $limit OFFSET $offset
    """
    with db.read() as cur:
        rows = cur.execute(sql, params).fetchall()
    return [_call_row(row) for row in rows]


def _call_row(row: tuple) -> CallRow:
    call_id, epoch_us, offset, operator_id, team, centre, duration, score, critical = row
    return CallRow(call_id, local_datetime(epoch_us, offset), operator_id, team, centre, duration, score, critical)


def call_team(db: Database, call_id: str) -> tuple[bool, str | None]:
    """(whether the call exists, its operator's team): what deciding who may see it needs."""
    with db.read() as cur:
        row = cur.execute("SELECT t.team FROM calls AS c LEFT JOIN operator_teams AS t USING (operator_id)"
                          " WHERE c.call_id = ?", [call_id]).fetchone()
    return (row is not None, row[0] if row else None)


def visible_calls(db: Database, call_ids: Iterable[str], teams: Iterable[str] | None) -> set[str]:
    ids = list(call_ids)
    if teams is None or not ids:
        return set(ids)
    with db.read() as cur:
        rows = cur.execute("SELECT c.call_id FROM calls AS c JOIN operator_teams AS t USING (operator_id)"
                           " WHERE list_contains($ids, c.call_id) AND list_contains($teams, t.team)",
                           {"ids": ids, "teams": sorted(teams)}).fetchall()
    return {row[0] for row in rows}


def call_review(db: Database, call_id: str) -> CallReview | None:
    """A call with its transcript by speaker and time and every checklist item with evidence and override."""
    with db.read() as cur:
        row = cur.execute(
            "SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, t.team, c.regional_center,"
            " c.duration_s, s.score, len(s.critical_failures) > 0, s.script_version, c.recording_id"
            " FROM calls AS c LEFT JOIN operator_teams AS t USING (operator_id)"
            " LEFT JOIN call_scores AS s USING (call_id) WHERE c.call_id = ?", [call_id]).fetchone()
        if row is None:
            return None
        lines = tuple(TranscriptLine(*r) for r in cur.execute(
            "SELECT segment_no, start_s, end_s, speaker, role, text FROM segments WHERE call_id = ?"
            " ORDER BY segment_no", [call_id]).fetchall())
        latest = {item_id: (verdict, reason, analyst, at) for item_id, verdict, reason, analyst, at in cur.execute(
            "SELECT item_id, verdict, reason, analyst, overridden_at FROM verdict_overrides WHERE call_id = ?"
            " ORDER BY override_id", [call_id]).fetchall()}
        items = []
        for item_id, verdict, weight, critical, reason, evidence in cur.execute(
                "SELECT item_id, verdict, weight, critical, reason, evidence FROM checklist_verdicts"
                " WHERE call_id = ? ORDER BY item_no", [call_id]).fetchall():
            override = latest.get(item_id)
            items.append(ItemReview(
                item_id, verdict, override[0] if override else verdict, weight, critical, reason,
                tuple(json.loads(evidence)), *(override[1:] if override else (None, None, None))))
    if latest:
        # the stored score is the automatic one; what the call page shows is the score in force
        (score, critical), = scored_in_force(db, [call_id]).values()
        row = row[:7] + (score, critical) + row[9:]
    return CallReview(_call_row(row[:9]), row[9], lines, tuple(items), row[10])


def scored_in_force(db: Database, call_ids: Iterable[str]) -> dict[str, tuple[float | None, bool]]:
    """{call_id: (score, any critical item failed)} with analysts' overrides applied."""
    with db.read() as cur:
        rows = cur.execute(_EFFECTIVE_SCORES + "SELECT call_id, score, critical FROM effective"
                           " WHERE list_contains($ids, call_id)", {"ids": list(call_ids)}).fetchall()
    return {call_id: (score, critical) for call_id, score, critical in rows}


def recording_of(db: Database, call_id: str) -> Recording | None:
    """The encrypted recording a transcribed call was made from."""
    with db.read() as cur:
        row = cur.execute("SELECT r.recording_id, r.path, r.codec FROM calls AS c JOIN recordings AS r"
                          " USING (recording_id) WHERE c.call_id = ? AND c.status = 'done'", [call_id]).fetchone()
    return None if row is None else Recording(*row)


def cluster_trends(db: Database, *, teams: Iterable[str] | None = None, weeks: int = 8,
                   until: date | None = None) -> list[ClusterTrendRow]:
    """Live complaint clusters, largest first, with their visible calls per week for `weeks` weeks up to the
    week holding `until` (default: the newest clustered call)."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    team_sql, params = _team_filter(teams)
    team_join = "LEFT JOIN operator_teams AS t USING (operator_id)" if teams is not None else ""
    with db.read() as cur:
        if until is None:
            (until,) = cur.execute(f"SELECT max({_LOCAL_START})::DATE FROM call_clusters JOIN calls AS c"
                                   " USING (call_id)").fetchone()
        if until is None:
            return []
        last = until - timedelta(days=until.weekday())
        first = last - timedelta(weeks=weeks - 1)
        params.update(first=datetime.combine(first, datetime.min.time()),
                      end=datetime.combine(last + timedelta(weeks=1), datetime.min.time()))
        counts = cur.execute(f"""
            SELECT k.cluster_id, count(*) AS calls,
                   list(week) FILTER (WHERE week IS NOT NULL) AS weeks
            FROM (
                SELECT k.cluster_id,
                       CASE WHEN {_LOCAL_START} >= $first AND {_LOCAL_START} < $end
                            THEN date_trunc('week', {_LOCAL_START})::DATE END AS week
                FROM call_clusters AS k JOIN calls AS c USING (call_id) {team_join}
                WHERE true {team_sql}
            ) AS k
            GROUP BY k.cluster_id
        """, params).fetchall()
        clusters = cur.execute("SELECT cluster_id, keywords, quote, topic, emerging FROM complaint_clusters"
                               " WHERE NOT retired").fetchall()
    per_cluster = {cid: (calls, weeks_seen) for cid, calls, weeks_seen in counts}
    span = [first + timedelta(weeks=n) for n in range(weeks)]
    rows = []
    for cid, keywords, quote, topic, emerging in clusters:
        calls, weeks_seen = per_cluster.get(cid, (0, []))
        if not calls:
            continue
        rows.append(ClusterTrendRow(cid, tuple(keywords), quote, topic, emerging, calls,
                                    tuple((w, weeks_seen.count(w)) for w in span)))
    rows.sort(key=lambda r: (-r.calls, r.cluster_id))
    return rows


def filter_options(db: Database, teams: Iterable[str] | None = None) -> FilterOptions:
    """The teams, regional centres and operators a user may filter by."""
    team_sql, params = _team_filter(teams)
    with db.read() as cur:
        if teams is None:
            team_names = [r[0] for r in cur.execute("SELECT DISTINCT team FROM operator_teams ORDER BY 1").fetchall()]
        else:
            team_names = sorted(teams)
        operators = [r[0] for r in cur.execute(
            f"SELECT DISTINCT c.operator_id FROM (SELECT DISTINCT operator_id FROM calls) AS c"
            f" LEFT JOIN operator_teams AS t USING (operator_id) WHERE c.operator_id IS NOT NULL {team_sql}"
            " ORDER BY 1", params).fetchall()]
        centres = [r[0] for r in cur.execute(
            f"SELECT DISTINCT c.regional_center FROM (SELECT DISTINCT operator_id, regional_center FROM calls) AS c"
            f" LEFT JOIN operator_teams AS t USING (operator_id) WHERE c.regional_center IS NOT NULL {team_sql}"
            " ORDER BY 1", params).fetchall()]
    return FilterOptions(tuple(team_names), tuple(centres), tuple(operators))
