"""Who spoke when, measured: DER, speakers found, speed and operator/caller accuracy on every input we have.

    python -m benchmarks.diarization [--calls DIR] [--no-calls]

Inputs: pyannote.audio's bundled sample (sample.rttm), the 4-speaker VoxConverse clip (aepyx.rttm), the RHVoice
dialogue at 16 and 8 kHz (reference built below from the sentence files it is made of; operator = anna), the
faster-whisper stereo fixture (reference: each channel's speech), and the generated demo calls against their
truth. Stereo inputs go through the real ASR first, then diarization.assign with their audio: turns are the
channels' voice activity around the words, and a second voice on a channel is split off. Mono inputs go
through pyannote with the packaged weights and the voice check. DER is pyannote.metrics' with collar 0.25 s
(±0.125 s around each reference boundary) and without collar. Role accuracy is the share of ASR words, inside a reference turn
without overlap, whose segment carries the true role. Turn role agreement measures the turns as stored and
exported (diarization.turns): over the reference's single-speaker time inside an exported turn, the share where
every exported turn there carries the true role; coverage is the share of that time inside an exported turn.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

import diarization  # noqa: F401  its warning filters before anything imports pyannote
from benchmarks.common import EVAL, print_table
from pipelines import offline  # noqa: F401

SAMPLE_RATE = 16000
DIALOGUE_SENTENCES = ("s1_rhv_anna", "s2_rhv_aleksandr", "s3_rhv_anna", "s4_rhv_aleksandr", "s5_rhv_anna")
DIALOGUE_GAP_S = 0.6
DIALOGUE_OPERATOR = "anna"


@dataclass
class Case:
    name: str
    samples: np.ndarray  # (channels, n) at 16 kHz
    reference: list[tuple[float, float, str]]  # (start, end, speaker)
    roles: dict[str, str] = field(default_factory=dict)  # reference speaker -> role, where known
    channel_roles: dict[int, str] = field(default_factory=dict)  # stereo: channel -> role
    operator_channel: int | None = None
    max_speakers: int | None = 3
    language: str = "ru"
    reference_roles: dict[str, str] = field(default_factory=dict)  # reference speaker -> role, for the turns' row

    @property
    def stereo(self) -> bool:
        return self.samples.shape[0] == 2

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


def read(path: Path) -> np.ndarray:
    from ingest.audio import AudioReader

    with open(path, "rb") as f, AudioReader(f, window_s=3600) as reader:
        return np.concatenate([w.samples for w in reader.windows()], axis=1)


def speech_spans(samples: np.ndarray, threshold_db: float = -40.0, bridge_s: float = 0.3) -> list[tuple[float, float]]:
    """Where a clean recording has speech: 10 ms frames above `threshold_db` dBFS, pauses under `bridge_s` filled."""
    hop = SAMPLE_RATE // 100
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    loud = 10 * np.log10((frames.astype(np.float64) ** 2).mean(axis=1) + 1e-12) > threshold_db
    spans: list[list[float]] = []
    for n in np.flatnonzero(loud):
        start = n / 100
        if spans and start - spans[-1][1] < bridge_s:
            spans[-1][1] = start + 0.01
        else:
            spans.append([start, start + 0.01])
    return [(round(a, 2), round(b, 2)) for a, b in spans]


def dialogue_reference(dialogue: np.ndarray) -> list[tuple[float, float, str]]:
    """The dialogue is the five sentence files with 0.6 s of silence between them (checked sample by sample at
    16 kHz); each file's speech at its offset is its voice's turn."""
    reference, offset = [], 0
    for name in DIALOGUE_SENTENCES:
        sentence = read(EVAL / f"audio_tts_ru/{name}.flac")[0]
        if not np.array_equal(dialogue[offset:offset + len(sentence)], sentence):
            raise RuntimeError(f"dialogue_rhv.flac does not hold {name}.flac at {offset / SAMPLE_RATE:.2f} s")
        voice = name.split("_")[-1]
        reference += [(offset / SAMPLE_RATE + a, offset / SAMPLE_RATE + b, voice) for a, b in speech_spans(sentence)]
        offset += len(sentence) + int(DIALOGUE_GAP_S * SAMPLE_RATE)
    return reference


def rttm(path: Path) -> list[tuple[float, float, str]]:
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            turns.append((start, start + duration, fields[7]))
    return turns


def eval_cases() -> list[Case]:
    import pyannote.audio

    sample = Path(pyannote.audio.__file__).parent / "sample"
    dialogue = read(EVAL / "audio_tts_ru/dialogue_rhv.flac")
    dialogue_turns = dialogue_reference(dialogue[0])
    anna_is_operator = {"anna": "operator", "aleksandr": "caller"}
    stereo = read(EVAL / "audio_real/fasterwhisper_en_fixtures/stereo_diarization.wav")
    stereo_turns = [(a, b, f"channel {c}") for c in (0, 1) for a, b in speech_spans(stereo[c])]
    return [
        Case("pyannote sample.wav", read(sample / "sample.wav"), rttm(sample / "sample.rttm")),
        # A broadcast clip, not a call: no upper bound on the number of speakers.
        Case("voxconverse aepyx 8k", read(EVAL / "audio_real/voxconverse_aepyx_8k/aepyx_8k.wav"),
             rttm(EVAL / "audio_real/voxconverse_aepyx_8k/aepyx.rttm"), max_speakers=None),
        Case("dialogue_rhv", dialogue, dialogue_turns, anna_is_operator, reference_roles=anna_is_operator),
        # The 8 kHz copy lines up with the same reference (resampling keeps the timing).
        Case("dialogue_rhv_8k", read(EVAL / "audio_tts_ru/dialogue_rhv_8k.flac"), dialogue_turns, anna_is_operator,
             reference_roles=anna_is_operator),
        # SOURCE.txt: "operator on L, caller on R"
        Case("stereo_diarization.wav", stereo, stereo_turns, channel_roles={0: "operator", 1: "caller"},
             operator_channel=0, language="en", reference_roles={"channel 0": "operator", "channel 1": "caller"}),
    ]


def call_cases(folder: Path) -> list[Case]:
    import json

    from ingest.metadata import read_sidecar

    cases = []
    for audio in sorted(folder.glob("*.ogg")):
        truth = json.loads(audio.with_suffix("").with_suffix(".truth.json").read_text(encoding="utf-8"))
        metadata = read_sidecar(audio)
        samples = read(audio)
        if metadata.channels == "mono":
            samples = samples.mean(axis=0, keepdims=True)
        voices = "/".join(sorted({t["voice"] for t in truth["turns"]}))
        stereo = metadata.channels == "stereo"
        cases.append(Case(f"{audio.stem} {metadata.channels} {voices}", samples,
                          [(t["start"], t["end"], t["speaker"]) for t in truth["turns"]],
                          {} if stereo else {t["speaker"]: t["role"] for t in truth["turns"]},
                          {t["channel"]: t["role"] for t in truth["turns"]} if stereo else {},
                          metadata.operator_channel, reference_roles={t["speaker"]: t["role"] for t in truth["turns"]}))
    return cases


class StageClock:
    """pyannote's progress hook, turned into wall and CPU seconds per stage."""

    def __init__(self):
        self.marks = [("start", time.perf_counter(), time.process_time())]

    def __call__(self, step, artefact, file=None, total=None, completed=None):
        if self.marks[-1][0] == step:
            self.marks[-1] = (step, time.perf_counter(), time.process_time())
        else:
            self.marks.append((step, time.perf_counter(), time.process_time()))

    def stages(self, end_wall: float, end_cpu: float) -> dict[str, tuple[float, float]]:
        names = {"segmentation": "segmentation", "speaker_counting": "segmentation", "embeddings": "embeddings",
                 "discrete_diarization": "clustering + reconstruction"}
        marks = self.marks + [("voice check (voice prints, turn moves)", end_wall, end_cpu)]
        result: dict[str, tuple[float, float]] = {}
        for (_, wall0, cpu0), (step, wall1, cpu1) in zip(marks, marks[1:]):
            name = names.get(step, step)
            wall, cpu = result.get(name, (0.0, 0.0))
            result[name] = (wall + wall1 - wall0, cpu + cpu1 - cpu0)
        return result


def der(reference, turns, duration_s: float) -> tuple[float, float]:
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(spans):
        result = Annotation()
        for n, (start, end, speaker) in enumerate(spans):
            result[Segment(start, end), n] = speaker
        return result

    ref, hyp = annotation(reference), annotation((t.start, t.end, t.speaker) for t in turns)
    whole = Timeline([Segment(0, duration_s)])
    return tuple(DiarizationErrorRate(collar=c)(ref, hyp, uem=whole) for c in (0.25, 0.0))


def role_accuracy(case: Case, transcript) -> tuple[float, bool] | None:
    """Share of words with the true role, and whether every party's words mostly carry it. A party is a channel
    on a stereo call (the word's channel says who spoke it), a reference speaker on a mono one (the reference
    turn around the word says, where exactly one turn is)."""
    if not case.roles and not case.channel_roles:
        return None
    right = total = 0
    votes: dict[object, dict[str | None, int]] = {}
    for segment in transcript.segments:
        for word in segment.words:
            if word.channel is not None:
                party, truth = word.channel, case.channel_roles.get(word.channel)
            else:
                middle = (word.start + word.end) / 2
                holders = [s for a, b, s in case.reference if a <= middle < b]
                party, truth = (holders[0], case.roles[holders[0]]) if len(holders) == 1 else (None, None)
            if truth is None:
                continue
            total += 1
            right += segment.role == truth
            party_votes = votes.setdefault(party, {})
            party_votes[segment.role] = party_votes.get(segment.role, 0) + 1
    truths = {**case.roles, **case.channel_roles}
    every_party = all(max(v, key=v.get) == truths[p] for p, v in votes.items())
    return (right / total if total else float("nan")), every_party


def turn_agreement(case: Case, transcript) -> tuple[int, int, int]:
    """10 ms frames of single-speaker reference time: (frames, frames inside an exported turn, frames where every
    exported turn there carries the reference speaker's role)."""
    frames = int(case.duration_s * 100) + 1
    holders = np.zeros(frames, dtype=int)
    truth = np.full(frames, "", dtype=object)
    for start, end, speaker in case.reference:
        holders[int(start * 100):int(end * 100)] += 1
        truth[int(start * 100):int(end * 100)] = case.reference_roles.get(speaker, "")
    single = (holders == 1) & (truth != "")
    right, wrong = np.zeros(frames, dtype=bool), np.zeros(frames, dtype=bool)
    for turn in transcript.segments:
        span = slice(int(turn.start * 100), int(turn.end * 100))
        agrees = truth[span] == turn.role
        right[span] |= agrees
        wrong[span] |= ~agrees
    covered = single & (right | wrong)
    return int(single.sum()), int(covered.sum()), int((covered & right & ~wrong).sum())


def run(cases: list[Case]) -> None:
    import torch

    from asr.model import ModelSettings, shared_model
    from asr.transcribe import transcribe_windows
    from diarization.assign import attribute_speakers, words_checks
    from diarization.mono import diarize, shared_pipeline
    from diarization.roles import apply_roles, roles_from_content
    from diarization.settings import DiarizationSettings
    from diarization.turns import as_turns
    from diarization.words import assign_speakers
    from ingest.audio import AudioWindow

    whisper = shared_model(ModelSettings.from_env())
    shared_pipeline()
    diarize(cases[0].samples[0][: 5 * SAMPLE_RATE])  # first-call costs (pyannote probes the embedding) out of the timings
    rows, stages, verdicts = [], {}, []
    for case in cases:
        asr = None
        if case.roles or case.channel_roles:
            asr = transcribe_windows(whisper, [AudioWindow(0.0, case.samples)], case.language)
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        content_roles = None
        if case.stereo:
            result = attribute_speakers(asr, case.samples, case.operator_channel, DiarizationSettings())
            found, transcript = result.diarization, result.transcript
            wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
            by_content = attribute_speakers(asr, case.samples, None, DiarizationSettings())
            content_roles = role_accuracy(case, by_content.transcript)
        else:
            clock = StageClock()
            # as the pipeline does: where there are words, two parties whose voices sound alike stay apart and one
            # person heard in two voices becomes one speaker again
            found = diarize(case.samples[0], max_speakers=case.max_speakers, hook=clock,
                            **({} if asr is None else words_checks(asr)))
            wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
            for stage, (w, c) in clock.stages(started_wall + wall, started_cpu + cpu).items():
                total = stages.get(stage, (0.0, 0.0))
                stages[stage] = (total[0] + w, total[1] + c)
            transcript = None
            if asr is not None:
                attributed = assign_speakers(asr, found)
                transcript = as_turns(apply_roles(attributed, roles_from_content(attributed, found.speakers)))
        der_collar, der_plain = der(case.reference, found.turns, case.duration_s)
        roles = role_accuracy(case, transcript) if transcript is not None else None
        agreement = turn_agreement(case, transcript) if transcript is not None and case.reference_roles else None
        expected = len({s for _, _, s in case.reference})
        rows.append([case.name, "stereo" if case.stereo else "mono", f"{100 * der_collar:.1f}", f"{100 * der_plain:.1f}",
                     f"{len(found.speakers)}/{expected}", f"{case.duration_s / wall:.1f}",
                     f"{case.duration_s / cpu:.1f}" if cpu > 0 else "-",
                     "-" if roles is None else f"{roles[0]:.3f}{'' if roles[1] else ' (!)'}",
                     "-" if content_roles is None else f"{content_roles[0]:.3f}{'' if content_roles[1] else ' (!)'}",
                     "-" if agreement is None else f"{agreement[2] / max(agreement[1], 1):.3f}",
                     "-" if agreement is None else f"{agreement[1] / max(agreement[0], 1):.3f}"])
        verdicts.append((case, der_collar, roles, agreement))
        print("  ".join(str(c) for c in rows[-1]), flush=True)
    print_table(f"Diarization (torch on 1 thread of the {torch.get_num_threads()} it would take; 2 shared cores)",
                ["input", "channels", "DER % c0.25", "DER % c0", "speakers found/true", "x RT wall", "x RT cpu",
                 "role acc", "role acc, content only", "turn role agreement", "turn coverage"], rows)
    total_wall = sum(w for w, _ in stages.values())
    print_table("Where the mono time goes (all mono inputs together)", ["stage", "wall s", "cpu s", "share of wall"],
                [[stage, w, c, f"{100 * w / total_wall:.0f} %"] for stage, (w, c) in stages.items()])
    summarise(verdicts)


def summarise(verdicts) -> None:
    calls = [v for v in verdicts if v[0].name.startswith("call-")]
    for label, chosen in (("stereo calls", [v for v in calls if v[0].stereo]),
                          ("mono two-party calls", [v for v in calls if not v[0].stereo and len(v[0].roles) == 2])):
        if chosen:
            ders = [d for _, d, _, _ in chosen]
            print(f"{label}: mean DER (c0.25) {100 * np.mean(ders):.1f} %, worst {100 * max(ders):.1f} %")
    for label, stereo in (("stereo", True), ("mono", False)):
        agreements = [a for c, _, _, a in calls if a is not None and c.stereo == stereo]
        if agreements:
            single, covered, right = (sum(a[i] for a in agreements) for i in range(3))
            worst = min(a[2] / max(a[1], 1) for a in agreements)
            print(f"exported turns against the reference turns, {label} generated calls: role agreement "
                  f"{right / covered:.3f} over single-speaker time in turns (worst call {worst:.3f}; target >= 0.97), "
                  f"coverage {covered / single:.3f}")
    if calls:
        right = sum(1 for _, _, r, _ in calls if r is not None and r[1])
        print(f"generated calls with every speaker's role right: {right}/{len(calls)}")
    mono = [c for c, _, _, _ in verdicts if not c.stereo]
    print(f"mono audio: {sum(c.duration_s for c in mono):.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=Path, default=Path(str(resources.files("demo_calls") / "data")),
                        help="generated calls with .truth.json (default: the packaged demo set)")
    parser.add_argument("--no-calls", action="store_true", help="only the evaluation recordings")
    args = parser.parse_args()
    run(eval_cases() + ([] if args.no_calls else call_cases(args.calls)))


if __name__ == "__main__":
    main()
