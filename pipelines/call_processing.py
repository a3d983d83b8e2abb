"""One recording from inbox to database: sidecar, decryption, decoding, transcription, diarization, redaction,
storage, scoring.

Bad input is recorded as a failed call and quarantined; only transient errors escape, so the flow can retry them.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from asr.model import ModelSettings, shared_model
from asr.records import Transcript
from asr.transcribe import DecodingSettings, transcribe_windows
from diarization.assign import attribute_speakers
from diarization.records import AttributedTranscript
from ingest.audio import AudioError, AudioReader, AudioWindow, KeptAudio
from ingest.envelope import EnvelopeError, open_decrypted
from ingest.keys import Keyring
from ingest.metadata import CallMetadata, InvalidSidecar, read_sidecar, sidecar_path
from pipelines.memory import return_freed_memory
from pipelines.rescore import score_call
from privacy.transcript import redact_transcript
from storage.db import Database
from storage.records import RecordingInfo

RECORDING_SUFFIX = ".enc"


class BadRecording(Exception):
    """Input that will never process: recorded as failed with `stage` and quarantined."""

    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


@dataclass(frozen=True)
class CallOutcome:
    path: str
    call_id: str | None
    status: str  # done | failed | skipped
    audio_seconds: float = 0.0
    reason: str | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessingSettings:
    model: ModelSettings
    decoding: DecodingSettings = DecodingSettings()
    quarantine: Path | None = None
    force: bool = False
    # Whisper's features and VAD batches grow with the window: 2-minute windows peak ~210 MB lower than 5-minute
    # ones, and on a 10-minute call their word error rate was no worse (0.334 against 0.349)
    window_s: float = 120.0
    script: Path | None = None


def find_recordings(inbox: Path) -> list[Path]:
    return sorted(p for p in inbox.glob(f"*{RECORDING_SUFFIX}") if p.is_file())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _unopened(recording: Path) -> RecordingInfo:
    """What is known of a recording before it is decrypted."""
    return RecordingInfo(recording_id=_sha256(recording), path=str(recording), size_bytes=recording.stat().st_size,
                         key_id=None, codec=None, sample_rate=None, channel_count=None)


def quarantine(recording: Path, folder: Path, reason: str) -> Path:
    """Move the recording and its sidecar aside with the reason written beside them; nothing is deleted."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / recording.name
    n = 1
    while target.exists():
        target = folder / f"{recording.stem}.{n}{recording.suffix}"
        n += 1
    shutil.move(recording, target)
    sidecar = sidecar_path(recording)
    if sidecar.exists():
        shutil.move(sidecar, target.with_suffix(".json"))
    target.with_suffix(".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target


def _read_metadata(recording: Path) -> CallMetadata:
    try:
        return read_sidecar(recording)
    except InvalidSidecar as exc:
        raise BadRecording("sidecar", str(exc)) from None


def _timed(windows: Iterator[AudioWindow], timings: dict[str, float]) -> Iterator[AudioWindow]:
    """Decryption and decoding run lazily inside the ASR loop; this books their share as `decode`."""
    while True:
        started = time.perf_counter()
        window = next(windows, None)
        timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - started
        if window is None:
            return
        yield window


def _transcribe(recording: Path, keyring: Keyring, metadata: CallMetadata, settings: ProcessingSettings, timings: dict,
                kept: KeptAudio):
    started = time.perf_counter()
    model = shared_model(settings.model)
    try:
        with recording.open("rb") as f:
            decrypted = open_decrypted(f, keyring)
            with AudioReader(decrypted, window_s=settings.window_s) as reader:
                windows = kept.keep(_timed(reader.windows(), timings))
                transcript = transcribe_windows(model, windows, metadata.language, settings.decoding)
                info = reader.info
    except EnvelopeError as exc:
        raise BadRecording("decrypt", str(exc)) from None
    except AudioError as exc:
        # PyAV reads through the decrypting stream, so an authentication failure can surface while decoding.
        cause = exc.__context__
        if isinstance(cause, EnvelopeError):
            raise BadRecording("decrypt", str(cause)) from None
        raise BadRecording("decode", str(exc)) from None
    timings["asr"] = time.perf_counter() - started - timings["decode"]
    return_freed_memory()
    if not transcript.segments:
        raise BadRecording("asr", f"silence only: no speech found in {transcript.duration_s:.1f} s of audio")
    return transcript, info, decrypted.key_id


def _diarize(transcript: Transcript, kept: KeptAudio, metadata: CallMetadata, timings: dict) -> AttributedTranscript:
    started = time.perf_counter()
    samples = kept.take()
    attributed = attribute_speakers(transcript, samples if samples.shape[0] == 2 else samples[0],
                                    metadata.operator_channel)
    del samples
    return_freed_memory()
    timings["diarize"] = time.perf_counter() - started
    return attributed


def process_recording(recording: Path, db: Database, keyring: Keyring, run_id: str,
                      settings: ProcessingSettings) -> CallOutcome:
    timings: dict[str, float] = {}
    info = _unopened(recording)
    metadata: CallMetadata | None = None
    try:
        if info.size_bytes == 0:
            raise BadRecording("decrypt", "empty file (0 bytes)")
        metadata = _read_metadata(recording)
        status = db.call_status(metadata.call_id)
        if status is not None and status.status == "done" and not settings.force:
            if status.recording_id == info.recording_id:
                return CallOutcome(str(recording), metadata.call_id, "skipped")
            raise BadRecording("sidecar", f"call {metadata.call_id} was already processed from a different "
                                          "recording; use --force to replace it")
        kept = KeptAudio()
        transcript, audio, key_id = _transcribe(recording, keyring, metadata, settings, timings, kept)
        attributed = _diarize(transcript, kept, metadata, timings)
        started = time.perf_counter()
        # from here on nothing sees the unredacted words: storage, the search index, scoring's evidence quotes
        transcript, pii = redact_transcript(attributed.transcript)
        timings["redact"] = time.perf_counter() - started
        info = replace(info, key_id=key_id, codec=audio.codec, sample_rate=audio.sample_rate,
                       channel_count=audio.channels)
        started = time.perf_counter()
        db.save_call(run_id, metadata, info, transcript, attributed.roles, attributed.diarization.turns, pii)
        timings["store"] = time.perf_counter() - started
        started = time.perf_counter()
        score_call(db, metadata.call_id, transcript, metadata.operator_channel, settings.script)
        timings["score"] = time.perf_counter() - started
        return CallOutcome(str(recording), metadata.call_id, "done", transcript.duration_s, stage_seconds=timings)
    except BadRecording as bad:
        moved = quarantine(recording, settings.quarantine or recording.parent / "quarantine", bad.reason)
        db.save_failure(run_id, recording=info, metadata=metadata, stage=bad.stage, reason=bad.reason,
                        quarantined_to=str(moved))
        call_id = metadata.call_id if metadata else recording.stem
        return CallOutcome(str(recording), call_id, "failed", reason=f"{bad.stage}: {bad.reason}", stage_seconds=timings)


def record_unfinished(recording: Path, db: Database, run_id: str, error: Exception) -> CallOutcome:
    """A call whose retries ran out stays in the inbox for the next run: recorded as failed, not quarantined."""
    reason = f"{type(error).__name__}: {error}"
    try:
        metadata = read_sidecar(recording)
    except InvalidSidecar:
        metadata = None
    db.save_failure(run_id, recording=_unopened(recording), metadata=metadata, stage="transient", reason=reason, quarantined_to=None)
    return CallOutcome(str(recording), metadata.call_id if metadata else recording.stem, "failed",
                       reason=f"transient: {reason}")
