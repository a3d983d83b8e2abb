"""The calls repository: processing runs, calls with their transcripts, speakers and masked spans, the encrypted
recordings they came from, and why a recording failed."""
from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from asr.records import Transcript
from diarization.records import SpeakerRole, SpeakerTurn
from ingest.records import CallMetadata
from privacy.records import PiiInterval
from storage.db import Database
from storage.records import CallStatus, RecordingInfo, StoredRecording

RUN_STAGES = ("decode", "asr", "diarize", "redact", "store", "score")  # processing_runs has a <stage>_seconds column for each

# Rows go in as one JSON document: binding Python lists costs ~70 µs per value in DuckDB 1.5,
# which made a call with 2,000 words take a second to store; from_json takes milliseconds.
_INSERT_SEGMENTS = """
INSERT INTO segments (call_id, segment_no, start_s, end_s, channel, speaker, role, text)
SELECT $call_id, r.segment_no, r.start_s, r.end_s, r.channel, r.speaker, r.role, r.text
FROM (SELECT unnest(from_json($rows, '[{"segment_no": "INTEGER", "start_s": "DOUBLE", "end_s": "DOUBLE",
    "channel": "INTEGER", "speaker": "VARCHAR", "role": "VARCHAR", "text": "VARCHAR"}]'), recursive := true)) AS r
"""
_INSERT_WORDS = """
INSERT INTO words (call_id, segment_no, word_no, start_s, end_s, text, probability, channel, speaker)
SELECT $call_id, r.segment_no, r.word_no, r.start_s, r.end_s, r.text, r.probability, r.channel, r.speaker
FROM (SELECT unnest(from_json($rows, '[{"segment_no": "INTEGER", "word_no": "INTEGER", "start_s": "DOUBLE",
    "end_s": "DOUBLE", "text": "VARCHAR", "probability": "DOUBLE", "channel": "INTEGER",
    "speaker": "VARCHAR"}]'), recursive := true)) AS r
"""
_INSERT_TURNS = """
INSERT INTO speaker_turns (call_id, turn_no, start_s, end_s, speaker, channel)
SELECT $call_id, r.turn_no, r.start_s, r.end_s, r.speaker, r.channel
FROM (SELECT unnest(from_json($rows, '[{"turn_no": "INTEGER", "start_s": "DOUBLE", "end_s": "DOUBLE",
    "speaker": "VARCHAR", "channel": "INTEGER"}]'), recursive := true)) AS r
"""
_PUT_CALL = """
INSERT OR REPLACE INTO calls (call_id, started_at, utc_offset_s, operator_id, caller_id, ivr_branch,
    regional_center, channels, operator_channel, language_hint, language, language_probability,
    duration_s, status, error, recording_id, run_id, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
"""
_PUT_RECORDING = """
INSERT INTO recordings (recording_id, call_id, path, size_bytes, key_id, codec, sample_rate,
    channel_count, status, quarantined_to, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())
ON CONFLICT (recording_id) DO UPDATE SET
    call_id = excluded.call_id, path = excluded.path, size_bytes = excluded.size_bytes,
    key_id = excluded.key_id, codec = excluded.codec, sample_rate = excluded.sample_rate,
    channel_count = excluded.channel_count, status = excluded.status,
    quarantined_to = excluded.quarantined_to
"""


def start_run(db: Database, pipeline_version: str, asr_model: str, settings: dict) -> str:
    """Record a new run; settings are stored as JSON, with values JSON lacks (paths) as strings."""
    run_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    with db.write() as cur:
        cur.execute(
            "INSERT INTO processing_runs (run_id, started_at, pipeline_version, asr_model, settings)"
            " VALUES (?, now(), ?, ?, ?)",
            [run_id, pipeline_version, asr_model, json.dumps(settings, sort_keys=True, default=str)],
        )
    return run_id


def finish_run(
    db: Database,
    run_id: str,
    *,
    calls_total: int,
    calls_done: int,
    calls_failed: int,
    calls_skipped: int,
    audio_seconds: float,
    wall_seconds: float,
    stage_seconds: dict[str, float],
) -> None:
    """Close a run with its totals; stage_seconds keys are RUN_STAGES; decode includes decryption."""
    unknown = set(stage_seconds) - set(RUN_STAGES)
    if unknown:
        raise ValueError(
            f"unknown stages {sorted(unknown)}; processing_runs times only {list(RUN_STAGES)}"
        )
    with db.write() as cur:
        updated = cur.execute(
            "UPDATE processing_runs SET finished_at = now(), calls_total = ?, calls_done = ?,"
            " calls_failed = ?, calls_skipped = ?, audio_seconds = ?, wall_seconds = ?, "
            + ", ".join(f"{stage}_seconds = ?" for stage in RUN_STAGES)
            + " WHERE run_id = ? RETURNING run_id",
            [
                calls_total, calls_done, calls_failed, calls_skipped, audio_seconds, wall_seconds,
                *(stage_seconds.get(stage) for stage in RUN_STAGES),
                run_id,
            ],
        ).fetchall()
        if not updated:
            raise KeyError(f"no processing run {run_id!r}")


def call_status(db: Database, call_id: str) -> CallStatus | None:
    row = db.cursor().execute(
        "SELECT status, recording_id FROM calls WHERE call_id = ?", [call_id]
    ).fetchone()
    return None if row is None else CallStatus(status=row[0], recording_id=row[1])


def stored_recording(db: Database, recording_id: str) -> StoredRecording | None:
    row = db.cursor().execute(
        "SELECT r.path, r.call_id, c.status, c.started_at, c.utc_offset_s, c.operator_id, c.caller_id,"
        " c.ivr_branch, c.regional_center, c.channels, c.operator_channel, c.language_hint"
        " FROM recordings AS r LEFT JOIN calls AS c ON c.call_id = r.call_id AND c.recording_id = r.recording_id"
        " WHERE r.recording_id = ?", [recording_id]).fetchone()
    if row is None:
        return None
    path, call_id, status, started_at, offset_s, *fields = row
    metadata = None
    if status is not None and started_at is not None:
        zone = timezone(timedelta(seconds=offset_s)) if offset_s is not None else timezone.utc
        metadata = CallMetadata(call_id, started_at.astimezone(zone), *fields)
    return StoredRecording(recording_id, path, call_id, status, metadata)


def save_call(
    db: Database, run_id: str, metadata: CallMetadata, recording: RecordingInfo, transcript: Transcript,
    roles: Sequence[SpeakerRole] = (), turns: Sequence[SpeakerTurn] = (), pii: Sequence[PiiInterval] = (),
) -> None:
    """Store a transcribed call, replacing whatever an earlier run stored for the same call_id; `roles` and
    `turns` are what diarization found, `pii` where redaction masked the (already redacted) transcript."""
    with db.write() as cur:
        put_call(cur, run_id, metadata, recording, transcript, roles, turns, pii)


def put_call(
    cur: duckdb.DuckDBPyConnection, run_id: str, metadata: CallMetadata, recording: RecordingInfo,
    transcript: Transcript, roles: Sequence[SpeakerRole], turns: Sequence[SpeakerTurn], pii: Sequence[PiiInterval],
) -> None:
    """save_call's rows, inside a transaction the caller holds (a call stored together with its score)."""
    replace_transcript(cur, metadata.call_id, transcript)
    _replace_speakers(cur, metadata.call_id, roles, turns)
    replace_pii_spans(cur, metadata.call_id, pii)
    _put_call(
        cur, metadata.call_id, metadata, run_id=run_id, recording_id=recording.recording_id,
        status="done", error=None, language=transcript.language,
        language_probability=transcript.language_probability, duration_s=transcript.duration_s,
    )
    _put_recording(cur, recording, metadata.call_id, status="done", quarantined_to=None)


def save_failure(
    db: Database,
    run_id: str,
    *,
    recording: RecordingInfo,
    metadata: CallMetadata | None,
    stage: str,
    reason: str,
    quarantined_to: str | None,
) -> None:
    """Record why a recording failed. The call is marked failed (and loses any earlier transcript of
    this recording) unless it is already done from a different recording: a stray duplicate must not
    undo a good call, so then only the failure is recorded."""
    call_id = metadata.call_id if metadata is not None else Path(recording.path).stem
    with db.write() as cur:
        row = cur.execute("SELECT status, recording_id FROM calls WHERE call_id = ?", [call_id]).fetchone()
        done_from_other_recording = (
            row is not None and row[0] == "done" and row[1] != recording.recording_id
        )
        if not done_from_other_recording:
            replace_transcript(cur, call_id, None)
            _replace_speakers(cur, call_id, (), ())
            replace_pii_spans(cur, call_id, ())
            _put_call(
                cur, call_id, metadata, run_id=run_id, recording_id=recording.recording_id,
                status="failed", error=reason, language=None, language_probability=None,
                duration_s=None,
            )
        _put_recording(cur, recording, call_id, status="failed", quarantined_to=quarantined_to)
        cur.execute(
            "INSERT INTO failures (run_id, call_id, recording_id, recording_path, stage, reason,"
            " occurred_at) VALUES (?, ?, ?, ?, ?, ?, now())",
            [
                run_id, metadata.call_id if metadata is not None else None, recording.recording_id,
                str(recording.path), stage, reason,
            ],
        )


def replace_transcript(cur: duckdb.DuckDBPyConnection, call_id: str, transcript: Transcript | None) -> None:
    (deleted,) = cur.execute("DELETE FROM segments WHERE call_id = ?", [call_id]).fetchone()
    cur.execute("DELETE FROM words WHERE call_id = ?", [call_id])
    segments = transcript.segments if transcript is not None else ()
    if segments:
        segment_rows = [
            {"segment_no": no, "start_s": s.start, "end_s": s.end, "channel": s.channel,
             "speaker": s.speaker, "role": s.role, "text": s.text}
            for no, s in enumerate(segments)
        ]
        cur.execute(_INSERT_SEGMENTS, {"call_id": call_id, "rows": json.dumps(segment_rows)})
        word_rows = [
            {"segment_no": no, "word_no": word_no, "start_s": w.start, "end_s": w.end, "text": w.text,
             "probability": w.probability, "channel": w.channel, "speaker": w.speaker}
            for no, s in enumerate(segments)
            for word_no, w in enumerate(s.words)
        ]
        if word_rows:
            cur.execute(_INSERT_WORDS, {"call_id": call_id, "rows": json.dumps(word_rows)})
    if deleted or segments:
        cur.execute("UPDATE search_index_state SET segments_version = segments_version + 1")


def replace_pii_spans(cur: duckdb.DuckDBPyConnection, call_id: str, spans: Sequence[PiiInterval]) -> None:
    cur.execute("DELETE FROM pii_spans WHERE call_id = ?", [call_id])
    if spans:
        cur.executemany("INSERT INTO pii_spans (call_id, start_s, end_s, kind, channel) VALUES (?, ?, ?, ?, ?)",
                        [[call_id, s.start_s, s.end_s, s.kind, s.channel] for s in spans])


def _replace_speakers(cur: duckdb.DuckDBPyConnection, call_id: str, roles: Sequence[SpeakerRole],
                      turns: Sequence[SpeakerTurn]) -> None:
    cur.execute("DELETE FROM call_speakers WHERE call_id = ?", [call_id])
    cur.execute("DELETE FROM speaker_turns WHERE call_id = ?", [call_id])
    speech: dict[str, float] = {}
    for turn in turns:
        speech[turn.speaker] = speech.get(turn.speaker, 0.0) + turn.duration
    if roles:
        cur.executemany(
            "INSERT INTO call_speakers VALUES (?, ?, ?, ?, ?, ?, ?)",
            [[call_id, r.speaker, r.role, r.confidence, r.source, list(r.cues), round(speech.get(r.speaker, 0.0), 3)]
             for r in roles],
        )
    if turns:
        cur.execute(_INSERT_TURNS, {"call_id": call_id, "rows": json.dumps(
            [{"turn_no": no, "start_s": t.start, "end_s": t.end, "speaker": t.speaker, "channel": t.channel}
             for no, t in enumerate(turns)])})


def _put_call(
    cur: duckdb.DuckDBPyConnection,
    call_id: str,
    metadata: CallMetadata | None,
    *,
    run_id: str,
    recording_id: str,
    status: str,
    error: str | None,
    language: str | None,
    language_probability: float | None,
    duration_s: float | None,
) -> None:
    if metadata is None:
        sidecar: list[object] = [None] * 9
    else:
        offset = metadata.started_at.utcoffset()
        sidecar = [
            metadata.started_at, int(offset.total_seconds()) if offset is not None else None,
            metadata.operator_id, metadata.caller_id, metadata.ivr_branch, metadata.regional_center,
            metadata.channels, metadata.operator_channel, metadata.language,
        ]
    cur.execute(
        _PUT_CALL,
        [call_id, *sidecar, language, language_probability, duration_s, status, error, recording_id, run_id],
    )


def _put_recording(
    cur: duckdb.DuckDBPyConnection,
    recording: RecordingInfo,
    call_id: str,
    *,
    status: str,
    quarantined_to: str | None,
) -> None:
    cur.execute(
        _PUT_RECORDING,
        [
            recording.recording_id, call_id, str(recording.path), recording.size_bytes, recording.key_id,
            recording.codec, recording.sample_rate, recording.channel_count, status, quarantined_to,
        ],
    )
