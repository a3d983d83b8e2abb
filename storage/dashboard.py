"""The reads behind the dashboard's pages, done in SQL so that a page stays fast with a million calls.

`teams` limits a read to the calls of operators in those teams (what a supervisor may see); None reads every
call. A call whose operator has no team is visible only to roles that see every team.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from scoring.records import GROUPINGS, PERIODS, ScorecardCell
from storage.db import Database, local_datetime
from storage.search import MatchedSegment, SearchHit, ensure_index

# the regional centre's local time: its day is the day the operator worked
_LOCAL_START = "make_timestamp(epoch_us(c.started_at) + coalesce(c.utc_offset_s, 0)::BIGINT * 1000000)"
_GROUP_COLUMN = {"operator": "d.operator_id", "team": "t.team", "regional_center": "d.regional_center"}

_SUMMARIES = {
    "scorecard_days": (
        "SELECT concat_ws('|', (SELECT count(*) || '/' || max(scored_at) FROM call_scores),"
        " (SELECT max(override_id) FROM verdict_overrides), (SELECT count(*) || '/' || max(updated_at) FROM calls))",
        f"""
        INSERT INTO scorecard_days
        SELECT c.operator_id, c.regional_center, {_LOCAL_START}::DATE, count(*), count(e.score),
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
        SELECT k.cluster_id, t.team, date_trunc('week', {_LOCAL_START})::DATE, count(*)
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


def _team_filter(teams: Iterable[str] | None, column: str = "t.team") -> tuple[str, dict]:
    if teams is None:
        return "", {}
    return f" AND list_contains($teams, {column})", {"teams": sorted(teams)}


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


def latest_call_start(db: Database) -> date | None:
    """The local day of the newest call: pages show the periods up to it, not up to an empty today."""
    with db.read() as cur:
        (day,) = cur.execute(f"SELECT max({_LOCAL_START})::DATE FROM calls AS c").fetchone()
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
    team_sql, params = _team_filter(teams)
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
        items = tuple(ItemReview(*r[:6], tuple(json.loads(r[6])), *r[7:]) for r in cur.execute(
            "SELECT v.item_id, v.automatic_verdict, v.verdict, v.weight, v.critical, v.reason, v.evidence, o.reason,"
            " o.analyst, o.overridden_at FROM verdicts_in_force AS v LEFT JOIN verdict_overrides AS o"
            " USING (override_id) WHERE v.call_id = ? ORDER BY v.item_no", [call_id]).fetchall())
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
    team_sql, params = _team_filter(teams, "d.team")
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


# BM25 as fts's match_bm25 computes it (k1 1.2, b 0.75, log10 idf, any query word), over search_postings:
# match_bm25 evaluates every segment (~1 s per 100,000 calls), this reads only the postings of the query's
# words. Words are split, lowered and stemmed as the index was built (storage/db.py).
_SCORED_SEGMENTS = r"""
CREATE TEMP TABLE scored_segments AS
WITH words AS (
    SELECT DISTINCT stem(w, 'russian') AS term
    FROM (SELECT unnest(string_split_regex(lower($query), '(\.|[^\p{L}\p{N}])+')) AS w)
    WHERE w <> ''
)
SELECT p.segment_id, p.call_id,
       sum(log10((s.num_docs - w.df + 0.5) / (w.df + 0.5) + 1)
           * p.tf * 2.2 / (p.tf + 1.2 * (0.25 + 0.75 * p.len / s.avgdl))) AS score
FROM search_postings AS p JOIN fts_main_segments.dict AS w USING (term), fts_main_segments.stats AS s
WHERE p.term IN (SELECT term FROM words)
GROUP BY p.segment_id, p.call_id
"""
# A call ranks by its best segment, so the best calls are among the best segments: only the top `$top` segments
# (and any tied with the last of them) are traced back to their calls, widened until enough calls are visible.
_BEST_CALLS = """
SELECT x.call_id, max(x.score) AS score
FROM (SELECT * FROM scored_segments
      WHERE score >= (SELECT min(score) FROM (SELECT score FROM scored_segments ORDER BY score DESC LIMIT $top))
     ) AS x JOIN calls AS c USING (call_id) $team_join
WHERE true $team_filter
GROUP BY x.call_id
ORDER BY score DESC, x.call_id
LIMIT $limit
"""
# each side filtered by the page's calls first (a semi-join; list_contains would test every row)
_HIT_SEGMENTS = """
SELECT x.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, max(x.score),
       list({'start': g.start_s, 'end': g.end_s, 'text': g.text} ORDER BY x.score DESC, g.segment_no)[1:$per_call]
FROM (SELECT * FROM scored_segments WHERE call_id IN (SELECT unnest($ids))) AS x
     JOIN (SELECT * FROM segments WHERE call_id IN (SELECT unnest($ids))) AS g USING (segment_id)
     JOIN (SELECT * FROM calls WHERE call_id IN (SELECT unnest($ids))) AS c ON c.call_id = x.call_id
GROUP BY ALL
"""


def search_calls(db: Database, query: str, *, teams: Iterable[str] | None = None, limit: int = 50,
                 segments_per_call: int = 3) -> list[SearchHit]:
    """Calls whose transcripts match `query` in any Russian word form, best first, among the visible ones:
    the ranking of storage.search.search, fast enough for a page over a million calls."""
    if not query.strip():
        raise ValueError("search query is empty")
    if not 1 <= limit <= 500 or segments_per_call < 1:
        raise ValueError("limit must be 1-500 and segments_per_call at least 1")
    ensure_index(db)
    refresh_summaries(db, ["search_postings"])
    team_sql, params = _team_filter(teams)
    best_calls = _BEST_CALLS.replace("$team_join", "LEFT JOIN operator_teams AS t USING (operator_id)"
                                     if teams is not None else "").replace("$team_filter", team_sql)
    with db.read() as cur:
        # a temporary table lives in this cursor's own connection-scoped catalog only while the read lasts
        cur.execute(_SCORED_SEGMENTS, {"query": query})
        try:
            (matched,) = cur.execute("SELECT count(*) FROM scored_segments").fetchone()
            top = limit * 8
            while True:
                best = cur.execute(best_calls, {**params, "top": top, "limit": limit}).fetchall()
                if len(best) == limit or top >= matched:
                    break
                top *= 8
            rank = {call_id: n for n, (call_id, _) in enumerate(best)}
            rows = cur.execute(_HIT_SEGMENTS, {"ids": list(rank), "per_call": segments_per_call}).fetchall()
        finally:
            cur.execute("DROP TABLE scored_segments")
    rows.sort(key=lambda row: rank[row[0]])
    return [
        SearchHit(call_id, local_datetime(epoch_us, offset), operator_id, score,
                  tuple(MatchedSegment(m["start"], m["end"], m["text"]) for m in best_segments))
        for call_id, epoch_us, offset, operator_id, score, best_segments in rows
    ]


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
