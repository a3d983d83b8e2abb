"""Words to speakers: each word goes to the speaker who holds most of it, and a segment is cut wherever the
speaker changes, so that every segment has exactly one speaker."""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import replace

from asr.records import Segment, Transcript, Word
from diarization.records import Diarization, SpeakerTurn
from diarization.stereo import channel_speaker


class _Turns:
    """Turns that never overlap (pyannote's exclusive output, or one stereo channel's turns), searchable by time."""

    def __init__(self, turns: tuple[SpeakerTurn, ...]):
        self.turns = sorted(turns, key=lambda t: t.start)
        self.ends = [t.end for t in self.turns]
        self.starts = [t.start for t in self.turns]

    def holder(self, start: float, end: float) -> str | None:
        if not self.turns:
            return None
        first = bisect.bisect_right(self.ends, start)
        last = bisect.bisect_left(self.starts, end)
        held: dict[str, float] = defaultdict(float)
        for turn in self.turns[first:last]:
            held[turn.speaker] += min(end, turn.end) - max(start, turn.start)
        if held:
            return max(held, key=held.get)
        # The word lies in a pause between turns (ASR and diarization place edges a little differently,
        # or the word has no duration): the nearest turn has it.
        middle = (start + end) / 2
        around = self.turns[max(first - 1, 0):first + 1]
        return min(around, key=lambda t: max(t.start - middle, middle - t.end)).speaker


def _split(segment: Segment, words: list[Word]) -> list[Segment]:
    runs: list[list[Word]] = []
    for word in words:
        if runs and runs[-1][-1].speaker == word.speaker:
            runs[-1].append(word)
        else:
            runs.append([word])
    if len(runs) == 1:
        return [replace(segment, words=tuple(words), speaker=words[0].speaker)]
    return [
        Segment(start=run[0].start, end=run[-1].end, text=" ".join(w.text for w in run), channel=segment.channel,
                words=tuple(run), speaker=run[0].speaker)
        for run in runs
    ]


def assign_speakers(transcript: Transcript, diarization: Diarization) -> Transcript:
    """A word goes to the speaker of the turn that covers most of it: on a stereo call among the turns of the
    word's channel (the channel's party when the channel has no turns), on a mono call among the exclusive
    turns."""
    mono = _Turns(diarization.exclusive_turns)
    channels = {c: _Turns(tuple(t for t in diarization.turns if t.channel == c))
                for c in {t.channel for t in diarization.turns if t.channel is not None}}

    def speaker(start: float, end: float, channel: int | None) -> str | None:
        if channel is None:
            return mono.holder(start, end)
        turns = channels.get(channel)
        return (turns.holder(start, end) if turns else None) or channel_speaker(channel)

    segments: list[Segment] = []
    for segment in transcript.segments:
        if segment.words:
            segments.extend(_split(segment, [replace(w, speaker=speaker(w.start, w.end, segment.channel))
                                             for w in segment.words]))
        else:
            segments.append(replace(segment, speaker=speaker(segment.start, segment.end, segment.channel)))
    return replace(transcript, segments=tuple(segments))
