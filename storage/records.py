"""Records that cross the storage boundary and are not owned by another package."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from asr.records import Transcript
from diarization.records import SpeakerRole, SpeakerTurn
from ingest.records import CallMetadata
from privacy.records import PiiInterval
from scoring.records import CallScore


class ScriptVersion(Protocol):
    """What storage keeps of a checklist script (scoring.script.Script): its version and its whole text."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class RecordingInfo:
    """One encrypted recording as ingest found it; audio fields stay None when decoding never got that far."""

    recording_id: str  # sha256 hex of the ciphertext
    path: Path
    size_bytes: int
    key_id: str | None = None
    codec: str | None = None
    sample_rate: int | None = None
    channel_count: int | None = None


@dataclass(frozen=True)
class CallStatus:
    status: str  # 'done' | 'failed'
    recording_id: str | None


@dataclass(frozen=True)
class StoredRecording:
    """A recording the database already holds, with the call it was stored for and what that call's sidecar said."""

    recording_id: str
    path: str
    call_id: str
    call_status: str | None  # None: the call row is gone or belongs to another recording now
    metadata: CallMetadata | None  # as stored


@dataclass(frozen=True)
class ProcessedCall:
    """Everything processing made of one recording, computed before anything is stored: the transcript as turns
    and the evidence quotes are redacted; the score was judged on the words as spoken."""

    metadata: CallMetadata
    recording: RecordingInfo
    transcript: Transcript
    roles: tuple[SpeakerRole, ...]
    speaker_turns: tuple[SpeakerTurn, ...]
    pii: tuple[PiiInterval, ...]
    script: ScriptVersion
    score: CallScore
