"""Full-text search over segment texts: calls ranked by BM25, Russian word forms matched by stem."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from storage.db import Database, local_datetime

# The defaults would drop every Cyrillic letter (ignore keeps only a-z), use English stopwords and
# strip accents, which turns "й" into "и" and breaks the Russian stemmer's endings.
_CREATE_SEARCH_INDEX = r"""
PRAGMA create_fts_index(
    'segments', 'segment_id', 'text',
    stemmer = 'russian', stopwords = 'none', ignore = '(\.|[^\p{L}\p{N}])+',
    strip_accents = 0, lower = 1, overwrite = 1
)
"""

# match_bm25 scores one segment; a call ranks by its best segment so a long call does not win
# merely by repeating a word.
_SEARCH = """
WITH scored AS (
    SELECT call_id, segment_no, start_s, end_s, text,
           fts_main_segments.match_bm25(segment_id, $query) AS score
    FROM segments
), per_call AS (
    SELECT call_id,
           max(score) AS score,
           list({'start': start_s, 'end': end_s, 'text': text} ORDER BY score DESC, segment_no)[1:$per_call]
               AS best
    FROM scored
    WHERE score IS NOT NULL
    GROUP BY call_id
)
SELECT p.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, p.score, p.best
FROM per_call AS p JOIN calls AS c USING (call_id)
ORDER BY p.score DESC, p.call_id
LIMIT $limit
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


def search(db: Database, query: str, limit: int = 20, segments_per_call: int = 3) -> list[SearchHit]:
    """Calls whose segments match `query` in any Russian word form, best first."""
    if not query.strip():
        raise ValueError("search query is empty")
    if limit < 1 or segments_per_call < 1:
        raise ValueError("limit and segments_per_call must be at least 1")
    ensure_index(db)
    with db.read() as cur:
        rows = cur.execute(
            _SEARCH, {"query": query, "limit": limit, "per_call": segments_per_call}
        ).fetchall()
    return [
        SearchHit(
            call_id=call_id,
            started_at=local_datetime(epoch_us, offset_s),
            operator_id=operator_id,
            score=score,
            segments=tuple(MatchedSegment(s["start"], s["end"], s["text"]) for s in best),
        )
        for call_id, epoch_us, offset_s, operator_id, score, best in rows
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
