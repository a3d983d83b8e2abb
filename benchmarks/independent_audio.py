"""The independent hand-written dialogues spoken by the generator's RHVoice renderer, recorded stereo and mono, and
transcribed by the product's ASR and diarization, so checklist verdicts and topics can be measured on ASR too.

Audio and transcripts are cached outside the project (HOTLINE_QC_CACHE, default ~/.cache/hotline-qc), in
independent-audio/{stereo,mono}/dNN.*: rendered and transcribed on the first run, only read after.

    .venv/bin/python -m benchmarks.independent_audio            # render and transcribe d31-d60
    .venv/bin/python -m benchmarks.independent_audio --all      # d01-d60
    .venv/bin/python -m benchmarks.independent_audio --half tune  # d01-d30 only, for measuring a change

The English dialogues (d17, d28) are spoken by RHVoice's English voices: unpack Debian's rhvoice-english package
into the RHVoice folder (`apt-get download rhvoice-english && dpkg-deb -x rhvoice-english_*.deb ~/.cache/rhvoice`).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
from dataclasses import replace
from pathlib import Path

from asr.records import Transcript
from benchmarks.common import EVAL

INDEPENDENT = EVAL / "dialogues_independent"
LAYOUTS = ("stereo", "mono")
# the operator always on the left channel, as the hotline's recorders do it
OPERATOR_CHANNEL = 0
ENGLISH_VOICES = {"f": ("slt", "clb", "lyubov"), "m": ("bdl", "alan", "evgeniy-eng")}


def cache_folder(layout: str) -> Path:
    home = Path(os.environ.get("HOTLINE_QC_CACHE", "~/.cache/hotline-qc")).expanduser()
    return home / "independent-audio" / layout


def dialogue(number: int) -> dict:
    return json.loads((INDEPENDENT / f"d{number:02d}.json").read_text(encoding="utf-8"))


def call_script(d: dict, layout: str):
    """A dialogue as the generator's call script: each party its own voice (the operator the roster voice of its
    number, a specialist another operator's voice, the caller a voice drawn from its caller id)."""
    from demo_calls import people
    from demo_calls.records import CallScript, Line, Request
    from kernel.roles import CALLER, OPERATOR

    operator = people.OPERATORS[(int(d["operator_id"].split("_")[1]) - 1) % len(people.OPERATORS)]
    specialist = next(op for op in people.SPECIALISTS.values() if op.voice.name != operator.voice.name)
    caller = people.make_caller(random.Random(d["caller_id"]))
    people_of = {"operator": operator, "operator2": specialist, "caller": caller}
    voices = {role: person.voice for role, person in people_of.items()}
    if d["language"] == "en":
        voices = english_voices(people_of)
    lines = [Line(CALLER if t["speaker"] == "caller" else OPERATOR, t["speaker"], voices[t["speaker"]], t["text"])
             for t in d["turns"]]
    operators = [operator] + ([specialist] if any(t["speaker"] == "operator2" for t in d["turns"]) else [])
    return CallScript(
        call_id=d["call_id"], started_at=d["started_at"], topic=d["topic"], problem_id=None,
        complaint=d["complaint"], ivr_branch=d["ivr_branch"], misrouted=False, caller=caller, operators=operators,
        channels=layout, operator_channel=OPERATOR_CHANNEL if layout == "stereo" else None,
        repeat_of=d["repeat_of"], transfer=len(operators) > 1, request=Request(False, None, None),
        checklist={}, lines=lines, language=d["language"])


def english_voices(people_of: dict) -> dict:
    """An English call's parties speak with RHVoice's English voices (the rhvoice-english package), each its own,
    of the person's gender, and fall back to their Russian voice for the Russian words in the text: a Russian
    voice reading English is not English a Whisper told the call's language could be measured on."""
    free = {gender: list(names) for gender, names in ENGLISH_VOICES.items()}
    return {role: replace(person.voice, name=f"{free[person.gender].pop(0)}+{person.voice.name}")
            for role, person in people_of.items()}


def prepare(numbers: range) -> None:
    """Render what is not rendered yet and transcribe what is not transcribed yet, showing progress. The stereo and
    the mono recording of a dialogue are made of the same speech clips."""
    from benchmarks.scoring import transcribe_calls
    from demo_calls.generate import SpeechClips
    from demo_calls.render import render_call
    from demo_calls.rhvoice import find_rhvoice

    missing = [n for n in numbers if any(not (cache_folder(layout) / f"d{n:02d}.ogg").exists() for layout in LAYOUTS)]
    clips = SpeechClips(find_rhvoice()) if missing else None
    for done, n in enumerate(missing, start=1):
        d = dialogue(n)
        seed = int.from_bytes(hashlib.sha256(f"independent/{n}".encode()).digest()[:8], "big")
        for layout in LAYOUTS:
            script = call_script(d, layout)
            clips.prepare((line.text, line.voice) for line in script.lines)
            if not (cache_folder(layout) / f"d{n:02d}.ogg").exists():
                render_call(script, cache_folder(layout), clips, "ogg", seed)
        print(f"\r  rendering independent dialogues stereo and mono: {done}/{len(missing)}", end="", flush=True)
    if missing:
        print(flush=True)
    for layout in LAYOUTS:
        print(f"  transcribing the {layout} recordings (cached beside them)", flush=True)
        transcribe_calls(cache_folder(layout), [f"d{n:02d}" for n in numbers])


def asr_transcript(number: int, layout: str) -> Transcript | None:
    """The dialogue's ASR transcript with speakers and roles, if it has been transcribed."""
    from benchmarks.scoring import load_transcript

    cached = cache_folder(layout) / f"d{number:02d}.roles.json"
    return load_transcript(cached) if cached.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    halves = parser.add_mutually_exclusive_group()
    halves.add_argument("--all", action="store_true", help="both halves, d01-d60 (default: the report half)")
    halves.add_argument("--half", choices=("tune", "report"), default="report",
                        help="d01-d30 or d31-d60 (default: report)")
    args = parser.parse_args(argv)
    prepare(range(1, 61) if args.all else range(1, 31) if args.half == "tune" else range(31, 61))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
