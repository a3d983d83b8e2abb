"""Plain faster-whisper against the whole `process` flow (1 and 2 Dask workers) on the same calls; peak memory of
a worker on a 1-hour call; WER.

    python -m benchmarks.asr_throughput [--calls DIR] [--hour-minutes 60]

Each run is a process of its own so that its peak memory is its own: the peak of its largest process, which for the
flow is its worker (the rusage of a waited-for process tree reports its largest member).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import wave
from pathlib import Path

import jiwer
import numpy as np

from benchmarks.common import EVAL, normalise, print_table, run_child
from pipelines import offline  # noqa: F401

AUDIO_SUFFIXES = (".ogg", ".wav", ".flac")


def plain_faster_whisper(calls: Path) -> dict:
    """The baseline: the same model and decoding settings, straight on the plaintext files."""
    from faster_whisper import decode_audio

    from asr.model import ModelSettings, load_model
    from asr.transcribe import DecodingSettings

    started = time.perf_counter()
    model = load_model(ModelSettings.from_env())
    kwargs = DecodingSettings().whisper_kwargs()
    audio_seconds = 0.0
    for path in sorted(p for p in calls.iterdir() if p.suffix in AUDIO_SUFFIXES):
        language = json.loads(path.with_suffix(".json").read_text()).get("language") or "ru"
        channels = decode_audio(str(path), split_stereo=True)
        mono = channels[0] if np.allclose(channels[0], channels[1], atol=1e-4) else None
        for samples in ([mono] if mono is not None else channels):
            segments, _ = model.transcribe(samples, language=language, **kwargs)
            list(segments)
        audio_seconds += len(channels[0]) / 16000
    return {"audio_seconds": audio_seconds, "wall_seconds": time.perf_counter() - started}


def flow(inbox: Path, db: Path, keys: Path, workers: int) -> dict:
    from pipelines.flows import process_calls

    started = time.perf_counter()
    summary = process_calls(inbox=inbox, db_path=db, key_paths=[keys], workers=workers, show_progress=False)
    if summary.failed:
        raise RuntimeError(f"{summary.failed} calls failed: {[f.reason for f in summary.failures]}")
    return {"audio_seconds": summary.audio_seconds, "wall_seconds": time.perf_counter() - started}


def encrypted_inbox(calls: list[Path], work: Path) -> tuple[Path, Path]:
    from ingest.envelope import encrypt_file
    from ingest.keys import generate_key_pair

    pair = generate_key_pair(work / "keys")
    inbox = work / "inbox"
    inbox.mkdir()
    for audio in calls:
        encrypt_file(pair.public, audio, inbox / f"{audio.stem}.enc")
        shutil.copy(audio.with_suffix(".json"), inbox / f"{audio.stem}.json")
    return inbox, work / "keys"


def hour_long_call(minutes: float, work: Path) -> Path:
    """long_2min.flac (real TTS speech, 8 kHz) repeated to the requested length, written as telephone PCM WAV."""
    from ingest.audio import AudioReader

    with open(EVAL / "audio_tts_ru/long_2min.flac", "rb") as f, AudioReader(f) as reader:
        speech = np.concatenate([w.samples[0] for w in reader.windows()])[::2]  # 16 kHz -> 8 kHz
    pcm = (np.clip(speech, -1, 1) * 32767).astype("<i2").tobytes()
    path = work / "hour.wav"
    repeats = int(np.ceil(minutes * 60 / (len(speech) / 8000)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        for _ in range(repeats):
            out.writeframes(pcm)
    path.with_suffix(".json").write_text(json.dumps(
        {"call_id": "hour-long", "started_at": "2026-11-02T10:00:00+03:00", "channels": "mono", "language": "ru"}))
    return path


def word_error_rates() -> list[list]:
    from asr.model import ModelSettings, load_model
    from asr.transcribe import transcribe_windows
    from ingest.audio import AudioReader

    sentences = [line.split("\t", 1)[1] for line in (EVAL / "audio_tts_ru/sentences.tsv").read_text().splitlines() if line]
    golos = json.loads((EVAL / "audio_real/golos_ru_example/example1.json").read_text())["text"]
    cases = [
        ("audio_tts_ru/long_2min.flac", " ".join(sentences * 6)),
        ("audio_tts_ru/dialogue_rhv.flac", " ".join(sentences)),
        ("audio_tts_ru/dialogue_rhv_8k.flac", " ".join(sentences)),
        ("audio_real/golos_ru_example/001ce26c07c20eaa0d666b824c6c6924.wav", golos),
        ("audio_real/pisets_ru_en_utterances/test_sound_ru.wav", "нейронные сети это хорошо"),
    ]
    model = load_model(ModelSettings.from_env())
    rows = []
    for relative, reference in cases:
        with open(EVAL / relative, "rb") as f, AudioReader(f) as reader:
            started = time.perf_counter()
            transcript = transcribe_windows(model, reader.windows(), "ru")
            wall = time.perf_counter() - started
        rows.append([Path(relative).name, jiwer.wer(normalise(reference), normalise(transcript.text)),
                     transcript.duration_s / wall])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=Path, help="folder of calls with sidecars (default: the packaged demo set)")
    parser.add_argument("--hour-minutes", type=float, default=60.0, help="length of the long-call memory test; 0 skips it")
    args = parser.parse_args()
    if args.calls is None:
        from importlib import resources
        args.calls = Path(str(resources.files("demo_calls") / "data"))
    calls = sorted(p for p in args.calls.iterdir() if p.suffix in AUDIO_SUFFIXES)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inbox, keys = encrypted_inbox(calls, work)
        plain, plain_peak = run_child(["benchmarks.asr_throughput", "_plain", str(args.calls)])
        rows = [["plain faster-whisper", plain["audio_seconds"], plain["wall_seconds"],
                 plain["audio_seconds"] / plain["wall_seconds"], plain_peak]]
        for workers in (1, 2):
            # a fresh database each time: a re-run would skip the calls already done
            flowed, flow_peak = run_child(["benchmarks.asr_throughput", "_flow", str(inbox),
                                           str(work / f"bench-{workers}.duckdb"), str(keys), str(workers)])
            rows.append([f"process flow, {workers} worker{'s' if workers > 1 else ''}", flowed["audio_seconds"],
                         flowed["wall_seconds"], flowed["audio_seconds"] / flowed["wall_seconds"], flow_peak])
        ratio = rows[1][3] / rows[0][3]
        if args.hour_minutes > 0:
            hour_dir = work / "hour"
            hour_dir.mkdir()
            long_call = hour_long_call(args.hour_minutes, hour_dir)
            hour_inbox, hour_keys = encrypted_inbox([long_call], hour_dir / "enc")
            long_call.unlink()
            hour, hour_peak = run_child(["benchmarks.asr_throughput", "_flow", str(hour_inbox),
                                         str(hour_dir / "hour.duckdb"), str(hour_keys), "1"])
            rows.append([f"process flow, 1 worker, one {args.hour_minutes:.0f}-min call", hour["audio_seconds"],
                         hour["wall_seconds"], hour["audio_seconds"] / hour["wall_seconds"], hour_peak])
    print_table(f"Throughput on {len(calls)} calls from {args.calls} (2 cores)",
                ["run", "audio s", "wall s", "audio s / wall s", "peak RSS MB (largest process)"], rows)
    print(f"flow (1 worker) / plain throughput: {ratio:.3f} (target >= 0.9); "
          f"2 workers / 1 worker: {rows[2][3] / rows[1][3]:.2f}")
    print_table("Word error rate (packaged whisper-base, int8)", ["recording", "WER", "x real time"], word_error_rates())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_plain":
        print(json.dumps(plain_faster_whisper(Path(sys.argv[2]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_flow":
        print(json.dumps(flow(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))))
    else:
        main()
