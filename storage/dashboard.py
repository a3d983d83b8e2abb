"""The reads behind the dashboard's pages, done in SQL so that a page stays fast with a million calls.

`teams` limits a read to the calls of operators in those teams (what a supervisor may see); None reads every
call. A call whose operator has no team is visible only to roles that see every team.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scoring.records import GROUPINGS, PERIODS, Reason, ScorecardCell
from storage.db import Database, local_datetime
from storage.summaries import LOCAL_START, refresh_summaries
from storage.teams import team_filter

_GROUP_COLUMN = {"operator": "d.operator_id", "team": "t.team", "regional_center": "d.regional_center"}


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
    reason: str  # in English
    evidence: tuple[dict, ...]  # {start, end, speaker, quote, method}
    override_reason: str | None
    override_by: str | None
    overridden_at: datetime | None
    why: tuple[Reason, ...] | None  # the reason to show in the reader's language; None where stored without it


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


def latest_call_start(db: Database) -> date | None:
    """The local day of the newest call: pages show the periods up to it, not up to an empty today."""
    with db.read() as cur:
        (day,) = cur.execute(f"SELECT max({LOCAL_START})::DATE FROM calls AS c").fetchone()
    return day


def scorecard_cells(db: Database, by: str, period: str, *, teams: Iterable[str] | None = None,
                    since: date | None = None, until: date | None = None) -> list[ScorecardCell]:
    """The cells scoring.scorecard.scorecard_rows makes a scorecard of, sorted by group and period, for calls
    started between `since` and `until` (local days, inclusive)."""
    if by not in GROUPINGS:
        raise ValueError(f"scorecards group by one of {', '.join(GROUPINGS)}, got {by!r}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    refresh_summaries(db)
    team_sql, params = team_filter(teams)
    window = ""
    if since is not None:
        window += " AND d.day >= $since"
        params["since"] = since
    if until is not None:
        window += " AND d.day <= $until"
        params["until"] = until
    sql = f"""
    SELECT {_GROUP_COLUMN[by]} AS grp, date_trunc('{period}', d.day)::DATE AS period_start, sum(d.calls)::INTEGER,
           sum(d.scored)::INTEGER, sum(d.score_sum), sum(d.critical_calls)::INTEGER
    FROM scorecard_days AS d LEFT JOIN operator_teams AS t USING (operator_id)
    WHERE grp IS NOT NULL {team_sql} {window}
    GROUP BY ALL ORDER BY grp, period_start
    """
    with db.read() as cur:
        return [ScorecardCell(*row) for row in cur.execute(sql, params).fetchall()]


def list_calls(db: Database, *, teams: Iterable[str] | None = None, operator_id: str | None = None,
               team: str | None = None, regional_center: str | None = None, limit: int = 50,
               offset: int = 0) -> list[CallRow]:
    """Transcribed calls, newest first, filtered by exact operator, team and regional centre."""
    if not 1 <= limit <= 500 or offset < 0:
        raise ValueError("limit must be 1-500 and offset not negative")
    # the newest page of calls is picked from calls alone (started_at's zone maps make that a short scan);
    # teams come from the small operator_teams table as a set of operators
    where, params = "", {}
    if teams is not None:
        where += " AND c.operator_id IN (SELECT operator_id FROM operator_teams WHERE list_contains($teams, team))"
        params["teams"] = sorted(teams)
    if team:
        where += " AND c.operator_id IN (SELECT operator_id FROM operator_teams WHERE team = $team)"
        params["team"] = team
    for column, value, name in (("c.operator_id", operator_id, "operator"), ("c.regional_center", regional_center,
                                                                             "centre")):
        if value:
            where += f" AND {column} = ${name}"
            params[name] = value
    params.update(limit=limit, offset=offset)
    sql = f"""
    SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, t.team, c.regional_center,
           c.duration_s, s.score, len(s.critical_failures) > 0
    FROM (
        SELECT * FROM calls AS c WHERE c.status = 'done' {where}
        ORDER BY c.started_at DESC, c.call_id LIMIT $limit OFFSET $offset
    ) AS c LEFT JOIN operator_teams AS t USING (operator_id) LEFT JOIN scores_in_force AS s USING (call_id)
    ORDER BY c.started_at DESC, c.call_id
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


def call_review(db: Database, call_id: str) -> CallReview | None:
    """A call with its transcript by speaker and time and every checklist item with evidence and override."""
    with db.read() as cur:
        row = cur.execute(
            "SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, t.team, c.regional_center,"
            " c.duration_s, s.score, len(s.critical_failures) > 0, s.script_version, c.recording_id"
            " FROM calls AS c LEFT JOIN operator_teams AS t USING (operator_id)"
            " LEFT JOIN scores_in_force AS s USING (call_id) WHERE c.call_id = ?", [call_id]).fetchone()
        if row is None:
            return None
        lines = tuple(TranscriptLine(*r) for r in cur.execute(
            "SELECT segment_no, start_s, end_s, speaker, role, text FROM segments WHERE call_id = ?"
            " ORDER BY segment_no", [call_id]).fetchall())
        items = tuple(ItemReview(*r[:6], tuple(json.loads(r[6])), *r[7:10],
                                 None if r[10] is None else tuple(Reason.from_json(m) for m in json.loads(r[10])))
                      for r in cur.execute(
            "SELECT v.item_id, v.automatic_verdict, v.verdict, v.weight, v.critical, v.reason, v.evidence, o.reason,"
            " o.analyst, o.overridden_at, v.reason_messages"
            " FROM verdicts_in_force AS v LEFT JOIN verdict_overrides AS o USING (override_id)"
            " WHERE v.call_id = ? ORDER BY v.item_no", [call_id]).fetchall())
    return CallReview(_call_row(row[:9]), row[9], lines, items, row[10])


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
    refresh_summaries(db)
    team_sql, params = team_filter(teams, "d.team")
    with db.read() as cur:
        if until is None:
            (until,) = cur.execute("SELECT max(week) FROM cluster_weeks").fetchone()
        if until is None:
            return []
        last = until - timedelta(days=until.weekday())
        first = last - timedelta(weeks=weeks - 1)
        params.update(first=first, last=last)
        counts = cur.execute(f"""
            SELECT d.cluster_id, sum(d.calls)::INTEGER,
                   list({{'week': d.week, 'calls': d.calls}}) FILTER (WHERE d.week BETWEEN $first AND $last)
            FROM cluster_weeks AS d
            WHERE true {team_sql}
            GROUP BY d.cluster_id
        """, params).fetchall()
        clusters = cur.execute("SELECT cluster_id, keywords, quote, topic, emerging FROM complaint_clusters"
                               " WHERE NOT retired").fetchall()
    per_cluster = {}
    for cid, calls, weeks_seen in counts:
        per_week: dict[date, int] = {}
        for entry in weeks_seen or ():
            per_week[entry["week"]] = per_week.get(entry["week"], 0) + entry["calls"]
        per_cluster[cid] = (calls, per_week)
    span = [first + timedelta(weeks=n) for n in range(weeks)]
    rows = []
    for cid, keywords, quote, topic, emerging in clusters:
        calls, per_week = per_cluster.get(cid, (0, {}))
        if not calls:
            continue
        rows.append(ClusterTrendRow(cid, tuple(keywords), quote, topic, emerging, calls,
                                    tuple((w, per_week.get(w, 0)) for w in span)))
    rows.sort(key=lambda r: (-r.calls, r.cluster_id))
    return rows


def filter_options(db: Database, teams: Iterable[str] | None = None) -> FilterOptions:
    """The teams, regional centres and operators a user may filter by."""
    team_sql, params = team_filter(teams)
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
