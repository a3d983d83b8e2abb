"""Personal data in the database: masked transcripts with their times, the audit log, retention and erasure,
each on a real DuckDB file."""
from __future__ import annotations

import hashlib
import inspect
import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pytest

from asr.records import Segment, Transcript, Word
from ingest.metadata import CallMetadata
from insights.records import ClusterAssignment, ClusterLabel, Complaint, ComplaintCluster, TopicAssignment
from language import use
from pipelines.erasure import erase_caller_from_file, personal_data
from privacy.transcript import PiiInterval, redact_transcript
from storage import audit
from storage.calls import save_call, start_run
from storage.complaint_clusters import save_clustering, save_complaints, save_topics
from storage.db import Database
from storage.erasure import caller_ref, caller_texts, erase_caller, find_traces
from storage.pii import pii_spans, save_pii_spans
from storage.records import RecordingInfo
from storage.retention import purge_older_than
from storage.search import search

pytestmark = pytest.mark.slow  # erases and corrects callers in stored databases, rewriting the file

CALLER_A, CALLER_B = "c-aaaa11112222", "c-bbbb33334444"
NAME_A = "Николаева Вера Юрьевна"
PHONE_A = "+7 916 555-12-34"


def segment(channel: int, start: float, text: str) -> Segment:
    words, t = [], start
    for token in text.split():
        words.append(Word(t, t + 0.3, " " + token, 0.9, channel))
        t += 0.4
    return Segment(start, t, " " + text, channel, tuple(words), role="caller" if channel else "operator")


def call_transcript(*lines: tuple[int, str]) -> Transcript:
    segments, t = [], 0.0
    for channel, text in lines:
        segments.append(segment(channel, t, text))
        t = segments[-1].end + 0.5
    return Transcript("ru", 0.99, t, tuple(segments))


def store_call(db: Database, call_id: str, caller_id: str, started_at: str, transcript: Transcript,
               recordings: Path | None = None) -> None:
    path = (recordings or Path("/incoming")) / f"{call_id}.enc"
    if recordings is not None:
        path.write_bytes(b"\x00encrypted\x01" * 10)
        path.with_suffix(".json").write_text(json.dumps({"call_id": call_id, "caller_id": caller_id}))
    metadata = CallMetadata(call_id=call_id, started_at=datetime.fromisoformat(started_at), operator_id="op-01",
                            caller_id=caller_id, ivr_branch=1, regional_center="Москва", channels="stereo",
                            operator_channel=0, language="ru")
    info = RecordingInfo(hashlib.sha256(call_id.encode()).hexdigest(), path, 120, "k1", "opus", 16000, 2)
    save_call(db, start_run(db, "test", "base", {}), metadata, info, transcript)


def table_count(db: Database, sql: str, params: list | None = None) -> int:
    with db.read() as cur:
        return cur.execute(sql, params or []).fetchone()[0]


# --- masked transcripts ------------------------------------------------------------------------------------

def test_transcript_is_masked_word_by_word_with_times_across_segments(tmp_path):
    transcript = call_transcript(
        (0, "Назовите, пожалуйста, номер телефона."),
        (1, "Восемь девятьсот шестнадцать"),
        (1, "пятьсот пятьдесят пять двенадцать тридцать четыре."),
        (0, "Спасибо. Ваши фамилия, имя, отчество?"),
        (1, f"{NAME_A}, родилась 7 мая 1967 года."),
    )
    masked, spans = redact_transcript(transcript)
    texts = [s.text for s in masked.segments]
    assert texts == [" Назовите, пожалуйста, номер телефона.", " [телефон].",
                     " Спасибо. Ваши фамилия, имя, отчество?", " [ФИО], родилась [дата]."]
    phone_words = [w for s in transcript.segments[1:3] for w in s.words]
    assert spans[0] == PiiInterval(phone_words[0].start, phone_words[-1].end, "phone", 1)
    assert [s.kind for s in spans] == ["phone", "name", "date"]
    name_words = transcript.segments[4].words[:3]
    assert (spans[1].start_s, spans[1].end_s) == (name_words[0].start, name_words[-1].end)
    assert masked.segments[1].end == phone_words[-1].end  # the label word carries the whole dictation

    with Database(tmp_path / "qc.duckdb") as db:
        save_pii_spans(db, "call-1", spans)
        save_pii_spans(db, "call-1", spans)  # a re-run replaces, never doubles
        assert pii_spans(db, "call-1") == list(spans)
        assert pii_spans(db, "call-2") == []


def test_segment_without_word_times_is_masked_whole():
    transcript = Transcript("ru", 0.9, 5.0, (Segment(1.0, 4.0, "СНИЛС 186-165-073 87.", 1),))
    masked, spans = redact_transcript(transcript)
    assert masked.segments[0].text == "СНИЛС [СНИЛС]."
    assert spans == (PiiInterval(1.0, 4.0, "snils", 1),)


# --- audit log ---------------------------------------------------------------------------------------------

def test_audit_log_appends_and_detects_tampering(tmp_path):
    path = tmp_path / "qc.duckdb"
    with Database(path) as db:
        first = audit.record(db, "anna", "sign_in")
        audit.record(db, "anna", "call_view", "call-1")
        audit.record(db, "boris", "override", "call-1", "greeting: failed -> passed, reason: heard on audio")
        assert [e.action for e in audit.entries(db)] == ["override", "call_view", "sign_in"]
        assert [e.entry_no for e in audit.entries(db, actor="anna")][-1] == first
        assert audit.verify(db) == []
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(db, "anna", "delete_everything")
        with pytest.raises(ValueError, match="actor"):
            audit.record(db, " ", "sign_in")
    # the module offers appending and reading only
    public = {name for name, obj in inspect.getmembers(audit, inspect.isfunction)
              if obj.__module__ == audit.__name__ and not name.startswith("_")}
    assert public == {"record", "entries", "verify"}

    con = duckdb.connect(str(path))
    con.execute("UPDATE audit_log SET actor = 'mallory' WHERE actor = 'boris'")
    con.close()
    with Database(path) as db:
        assert audit.verify(db) == ["entry 3: its contents were changed"]
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM audit_log WHERE entry_no = 2")
    con.close()
    with Database(path) as db:
        assert "entry 3: the entry before it was changed or removed" in audit.verify(db)


def _filled_log(tmp_path: Path) -> Path:
    path = tmp_path / "qc.duckdb"
    with Database(path) as db:
        audit.record(db, "anna", "sign_in", "dashboard")
        audit.record(db, "anna", "audio_playback", "call-1")
        audit.record(db, "anna", "decryption", "rec-1")
        audit.record(db, "boris", "call_view", "call-2")
        assert audit.verify(db) == []
    return path


def _rechain(con: duckdb.DuckDBPyConnection) -> None:
    """What a forger with the database file but not the key does: recompute the old unkeyed chain."""
    prev = "0" * 64
    rows = con.execute("SELECT entry_no, epoch_us(happened_at), actor, action, target, detail FROM audit_log"
                       " ORDER BY entry_no").fetchall()
    for entry_no, at, actor, action, target, detail in rows:
        digest = hashlib.sha256(json.dumps([prev, at, actor, action, target, detail], ensure_ascii=False)
                                .encode()).hexdigest()
        con.execute("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE entry_no = ?", [prev, digest, entry_no])
        prev = digest


@pytest.mark.parametrize("tampering", [
    "DELETE FROM audit_log WHERE entry_no = 4",  # the newest entry
    "DELETE FROM audit_log WHERE entry_no >= 3",  # the newest entries
    "DELETE FROM audit_log",  # every entry
    "UPDATE audit_log SET actor = 'mallory' WHERE entry_no = 2; rechain",  # an edit, chain recomputed
    "DELETE FROM audit_log WHERE action IN ('audio_playback', 'decryption'); rechain",  # playbacks gone, rechained
])
def test_audit_verify_finds_truncation_deletion_and_a_recomputed_chain(tmp_path, tampering):
    path = _filled_log(tmp_path)
    con = duckdb.connect(str(path))
    statement, _, then = tampering.partition("; ")
    con.execute(statement)
    if then == "rechain":
        _rechain(con)
    con.close()
    with Database(path) as db:
        assert audit.verify(db), tampering
    # the key and the head are outside the database, beside the private keys
    assert (tmp_path / "keys" / "audit-log.secret").stat().st_mode & 0o077 == 0


def test_a_log_begun_before_the_key_is_sealed_when_whole_and_reported_when_not(tmp_path):
    for tampered in (False, True):
        folder = tmp_path / str(tampered)
        path = _filled_log(folder)
        (folder / "keys" / "audit-log.secret").unlink()
        (folder / "keys" / "audit-log.head").unlink()
        con = duckdb.connect(str(path))
        _rechain(con)  # the log as the unkeyed chain of earlier versions wrote it
        if tampered:
            con.execute("UPDATE audit_log SET actor = 'mallory' WHERE entry_no = 2")
        con.close()
        with Database(path) as db:
            audit.record(db, "anna", "sign_in", "dashboard")
            assert bool(audit.verify(db)) == tampered


def test_audit_verify_needs_the_key_and_the_head(tmp_path):
    path = _filled_log(tmp_path)
    (tmp_path / "keys" / "audit-log.head").unlink()
    with Database(path) as db:
        assert any("head" in problem for problem in audit.verify(db))
    path = _filled_log(tmp_path / "again")
    (tmp_path / "again" / "keys" / "audit-log.secret").unlink()
    with Database(path) as db:
        assert any("key" in problem for problem in audit.verify(db))


# --- retention ---------------------------------------------------------------------------------------------

def test_retention_purges_old_recordings_and_transcripts_and_keeps_aggregates(tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with Database(tmp_path / "qc.duckdb") as db:
        store_call(db, "call-old", CALLER_A, "2024-01-10T10:00:00+03:00",
                   call_transcript((1, "Не приходит пособие на карту, проверьте.")), recordings)
        store_call(db, "call-new", CALLER_B, "2024-06-01T10:00:00+03:00",
                   call_transcript((1, "Не приходит пособие уже месяц.")), recordings)
        store_call(db, "call-old-elsewhere", CALLER_B, "2024-01-11T10:00:00+03:00",
                   call_transcript((1, "Пособие не приходит.")), outside)
        save_topics(db, [TopicAssignment("call-old", "benefits_pensions", 0.9, ("пособие",))], {}, {})
        assert {h.call_id for h in search(db, "пособие")} == {"call-old", "call-new", "call-old-elsewhere"}

        now = datetime(2024, 6, 10, tzinfo=timezone.utc)
        report = purge_older_than(db, 90, recordings=recordings, now=now, actor="admin")
        assert report.calls == 2
        assert report.files_removed == 2  # call-old's recording and sidecar; the other lies outside the folder
        assert not (recordings / "call-old.enc").exists() and (recordings / "call-new.enc").exists()
        assert (outside / "call-old-elsewhere.enc").exists()
        assert {h.call_id for h in search(db, "пособие")} == {"call-new"}
        for table in ("segments", "words"):
            assert table_count(db, f"SELECT count(*) FROM {table} WHERE call_id LIKE 'call-old%'") == 0
            assert table_count(db, f"SELECT count(*) FROM {table} WHERE call_id = 'call-new'") > 0
        assert table_count(db, "SELECT count(*) FROM calls") == 3
        assert table_count(db, "SELECT count(*) FROM call_topics WHERE call_id = 'call-old'") == 1
        assert purge_older_than(db, 90, recordings=recordings, now=now).calls == 0
        assert [e.actor for e in audit.entries(db, action="retention_purge")] == ["retention", "admin"]
        with pytest.raises(ValueError, match="at least 1 day"):
            purge_older_than(db, 0)


# --- erasure -----------------------------------------------------------------------------------------------

def _two_callers(db: Database, recordings: Path) -> None:
    store_call(db, "call-a1", CALLER_A, "2024-05-01T10:00:00+03:00", call_transcript(
        (0, "Ваши фамилия, имя, отчество?"), (1, f"{NAME_A}, мой телефон {PHONE_A}."),
        (1, "Не приходит пособие на ребёнка.")), recordings)
    store_call(db, "call-a2", CALLER_A, "2024-05-03T10:00:00+03:00", call_transcript(
        (1, "Я уже звонила, пособие так и не пришло.")), recordings)
    store_call(db, "call-b1", CALLER_B, "2024-05-02T10:00:00+03:00", call_transcript(
        (1, "Не могу войти в личный кабинет, пособие не видно.")), recordings)
    # a recording of the caller that arrived and was never processed
    (recordings / "late.enc").write_bytes(b"\x00ciphertext")
    (recordings / "late.json").write_text(json.dumps({"call_id": "call-a3", "caller_id": CALLER_A}))
    complaints = [Complaint("call-a1", "Не приходит пособие на ребёнка.", False),
                  Complaint("call-b1", "Не могу войти в личный кабинет.", False)]
    vectors = np.eye(2, 512, dtype=np.float32)
    save_complaints(db, complaints, vectors, "test")
    cluster = ComplaintCluster(1, vectors[0] + vectors[1], 2, "benefits_pensions")
    save_clustering(db, kind="recluster", clusters=[cluster],
                    assignments=[ClusterAssignment("call-a1", 1, 0.9), ClusterAssignment("call-b1", 1, 0.8)],
                    labels=[ClusterLabel(1, ("пособие",), "Не приходит пособие на ребёнка.")], settings={})
    save_pii_spans(db, "call-a1", [PiiInterval(3.0, 5.0, "name", 1)])
    audit.record(db, "anna", "call_view", "call-a1")


def test_erasure_removes_every_trace_and_proves_it(tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    with Database(tmp_path / "qc.duckdb") as db:
        _two_callers(db, recordings)
        found = personal_data(caller_texts(db, CALLER_A))
        assert NAME_A in found and PHONE_A in found
        report = erase_caller(db, CALLER_A, recordings=recordings, also=found, actor="admin")

        assert report.calls == ["call-a1", "call-a2"]
        assert report.proved, report.traces
        assert report.columns_searched > 20 and report.files_searched == 2
        assert len(report.terms) >= 3  # the caller id and the name and phone found in their transcript
        assert {"calls", "segments", "words", "recordings", "complaints", "call_clusters", "pii_spans"} \
            <= set(report.rows_removed)
        assert sorted(p.name for p in recordings.iterdir()) == ["call-b1.enc", "call-b1.json"]
        assert {h.call_id for h in search(db, "пособие")} == {"call-b1"}
        with db.read() as cur:
            size, vector_sum, quote = cur.execute(
                "SELECT size, vector_sum, quote FROM complaint_clusters WHERE cluster_id = 1").fetchone()
        assert size == 1 and quote == "" and np.allclose(vector_sum, np.eye(2, 512)[1])
        # the other caller is untouched
        assert table_count(db, "SELECT count(*) FROM segments WHERE call_id = 'call-b1'") == 1
        # searched again independently: nothing of the caller anywhere
        traces, _, _ = find_traces(db, {"id": CALLER_A, "name": NAME_A, "phone": PHONE_A}, [recordings])
        assert traces == []
        erasure = audit.entries(db, action="erasure")[0]
        assert erasure.target == caller_ref(CALLER_A) and CALLER_A not in (erasure.detail or "")
        assert audit.verify(db) == []


def test_erasure_proof_reports_what_is_left(tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    with Database(tmp_path / "qc.duckdb") as db:
        _two_callers(db, recordings)
        # another caller's call mentions caller A by name: it is not theirs to delete, so the proof must say so
        store_call(db, "call-b2", CALLER_B, "2024-05-04T10:00:00+03:00",
                   call_transcript((1, f"Я звоню за соседку, {NAME_A}.")), recordings)
        report = erase_caller(db, CALLER_A, recordings=recordings, also=personal_data(caller_texts(db, CALLER_A)))
    assert not report.proved
    assert "main.segments.text" in {t.place for t in report.traces}
    assert "caller id" not in {t.term for t in report.traces}  # the id itself is gone; the name is not


def test_erasure_refuses_bad_input(tmp_path):
    with Database(tmp_path / "qc.duckdb") as db:
        with pytest.raises(ValueError, match="empty"):
            erase_caller(db, "  ")
        with pytest.raises(ValueError, match="does not exist"):
            erase_caller(db, CALLER_A, recordings=tmp_path / "missing")


def test_erasure_from_the_file_leaves_no_bytes_behind(tmp_path):
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    path = tmp_path / "qc.duckdb"
    with Database(path) as db:
        _two_callers(db, recordings)
    # DuckDB keeps deleted rows' bytes in freed blocks: this is why the file is rewritten
    assert CALLER_A.encode() in path.read_bytes() and NAME_A.encode() in path.read_bytes()
    report = erase_caller_from_file(path, CALLER_A, recordings=recordings, also=[PHONE_A])
    assert report.proved, report.traces
    assert report.files_searched == 3  # two recording files left and the database file
    data = path.read_bytes()
    assert CALLER_A.encode() not in data and NAME_A.encode() not in data
    with Database(path) as db:
        assert audit.verify(db) == []
        assert {h.call_id for h in search(db, "пособие")} == {"call-b1"}
        audit.record(db, "anna", "sign_in")  # sequences survive the rewrite


def test_erasure_proof_covers_survey_answers_archives_transcript_words_and_empty_clusters(tmp_path):
    recordings, drop = tmp_path / "recordings", tmp_path / "drop"
    recordings.mkdir()
    (drop / "done").mkdir(parents=True)
    email = "vera.nikolaeva1980@example.ru"
    path = tmp_path / "qc.duckdb"
    with Database(path) as db:
        _two_callers(db, recordings)
        store_call(db, "call-a4", CALLER_A, "2024-05-05T10:00:00+03:00",
                   call_transcript((1, "Соцзащита Краснопресненского района не отвечает.")), recordings)
        save_complaints(db, [Complaint("call-a4", "Соцзащита не отвечает.", False)],
                        np.eye(3, 512, dtype=np.float32)[2:], "test")
        save_clustering(db, kind="assign", clusters=[ComplaintCluster(2, np.eye(3, 512)[2], 1, None)],
                        assignments=[ClusterAssignment("call-a4", 2, 0.9)],
                        labels=[ClusterLabel(2, ("соцзащита", "краснопресненского"), "Соцзащита не отвечает.")],
                        settings={})
        with db.write() as cur:  # an answer whose e-mail the masking missed
            cur.execute("INSERT INTO survey_results VALUES ('r-1', 'account_comment', NULL, ?, NULL, NULL, ?,"
                        " now(), 'b-1')", [CALLER_A, f"пишите на {email}"])
    # an archive kept from before archives were masked
    (drop / "done" / "old.json").write_text(json.dumps([{"caller_id": "c-other", "comment": f"почта {email}"},
                                                        {"comment": "Краснопресненского района"}],
                                                       ensure_ascii=False), encoding="utf-8")
    report = erase_caller_from_file(path, CALLER_A, recordings=recordings, archives=[drop])
    assert email in report.searched.values()  # collected from the survey answer before it was deleted
    assert "Краснопресненского" in report.searched.values()  # a word only their transcript held
    left = {(Path(t.place).name, report.searched[t.term]) for t in report.traces}
    assert left == {("old.json", email), ("old.json", "Краснопресненского")}, report.traces
    with Database(path) as db, db.read() as cur:
        assert cur.execute("SELECT size, keywords, quote FROM complaint_clusters WHERE cluster_id = 2").fetchone() \
            == (0, [], "")


# --- correction --------------------------------------------------------------------------------------------

NEW_ID = "c-cccc55556666"
NEW_NAME = "Никулаева Вера Юрьевна"
NEW_PHONE = "+7 916 555-98-76"


def _caller_a_everywhere(db: Database, recordings: Path, keys: Path) -> dict[str, bytes]:
    """Two callers as `_two_callers` stores them, with caller A's name and phone also in a complaint, an
    evidence quote, a cluster quote and two survey answers, caller B naming caller A, and real encrypted
    recordings. Returns the recordings' bytes."""
    from ingest.envelope import encrypt_file
    from ingest.keys import generate_key_pair

    _two_callers(db, recordings)
    store_call(db, "call-b2", CALLER_B, "2024-05-04T10:00:00+03:00",
               call_transcript((1, f"Я звоню за соседку, {NAME_A}.")), recordings)
    public = generate_key_pair(keys).public
    plain = recordings.parent / "plain.wav"
    plain.write_bytes(b"RIFF" + bytes(range(256)) * 64)
    for enc in recordings.glob("*.enc"):
        enc.unlink()
        encrypt_file(public, plain, enc)
    comment = f"{NAME_A}: пособие так и не пришло"
    with db.write() as cur:
        cur.execute("UPDATE complaints SET text = ? WHERE call_id = 'call-a1'", [comment])
        cur.execute("UPDATE complaint_clusters SET quote = ? WHERE cluster_id = 1", [comment])
        cur.execute("INSERT INTO checklist_verdicts (call_id, item_id, item_no, verdict, weight, critical, reason,"
                    " evidence) VALUES ('call-a1', 'identification', 3, 'passed', 1, false,"
                    " 'asked', ?)", [json.dumps([{"start": 1.0, "end": 2.0, "speaker": "caller",
                                                  "quote": f"{NAME_A}, мой телефон {PHONE_A}",
                                                  "method": "phrase"}], ensure_ascii=False)])
        cur.execute("INSERT INTO survey_results VALUES ('r1', 'post_call', 'call-a2', NULL, 2, false, ?, now(), 'b1'),"
                    " ('r2', 'account_comment', NULL, ?, NULL, NULL, ?, now(), 'b1')",
                    [f"Перезвоните {NAME_A}", CALLER_A, f"Пишет {NAME_A}, телефон {PHONE_A}"])
    return {p.name: p.read_bytes() for p in recordings.glob("*.enc")}


def test_correction_replaces_every_trace_and_proves_it(tmp_path):
    from ingest.envelope import open_decrypted
    from ingest.keys import Keyring, load_private_key
    from storage.correction import correct_caller_in_file

    recordings, keys, path = tmp_path / "recordings", tmp_path / "keys", tmp_path / "qc.duckdb"
    recordings.mkdir()
    with Database(path) as db:
        encrypted = _caller_a_everywhere(db, recordings, keys)
    report = correct_caller_in_file(path, CALLER_A, [(CALLER_A, NEW_ID), (NAME_A, NEW_NAME), (PHONE_A, NEW_PHONE)],
                                    recordings=recordings, actor="admin")
    assert report.proved, (report.traces, report.missing)
    assert report.calls == ["call-a1", "call-a2"]
    assert report.made == ["correction #1", "correction #2", "correction #3"]
    assert report.elsewhere == ["correction #2"]  # caller B's call names caller A: not theirs to correct
    assert {"calls.caller_id", "segments.text", "complaints.text", "checklist_verdicts.evidence",
            "survey_results.caller_id", "survey_results.comment", "complaint_clusters.quote", "sidecars"} \
        <= set(report.replaced)

    with Database(path) as db, db.read() as cur:
        assert cur.execute("SELECT call_id FROM calls WHERE caller_id = ? ORDER BY 1", [NEW_ID]).fetchall() \
            == [("call-a1",), ("call-a2",)]
        a_texts = [t for (t,) in cur.execute(
            "SELECT text FROM segments WHERE call_id LIKE 'call-a%' UNION ALL SELECT text FROM complaints"
            " WHERE call_id = 'call-a1' UNION ALL SELECT CAST(evidence AS VARCHAR) FROM checklist_verdicts"
            " UNION ALL SELECT comment FROM survey_results UNION ALL SELECT quote FROM complaint_clusters"
            " UNION ALL SELECT caller_id FROM survey_results WHERE caller_id IS NOT NULL").fetchall()]
        assert not [t for t in a_texts if NAME_A in t or PHONE_A in t or CALLER_A in t]
        assert sum(NEW_NAME in t for t in a_texts) == 6 and sum(NEW_PHONE in t for t in a_texts) == 3
        assert json.loads(cur.execute("SELECT evidence FROM checklist_verdicts").fetchone()[0])[0]["quote"] \
            == f"{NEW_NAME}, мой телефон {NEW_PHONE}"
        # the words hold the new values folded into one timed word each, in the place of the old ones
        words = cur.execute("SELECT start_s, end_s, text FROM words WHERE call_id = 'call-a1' AND segment_no = 1"
                            " ORDER BY word_no").fetchall()
        assert [w[2] for w in words] == [f" {NEW_NAME},", " мой", " телефон", f" {NEW_PHONE}."]
        assert words[0][:2] == pytest.approx((2.1, 2.1 + 0.4 * 2 + 0.3))  # the three old words' time range
        assert cur.execute("SELECT text FROM segments WHERE call_id = 'call-b2'").fetchone()[0] \
            == f" Я звоню за соседку, {NAME_A}."
        assert {s.kind for s in pii_spans(db, "call-a1")} == {"name"}  # the muted times are untouched
        assert {h.call_id for h in search(db, "Никулаева")} == {"call-a1"}
        assert {h.call_id for h in search(db, "Николаева")} == {"call-b2"}
        correction = audit.entries(db, action="correction")[0]
        assert correction.actor == "admin" and correction.target == caller_ref(NEW_ID)
        assert not any(v in (correction.detail or "") for v in (CALLER_A, NAME_A, PHONE_A, NEW_ID, NEW_NAME))
        assert audit.verify(db) == []
    for sidecar in ("call-a1.json", "call-a2.json", "late.json"):
        assert json.loads((recordings / sidecar).read_text())["caller_id"] == NEW_ID
    assert json.loads((recordings / "call-b1.json").read_text())["caller_id"] == CALLER_B
    # the recordings are what was said: not rewritten, and still open with the key
    assert {p.name: p.read_bytes() for p in recordings.glob("*.enc")} == encrypted
    keyring = Keyring([load_private_key(next(keys.glob("*.key.pem")))])
    with open(recordings / "call-a1.enc", "rb") as src:
        assert open_decrypted(src, keyring).read() == (tmp_path / "plain.wav").read_bytes()
    data = path.read_bytes()  # the file was rewritten: the old values' bytes are gone with their rows
    assert CALLER_A.encode() not in data and PHONE_A.encode() not in data and NEW_ID.encode() in data


def test_correction_proof_finds_what_it_could_not_correct(tmp_path):
    from storage.correction import correct_caller

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    with Database(tmp_path / "qc.duckdb") as db:
        _two_callers(db, recordings)
        # a rejected survey row keeps its raw text and names no call or caller in a column of its own
        with db.write() as cur:
            cur.execute("INSERT INTO survey_rejects VALUES ('x1', 'b1', 3, ?, 'rating out of range')",
                        [f'{{"caller_id": "{CALLER_A}", "rating": 9}}'])
        report = correct_caller(db, CALLER_A, [(CALLER_A, NEW_ID)], recordings=recordings)
        assert not report.proved
        assert [(t.place, t.term) for t in report.traces] == [("main.survey_rejects.raw", "correction #1")]
        assert "FAILED" in audit.entries(db, action="correction")[0].detail
        # a value the caller's records never held is reported, not proved present
        report = correct_caller(db, NEW_ID, [("Петрова Анна", "Петрова Жанна")], recordings=recordings)
        assert report.made == [] and report.proved


def test_correction_replaces_whole_words_only_and_refuses_bad_input(tmp_path):
    from storage.correction import correct_caller, correct_text

    assert correct_text("Жанна и анна,  Анна", [("Анна", "Ольга")]) == ("Жанна и Ольга,  Ольга", 2)
    assert correct_text("Николаева  Вера", [("Николаева Вера", "Н. В.")]) == ("Н. В.", 1)
    use("en")  # the refusals below read in English for an English user
    with Database(tmp_path / "qc.duckdb") as db:
        for pairs, message in (([], "nothing to correct"), ([("Ян", "Иван")], "at least 3"),
                               ([("Иванов", " ")], "empty"), ([("Иванов", "иванов")], "only in case")):
            with pytest.raises(ValueError, match=message):
                correct_caller(db, CALLER_A, pairs)
        with pytest.raises(ValueError, match="caller id is empty"):
            correct_caller(db, " ", [("Иванов", "Петров")])
        with pytest.raises(ValueError, match="does not exist"):
            correct_caller(db, CALLER_A, [("Иванов", "Петров")], recordings=tmp_path / "missing")
