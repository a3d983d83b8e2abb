from __future__ import annotations

import hashlib
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from asr.records import Segment, Transcript, Word
from ingest.metadata import CallMetadata
from privacy.records import PiiInterval
from storage.calls import call_status, finish_run, save_call, save_failure, start_run
from storage.db import Database, apply_migrations, load_migrations
from storage.export import export_calls
from storage.records import CallStatus, RecordingInfo

EXPORT_KEYS = {
    "call_id", "started_at", "operator_id", "caller_id", "language", "duration_s", "status", "error",
    "speakers", "segments", "pii_spans", "checklist", "metrics", "score", "complaint", "complaint_cluster", "topic",
    "misrouted", "repeat_of", "request",
}
TABLES = {
    "schema_migrations", "calls", "recordings", "segments", "words", "processing_runs", "failures",
    "search_index_state",
}


def metadata(call_id: str, started_at: str = "2024-05-01T10:00:00+03:00", **fields) -> CallMetadata:
    return CallMetadata(
        call_id=call_id,
        started_at=datetime.fromisoformat(started_at),
        operator_id=fields.pop("operator_id", "op-7"),
        caller_id=fields.pop("caller_id", "+79990001122"),
        ivr_branch=2,
        regional_center="Казань",
        channels="stereo",
        operator_channel=0,
        language="ru",
        **fields,
    )


def recording(name: str) -> RecordingInfo:
    return RecordingInfo(
        recording_id=hashlib.sha256(name.encode()).hexdigest(),
        path=Path("/incoming") / f"{name}.enc",
        size_bytes=48_000,
        key_id="key-2024",
        codec="opus",
        sample_rate=16_000,
        channel_count=2,
    )


def transcript(*texts: str) -> Transcript:
    segments = []
    for no, text in enumerate(texts):
        start = no * 3.0
        words = tuple(
            Word(start + i * 0.5, start + i * 0.5 + 0.4, word, 0.9, channel=no % 2, speaker=f"S{no % 2}")
            for i, word in enumerate(text.split())
        )
        segments.append(
            Segment(start, start + 2.5, text, channel=no % 2, words=words, speaker=f"S{no % 2}",
                    role="operator" if no % 2 == 0 else "caller")
        )
    return Transcript(language="ru", language_probability=0.97, duration_s=3.0 * len(texts),
                      segments=tuple(segments))


def export_lines(db: Database) -> list[dict]:
    out = io.StringIO()
    count = export_calls(db, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(lines)
    return lines


def count(db: Database, sql: str, params: list | None = None) -> int:
    with db.read() as cur:
        return cur.execute(sql, params or []).fetchone()[0]


def test_fresh_database_has_every_migration_and_table(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db, db.read() as cur:
        versions = [v for (v,) in cur.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()]
        tables = {t for (t,) in cur.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")
                  .fetchall()}
    assert versions == [m.version for m in load_migrations()] == list(range(1, len(versions) + 1))
    assert TABLES <= tables


def test_older_database_is_upgraded_and_keeps_its_data(tmp_path):
    path = tmp_path / "qc.duckdb"
    con = duckdb.connect(str(path))
    apply_migrations(con, load_migrations()[:1])
    con.execute(
        "INSERT INTO calls (call_id, started_at, utc_offset_s, operator_id, status, recording_id, updated_at)"
        " VALUES ('old-1', TIMESTAMPTZ '2023-01-02 09:00:00+03', 10800, 'op-1', 'done', 'r-old', now())"
    )
    con.execute("INSERT INTO segments (call_id, segment_no, start_s, end_s, text) VALUES ('old-1', 0, 0, 1, 'алло')")
    assert con.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == 1
    con.close()

    with Database(path) as db:
        assert count(db, "SELECT count(*) FROM schema_migrations") == len(load_migrations())
        assert call_status(db, "old-1") == CallStatus("done", "r-old")
        [old] = export_lines(db)
        assert old["started_at"] == "2023-01-02T09:00:00+03:00"
        assert old["segments"] == [
            {"start": 0.0, "end": 1.0, "text": "алло", "channel": None, "speaker": None, "role": None}
        ]
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        save_failure(db, run_id, recording=recording("new"), metadata=None, stage="decrypt",
                     reason="tag mismatch", quarantined_to=None)
        assert count(db, "SELECT count(*) FROM failures") == 1


def test_database_newer_than_the_code_is_refused(tmp_path):
    path = tmp_path / "qc.duckdb"
    Database(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES (999, '999_future.sql', now())")
    con.close()
    with pytest.raises(RuntimeError, match="newer"):
        Database(path)


def test_save_call_then_export_round_trip(tmp_path):
    out = tmp_path / "calls.jsonl"
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {"workers": 4, "input": tmp_path})
        meta = metadata("call-1", "2024-05-01T10:00:00+05:00")
        save_call(db, run_id, meta, recording("call-1"),
                  transcript("Здравствуйте, горячая линия.", "Не могу войти в личный кабинет."),
                  pii=[PiiInterval(3.5, 4.4, "name", 1), PiiInterval(0.5, 0.9, "phone")])
        assert export_calls(db, out) == 1
        assert call_status(db, "call-1") == CallStatus("done", recording("call-1").recording_id)

    text = out.read_text(encoding="utf-8")
    assert "личный кабинет" in text  # not \u-escaped
    [call] = [json.loads(line) for line in text.splitlines()]
    assert set(call) == EXPORT_KEYS
    assert call == {
        "call_id": "call-1",
        "started_at": "2024-05-01T10:00:00+05:00",
        "operator_id": "op-7",
        "caller_id": "+79990001122",
        "language": "ru",
        "duration_s": 6.0,
        "status": "done",
        "error": None,
        "speakers": [],
        "segments": [
            {"start": 0.0, "end": 2.5, "text": "Здравствуйте, горячая линия.", "channel": 0, "speaker": "S0",
             "role": "operator"},
            {"start": 3.0, "end": 5.5, "text": "Не могу войти в личный кабинет.", "channel": 1, "speaker": "S1",
             "role": "caller"},
        ],
        # ordered by time; a span on no channel mutes every channel
        "pii_spans": [
            {"start": 0.5, "end": 0.9, "kind": "phone", "channel": None},
            {"start": 3.5, "end": 4.4, "kind": "name", "channel": 1},
        ],
        "checklist": None, "metrics": None, "score": None, "complaint": None, "complaint_cluster": None,
        "topic": None, "misrouted": None, "repeat_of": None, "request": None,
    }
    assert datetime.fromisoformat(call["started_at"]) == meta.started_at


def test_export_orders_by_start_then_call_id_with_unknown_starts_last(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        save_failure(db, run_id, recording=recording("no-sidecar"), metadata=None, stage="sidecar",
                     reason="missing sidecar no-sidecar.json", quarantined_to=None)
        save_call(db, run_id, metadata("b", "2024-05-01T10:00:00+03:00"), recording("b"), transcript("да"))
        save_call(db, run_id, metadata("a", "2024-05-01T07:00:00+00:00"), recording("a"), transcript("да"))
        save_call(db, run_id, metadata("c", "2024-05-01T09:00:00+03:00"), recording("c"), transcript("да"))
        assert [c["call_id"] for c in export_lines(db)] == ["c", "a", "b", "no-sidecar"]


def test_saving_a_call_again_replaces_its_rows(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        save_call(db, run_id, metadata("call-1"), recording("call-1"), transcript("раз два", "три четыре", "пять"))
        save_call(db, run_id, metadata("call-1"), recording("call-1"), transcript("раз два", "три четыре", "пять"))
        assert count(db, "SELECT count(*) FROM segments") == 3
        assert count(db, "SELECT count(*) FROM words") == 5
        assert count(db, "SELECT count(*) FROM calls") == 1
        assert count(db, "SELECT count(*) FROM recordings") == 1

        save_call(db, run_id, metadata("call-1"), recording("call-1"), transcript("только это"))
        assert count(db, "SELECT count(*) FROM segments") == 1
        assert count(db, "SELECT count(*) FROM words") == 2
        [call] = export_lines(db)
        assert [s["text"] for s in call["segments"]] == ["только это"]


def test_speakers_and_turns_are_stored_with_the_call_and_replaced_with_it(tmp_path):
    from diarization.records import SpeakerRole, SpeakerTurn

    roles = (SpeakerRole("S0", "operator", 0.93, "content", ("greets with the service name",)),
             SpeakerRole("S1", "caller", 0.93, "content"))
    turns = (SpeakerTurn(0.0, 2.5, "S0"), SpeakerTurn(2.2, 5.5, "S1"), SpeakerTurn(5.0, 6.0, "S0"))
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        save_call(db, run_id, metadata("call-1"), recording("call-1"), transcript("раз", "два"), roles, turns)
        [call] = export_lines(db)
        assert call["speakers"] == [
            {"speaker": "S0", "role": "operator", "role_confidence": 0.93, "role_source": "content",
             "role_cues": ["greets with the service name"], "speech_s": 3.5},
            {"speaker": "S1", "role": "caller", "role_confidence": 0.93, "role_source": "content", "role_cues": [],
             "speech_s": 3.3},
        ]
        # overlaps are kept: they feed the overtalk metric
        assert count(db, "SELECT count(*) FROM speaker_turns WHERE call_id = 'call-1'") == 3
        save_failure(db, run_id, recording=recording("call-1"), metadata=metadata("call-1"), stage="asr",
                     reason="silence only", quarantined_to=None)
        assert count(db, "SELECT count(*) FROM call_speakers") == count(db, "SELECT count(*) FROM speaker_turns") == 0


def test_a_save_that_fails_midway_leaves_the_earlier_call_intact(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        save_call(db, run_id, metadata("call-1"), recording("call-1"), transcript("первый вариант"))
        broken = Transcript("ru", 0.9, 2.0, (Segment(0.0, 1.0, None),))  # text is NOT NULL
        with pytest.raises(duckdb.ConstraintException):
            save_call(db, run_id, metadata("call-1"), recording("call-1"), broken)
        [call] = export_lines(db)
        assert [s["text"] for s in call["segments"]] == ["первый вариант"]
        assert count(db, "SELECT count(*) FROM words") == 2


def test_failure_with_unusable_sidecar_falls_back_to_the_file_stem(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        broken = recording("2024-05-01_0042")
        save_failure(db, run_id, recording=broken, metadata=None, stage="sidecar",
                     reason="sidecar 2024-05-01_0042.json is not valid JSON",
                     quarantined_to="/quarantine/2024-05-01_0042.enc")

        assert call_status(db, "2024-05-01_0042") == CallStatus("failed", broken.recording_id)
        [call] = export_lines(db)
        assert set(call) == EXPORT_KEYS
        assert call["status"] == "failed"
        assert call["error"] == "sidecar 2024-05-01_0042.json is not valid JSON"
        assert call["segments"] == []
        assert call["started_at"] is None
        with db.read() as cur:
            assert cur.execute("SELECT status, quarantined_to, call_id FROM recordings").fetchall() == [
                ("failed", "/quarantine/2024-05-01_0042.enc", "2024-05-01_0042")
            ]
            assert cur.execute("SELECT run_id, call_id, recording_path, stage FROM failures").fetchall() == [
                (run_id, None, "/incoming/2024-05-01_0042.enc", "sidecar")
            ]


def test_failure_of_another_recording_does_not_downgrade_a_done_call(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        good = recording("call-1")
        save_call(db, run_id, metadata("call-1"), good, transcript("всё хорошо"))
        duplicate = recording("call-1-copy")
        save_failure(db, run_id, recording=duplicate, metadata=metadata("call-1"), stage="decode",
                     reason="unsupported codec", quarantined_to="/quarantine/call-1-copy.enc")

        assert call_status(db, "call-1") == CallStatus("done", good.recording_id)
        [call] = export_lines(db)
        assert (call["status"], call["error"], len(call["segments"])) == ("done", None, 1)
        assert count(db, "SELECT count(*) FROM failures WHERE call_id = 'call-1'") == 1
        assert count(db, "SELECT count(*) FROM recordings WHERE status = 'failed'") == 1


def test_failure_of_the_same_recording_marks_the_call_failed(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        rec = recording("call-1")
        save_call(db, run_id, metadata("call-1"), rec, transcript("старый текст"))
        save_failure(db, run_id, recording=rec, metadata=metadata("call-1"), stage="asr",
                     reason="model crashed", quarantined_to=None)
        assert call_status(db, "call-1") == CallStatus("failed", rec.recording_id)
        [call] = export_lines(db)
        assert (call["status"], call["error"], call["segments"]) == ("failed", "model crashed", [])
        assert call["started_at"] == "2024-05-01T10:00:00+03:00"
        assert count(db, "SELECT count(*) FROM words") == 0


@pytest.mark.slow
def test_concurrent_saves_from_four_threads(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {})
        start = threading.Barrier(4)

        def work(worker: int) -> None:
            start.wait()
            for i in range(10):
                call_id = f"w{worker}-{i}"
                save_call(db, run_id, metadata(call_id), recording(call_id), transcript("алло", "слушаю вас"))
                save_call(db, run_id, metadata("shared"), recording("shared"), transcript("общий звонок"))
                assert call_status(db, call_id).status == "done"

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(4)))

        assert count(db, "SELECT count(*) FROM calls") == 41
        assert count(db, "SELECT count(*) FROM segments") == 81
        assert count(db, "SELECT count(*) FROM words") == 40 * 3 + 2


def test_runs_are_recorded_with_totals(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        run_id = start_run(db, "0.1.0", "whisper-base", {"input": tmp_path, "workers": 2})
        finish_run(db, run_id, calls_total=5, calls_done=3, calls_failed=1, calls_skipped=1,
                   audio_seconds=600.0, wall_seconds=70.5,
                   stage_seconds={"decode": 2.0, "asr": 60.0, "store": 0.5})
        with db.read() as cur:
            row = cur.execute(
                "SELECT settings::VARCHAR, calls_total, calls_done, calls_failed, calls_skipped, audio_seconds,"
                " wall_seconds, decode_seconds, asr_seconds, store_seconds, finished_at IS NOT NULL"
                " FROM processing_runs WHERE run_id = ?", [run_id]).fetchone()
        assert json.loads(row[0]) == {"input": str(tmp_path), "workers": 2}
        assert row[1:] == (5, 3, 1, 1, 600.0, 70.5, 2.0, 60.0, 0.5, True)

        with pytest.raises(ValueError, match="diarization"):
            finish_run(db, run_id, calls_total=0, calls_done=0, calls_failed=0, calls_skipped=0,
                       audio_seconds=0, wall_seconds=0, stage_seconds={"diarization": 1.0})
        with pytest.raises(KeyError):
            finish_run(db, "no-such-run", calls_total=0, calls_done=0, calls_failed=0, calls_skipped=0,
                       audio_seconds=0, wall_seconds=0, stage_seconds={})


def test_export_to_a_path_with_no_calls_writes_an_empty_file(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        assert export_calls(db, tmp_path / "calls.jsonl") == 0
    assert (tmp_path / "calls.jsonl").read_text(encoding="utf-8") == ""
