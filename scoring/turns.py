"""A call given as its turns (who said what, times optional) as the transcript scoring reads.

Written transcripts, a QA form or another system's export come as turns, not as words with times. A specialist
after a transfer (`operator2`) is an operator in role and keeps their own voice, so the checklist can tell them
from the operator who answered.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from asr.records import Segment, Transcript

ROLES = {"operator": "operator", "operator2": "operator", "caller": "caller"}
SECONDS_PER_WORD = 0.4  # about 150 words a minute, the pace of a hotline conversation
PAUSE_S = 0.6  # between turns, when the times are not given


class TurnsError(ValueError):
    """The turns cannot be read; the message says which turn and why."""


def transcript_from_turns(turns: Sequence[Mapping], language: str = "ru") -> Transcript:
    """Turns in call order; a turn without times is placed after the previous one and lasts as long as its words
    take to say, so that the opening and closing windows fall where a real call would put them."""
    segments, at = [], 0.5
    for n, turn in enumerate(turns):
        if not isinstance(turn, Mapping):
            raise TurnsError(f"turn {n}: must be an object with 'speaker' and 'text'")
        speaker, text = turn.get("speaker"), turn.get("text")
        if speaker not in ROLES:
            raise TurnsError(f"turn {n}: speaker must be one of {', '.join(ROLES)}, got {speaker!r}")
        if not isinstance(text, str):
            raise TurnsError(f"turn {n}: 'text' must be text, got {text!r}")
        start = turn.get("start")
        start = float(start) if start is not None else at
        end = turn.get("end")
        end = float(end) if end is not None else start + SECONDS_PER_WORD * max(1, len(text.split()))
        if end < start:
            raise TurnsError(f"turn {n}: ends at {end} s, before it starts at {start} s")
        segments.append(Segment(start, end, text.strip(), speaker=speaker, role=ROLES[speaker]))
        at = end + PAUSE_S
    duration = max((s.end for s in segments), default=0.0)
    return Transcript(language, 1.0, round(duration + 0.5, 3), tuple(sorted(segments, key=lambda s: s.start)))
