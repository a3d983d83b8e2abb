"""Generating a set of synthetic hotline calls with ground truth: plan, write, render, and list them in a manifest."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from demo_calls import people
from demo_calls.audio_file import AUDIO_FORMATS
from demo_calls.records import CallScript, Voice
from demo_calls.render import RenderedCall, render_call
from demo_calls.rhvoice import RHVoice, find_rhvoice
from demo_calls.scenarios import build_call
from demo_calls.schedule import plan_calls
from demo_calls.truth import GENERATOR_VERSION

MANIFEST = "manifest.json"
# progress(done, total, call_id) after each rendered call
Progress = Callable[[int, int, str], None]


def generate_calls(out_dir: Path, count: int, seed: int = 0, audio_format: str = "ogg",
                   progress: Progress | None = None, all_mono: bool = False) -> list[Path]:
    """Render `count` calls into `out_dir` (audio, sidecar, truth per call, plus manifest.json); the same seed
    gives the same calls. Returns the audio paths in call order. Needs RHVoice (see `demo_calls.rhvoice`).
    `all_mono` records every call as one mono mix: the same calls, the harder recording."""
    if audio_format not in AUDIO_FORMATS:
        raise ValueError(f"audio format must be one of {', '.join(AUDIO_FORMATS)}, got {audio_format!r}")
    clips = SpeechClips(find_rhvoice())  # fail before planning anything if there is no TTS
    scripts = write_calls(count, seed)
    if all_mono:
        scripts = [replace(s, channels="mono", operator_channel=None) for s in scripts]
    out_dir = Path(out_dir)
    rendered: list[RenderedCall] = []
    for done, script in enumerate(scripts, start=1):
        clips.prepare((line.text, line.voice) for line in script.lines)
        rendered.append(render_call(script, out_dir, clips, audio_format, seed=_call_seed(seed, script.call_id)))
        if progress:
            progress(done, len(scripts), script.call_id)
    _write_manifest(out_dir, seed, audio_format, scripts, rendered)
    return [r.audio for r in rendered]


def write_calls(count: int, seed: int) -> list[CallScript]:
    """The calls' words and truth without audio, in the order they happened."""
    scripts: dict[str, CallScript] = {}
    for spec in plan_calls(count, seed):
        scripts[spec.call_id] = build_call(spec, scripts.get(spec.earlier_call) if spec.earlier_call else None)
    return list(scripts.values())


def _call_seed(seed: int, call_id: str) -> int:
    # not hash(): a str's hash changes from one process to the next
    return int.from_bytes(hashlib.sha256(f"{seed}/{call_id}".encode()).digest()[:8], "big")


class SpeechClips:
    """Speech clips by (text, voice), synthesised a few at a time: RHVoice runs one process per line."""

    def __init__(self, tts: RHVoice):
        self.tts = tts
        self.cache: dict[tuple[str, Voice], np.ndarray] = {}
        # RHVoice spends part of each run waiting rather than computing, so run more of them than cores
        self.workers = 3 * (os.cpu_count() or 1)

    def prepare(self, wanted: Iterable[tuple[str, Voice]]) -> None:
        missing = list(dict.fromkeys(key for key in wanted if key not in self.cache))
        with ThreadPoolExecutor(self.workers) as pool:
            for key, clip in zip(missing, pool.map(lambda k: self.tts.speak(*k), missing)):
                self.cache[key] = clip

    def __call__(self, text: str, voice: Voice) -> np.ndarray:
        if (text, voice) not in self.cache:
            self.cache[(text, voice)] = self.tts.speak(text, voice)
        return self.cache[(text, voice)]


def _write_manifest(out_dir: Path, seed: int, audio_format: str, scripts: list[CallScript],
                    rendered: list[RenderedCall]) -> None:
    voices = sorted({line.voice.name for script in scripts for line in script.lines})
    manifest = {
        "generator": "demo_calls",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "count": len(scripts),
        "audio_format": audio_format,
        "voices": voices,
        "operators": [
            {"operator_id": op.operator_id, "name": op.name, "voice": op.voice.name, "team": op.team,
             "regional_center": op.regional_center}
            for op in people.OPERATORS
        ],
        "calls": [
            {"call_id": s.call_id, "audio": r.audio.name, "sidecar": r.sidecar.name, "truth": r.truth.name,
             "started_at": s.started_at, "duration_s": r.duration_s, "channels": s.channels, "topic": s.topic}
            for s, r in zip(scripts, rendered)
        ],
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
