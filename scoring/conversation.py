"""A transcript as the sentences people said, each with its time, its role and its lemmas.

Checklist items are judged sentence by sentence: a Whisper segment may hold a whole turn («Добрый день, горячая
линия госуслуг. Меня зовут Анна. Чем могу помочь?»), and evidence should quote the sentence that did it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from asr.records import Segment, Transcript
from kernel.roles import CALLER, OPERATOR, channel_role
from scoring.tokens import Lemmatizer, Token

# A word cut short by one period and followed by a lower-case word is an abbreviation, not a sentence's end:
# «ответ в течение 10 раб. дней».
_SENTENCE_END = re.compile(r"(?<=[.?!…])(?<![^\W\d_]{2}\.(?=\s+[a-zа-яё]))\s+")
_ENDS_SENTENCE = re.compile(r"[.?!…][»\"')]*$")
_ABBREVIATED = re.compile(r"(?<![.\w])[^\W\d_]{2,}\.$")
CLAUSE = re.compile(r"\s*[,;:—]\s+")  # where a sentence parts into clauses
CONTINUATION_GAP_S = 1.5
LONG_SENTENCE_WORDS = 25
CLAUSE_WORDS = 8


@dataclass(frozen=True)
class Sentence:
    index: int
    start: float
    end: float
    role: str | None  # None: nobody told who spoke (a mono call without diarization)
    speaker: str
    text: str
    tokens: tuple[Token, ...]

    @property
    def words(self) -> int:
        return len(self.tokens)

    def said_by(self, speaker: str) -> bool:
        """An unknown role matches any speaker: without roles the checklist still judges what was said."""
        return speaker == "any" or self.role is None or self.role == speaker


@dataclass(frozen=True)
class Conversation:
    sentences: tuple[Sentence, ...]
    duration_s: float
    # each side recorded on a channel of its own (a stereo call): a line of the caller's channel is the caller's
    channels_apart: bool = False

    def by(self, speaker: str) -> list[Sentence]:
        return [s for s in self.sentences if s.said_by(speaker)]


def segment_role(segment: Segment, operator_channel: int | None) -> str | None:
    if segment.role in (OPERATOR, CALLER):
        return segment.role
    return channel_role(segment.channel, operator_channel)


def quoted_speaker(segment: Segment, operator_channel: int | None) -> str:
    """Whom a sentence of `segment` is quoted as said by: the diarized speaker, else the role, else unknown."""
    return segment.speaker or segment_role(segment, operator_channel) or "unknown"


def conversation(transcript: Transcript, lemmatizer: Lemmatizer, operator_channel: int | None = None) -> Conversation:
    pieces: list[tuple[float, float, str | None, str, str]] = []
    for role, speaker, segments in _runs(transcript.segments, operator_channel):
        for start, end, text in _sentences(segments):
            pieces.append((start, end, role, speaker, text))
    pieces.sort(key=lambda p: p[0])
    sentences = tuple(
        Sentence(n, start, end, role, speaker, text, lemmatizer.tokens(text))
        for n, (start, end, role, speaker, text) in enumerate(pieces)
    )
    return Conversation(sentences, transcript.duration_s, any(s.channel is not None for s in transcript.segments))


def _runs(segments: tuple[Segment, ...], operator_channel: int | None) -> list[tuple[str | None, str, list[Segment]]]:
    """Consecutive segments of one speaker that continue a sentence: Whisper cuts segments mid-sentence
    («Я вижу ваше заявление, оно действительно находится» | «в ведомстве дольше установленного срока.»)."""
    runs: list[tuple[str | None, str, list[Segment]]] = []
    last: dict[str, tuple[str | None, str, list[Segment]]] = {}
    for segment in sorted(segments, key=lambda s: s.start):
        role = segment_role(segment, operator_channel)
        speaker = quoted_speaker(segment, operator_channel)
        run = last.get(speaker)
        if (run is not None and segment.words and run[2][-1].words
                and not _ENDS_SENTENCE.search(run[2][-1].words[-1].text)
                and segment.start - run[2][-1].end <= CONTINUATION_GAP_S):
            run[2].append(segment)
        else:
            run = last[speaker] = (role, speaker, [segment])
            runs.append(run)
    return runs


def _sentences(segments: list[Segment]) -> list[tuple[float, float, str]]:
    words = [w for s in segments for w in s.words]
    if words:
        result, current = [], []
        for word, following in zip(words, [*words[1:], None]):
            current.append(word)
            abbreviated = (following is not None and _ABBREVIATED.search(word.text.strip())
                           and following.text.strip()[:1].islower())
            if _ENDS_SENTENCE.search(word.text) and not abbreviated:
                result.append(current)
                current = []
        if current:
            result.append(current)
        result = [part for ws in result for part in _clauses(ws)]
        return [(ws[0].start, ws[-1].end, " ".join(w.text for w in ws)) for ws in result]
    # no word times (a reference transcript): share the segment's time by the length of each sentence
    result = []
    for segment in segments:
        parts = sentences_of(segment.text)
        total = sum(len(p) for p in parts) or 1
        at = segment.start
        for part in parts:
            length = (segment.end - segment.start) * len(part) / total
            result.append((round(at, 3), round(at + length, 3), part))
            at += length
    return result


def sentences_of(text: str) -> list[str]:
    """A text without word times cut into sentences at their ending punctuation."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def _clauses(words: list) -> list[list]:
    """Whisper sometimes writes half a minute of speech as one comma-spliced sentence; a sentence that long is cut
    at commas into parts of a readable length, so that evidence quotes one thing and items do not mask each other."""
    if len(words) <= LONG_SENTENCE_WORDS:
        return [words]
    parts, current = [], []
    for word in words:
        current.append(word)
        if word.text.endswith(",") and len(current) >= CLAUSE_WORDS:
            parts.append(current)
            current = []
    if current:
        parts.append(current)
    return parts
