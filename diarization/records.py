"""What diarization produces: speaker turns, the speakers found, and each speaker's role with its confidence."""
from __future__ import annotations

from dataclasses import dataclass

from asr.records import Transcript


@dataclass(frozen=True)
class SpeakerTurn:
    """`channel`: the stereo channel the turn was heard on; None on a mono call."""

    start: float
    end: float
    speaker: str
    channel: int | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Diarization:
    """Who spoke when.

    `turns` keep overlaps (both parties talking at once): they feed the overtalk and interruption metrics.
    `exclusive_turns` give every moment to at most one speaker (pyannote's own split of overlapped speech);
    they decide which speaker a word belongs to on a mono call. Stereo calls leave them empty: there a turn
    never overlaps another turn of its own channel, and the word's channel says whose turns to look at.
    """

    turns: tuple[SpeakerTurn, ...]
    speakers: tuple[str, ...]
    exclusive_turns: tuple[SpeakerTurn, ...] = ()

    @property
    def one_speaker(self) -> bool:
        """A caller who hung up before speaking, a voicemail: one voice, not forced into two."""
        return len(self.speakers) == 1


@dataclass(frozen=True)
class SpeakerRole:
    """`source` says how the role was decided: "metadata" (the call's operator_channel), "configured" (the
    site's default operator channel) or "content" (what the speaker said); `cues` are the phrases that decided."""

    speaker: str
    role: str
    confidence: float
    source: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttributedTranscript:
    """The transcript cut into turns (diarization.turns), with a speaker on every word and a speaker and role on
    every turn."""

    transcript: Transcript
    diarization: Diarization
    roles: tuple[SpeakerRole, ...]
