"""What transcription produces: words with times, grouped into segments, per call."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float
    channel: int | None = None
    speaker: str | None = None


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    channel: int | None = None
    words: tuple[Word, ...] = ()
    speaker: str | None = None
    role: str | None = None


def word_glue(segment: Segment) -> list[bool]:
    """For each word, whether the segment's text has it right after the previous word, with no space: Whisper
    splits «1,970» into the words «1» and «,970», and a space between them would break the number."""
    flags, pos = [], None
    for word in segment.words:
        token = word.text.strip()
        at = segment.text.find(token, pos or 0) if token else -1
        flags.append(at >= 0 and pos is not None and at == pos)
        if at >= 0:
            pos = at + len(token)
    return flags


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration_s: float
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)
