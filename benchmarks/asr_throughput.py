"""Plain faster-whisper against the whole `process` flow (1 and 2 Dask workers) on the same calls, stereo and mono
apart and together; what each stage of the flow costs in CPU; peak memory of a worker and of its diarization
process on a long call; WER.

    python -m benchmarks.asr_throughput [--calls DIR] [--hour-minutes 60]

Wall throughput depends on what else the machine runs, CPU seconds per audio second less so: each row
has both, and the flow/plain ratios are given both ways. A stereo or mono row adds up its calls (plain: decoding
and transcribing each; the flow with 1 worker: each call's time on its worker, from decoding to redaction);
the rows over all calls are whole runs, with loading the models and, for the flow, starting Prefect and Dask.
Each run is a process of its own, so that its peak memory and its CPU time (with the descendants it waited for)
are its own. CPU time is steadier than wall time under load, not immune to it: on 2 vCPUs at a load average of
10-17 every stage cost 10-40 % more CPU than at 3-8.
"""
from __future__ import annotations

import argparse
import json
import os
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
# the flow's stages in the order a call goes through them (pipelines.call_processing.CallCost); `listen` and
# `settle` run in the diarization process, `diarize` is the worker waiting for it, `store` the flow's process
STAGES = ("decode", "asr", "listen", "settle", "diarize", "score", "redact", "store")
# wall time a call spends on its worker; `listen` overlaps `asr`, and `store` happens in the flow's process
ON_WORKER = ("decode", "asr", "diarize", "score", "redact")


def channels_of(audio: Path) -> str:
    return json.loads(audio.with_suffix(".json").read_text()).get("channels") or "mono"


def plain_faster_whisper(calls: Path) -> dict:
    """The baseline: the same model and decoding settings, straight on the plaintext files; each call's wall and
    CPU seconds, and the whole run's."""
    from faster_whisper import decode_audio

    from asr.model import ModelSettings, load_model
    from pipelines.call_processing import decoding_for
    from scoring.scorer import shared_script

    started = time.perf_counter()
    model = load_model(ModelSettings.from_env())
    script = shared_script()
    per_call = []
    for path in sorted(p for p in calls.iterdir() if p.suffix in AUDIO_SUFFIXES):
        wall, cpu = time.perf_counter(), time.process_time()
        sidecar = json.loads(path.with_suffix(".json").read_text())
        language, decoding = sidecar.get("language") or "ru", decoding_for(script, operator_channel=sidecar.get("operator_channel"))
        channels = decode_audio(str(path), split_stereo=True)
        mono = channels[0] if np.allclose(channels[0], channels[1], atol=1e-4) else None
        for channel, samples in ([(None, mono)] if mono is not None else enumerate(channels)):
            segments, _ = model.transcribe(samples, **decoding.whisper_kwargs(language, channel))
            list(segments)
        per_call.append({"name": path.stem, "channels": channels_of(path), "audio_seconds": len(channels[0]) / 16000,
                         "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu})
    return {"calls": per_call, "wall_seconds": time.perf_counter() - started}


def flow(inbox: Path, db: Path, keys: Path, workers: int) -> dict:
    from pipelines.flows import process_calls

    started = time.perf_counter()
    summary = process_calls(inbox=inbox, db_path=db, key_paths=[keys], workers=workers, show_progress=False)
    if summary.failed:
        raise RuntimeError(f"{summary.failed} calls failed: {[f.reason for f in summary.failures]}")
    per_call = [{"name": Path(o.path).stem, "channels": channels_of(Path(o.path)), "audio_seconds": o.audio_seconds,
                 "wall_seconds": sum(o.cost.wall_seconds.get(s, 0.0) for s in ON_WORKER),
                 "stage_cpu_seconds": o.cost.cpu_seconds, "peak_rss_mb": o.cost.peak_rss_mb}
                for o in summary.outcomes]
    return {"calls": per_call, "audio_seconds": summary.audio_seconds, "wall_seconds": time.perf_counter() - started}


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
    from pipelines.call_processing import decoding_for
    from scoring.scorer import shared_script

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
            transcript = transcribe_windows(model, reader.windows(), "ru", decoding_for(shared_script()))
            wall = time.perf_counter() - started
        rows.append([Path(relative).name, jiwer.wer(normalise(reference), normalise(transcript.text)),
                     transcript.duration_s / wall])
    return rows


def _sums(calls: list[dict], channels: str | None) -> tuple[int, float, float, float]:
    """(calls, audio s, wall s, CPU s) of the calls with these channels (all when None); plain's CPU is measured per
    call, the flow's is its stages'."""
    chosen = [c for c in calls if channels in (None, c["channels"])]
    cpu = sum(c.get("cpu_seconds", sum(c.get("stage_cpu_seconds", {}).values())) for c in chosen)
    return (len(chosen), sum(c["audio_seconds"] for c in chosen), sum(c["wall_seconds"] for c in chosen), cpu)


def _row(name: str, calls: int, audio: float, wall: float, cpu: float, peak: float | str = "") -> list:
    return [name, calls, audio, wall, audio / wall, cpu / audio, peak]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=Path, help="folder of calls with sidecars (default: the packaged demo set)")
    parser.add_argument("--hour-minutes", type=float, default=60.0,
                        help="length of the long mono call's memory test; 0 skips it")
    args = parser.parse_args()
    if args.calls is None:
        from importlib import resources
        args.calls = Path(str(resources.files("demo_calls") / "data"))
    calls = sorted(p for p in args.calls.iterdir() if p.suffix in AUDIO_SUFFIXES)
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inbox, keys = encrypted_inbox(calls, work)
        plain, plain_peak, plain_cpu = run_child(["benchmarks.asr_throughput", "_plain", str(args.calls)])
        runs = {}
        for workers in (1, 2):
            # a fresh database each time: a re-run would skip the calls already done
            runs[workers] = run_child(["benchmarks.asr_throughput", "_flow", str(inbox),
                                       str(work / f"bench-{workers}.duckdb"), str(keys), str(workers)])
        hour = None
        if args.hour_minutes > 0:
            hour_dir = work / "hour"
            hour_dir.mkdir()
            long_call = hour_long_call(args.hour_minutes, hour_dir)
            hour_inbox, hour_keys = encrypted_inbox([long_call], hour_dir / "enc")
            long_call.unlink()
            hour = run_child(["benchmarks.asr_throughput", "_flow", str(hour_inbox), str(hour_dir / "hour.duckdb"),
                              str(hour_keys), "1"])

    rows, ratios = [], []
    for channels in ("stereo", "mono"):
        plain_sums, flow_sums = _sums(plain["calls"], channels), _sums(runs[1][0]["calls"], channels)
        if not plain_sums[0]:
            continue
        rows += [_row(f"plain faster-whisper, {channels} calls", *plain_sums),
                 _row(f"process flow, 1 worker, {channels} calls", *flow_sums)]
        ratios.append((channels, plain_sums, flow_sums))
    audio = sum(c["audio_seconds"] for c in plain["calls"])
    rows.append(_row("plain faster-whisper, all calls (a whole run)", len(calls), audio, plain["wall_seconds"],
                     plain_cpu, plain_peak))
    for workers, (flowed, peak, cpu) in runs.items():
        rows.append(_row(f"process flow, {workers} worker{'s' if workers > 1 else ''}, all calls (a whole run)",
                         len(calls), flowed["audio_seconds"], flowed["wall_seconds"], cpu, peak))
    print_table(f"Throughput on {len(calls)} calls from {args.calls} ({cores} cores)",
                ["run", "calls", "audio s", "wall s", "x real time", "CPU s / audio s", "peak RSS MB"], rows)
    for channels, (_, audio_p, wall_p, cpu_p), (_, audio_f, wall_f, cpu_f) in ratios:
        print(f"flow (1 worker) / plain, {channels}: {(audio_f / wall_f) / (audio_p / wall_p):.3f} in wall time, "
              f"{(cpu_p / audio_p) / (cpu_f / audio_f):.3f} in CPU per audio second (target >= 0.9)")
    whole = [r for r in rows if r[0].endswith("(a whole run)")]
    print(f"flow (1 worker) / plain, all calls: {whole[1][4] / whole[0][4]:.3f} in wall time; "
          f"2 workers / 1 worker: {whole[2][4] / whole[1][4]:.2f}")

    flowed, _, tree_cpu = runs[1]
    stage_rows = []
    for channels in ("stereo", "mono"):
        chosen = [c for c in flowed["calls"] if c["channels"] == channels]
        if not chosen:
            continue
        audio_s = sum(c["audio_seconds"] for c in chosen)
        per_stage = {s: sum(c["stage_cpu_seconds"].get(s, 0.0) for c in chosen) / audio_s for s in STAGES}
        stage_rows.append([f"{channels} ({len(chosen)} calls)", *per_stage.values(), sum(per_stage.values())])
        if channels == "mono":
            # every core busy on a mono call, none waiting: the fastest the flow can go on this machine
            _, plain_audio, _, plain_cpu_mono = _sums(plain["calls"], "mono")
            print(f"mono cap on {cores} cores from the stage costs: {cores / sum(per_stage.values()):.2f}x real time;"
                  f" as a flow/plain ratio: {plain_cpu_mono / plain_audio / sum(per_stage.values()):.3f}")
    print_table("CPU seconds per audio second, stage by stage (process flow, 1 worker; each kind's first call "
                "loads its models)",
                ["calls", *STAGES, "all stages"], stage_rows)
    staged = sum(sum(c["stage_cpu_seconds"].values()) for c in flowed["calls"])
    # a process that exited before its parent waited for it (a diarization process whose worker the cluster
    # stopped first) is missing from the run's CPU: on a busy machine this can come out negative
    print(f"CPU outside the stages (Prefect and Dask, the flow's bookkeeping; a lower bound): "
          f"{tree_cpu - staged:.1f} s in the run, {(tree_cpu - staged) / len(flowed['calls']):.2f} s per call")
    if hour is not None:
        (call,) = hour[0]["calls"]
        print_table(f"One {args.hour_minutes:.0f}-minute mono call, 1 worker (target < 1500 MB in each process)",
                    ["x real time", "CPU s / audio s", *[f"peak RSS MB, {p}" for p in call["peak_rss_mb"]]],
                    [[hour[0]["audio_seconds"] / hour[0]["wall_seconds"], hour[2] / hour[0]["audio_seconds"],
                      *call["peak_rss_mb"].values()]])
    print_table("Word error rate (packaged whisper-base, int8)", ["recording", "WER", "x real time"], word_error_rates())


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_plain":
        print(json.dumps(plain_faster_whisper(Path(sys.argv[2]))))
    elif len(sys.argv) > 1 and sys.argv[1] == "_flow":
        print(json.dumps(flow(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))))
    else:
        main()
