"""The process_calls flow end to end: real keys, real encryption, real model, real DuckDB, ephemeral Prefect."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import duckdb
import jiwer
import numpy as np
import pytest

from audio_factory import encode, read_audio
from conftest import eval_file, normalise, shipped_script_with_hotwords, tts_dialogue_text
from inbox import deliver, sidecar
from ingest.keys import generate_key_pair
from pipelines.flows import process_calls
from scoring.script import load_script

pytestmark = pytest.mark.model
MONO_RU = "audio_tts_ru/dialogue_rhv_8k.flac"
STEREO_EN = "audio_real/fasterwhisper_en_fixtures/stereo_diarization.wav"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    return generate_key_pair(folder / "qc"), generate_key_pair(folder / "other")


def silent_wav(seconds: float) -> bytes:
    return encode(np.zeros((1, int(8000 * seconds)), dtype=np.float32), 8000, "wav")


def deliver_batch(inbox: Path, keys) -> dict[str, str]:
    """Two good calls and one of every kind of bad input; returns name -> expected failure stage."""
    qc, other = keys
    deliver(inbox, "good-mono", qc.public, eval_file(MONO_RU), sidecar("good-mono", operator_id="op-1", language="ru"))
    deliver(inbox, "good-stereo", qc.public, eval_file(STEREO_EN),
            sidecar("good-stereo", channels="stereo", operator_channel=0))
    tampered = deliver(inbox, "tampered", qc.public, eval_file(MONO_RU), sidecar("tampered"))
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    truncated = deliver(inbox, "truncated", qc.public, eval_file(MONO_RU), sidecar("truncated"))
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size * 2 // 3])
    deliver(inbox, "unknown-key", other.public, eval_file(MONO_RU), sidecar("unknown-key"))
    deliver(inbox, "no-sidecar", qc.public, eval_file(MONO_RU), None)
    deliver(inbox, "bad-sidecar", qc.public, eval_file(MONO_RU), {"call_id": "bad-sidecar", "started_at": "yesterday"})
    (inbox / "empty.enc").write_bytes(b"")
    (inbox / "empty.json").write_text(json.dumps(sidecar("empty")))
    deliver(inbox, "not-audio", qc.public, "Протокол совещания, не звук.\n".encode() * 200, sidecar("not-audio"))
    speech = read_audio(eval_file(MONO_RU), 16000)
    deliver(inbox, "aac", qc.public, encode(speech, 16000, "m4a-aac"), sidecar("aac"))
    deliver(inbox, "silence", qc.public, silent_wav(6), sidecar("silence"))
    return {"tampered": "decrypt", "truncated": "decrypt", "unknown-key": "decrypt", "no-sidecar": "sidecar",
            "bad-sidecar": "sidecar", "empty": "decrypt", "not-audio": "decode", "aac": "decode", "silence": "asr"}


@pytest.fixture(scope="module")
def batch(tmp_path_factory, keys):
    root = tmp_path_factory.mktemp("batch")
    inbox = root / "inbox"
    expected = deliver_batch(inbox, keys)
    delivered = sorted(p.name for p in inbox.iterdir())
    summary = process_calls(inbox=inbox, db_path=root / "qc.duckdb", key_paths=[keys[0].private.parent],
                            workers=2, show_progress=False)
    return root, inbox, expected, delivered, summary


def rows(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_good_calls_are_done_and_every_bad_one_failed_without_stopping_the_batch(batch):
    root, inbox, expected, delivered, summary = batch
    assert (summary.total, summary.done, summary.failed, summary.skipped) == (11, 2, 9, 0)
    statuses = dict(rows(root / "qc.duckdb", "SELECT call_id, status FROM calls"))
    assert statuses == {"good-mono": "done", "good-stereo": "done", **{name: "failed" for name in expected}}


def test_each_done_call_says_what_its_stages_cost_and_where(batch):
    """The benchmark's CPU figures come from here: both calls were listened to in the diarization process while the
    worker transcribed them (a stereo call's voice activity and voice prints too, leaving little to settle once its
    words came), and both processes' peaks came back from the worker."""
    *_, summary = batch
    costs = {Path(o.path).stem: o.cost for o in summary.outcomes if o.status == "done"}
    mono, stereo = costs["good-mono"], costs["good-stereo"]
    assert mono.cpu_seconds["asr"] > 0 and stereo.cpu_seconds["asr"] > 0
    # pyannote over seconds of speech: well over the clock's tick
    assert mono.cpu_seconds["listen"] > 0.1
    assert stereo.cpu_seconds["listen"] > stereo.cpu_seconds["settle"] > 0 and mono.cpu_seconds["store"] > 0
    for cost in (mono, stereo):
        assert set(cost.peak_rss_mb) == {"worker", "diarization process"}
        assert all(100 < peak < 4000 for peak in cost.peak_rss_mb.values()), cost.peak_rss_mb


def test_each_failure_has_a_one_line_reason_and_the_right_stage(batch):
    root, inbox, expected, delivered, summary = batch
    failures = {Path(path).stem: (stage, reason)
                for path, stage, reason in rows(root / "qc.duckdb", "SELECT recording_path, stage, reason FROM failures")}
    assert {name: stage for name, (stage, _) in failures.items()} == expected
    for stage, reason in failures.values():
        assert reason and "\n" not in reason and len(reason) < 300
    assert "authentication" in failures["tampered"][1]
    assert "not configured" in failures["unknown-key"][1]
    assert "sidecar" in failures["no-sidecar"][1]
    assert "started_at" in failures["bad-sidecar"][1]
    assert "empty" in failures["empty"][1]
    assert "aac" in failures["aac"][1]
    assert "silence" in failures["silence"][1]
    errors = dict(rows(root / "qc.duckdb", "SELECT call_id, error FROM calls WHERE status = 'failed'"))
    assert errors["tampered"] == failures["tampered"][1]


def test_bad_recordings_are_quarantined_with_their_reason_and_nothing_is_deleted(batch):
    root, inbox, expected, delivered, summary = batch
    quarantine = inbox / "quarantine"
    for name in expected:
        assert (quarantine / f"{name}.enc").exists()
        assert (quarantine / f"{name}.reason.txt").read_text().strip()
        assert (quarantine / f"{name}.json").exists() or name == "no-sidecar"
    remaining = sorted(p.name for p in inbox.iterdir() if p.is_file())
    quarantined = sorted(p.name for p in quarantine.iterdir() if not p.name.endswith(".reason.txt"))
    assert sorted(remaining + quarantined) == delivered


def test_export_has_every_call_in_the_stable_shape(batch, tmp_path):
    from storage.db import Database
    from storage.export import export_calls

    root, *_ = batch
    with Database(root / "qc.duckdb") as db:
        export_calls(db, tmp_path / "calls.jsonl")
    calls = {c["call_id"]: c for c in map(json.loads, (tmp_path / "calls.jsonl").read_text().splitlines())}
    assert len(calls) == 11
    mono, stereo = calls["good-mono"], calls["good-stereo"]
    assert mono["language"] == "ru" and mono["operator_id"] == "op-1" and mono["duration_s"] == pytest.approx(25.08, abs=0.05)
    heard = " ".join(s["text"] for s in mono["segments"])
    assert jiwer.wer(normalise(tts_dialogue_text()), normalise(heard)) <= 0.35
    assert {s["channel"] for s in stereo["segments"]} == {0, 1} and stereo["language"] == "en"
    assert set(mono["segments"][0]) == {"start", "end", "text", "channel", "speaker", "role"}
    assert calls["silence"]["status"] == "failed" and calls["silence"]["segments"] == []
    assert calls["silence"]["checklist"] is None and calls["silence"]["score"] is None
    greeting = mono["checklist"]["greeting"]
    assert greeting["verdict"] == "passed" and greeting["evidence"][0]["start"] < 5.0
    assert len(mono["checklist"]) == len(load_script().items) and 0 <= mono["score"]["total"] <= 100


def test_every_segment_carries_its_speaker_and_role(batch, tmp_path):
    from storage.db import Database
    from storage.export import export_calls

    root, *_ = batch
    with Database(root / "qc.duckdb") as db:
        export_calls(db, tmp_path / "calls.jsonl")
    calls = {c["call_id"]: c for c in map(json.loads, (tmp_path / "calls.jsonl").read_text().splitlines())}
    mono, stereo = calls["good-mono"], calls["good-stereo"]
    for call in (mono, stereo):
        roles = {s["speaker"]: s["role"] for s in call["speakers"]}
        assert sorted(roles.values()) == ["caller", "operator"], call["speakers"]
        assert all(roles[s["speaker"]] == s["role"] for s in call["segments"])
    # the mono dialogue's operator is found from what they say; the stereo call's from its metadata
    operator = next(s for s in mono["speakers"] if s["role"] == "operator")
    assert operator["role_source"] == "content" and operator["role_cues"] and 0.5 < operator["role_confidence"] <= 1
    assert mono["checklist"]["greeting"]["evidence"][0]["speaker"] == operator["speaker"]
    assert {s["role_source"] for s in stereo["speakers"]} == {"metadata"}
    assert {s["role"] for s in stereo["segments"] if s["channel"] == 0} == {"operator"}


def test_search_finds_russian_word_forms_after_the_batch(batch):
    from storage.db import Database
    from storage.search import search

    root, *_ = batch
    with Database(root / "qc.duckdb") as db:
        assert [h.call_id for h in search(db, "личного кабинета")] == ["good-mono"]


def test_rerun_skips_done_calls_and_force_redoes_them_without_duplicates(batch, keys):
    root, inbox, *_ = batch
    db = root / "qc.duckdb"
    segments_before = rows(db, "SELECT count(*) FROM segments")[0][0]
    again = process_calls(inbox=inbox, db_path=db, key_paths=[keys[0].private], show_progress=False)
    assert (again.total, again.skipped, again.done, again.failed) == (2, 2, 0, 0)
    forced = process_calls(inbox=inbox, db_path=db, key_paths=[keys[0].private], force=True, show_progress=False)
    assert (forced.done, forced.skipped) == (2, 0)
    assert rows(db, "SELECT count(*) FROM segments")[0][0] == segments_before
    runs = rows(db, "SELECT calls_done, calls_skipped, asr_model FROM processing_runs ORDER BY started_at")
    assert [r[:2] for r in runs] == [(2, 0), (0, 2), (2, 0)] and "whisper" in runs[0][2]


def test_a_call_already_done_from_another_recording_is_not_silently_replaced(batch, keys, tmp_path):
    root, *_ = batch
    inbox = tmp_path / "inbox"
    deliver(inbox, "again", keys[0].public, eval_file(MONO_RU), sidecar("good-mono", language="ru"))
    summary = process_calls(inbox=inbox, db_path=root / "qc.duckdb", key_paths=[keys[0].private], show_progress=False)
    assert summary.failed == 1 and "--force" in summary.failures[0].reason
    assert rows(root / "qc.duckdb", "SELECT status FROM calls WHERE call_id = 'good-mono'") == [("done",)]


def test_transient_errors_are_retried(tmp_path, keys, monkeypatch):
    """The task is run here, in this process, where the disk can be made flaky; on a worker it is the same task."""
    from prefect import flow

    import pipelines.call_processing as processing
    from asr.model import ModelSettings
    from ingest.metadata import read_sidecar
    from pipelines.call_task import process_call_task
    from storage.records import ProcessedCall

    recording = deliver(tmp_path / "inbox", "flaky", keys[0].public, eval_file(MONO_RU), sidecar("flaky", language="ru"))
    real_open, attempts = processing.open_decrypted, []

    def flaky_share(stream, keyring):  # the file store hiccups once, as a network share does
        attempts.append(stream)
        if len(attempts) == 1:
            raise OSError("Stale file handle")
        return real_open(stream, keyring)

    monkeypatch.setattr(processing, "open_decrypted", flaky_share)
    admitted = processing.Admitted(read_sidecar(recording), processing._unopened(recording))

    @flow
    def one_call():
        return process_call_task(recording, (str(keys[0].private),), admitted,
                                 processing.ProcessingSettings(model=ModelSettings.from_env()))

    result, _ = one_call()
    assert isinstance(result, ProcessedCall) and len(attempts) == 2


def test_a_long_recording_is_streamed_with_bounded_memory(tmp_path, keys):
    """The worker holds the call as 16-bit samples, plus the 16-bit copy it hands the diarization process (which
    has memory of its own), and one float window at a time for the ASR; nothing else grows with the call."""
    import tracemalloc

    from asr.model import ModelSettings
    from pipelines.call_processing import Admitted, ProcessingSettings, admit, compute_call
    from storage.db import Database
    from storage.records import ProcessedCall

    speech = (read_audio(eval_file(MONO_RU), 8000)[0] * 32767).astype("<i2")
    noise = (np.random.default_rng(1).normal(0, 30, 8000 * 60)).astype("<i2")
    peaks, seconds = {}, {}
    for minutes in (6, 24):
        wav = tmp_path / f"long{minutes}.wav"
        with wave.open(str(wav), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(8000)
            out.writeframes(speech.tobytes())
            for _ in range(minutes):
                out.writeframes(noise.tobytes())
            out.writeframes(speech.tobytes())
        recording = deliver(tmp_path / "inbox", f"long{minutes}", keys[0].public, wav, sidecar(f"long{minutes}", language="ru"))
        wav.unlink()
        settings = ProcessingSettings(model=ModelSettings.from_env())
        with Database(tmp_path / "qc.duckdb") as db:
            admitted = admit(recording, db, "run", settings)
        assert isinstance(admitted, Admitted)
        tracemalloc.start()
        result, _ = compute_call(recording, _keyring(keys), admitted, settings)
        peaks[minutes] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert isinstance(result, ProcessedCall), result
        assert result.transcript.duration_s > minutes * 60
        seconds[minutes] = result.transcript.duration_s
    call_copies_mb = {m: seconds[m] * 16000 * (4 + 2) / 2**20 for m in seconds}
    assert peaks[24] - call_copies_mb[24] < 1.1 * (peaks[6] - call_copies_mb[6]) + 10, peaks
    assert peaks[24] < call_copies_mb[24] + 30, peaks


def _keyring(keys):
    from ingest.keys import Keyring

    return Keyring.from_paths([keys[0].private])


def test_a_done_call_keeps_its_data_when_its_sidecar_goes_missing_or_changes(tmp_path, keys):
    inbox, db = tmp_path / "inbox", tmp_path / "qc.duckdb"
    deliver(inbox, "kept", keys[0].public, eval_file(MONO_RU), sidecar("kept", operator_id="op-1", language="ru"))
    assert process_calls(inbox=inbox, db_path=db, key_paths=[keys[0].private], show_progress=False).done == 1
    stored = ["segments", "words", "pii_spans", "call_scores"]

    def state():
        counts = {table: rows(db, f"SELECT count(*) FROM {table} WHERE call_id = 'kept'")[0][0] for table in stored}
        return rows(db, "SELECT status FROM calls WHERE call_id = 'kept'"), counts, sorted(p.name for p in inbox.iterdir())

    before = state()
    assert before[0] == [("done",)] and all(before[1][t] > 0 for t in ("segments", "words", "call_scores"))
    side = inbox / "kept.json"
    good = side.read_text()
    for change in ("missing", "unknown field", "other operator"):
        if change == "missing":
            side.unlink()
        elif change == "unknown field":
            side.write_text(json.dumps({**json.loads(good), "surprise": 1}))
        else:
            side.write_text(json.dumps({**json.loads(good), "operator_id": "op-2"}))
        summary = process_calls(inbox=inbox, db_path=db, key_paths=[keys[0].private], show_progress=False)
        assert (summary.done, summary.failed, summary.skipped) == (0, 0, 1), change
        assert state()[:2] == before[:2], change
        assert not (inbox / "quarantine").exists(), change
        side.write_text(good)
    # the same bytes under a second name are recognised by their sha256 and reported, not processed again
    (inbox / "kept-copy.enc").write_bytes((inbox / "kept.enc").read_bytes())
    (inbox / "kept-copy.json").write_text(json.dumps(sidecar("kept-copy", language="ru")))
    summary = process_calls(inbox=inbox, db_path=db, key_paths=[keys[0].private], show_progress=False)
    assert (summary.done, summary.failed, summary.skipped) == (0, 0, 2)
    assert rows(db, "SELECT count(*) FROM calls WHERE call_id = 'kept-copy'") == [(0,)]
    assert state()[:2] == before[:2]


def test_recording_paths_are_stored_absolute_so_playback_works_from_any_folder(tmp_path, monkeypatch):
    from pipelines.call_processing import _unopened

    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "r.enc").write_bytes(b"ciphertext")
    monkeypatch.chdir(tmp_path)
    stored = Path(_unopened(Path("inbox/r.enc")).path)
    assert stored.is_absolute() and stored == tmp_path / "inbox" / "r.enc"


@pytest.mark.skipif(__import__("ctranslate2").get_cuda_device_count() > 0, reason="this machine has a GPU")
def test_a_gpu_the_machine_lacks_stops_the_batch_before_any_call(tmp_path, keys, monkeypatch):
    from asr.model import DeviceUnavailable

    inbox = tmp_path / "inbox"
    deliver(inbox, "on-gpu", keys[0].public, eval_file(MONO_RU), sidecar("on-gpu", language="ru"))
    monkeypatch.setenv("HOTLINE_QC_ASR_DEVICE", "cuda")
    with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
        process_calls(inbox=inbox, db_path=tmp_path / "qc.duckdb", key_paths=[keys[0].private], show_progress=False)
    assert sorted(p.name for p in inbox.iterdir()) == ["on-gpu.enc", "on-gpu.json"]


def test_the_words_the_call_script_expects_reach_the_decoder_in_the_calls_language(tmp_path, keys, monkeypatch):
    """The script a call is judged by names what its ASR is told to expect (settings.asr_hotwords), by language:
    the worker hands faster-whisper that call's words with the operator's channel only, and none for a language the
    script names nothing for."""
    from faster_whisper import WhisperModel

    from asr.model import ModelSettings
    from pipelines.call_processing import Admitted, ProcessingSettings, admit, compute_call
    from storage.db import Database
    from storage.records import ProcessedCall

    script = tmp_path / "script.yaml"
    script.write_text(shipped_script_with_hotwords("ru: Госуслуги, МФЦ"), encoding="utf-8")
    greeting, request = (read_audio(eval_file(f"audio_tts_ru/{name}.flac"), 8000)[0]
                         for name in ("s1_rhv_anna", "s2_rhv_irina"))
    ru = np.zeros((2, max(len(greeting), len(request))), np.float32)
    ru[0, :len(greeting)], ru[1, :len(request)] = greeting, request
    asked = []
    decode = WhisperModel.transcribe

    def noted(model, audio, **kwargs):  # the real decoder, with what it was asked noted
        asked.append((kwargs["language"], kwargs["hotwords"]))
        return decode(model, audio, **kwargs)

    monkeypatch.setattr(WhisperModel, "transcribe", noted)
    calls = {"ru": (encode(ru, 8000, "wav"), script), "en": (eval_file(STEREO_EN), None)}
    for language, (audio, script_path) in calls.items():
        recording = deliver(tmp_path / "inbox", language, keys[0].public, audio,
                            sidecar(language, channels="stereo", operator_channel=0, language=language))
        settings = ProcessingSettings(model=ModelSettings.from_env(), script=script_path)
        with Database(tmp_path / "qc.duckdb") as db:
            admitted = admit(recording, db, "run", settings)
        assert isinstance(admitted, Admitted)
        result, _ = compute_call(recording, _keyring(keys), admitted, settings)
        assert isinstance(result, ProcessedCall), result
    # the shipped script, read for the English call, names nothing in English
    assert asked == [("ru", "Госуслуги, МФЦ"), ("ru", None)] + [("en", None)] * 2
