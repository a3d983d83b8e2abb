"""Where personal data was masked in each call: the times audio playback and export mute."""
from __future__ import annotations

from collections.abc import Iterable

from privacy.transcript import PiiInterval
from storage.db import Database


def save_pii_spans(db: Database, call_id: str, spans: Iterable[PiiInterval]) -> None:
    """Replace the call's spans (a re-run of a call must not add them twice)."""
    rows = [[call_id, s.start_s, s.end_s, s.kind, s.channel] for s in spans]
    with db._write() as cur:
        cur.execute("DELETE FROM pii_spans WHERE call_id = ?", [call_id])
        if rows:
            cur.executemany("INSERT INTO pii_spans (call_id, start_s, end_s, kind, channel) VALUES (?, ?, ?, ?, ?)",
                            rows)


def pii_spans(db: Database, call_id: str) -> list[PiiInterval]:
    with db.read() as cur:
        rows = cur.execute("SELECT start_s, end_s, kind, channel FROM pii_spans WHERE call_id = ?"
                           " ORDER BY start_s, end_s", [call_id]).fetchall()
    return [PiiInterval(start, end, kind, channel) for start, end, kind, channel in rows]
