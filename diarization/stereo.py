"""Stereo calls: each channel is one party, so the channel says who spoke and no speaker model is needed.

Turns come from the words the ASR timed on each channel. Both channels' turns are kept as they are, so where
the two parties talk at once their turns overlap: that overlap is the overtalk and interruptions the scorecard
measures. Whisper's word times run loose by a tenth of a second or more at the edges of speech; when the audio
is at hand, a turn is instead a stretch the voice-activity detector hears on that channel, among those holding
words (a stretch without words is line noise or the other party's echo), its edges moved to where the channel's
sound rises above its line noise.
"""
from __future__ import annotations

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from asr.records import Transcript
from diarization.audio import PIECE_S, SAMPLE_RATE, pieces
from diarization.records import Diarization, SpeakerTurn

# Word times only: a pause up to this long inside one party's speech (the breath between two sentences,
# which Whisper's word times widen) does not end the turn; 0.5-1.0 s gave the lowest DER on the demo calls.
MAX_WORD_PAUSE_S = 0.8
# The voice-activity detector ends a stretch of speech after 0.5 s of silence, like the mono pipeline
# (diarization.mono), and pads it by 30 ms: a speech edge, not Whisper's 400 ms padding for decoding. At Silero's
# default threshold (0.5) it lost most of a quiet caller's «Нет, больше ничего» on a line 25 dB above its noise;
# 0.35 hears it, and lowered DER on the 40 stereo calls of the scoring benchmark's tune set (mean 1.9 -> 1.1 %).
_VAD = VadOptions(threshold=0.35, min_silence_duration_ms=500, speech_pad_ms=30)
# Silero places a stretch's edges up to half a second off: it starts after a soft first consonant and runs on past
# the last word. Each edge moves, by up to _MAX_EDGE_MOVE_S, to where the channel's 10 ms frames are louder than
# its line noise (their 10th percentile) by _LOUD_ABOVE_NOISE_DB. On the tune set that took DER from mean 1.1 %,
# worst call 3.7 % to mean 0.5 %, worst 2.0 %; 6-12 dB all did as well within 0.2 points.
_FRAMES_PER_S = 100
_FRAME = SAMPLE_RATE // _FRAMES_PER_S
_LOUD_ABOVE_NOISE_DB = 8.0
_MAX_EDGE_MOVE_S = 0.4
# A short first word Silero skipped («Да,» then a breath) joins the stretch across a pause up to this long. On
# the tune set 0.1 s took DER from mean 0.45 %, worst call 2.0 % to mean 0.30 %, worst 1.6 %; 0.2-0.4 s with a
# longer reach joined other sounds and did worse than none.
_MAX_QUIET_IN_EDGE_S = 0.1
# Digital silence (a muted line, a gap the recorder filled with zeros) is no line noise to measure.
_DIGITAL_SILENCE_DB = -90.0
# Speech running across the end of a piece (diarization.audio.pieces) is one stretch. Within a piece stretches are
# at least 0.44 s apart (0.5 s of silence less the padding), so a shorter gap can only be a piece's end.
_ACROSS_PIECES_S = 0.2


def channel_speaker(channel: int) -> str:
    return f"SPEAKER_{channel:02d}"


def _word_spans(transcript: Transcript, channel: int) -> list[tuple[float, float]]:
    spans = []
    for segment in transcript.segments:
        if segment.channel != channel:
            continue
        # A segment without word times still says someone spoke, for as long as the segment.
        if segment.words:
            spans.extend((w.start, w.end) for w in segment.words)
        else:
            spans.append((segment.start, segment.end))
    return sorted(spans)


def _bridged(spans: list[tuple[float, float]], max_pause_s: float) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] <= max_pause_s:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _loud_frames(piece: np.ndarray) -> np.ndarray:
    """Which 10 ms frames of `piece` (float32) stand above the line noise."""
    frames = piece[:len(piece) // _FRAME * _FRAME].reshape(-1, _FRAME)
    level_db = 10 * np.log10(np.square(frames, dtype=np.float64).mean(axis=1) + 1e-12)
    noise = level_db[level_db > _DIGITAL_SILENCE_DB]
    if not len(noise):
        return np.zeros(len(level_db), dtype=bool)
    return level_db > np.percentile(noise, 10) + _LOUD_ABOVE_NOISE_DB


def _outward(loud: np.ndarray, edge: int, step: int, reach: int, gap: int) -> int:
    """How far an edge moves, frame by frame in direction `step`, over loud frames and quiet runs of at most `gap`
    frames between them, `reach` frames at most: the new edge is just beyond the last loud frame passed."""
    moved, quiet = 0, 0
    for n in range(1, reach + 1):
        frame = edge + step * n - (step > 0)
        if not 0 <= frame < len(loud):
            break
        if loud[frame]:
            moved, quiet = n, 0
        else:
            quiet += 1
            if quiet > gap:
                break
    return edge + step * moved


def _snapped(stretches: list[tuple[int, int]], loud: np.ndarray) -> list[tuple[float, float]]:
    """`stretches` (Silero's, in samples) with their edges moved onto the loud frames: in to the first and last
    loud frame inside (a stretch without one keeps its edges), then out over the loud frames beyond (_outward)."""
    reach, gap = round(_MAX_EDGE_MOVE_S * _FRAMES_PER_S), round(_MAX_QUIET_IN_EDGE_S * _FRAMES_PER_S)
    snapped = []
    for start, end in stretches:
        first, last = start // _FRAME, min(-(-end // _FRAME), len(loud))
        inside = np.flatnonzero(loud[first:last])
        if len(inside):
            first, last = first + inside[0], first + inside[-1] + 1
            start = _outward(loud, first, -1, reach, gap) * _FRAME
            end = _outward(loud, last, 1, reach, gap) * _FRAME
        snapped.append((start / SAMPLE_RATE, end / SAMPLE_RATE))
    return _bridged(sorted(snapped), 0.0)


def channel_stretches(samples: np.ndarray, piece_s: float = PIECE_S) -> list[tuple[float, float]]:
    """Where the voice-activity detector hears speech on one channel, edges on its loud frames: the audio alone
    decides, so a call's stretches are found while its words are transcribed. The detector hears the channel a
    piece of at most `piece_s` at a time."""
    stretches = []
    for offset_s, piece in pieces(samples, piece_s):
        found = [(r["start"], r["end"]) for r in get_speech_timestamps(piece, _VAD)]
        stretches += [(offset_s + a, offset_s + b) for a, b in _snapped(found, _loud_frames(piece))]
    return _bridged(stretches, _ACROSS_PIECES_S)


def turn_edges(start: float, end: float) -> tuple[float, float]:
    """A stretch's edges as its turn carries them (to the millisecond)."""
    return round(start, 3), round(end, 3)


def stereo_turns(transcript: Transcript, samples_16k: np.ndarray | None = None, piece_s: float = PIECE_S,
                 stretches: dict[int, list[tuple[float, float]]] | None = None) -> Diarization:
    """`samples_16k`: the call's (2, n) audio at 16 kHz (diarization.audio), or None to place turns by word times
    alone; `stretches`: channel_stretches of each channel, when they were found already (else they are found
    here, from `samples_16k`, `piece_s` as there)."""
    turns: list[SpeakerTurn] = []
    for channel in sorted({s.channel for s in transcript.segments if s.channel is not None}):
        words = _word_spans(transcript, channel)
        if stretches is None and samples_16k is None:
            spans = _bridged(words, MAX_WORD_PAUSE_S)
        else:
            heard = stretches[channel] if stretches is not None else channel_stretches(samples_16k[channel], piece_s)
            spans = [(a, b) for a, b in heard if any(min(b, we) > max(a, ws) for ws, we in words)]
        turns.extend(SpeakerTurn(*turn_edges(a, b), channel_speaker(channel), channel) for a, b in spans)
    turns.sort(key=lambda t: (t.start, t.channel))
    return Diarization(turns=tuple(turns), speakers=tuple(sorted({t.speaker for t in turns})))
