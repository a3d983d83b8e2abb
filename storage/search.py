"""Full-text search over segment texts: calls ranked by BM25, Russian word forms matched by stem."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, local_datetime

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
    db.ensure_search_index()
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
