"""Full-text search over segment texts: calls ranked by BM25, Russian word forms matched by stem."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.db import Database, local_datetime
from storage.summaries import refresh_summaries
from storage.teams import team_filter

# The defaults would drop every Cyrillic letter (ignore keeps only a-z), use English stopwords and
# strip accents, which turns "й" into "и" and breaks the Russian stemmer's endings.
_CREATE_SEARCH_INDEX = r"""
PRAGMA create_fts_index(
    'segments', 'segment_id', 'text',
    stemmer = 'russian', stopwords = 'none', ignore = '(\.|[^\p{L}\p{N}])+',
    strip_accents = 0, lower = 1, overwrite = 1
)
"""

# BM25 as fts's match_bm25 computes it (k1 1.2, b 0.75, log10 idf, any query word), over search_postings:
# match_bm25 evaluates every segment (~1 s per 100,000 calls), this reads only the postings of the query's
# words. Words are split, lowered and stemmed as the index was built (_CREATE_SEARCH_INDEX).
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


@dataclass(frozen=True)
class MatchedSegment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class SearchHit:
    call_id: str
    started_at: datetime | None
    operator_id: str | None
    score: float  # BM25 of the call's best matching segment
    segments: tuple[MatchedSegment, ...]  # best first


def search(db: Database, query: str, *, teams: Iterable[str] | None = None, limit: int = 20,
                 segments_per_call: int = 3) -> list[SearchHit]:
    """Calls whose transcripts match `query` in any Russian word form, best first, among those of operators in
    `teams` (None: every call)."""
    if not query.strip():
        raise ValueError("search query is empty")
    if not 1 <= limit <= 500 or segments_per_call < 1:
        raise ValueError("limit must be 1-500 and segments_per_call at least 1")
    ensure_index(db)
    refresh_summaries(db, ["search_postings"])
    team_sql, params = team_filter(teams)
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


def rebuild_index(db: Database) -> None:
    with db.write() as cur:
        _build_index(cur)


def ensure_index(db: Database) -> None:
    """Rebuild the search index only if segments changed since it was built."""
    if not _index_stale(db.cursor()):
        return
    with db.write() as cur:
        if _index_stale(cur):
            _build_index(cur)


def _index_stale(cur: duckdb.DuckDBPyConnection) -> bool:
    (stale,) = cur.execute(
        "SELECT indexed_version IS DISTINCT FROM segments_version FROM search_index_state"
    ).fetchone()
    return stale


def _build_index(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(_CREATE_SEARCH_INDEX)
    cur.execute("UPDATE search_index_state SET indexed_version = segments_version")
