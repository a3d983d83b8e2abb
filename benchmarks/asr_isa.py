"""Whisper under each CPU instruction set: word error rate on the Russian clips, words written from non-speech,
and how close real speech comes to the no-speech floor (`DecodingSettings.min_best_word_probability`).

    python -m benchmarks.asr_isa [--isa AVX512 AVX2 GENERIC]

CTranslate2 picks its kernels once per process (`CT2_FORCE_CPU_ISA`), so each instruction set runs in a child
process of its own. Int8 output differs between them: a test or threshold that holds on one may not on another.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import jiwer
import numpy as np

from benchmarks.common import EVAL, ROOT, normalise, print_table
from pipelines import offline  # noqa: F401

SAMPLE_RATE = 16000
TTS = EVAL / "audio_tts_ru"
NON_SPEECH_SECONDS = 10


def non_speech() -> dict[str, np.ndarray]:
    """A silent line, clicks on it and mains hum with hiss: what a line sounds like while nobody speaks."""
    from ingest.audio import AudioReader

    with open(EVAL / "audio_real/pisets_ru_en_utterances/test_silence.wav", "rb") as f, AudioReader(f) as reader:
        silence = np.concatenate([w.samples for w in reader.windows()], axis=1)[0]
    rng = np.random.default_rng(7)
    n = SAMPLE_RATE * NON_SPEECH_SECONDS
    clicks = np.zeros(n, np.float32)
    for at in (1.0, 3.3, 5.1, 6.7, 8.2):
        clicks[int(at * SAMPLE_RATE):int(at * SAMPLE_RATE) + 40] = 0.6 * np.sign(rng.normal(size=40))
    hum = (0.01 * rng.normal(size=n) + 0.02 * np.sin(2 * np.pi * 50 * np.arange(n) / SAMPLE_RATE)).astype(np.float32)
    return {"silence": silence, "clicks": clicks, "line noise": hum}


def speech() -> dict[str, tuple[np.ndarray, str]]:
    """The Russian TTS clips with their reference text."""
    from ingest.audio import AudioReader

    sentences = dict(line.split("\t", 1) for line in (TTS / "sentences.tsv").read_text(encoding="utf-8").splitlines())
    dialogue = " ".join(sentences[f"s{n}"] for n in range(1, 6))
    clips = {path.stem: sentences[path.stem.split("_")[0]] for path in sorted(TTS.glob("s[1-5]_*.flac"))}
    clips |= {"dialogue_rhv": dialogue, "dialogue_rhv_8k": dialogue, "long_2min": " ".join([dialogue] * 6)}
    result = {}
    for name, text in clips.items():
        with open(TTS / f"{name}.flac", "rb") as f, AudioReader(f, window_s=3600) as reader:
            result[name] = (np.concatenate([w.samples for w in reader.windows()], axis=1)[0], text)
    return result


def one_isa() -> dict:
    """In this process's instruction set: every clip with the no-speech floor off, the floor applied after."""
    from dataclasses import replace

    from asr.model import ModelSettings, shared_model
    from asr.transcribe import transcribe_windows
    from ingest.audio import AudioWindow
    from pipelines.call_processing import decoding_for
    from scoring.scorer import shared_script

    model = shared_model(ModelSettings.from_env())
    product = decoding_for(shared_script())
    unfloored = replace(product, min_best_word_probability=0.0)

    def segments(samples):
        return transcribe_windows(model, [AudioWindow(0.0, samples[None, :])], "ru", unfloored).segments

    refs, hyps, clip_wer, lowest, seconds, started = [], [], {}, 1.0, 0.0, time.perf_counter()
    for name, (samples, text) in speech().items():
        kept = [s for s in segments(samples) if product.heard(s)]
        lowest = min([lowest] + [max(w.probability for w in s.words) for s in kept if s.words])
        hypothesis = normalise(" ".join(s.text for s in kept))
        clip_wer[name] = jiwer.wer(normalise(text), hypothesis)
        if name.startswith("s"):
            refs.append(normalise(text))
            hyps.append(hypothesis)
        seconds += len(samples) / SAMPLE_RATE
    wall = time.perf_counter() - started
    noise_words = {}
    for name, samples in non_speech().items():
        found = segments(samples)
        noise_words[name] = {"kept": sum(len(s.words) for s in found if product.heard(s)),
                             "unfloored": sum(len(s.words) for s in found)}
    return {"sentences_wer": jiwer.wer(refs, hyps), "clip_wer": clip_wer, "lowest_best_word": lowest,
            "noise_words": noise_words, "x_rt": seconds / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isa", nargs="+", default=["AVX512", "AVX2", "GENERIC"],
                        help="CTranslate2 instruction sets to compare (one the CPU lacks falls back to the best it has)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_isa()))
        return
    rows = []
    for isa in args.isa:
        env = dict(os.environ, CT2_FORCE_CPU_ISA=isa, ATEN_CPU_CAPABILITY=isa.lower() if isa != "GENERIC" else "default")
        print(f"transcribing under {isa} ...", flush=True)
        out = subprocess.run([sys.executable, "-m", "benchmarks.asr_isa", "--one"], env=env, cwd=ROOT, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        noise = ", ".join(f"{k} {v['kept']} ({v['unfloored']})" for k, v in r["noise_words"].items())
        rows.append([isa, r["sentences_wer"], r["clip_wer"]["dialogue_rhv"], r["clip_wer"]["dialogue_rhv_8k"],
                     r["clip_wer"]["long_2min"], r["lowest_best_word"], noise, f"{r['x_rt']:.1f}"])
    print_table("Whisper base int8 per instruction set (packaged model, the product's decoding settings)",
                ["ISA", "WER 25 sentences", "WER dialogue", "WER dialogue 8k", "WER long_2min",
                 "lowest best-word prob kept", "words from non-speech (without the floor)", "x RT"], rows)


if __name__ == "__main__":
    main()
