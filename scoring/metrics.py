"""Conversation metrics of one call from who spoke when: talk ratio, silences and holds, overtalk, interruptions,
speech rate. Overlaps are real only where each side has its own channel (or diarization found overlapping turns):
a mono recording without diarization has no roles, and its role metrics stay empty."""
from __future__ import annotations

from asr.records import Transcript
from kernel.roles import CALLER, OPERATOR
from scoring.conversation import segment_role
from scoring.records import ConversationMetrics

Interval = tuple[float, float]
# pauses between words shorter than this are part of speaking, not silence
JOIN_GAP_S = 0.5
# an operator stretch shorter than this while the caller talks is a backchannel («угу»), not taking the floor
BACKCHANNEL_S = 1.0


def conversation_metrics(transcript: Transcript, operator_channel: int | None = None, *, hold_seconds: float = 8.0,
                         transfers: int = 0) -> ConversationMetrics:
    spans: dict[str | None, list[Interval]] = {OPERATOR: [], CALLER: [], None: []}
    operator_words = 0
    for segment in transcript.segments:
        role = segment_role(segment, operator_channel)
        if segment.words:
            spans[role].extend((w.start, w.end) for w in segment.words)
        else:
            spans[role].append((segment.start, segment.end))
        if role == OPERATOR:
            operator_words += len(segment.words) or len(segment.text.split())
    operator, caller = _merge(spans[OPERATOR]), _merge(spans[CALLER])
    speech = _merge(operator + caller + spans[None])
    gaps = [(a_end, b_start) for (_, a_end), (b_start, _) in zip(speech, speech[1:])]
    silences = [end - start for start, end in gaps]
    holds = [s for s in silences if s >= hold_seconds]
    talked = speech[-1][1] - speech[0][0] if speech else 0.0
    operator_s, caller_s = _total(operator), _total(caller)
    return ConversationMetrics(
        duration_s=round(transcript.duration_s, 2),
        operator_talk_s=round(operator_s, 2),
        caller_talk_s=round(caller_s, 2),
        talk_ratio=round(operator_s / caller_s, 3) if caller_s else None,
        silence_share=round(sum(silences) / talked, 4) if talked else 0.0,
        longest_silence_s=round(max(silences, default=0.0), 2),
        hold_count=len(holds),
        hold_total_s=round(sum(holds), 2),
        overtalk_s=round(_total(_intersect(operator, caller)), 2),
        interruptions=_interruptions(operator, caller),
        operator_words_per_minute=round(operator_words / (operator_s / 60), 1) if operator_s else None,
        time_to_operator_s=round(operator[0][0], 2) if operator else None,
        transfers=transfers,
    )


def _merge(spans: list[Interval]) -> list[Interval]:
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] <= JOIN_GAP_S:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _total(spans: list[Interval]) -> float:
    return sum(end - start for start, end in spans)


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def _interruptions(operator: list[Interval], caller: list[Interval]) -> int:
    count = 0
    for start, end in operator:
        if end - start < BACKCHANNEL_S:
            continue
        if any(c_start < start < c_end for c_start, c_end in caller):
            count += 1
    return count
