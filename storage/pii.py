"""Where personal data was masked in each call (the times audio playback and export mute), and the writes that
put redacted texts in place of unredacted ones in a database filled before redaction was wired in."""
from __future__ import annotations

from collections.abc import Iterable

from asr.records import Transcript
from privacy.records import PiiInterval
from storage.calls import replace_pii_spans, replace_transcript
from storage.db import Database


def save_pii_spans(db: Database, call_id: str, spans: Iterable[PiiInterval]) -> None:
    """Replace the call's spans (a re-run of a call must not add them twice)."""
    with db.write() as cur:
        replace_pii_spans(cur, call_id, list(spans))


def pii_spans(db: Database, call_id: str) -> list[PiiInterval]:
    with db.read() as cur:
        rows = cur.execute("SELECT start_s, end_s, kind, channel FROM pii_spans WHERE call_id = ?"
                           " ORDER BY start_s, end_s", [call_id]).fetchall()
    return [PiiInterval(start, end, kind, channel) for start, end, kind, channel in rows]


def stored_texts(db: Database) -> dict[str, list[tuple]]:
    """The free texts besides transcripts that quote callers: complaint texts, evidence quotes, cluster quotes.
    Keyed by table: rows of (key..., text) for complaints and clusters, (call_id, item_id, evidence JSON)."""
    with db.read() as cur:
        return {
            "complaints": cur.execute("SELECT call_id, text FROM complaints").fetchall(),
            "complaint_clusters": cur.execute("SELECT cluster_id, quote FROM complaint_clusters").fetchall(),
            "checklist_verdicts": cur.execute("SELECT call_id, item_id, evidence FROM checklist_verdicts").fetchall(),
        }


def replace_call_texts(db: Database, call_id: str, transcript: Transcript, spans: Iterable[PiiInterval]) -> None:
    """Put a redacted transcript and its spans in place of what the call had, in one transaction."""
    with db.write() as cur:
        replace_transcript(cur, call_id, transcript)
        replace_pii_spans(cur, call_id, list(spans))


def replace_texts(db: Database, texts: dict[str, list[tuple]]) -> None:
    """Write back texts in the shape `stored_texts` returned them."""
    updates = (
        ("UPDATE complaints SET text = ? WHERE call_id = ?",
         [[text, call_id] for call_id, text in texts.get("complaints", [])]),
        ("UPDATE complaint_clusters SET quote = ? WHERE cluster_id = ?",
         [[quote, cluster_id] for cluster_id, quote in texts.get("complaint_clusters", [])]),
        ("UPDATE checklist_verdicts SET evidence = ? WHERE call_id = ? AND item_id = ?",
         [[evidence, call_id, item_id] for call_id, item_id, evidence in texts.get("checklist_verdicts", [])]),
    )
    with db.write() as cur:
        for sql, rows in updates:
            if rows:
                cur.executemany(sql, rows)
