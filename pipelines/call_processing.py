"""One recording from inbox to database: sidecar, decryption, decoding, transcription, diarization, scoring,
redaction, then storage of all of it in one transaction.

The work is split where it runs. `admit` (the flow's process) reads the sidecar and what is stored; `compute_call`
(a worker, maybe on another machine) makes a ProcessedCall without the database; `store` (the flow's process again)
writes it in one transaction, so a call is done with everything or not done, and only one process writes DuckDB.
Bad input is recorded as a failed call and quarantined; only transient errors escape, so the flow can retry them.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from asr.model import ModelSettings, shared_model
from asr.records import Transcript
from asr.transcribe import DecodingSettings, transcribe_windows
from diarization.assign import is_mono
from feedback.pilots import ScriptChoice
from ingest.audio import AudioError, AudioInfo, AudioReader, KeptAudio
from ingest.envelope import EnvelopeError, open_decrypted
from ingest.keys import Keyring
from ingest.metadata import CallMetadata, InvalidSidecar, read_sidecar, sidecar_path
from pipelines.diarization_process import diarization_process, peak_rss_mb
from pipelines.memory import return_freed_memory
from privacy.records import PiiInterval
from privacy.redact import redact_text
from privacy.transcript import redact_quotes, redact_transcript
from scoring.judges import LabelledExample
from scoring.records import CallScore
from scoring.scorer import CallScorer, shared_scorer, shared_script
from scoring.script import Script
from storage.calls import call_status, save_failure, stored_recording
from storage.db import Database
from storage.records import ProcessedCall, RecordingInfo
from storage.scores import save_processed_call

RECORDING_SUFFIX = ".enc"


class BadRecording(Exception):
    """Input that will never process: recorded as failed with `stage` and quarantined."""

    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage = stage
        self.reason = reason


@dataclass
class CallCost:
    """What one call cost, stage by stage: wall seconds (storage.calls.RUN_STAGES), CPU seconds of the process the
    stage ran in (the worker's, or the diarization process's for `listen` and `settle`; on a loaded machine these
    compare where wall times do not), and the peak RSS of the worker and of its diarization process so far."""

    wall_seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    def timed(self, stage: str, work, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return work(*args)
        finally:
            self.wall_seconds[stage] = time.perf_counter() - wall
            self.cpu_seconds[stage] = time.process_time() - cpu


@dataclass(frozen=True)
class CallOutcome:
    path: str
    call_id: str | None
    status: str  # done | failed | skipped
    audio_seconds: float = 0.0
    reason: str | None = None
    cost: CallCost = field(default_factory=CallCost)


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
    # the adopted script and the running pilots, read once per batch; used when no script file is named
    scripts: ScriptChoice = ScriptChoice(adopted=None, running=(), texts={})
    # per script version, what analysts' overrides teach its judges (pipelines.rescore.taught_examples), read once
    # per batch: workers never open the database
    taught: dict[str, tuple[LabelledExample, ...]] = field(default_factory=dict)


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
    # absolute: the dashboard plays it by this path from wherever it was started
    return RecordingInfo(recording_id=_sha256(recording), path=str(recording.resolve()),
                         size_bytes=recording.stat().st_size, key_id=None, codec=None, sample_rate=None,
                         channel_count=None)


def _already_done(recording: Path, info: RecordingInfo, db: Database) -> CallOutcome | None:
    """A recording whose bytes are stored for a done call is not processed again, whatever its name or sidecar
    says now: a re-run must never undo a good call. Its outcome (skipped, with what was found), or None."""
    stored = stored_recording(db, info.recording_id)
    if stored is None or stored.call_status != "done":
        return None
    if Path(stored.path).exists() and Path(stored.path).resolve() != recording.resolve():
        return CallOutcome(str(recording), stored.call_id, "skipped",
                           reason=f"duplicate: the same recording as {stored.path} (call {stored.call_id}), "
                                  "already processed")
    try:
        metadata = read_sidecar(recording)
    except InvalidSidecar as exc:
        return CallOutcome(str(recording), stored.call_id, "skipped", reason=_conflict(stored.call_id, str(exc)))
    if metadata != stored.metadata:
        return CallOutcome(str(recording), stored.call_id, "skipped",
                           reason=_conflict(stored.call_id, "its sidecar differs from the one it was processed with"))
    return CallOutcome(str(recording), stored.call_id, "skipped")


def _conflict(call_id: str, what: str) -> str:
    return f"conflict: call {call_id} is done, but {what}; nothing was changed (--force reprocesses it)"


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


def _decode(recording: Path, keyring: Keyring, settings: ProcessingSettings) -> tuple[KeptAudio, AudioInfo, str]:
    """The whole call decrypted and decoded, before any stage starts: (audio, what it is, the key's id)."""
    try:
        with recording.open("rb") as f:
            decrypted = open_decrypted(f, keyring)
            with AudioReader(decrypted, window_s=settings.window_s) as reader:
                return KeptAudio(reader.windows()), reader.info, decrypted.key_id
    except EnvelopeError as exc:
        raise BadRecording("decrypt", str(exc)) from None
    except AudioError as exc:
        # PyAV reads through the decrypting stream, so an authentication failure can surface while decoding.
        cause = exc.__context__
        if isinstance(cause, EnvelopeError):
            raise BadRecording("decrypt", str(cause)) from None
        raise BadRecording("decode", str(exc)) from None


def decoding_for(script: Script, decoding: DecodingSettings = DecodingSettings(),
                 operator_channel: int | None = None) -> DecodingSettings:
    """How a call judged by `script` is transcribed: the script names the words its operators are heard to say,
    on the operator's channel where the sidecar names it."""
    return replace(decoding, hotwords=script.settings.asr_hotwords, hotwords_channel=operator_channel)


def _transcribe(kept: KeptAudio, metadata: CallMetadata, settings: ProcessingSettings, beside_diarization: bool,
                decoding: DecodingSettings) -> Transcript:
    model = settings.model
    if beside_diarization and model.device == "cpu":
        # pyannote listens to a mono call on one thread of its own meanwhile: that core comes out of Whisper's share.
        # Oversubscribed, the two shared the cores badly: CTranslate2's OpenMP threads spin at each barrier while
        # diarization holds a core they wait for, and diarization then finished alone after the words.
        model = replace(model, cpu_threads=max(1, model.cpu_threads - 1))
    transcript = transcribe_windows(shared_model(model), kept.windows(), metadata.language, decoding)
    return_freed_memory()
    if not transcript.segments:
        raise BadRecording("asr", f"silence only: no speech found in {transcript.duration_s:.1f} s of audio")
    return transcript


def _redact(transcript: Transcript, score: CallScore, operator_channel: int | None
            ) -> tuple[Transcript, tuple[PiiInterval, ...], CallScore]:
    redacted, pii = redact_transcript(transcript)
    return redacted, pii, redact_quotes(score, redacted, operator_channel)


def as_stored(text: str) -> str:
    """A sentence as the database keeps it, and as the analysts' quotes the judges recall read."""
    return redact_text(text).text


def call_scorer(script_path: Path | str | None, script_text: str | None, taught: Iterable[LabelledExample]
                ) -> CallScorer:
    """The scorer of a call judged as spoken, in the flow or from a file: it recalls the analysts' redacted quotes
    in the words' stored form."""
    return shared_scorer(script_path, script_text, taught, as_stored)


def score_then_redact(transcript: Transcript, scorer: CallScorer, operator_channel: int | None,
                      cost: CallCost | None = None) -> tuple[Transcript, tuple[PiiInterval, ...], CallScore]:
    """Judge the words as spoken, then mask them: a name masked first took «чем могу помочь» with it
    («Добрый день [ФИО] могу помочь?») and failed an offer of help that was made."""
    cost = cost or CallCost()
    score = cost.timed("score", scorer.score, transcript, operator_channel)
    return cost.timed("redact", _redact, transcript, score, operator_channel)


def process_call(recording: Path, keyring: Keyring, metadata: CallMetadata, info: RecordingInfo,
                 settings: ProcessingSettings, cost: CallCost) -> ProcessedCall:
    """Everything made of one recording, without the database. Scoring reads the words as spoken, in memory;
    the transcript and the evidence quotes are redacted before they are handed back."""
    kept, audio, key_id = cost.timed("decode", _decode, recording, keyring, settings)
    text = None if settings.script else settings.scripts.for_call(metadata.call_id, metadata.operator_id,
                                                                  metadata.started_at)
    script = shared_script(settings.script, text)
    # diarization listens in its own process while the words are transcribed here (pipelines.diarization_process)
    diarizing = diarization_process()
    pcm = kept.joined()
    listening = is_mono(pcm)  # the diarization process listens to exactly these calls during the ASR
    diarizing.begin(pcm, settings.model.device, listening, metadata.operator_channel)
    del pcm
    transcript = cost.timed("asr", _transcribe, kept, metadata, settings, listening,
                            decoding_for(script, settings.decoding, metadata.operator_channel))
    # what is left of diarization once the words are known; its listening mostly happened during the ASR
    attributed, diarized = cost.timed("diarize", diarizing.finish, transcript)
    # the worker mostly waits during "diarize": the diarization process's own CPU is what diarization cost
    cost.cpu_seconds.update(diarized.cpu_seconds)
    cost.peak_rss_mb["diarization process"] = diarized.peak_rss_mb
    scorer = call_scorer(settings.script, text, settings.taught.get(script.version, ()))
    transcript, pii, score = score_then_redact(attributed.transcript, scorer, metadata.operator_channel, cost)
    info = replace(info, key_id=key_id, codec=audio.codec, sample_rate=audio.sample_rate, channel_count=audio.channels)
    return ProcessedCall(metadata, info, transcript, attributed.roles, attributed.diarization.turns, pii, scorer.script,
                         score)


@dataclass(frozen=True)
class Rejected:
    """Bad input a worker found: the flow's process records it as failed and quarantines the recording."""

    recording: RecordingInfo
    stage: str
    reason: str


@dataclass(frozen=True)
class Admitted:
    """A call the flow hands to a worker: its sidecar, and its recording as hashed once on admission."""

    metadata: CallMetadata
    recording: RecordingInfo


def compute_call(recording: Path, keyring: Keyring, admitted: Admitted,
                 settings: ProcessingSettings) -> tuple[ProcessedCall | Rejected, CallCost]:
    """A worker's share of a call: everything but the database. Bad input comes back as `Rejected`; only transient
    errors escape, so that the task is retried."""
    cost = CallCost()
    info = admitted.recording
    try:
        if info.size_bytes == 0:
            raise BadRecording("decrypt", "empty file (0 bytes)")
        result: ProcessedCall | Rejected = process_call(recording, keyring, admitted.metadata, info, settings, cost)
    except BadRecording as bad:
        result = Rejected(info, bad.stage, bad.reason)
    cost.peak_rss_mb["worker"] = peak_rss_mb()
    return result, cost


def admit(recording: Path, db: Database, run_id: str, settings: ProcessingSettings) -> Admitted | CallOutcome:
    """Before a call is handed to a worker: its sidecar, and whether it is stored already. Returns what the worker
    needs, or the call's outcome when there is nothing to compute (skipped, or failed and quarantined)."""
    info = _unopened(recording)
    metadata: CallMetadata | None = None
    try:
        if not settings.force and (done := _already_done(recording, info, db)) is not None:
            return done
        metadata = _read_metadata(recording)
        status = call_status(db, metadata.call_id)
        if status is None or status.status != "done" or settings.force:
            return Admitted(metadata, info)
        # done, and not from these bytes (_already_done found none stored for a done call)
        raise BadRecording("sidecar", f"call {metadata.call_id} was already processed from a different "
                                      "recording; use --force to replace it")
    except BadRecording as bad:
        return reject(recording, db, run_id, settings, Rejected(info, bad.stage, bad.reason), metadata)


def store(recording: Path, db: Database, run_id: str, settings: ProcessingSettings, metadata: CallMetadata,
          result: ProcessedCall | Rejected, cost: CallCost) -> CallOutcome:
    """What a worker computed, into the database: a processed call in one transaction, or the rejection."""
    if isinstance(result, Rejected):
        return reject(recording, db, run_id, settings, result, metadata, cost)
    cost.timed("store", save_processed_call, db, run_id, result)
    return CallOutcome(str(recording), metadata.call_id, "done", result.transcript.duration_s, cost=cost)


def reject(recording: Path, db: Database, run_id: str, settings: ProcessingSettings, rejected: Rejected,
           metadata: CallMetadata | None, cost: CallCost | None = None) -> CallOutcome:
    moved = quarantine(recording, settings.quarantine or recording.parent / "quarantine", rejected.reason)
    save_failure(db, run_id, recording=rejected.recording, metadata=metadata, stage=rejected.stage,
                 reason=rejected.reason, quarantined_to=str(moved))
    call_id = metadata.call_id if metadata else recording.stem
    return CallOutcome(str(recording), call_id, "failed", reason=f"{rejected.stage}: {rejected.reason}",
                       cost=cost or CallCost())


def record_unfinished(recording: Path, db: Database, run_id: str, error: BaseException) -> CallOutcome:
    """A call whose retries ran out stays in the inbox for the next run: recorded as failed, not quarantined."""
    reason = f"{type(error).__name__}: {error}"
    try:
        metadata = read_sidecar(recording)
    except InvalidSidecar:
        metadata = None
    save_failure(db, run_id, recording=_unopened(recording), metadata=metadata, stage="transient", reason=reason,
                 quarantined_to=None)
    return CallOutcome(str(recording), metadata.call_id if metadata else recording.stem, "failed",
                       reason=f"transient: {reason}")
