"""A call's transcript as turns, the unit that is stored, shown, searched, quoted and exported.

A turn is consecutive words of one speaker. It ends where that speaker pauses for longer than `pause_s`, or where
another speaker says a word in the pause (takes the floor). Its start and end are its first and last word's; its
speaker, role and channel are its words'. Turns of different speakers may overlap in time when both talk at once.

Whisper's own segments are no turns: on one channel of a stereo call a segment can run for a minute across the
other party's replies, so the time it claims is not the time it was said.
"""
from __future__ import annotations

import bisect
from dataclasses import replace

from asr.records import Segment, Transcript, Word, word_glue
from diarization.stereo import channel_speaker

# A pause this long, with nobody else speaking, starts a new turn: longer than the breath between two sentences
# of one answer, shorter than an operator's silence while looking something up.
TURN_PAUSE_S = 1.5


def _speaker_of(word: Word, segment: Segment) -> str:
    if word.speaker is not None:
        return word.speaker
    if segment.speaker is not None:
        return segment.speaker
    return channel_speaker(segment.channel) if segment.channel is not None else "unknown"


def as_turns(transcript: Transcript, pause_s: float = TURN_PAUSE_S) -> Transcript:
    """`transcript` with its segments re-cut into turns; a segment without word times stays as it is."""
    words: dict[str, list[tuple[Word, Segment, bool]]] = {}
    kept: list[Segment] = []
    for segment in transcript.segments:
        if not segment.words:
            kept.append(segment)
            continue
        for word, glued in zip(segment.words, word_glue(segment)):
            words.setdefault(_speaker_of(word, segment), []).append((word, segment, glued))
    middles = sorted(((w.start + w.end) / 2, speaker) for speaker, ws in words.items() for w, _, _ in ws)
    times = [m for m, _ in middles]

    def someone_else_between(speaker: str, start: float, end: float) -> bool:
        return any(other != speaker for _, other in middles[bisect.bisect_right(times, start):
                                                            bisect.bisect_left(times, end)])

    turns: list[Segment] = []
    for speaker, spoken in words.items():
        spoken.sort(key=lambda ws: ws[0].start)
        run: list[tuple[Word, Segment, bool]] = []
        for placed in spoken:
            word = placed[0]
            if run and (word.start - run[-1][0].end > pause_s
                        or someone_else_between(speaker, run[-1][0].end, word.start)):
                turns.append(_turn(run))
                run = []
            run.append(placed)
        turns.append(_turn(run))
    turns.extend(kept)
    turns.sort(key=lambda t: (t.start, t.channel or 0))
    return replace(transcript, segments=tuple(turns))


def _turn(run: list[tuple[Word, Segment, bool]]) -> Segment:
    first_segment = run[0][1]
    words = tuple(w for w, _, _ in run)
    text = "".join(("" if glued and n else " ") + w.text.strip() for n, (w, _, glued) in enumerate(run)).strip()
    return Segment(start=words[0].start, end=max(w.end for w in words), text=text,
                   channel=first_segment.channel, words=words,
                   speaker=first_segment.speaker if first_segment.speaker is not None else words[0].speaker,
                   role=first_segment.role)
