"""Calls as JSON Lines, one object per call, in a shape consumers can rely on."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from storage import complaint_clusters
from storage.db import Database, local_datetime
from storage.scores import export_fields

# Filled by scoring and insights later; present from the start so the shape never changes under consumers.
LATER_FIELDS = ("checklist", "metrics", "score", "complaint", "complaint_cluster", "topic", "misrouted", "repeat_of",
                "request")

_BATCH = 500

_CALLS = """
WITH call_segments AS (
    SELECT call_id,
           list({'start': start_s, 'end': end_s, 'text': text, 'channel': channel, 'speaker': speaker,
                 'role': role} ORDER BY segment_no) AS segments
    FROM segments
    GROUP BY call_id
), speakers AS (
    SELECT call_id,
           list({'speaker': speaker, 'role': role, 'role_confidence': confidence, 'role_source': source,
                 'role_cues': cues, 'speech_s': speech_s} ORDER BY speaker) AS speakers
    FROM call_speakers
    GROUP BY call_id
), masked AS (
    -- the times redaction masked, so that a consumer holding the recording can mute it as playback does
    SELECT call_id,
           list({'start': start_s, 'end': end_s, 'kind': kind, 'channel': channel} ORDER BY start_s, end_s)
               AS pii_spans
    FROM pii_spans
    GROUP BY call_id
)
SELECT c.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, c.caller_id, c.language,
       c.duration_s, c.status, c.error, s.segments, sp.speakers, m.pii_spans
FROM calls AS c LEFT JOIN call_segments AS s USING (call_id) LEFT JOIN speakers AS sp USING (call_id)
     LEFT JOIN masked AS m USING (call_id)
ORDER BY c.started_at NULLS LAST, c.call_id
"""


def export_calls(db: Database, out: Path | str | os.PathLike[str] | TextIO) -> int:
    """Write every call ordered by start time (calls of unknown start last); returns how many."""
    if isinstance(out, (str, os.PathLike)):
        with open(out, "w", encoding="utf-8", newline="\n") as stream:
            return _write_calls(db, stream)
    return _write_calls(db, out)


def _write_calls(db: Database, stream: TextIO) -> int:
    count = 0
    with db.read() as cur:
        cur.execute(_CALLS)
        while rows := cur.fetchmany(_BATCH):
            ids = [row[0] for row in rows]
            scored, analysed = export_fields(db, ids), complaint_clusters.export_fields(db, ids)
            for row in rows:
                later = scored.get(row[0], {}) | analysed.get(row[0], {})
                stream.write(json.dumps(_call_object(row, later), ensure_ascii=False) + "\n")
            count += len(rows)
    return count


def _call_object(row: tuple, later: dict) -> dict:
    (call_id, epoch_us, utc_offset_s, operator_id, caller_id, language, duration_s, status, error, segments, speakers,
     pii_spans) = row
    started_at = local_datetime(epoch_us, utc_offset_s)
    return {
        "call_id": call_id,
        "started_at": started_at.isoformat() if started_at is not None else None,
        "operator_id": operator_id,
        "caller_id": caller_id,
        "language": language,
        "duration_s": duration_s,
        "status": status,
        "error": error,
        "speakers": speakers or [],
        "segments": segments or [],
        "pii_spans": pii_spans or [],
        **dict.fromkeys(LATER_FIELDS),
        **later,
    }
