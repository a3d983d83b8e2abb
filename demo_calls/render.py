"""Rendering one written call: speak every line, place it in time, record it as the telephone would, write the
audio, the sidecar and the truth."""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo_calls import telephone, timeline, truth
from demo_calls.audio_file import write_audio
from demo_calls.records import CallScript, PlacedTurn, Voice
from kernel.roles import OPERATOR

Speak = Callable[[str, Voice], np.ndarray]  # (text, voice) -> trimmed mono speech at telephone.RATE


@dataclass(frozen=True)
class RenderedCall:
    call_id: str
    audio: Path
    sidecar: Path
    truth: Path
    duration_s: float


def render_call(script: CallScript, out_dir: Path, speak: Speak, audio_format: str, seed: int) -> RenderedCall:
    rng = random.Random(seed)
    clips = [speak(line.text, line.voice) for line in script.lines]
    timing = timeline.place(script.lines, [len(c) / telephone.RATE for c in clips], rng)

    stereo = script.channels == "stereo"
    caller_channel = 1 - script.operator_channel if stereo else None

    def channel_of(role: str) -> int | None:
        if not stereo:
            return None
        return script.operator_channel if role == OPERATOR else caller_channel

    parts = [
        telephone.Placed(clip, start, channel_of(line.role) or 0, line.role == OPERATOR)
        for line, clip, start in zip(script.lines, clips, timing.starts)
    ]
    samples = telephone.record(parts, timing.duration, 2 if stereo else 1, rng, script.operator_channel)

    # turns are numbered in the order they start; a back-channel comes after the line it lands in
    order = sorted(range(len(script.lines)), key=lambda i: (timing.starts[i], i))
    turn_of_line = {line_index: turn for turn, line_index in enumerate(order)}
    turns = [
        PlacedTurn(
            index=turn, role=script.lines[i].role, speaker=script.lines[i].speaker_id,
            voice=script.lines[i].voice.name, channel=channel_of(script.lines[i].role),
            start=timing.starts[i], end=round(timing.starts[i] + len(clips[i]) / telephone.RATE, 3),
            text=script.lines[i].text,
        )
        for turn, i in enumerate(order)
    ]
    pii = sorted(
        ((m.type, m.text, turn_of_line[i]) for i, line in enumerate(script.lines) for m in line.pii),
        key=lambda item: item[2],
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    audio = out_dir / f"{script.call_id}.{audio_format}"
    sidecar = out_dir / f"{script.call_id}.json"
    truth_path = out_dir / f"{script.call_id}.truth.json"
    write_audio(audio, samples, telephone.RATE, audio_format)
    _write_json(sidecar, truth.sidecar(script))
    _write_json(truth_path, truth.ground_truth(script, turns, pii, timing.holds, timing.duration))
    return RenderedCall(script.call_id, audio, sidecar, truth_path, timing.duration)


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
