"""Checklist verdicts against the truth of generated calls and of the independent hand-labelled dialogues.

Generated calls are scored on real ASR transcripts and on the reference text; the independent set of
hand-written dialogues on their reference text and on ASR transcripts of them spoken by the generator's RHVoice
renderer, recorded stereo and mono (benchmarks.independent_audio; rendered and transcribed on the first run into
~/.cache/hotline-qc/independent-audio, only the report half unless `python -m benchmarks.independent_audio --all`
prepared the tune half too).

    .venv/bin/python -m benchmarks.scoring            # report set (seed 23)
    .venv/bin/python -m benchmarks.scoring --set tune # the set the matcher is tuned on (seed 11)
    .venv/bin/python -m benchmarks.scoring --set report-mono  # the report set's calls, all recorded mono
    .venv/bin/python -m benchmarks.scoring --set report --written   # the calls as written: no RHVoice, no ASR
    .venv/bin/python -m benchmarks.scoring --set independent --half tune --learning-curve
    .venv/bin/python -m benchmarks.scoring --set independent --half tune --cached --leave-out

The independent set (../shared/eval/dialogues_independent, d01-d60) was written by someone who never saw this
product; its tune half d01-d30 is the only half looked at while writing the script's examples, the report half
d31-d60 is scored as it comes, and looked at once per change worth reporting: `--half tune` scores only d01-d30,
for every measurement made while changing the judges. Its labels true/false/null are passed/failed/not applicable; its
`forbidden_phrase` true (a forbidden phrase was said) is `no_forbidden_phrases` failed. The learning curve
teaches the judges analysts' overrides taken from the tune half's labels (an override: one call's item, its
verdict and the text of its evidence turns), those where the script alone got the verdict wrong first, and
scores the report half after each number of them. With `--half tune` it is a two-fold estimate that never reads
the report half: overrides from d01-d15 teach and d16-d30 are scored, then the other way round, and the two
macro F1 are averaged. Its last column re-scores the calls whose overrides were taught: what an analyst who
corrected them sees. `--leave-out` also scores the tune half with the script's texts copied from the dialogues
scored left out (difflib ratio 0.7 or cosine 0.8 against any of their sentences): each dialogue alone, and each
half of d01-d30. A script example written from a tune dialogue is worth nothing on calls nobody tuned for, and only
these rows do not reward it.

Calls are rendered once with RHVoice, transcribed once with the packaged Whisper model and given speakers and roles
once by `diarization` as the pipeline does; all three are cached under benchmarks/out/scoring/, so a re-run only
scores. The tune and report sets come from different seeds: thresholds and phrase rules were adjusted
looking at the tune set only.

An item's precision, recall and F1 are averaged over the verdicts (passed, failed, not applicable) that occur in
its truth or its predictions, so a rare «failed» counts as much as the common «passed»; macro F1 averages items.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from asr.records import Segment, Transcript, Word
from benchmarks.common import EVAL, ROOT, print_table
from benchmarks.independent_audio import LAYOUTS, prepare

OUT = ROOT / "benchmarks" / "out" / "scoring"
INDEPENDENT = EVAL / "dialogues_independent"
INDEPENDENT_HALVES = {"tune": range(1, 31), "report": range(31, 61)}
TUNE_FOLDS = (range(1, 16), range(16, 31))
LEARNING_CURVE = (0, 10, 30, 100)
LEARNING_SEED = 15
# A script example this alike to a sentence of a held-out dialogue was likely written from it: the leave-out
# estimate drops it, so that copying a dialogue's lines into the script earns nothing
COPIED_RATIO = 0.7  # difflib's ratio of the lower-cased texts
COPIED_COSINE = 0.8
_LABELS = {True: "passed", False: "failed", None: "not_applicable"}
SETS = {"tune": 11, "report": 23, "tune-mono": 11, "report-mono": 23}
CALLS_PER_SET = {"tune": 60, "report": 40, "tune-mono": 60, "report-mono": 40}
# A third of the generated calls are mono mixes: too few for a per-item F1 to mean much. These sets record the
# same calls (same words, same truth) all as mono mixes, the harder case of diarization and recognition.
ALL_MONO = {"tune-mono", "report-mono"}


def call_folder(set_name: str) -> Path:
    return OUT / f"{set_name}-seed{SETS[set_name]}"


def render_calls(folder: Path, seed: int, count: int, all_mono: bool) -> None:
    from demo_calls.generate import MANIFEST, generate_calls

    if (folder / MANIFEST).exists():
        return
    print(f"rendering {count} calls (seed {seed}{', all mono' if all_mono else ''}) into {folder} ...", flush=True)
    generate_calls(folder, count, seed, audio_format="ogg", all_mono=all_mono,
                   progress=lambda done, total, call_id: print(f"  {done}/{total} {call_id}", flush=True))


def transcribe_calls(folder: Path, names: list[str] | None = None) -> None:
    """The real ASR on every rendered call (or those of `names`), then speakers and roles as the pipeline finds them
    (`diarization.attribute_speakers`: the channel on stereo calls, pyannote and what was said on mono ones)."""
    from dataclasses import replace

    from asr.model import ModelSettings, shared_model
    from asr.transcribe import transcribe_windows
    from diarization.assign import attribute_speakers
    from ingest.audio import AudioReader
    from pipelines.call_processing import decoding_for
    from scoring.scorer import shared_script

    model = None
    for audio in sorted(folder.glob("*.ogg")):
        if names is not None and audio.stem not in names:
            continue
        asr_cache, roles_cache = audio.with_suffix(".asr.json"), audio.with_suffix(".roles.json")
        if roles_cache.exists():
            continue
        sidecar = json.loads(audio.with_suffix(".json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        with audio.open("rb") as f, AudioReader(f) as reader:
            windows = list(reader.windows())
        if asr_cache.exists():
            transcript = load_transcript(asr_cache)
        else:
            model = model or shared_model(ModelSettings.from_env())
            transcript = transcribe_windows(model, windows, sidecar.get("language", "ru"),
                                            decoding_for(shared_script(), operator_channel=sidecar.get("operator_channel")))
            asr_cache.write_text(json.dumps(asdict(transcript), ensure_ascii=False), encoding="utf-8")
        # ASR output only: speakers and roles are what is measured here
        transcript = replace(transcript, segments=tuple(
            replace(s, speaker=None, role=None, words=tuple(replace(w, speaker=None) for w in s.words))
            for s in transcript.segments))
        samples = np.concatenate([w.samples for w in windows], axis=1)
        attributed = attribute_speakers(transcript, samples if samples.shape[0] == 2 else samples[0],
                                        sidecar.get("operator_channel"))
        roles_cache.write_text(json.dumps(asdict(attributed.transcript), ensure_ascii=False), encoding="utf-8")
        print(f"  {audio.stem} ({sidecar.get('channels')}): {transcript.duration_s:.0f} s audio in "
              f"{time.perf_counter() - started:.0f} s", flush=True)


def load_transcript(path: Path) -> Transcript:
    data = json.loads(path.read_text(encoding="utf-8"))
    segments = tuple(
        Segment(**{**s, "words": tuple(Word(**w) for w in s["words"])}) for s in data.pop("segments")
    )
    return Transcript(**data, segments=segments)


def reference_transcript(truth: dict) -> Transcript:
    """What was really said, turn by turn, with the roles the generator knows."""
    segments = tuple(
        Segment(start=t["start"], end=t["end"], text=t["text"], channel=t["channel"], speaker=t["speaker"],
                role=t["role"])
        for t in sorted(truth["turns"], key=lambda t: t["start"])
    )
    return Transcript(language="ru", language_probability=1.0, duration_s=truth["duration_s"], segments=segments)


def five_minute_call(truths: list[Path]) -> Transcript:
    """Reference calls played one after another until five minutes are filled."""
    segments, offset = [], 0.0
    for truth_path in truths:
        call = reference_transcript(json.loads(truth_path.read_text(encoding="utf-8")))
        for s in call.segments:
            if offset + s.end > 300.0:
                return Transcript("ru", 1.0, 300.0, tuple(segments))
            segments.append(Segment(offset + s.start, offset + s.end, s.text, s.channel, speaker=s.speaker, role=s.role))
        offset += call.duration_s
    return Transcript("ru", 1.0, offset, tuple(segments))


def item_table(pairs: dict[str, list[tuple[str, str]]]) -> tuple[list[list], float]:
    """Per item: precision, recall and F1 averaged over the verdicts (passed, failed, not applicable) that occur
    in the truth or the prediction, so a rare «failed» weighs as much as the common «passed»."""
    rows, f1s = [], []
    for item_id, verdict_pairs in pairs.items():
        classes = sorted({v for pair in verdict_pairs for v in pair})
        ps, rs, fs = [], [], []
        for c in classes:
            tp = sum(1 for t, p in verdict_pairs if t == c and p == c)
            predicted = sum(1 for _, p in verdict_pairs if p == c)
            actual = sum(1 for t, _ in verdict_pairs if t == c)
            precision = tp / predicted if predicted else 0.0
            recall = tp / actual if actual else 0.0
            ps.append(precision)
            rs.append(recall)
            fs.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        support = {c: sum(1 for t, _ in verdict_pairs if t == c) for c in ("passed", "failed", "not_applicable")}
        accuracy = sum(1 for t, p in verdict_pairs if t == p) / len(verdict_pairs)
        f1 = sum(fs) / len(fs)
        f1s.append(f1)
        rows.append([item_id, f"{support['passed']}/{support['failed']}/{support['not_applicable']}",
                     accuracy, sum(ps) / len(ps), sum(rs) / len(rs), f1])
    return rows, sum(f1s) / len(f1s)


def roles_right(truth: dict, transcript: Transcript) -> tuple[float, bool] | None:
    """benchmarks.diarization's role accuracy of an attributed ASR transcript against the call's truth."""
    from benchmarks.diarization import Case, role_accuracy

    stereo = truth["channels"] == "stereo"
    case = Case(truth["call_id"], np.zeros((2 if stereo else 1, 0)),
                [(t["start"], t["end"], t["speaker"]) for t in truth["turns"]],
                {} if stereo else {t["speaker"]: t["role"] for t in truth["turns"]},
                {t["channel"]: t["role"] for t in truth["turns"]} if stereo else {})
    return role_accuracy(case, transcript)


def evaluate(folder: Path, scorer, source: str, verbose: bool, channels: str | None = None
             ) -> tuple[list[list], float, list[tuple[float, float]], list[tuple[float, bool]]]:
    """Per-item table and macro F1 of one transcript source, (seconds, call duration) of every scoring, and on
    ASR transcripts each call's role accuracy (share of words with the true role, every party right)."""
    from demo_calls.records import CHECKLIST_ITEMS

    pairs: dict[str, list[tuple[str, str]]] = {item: [] for item in CHECKLIST_ITEMS}
    timings, roles = [], []
    holds_right = transfers_right = 0
    for truth_path in sorted(folder.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if source == "asr":
            cached = truth_path.with_name(truth_path.name.replace(".truth.json", ".roles.json"))
            if not cached.exists():
                continue
            if channels is not None and truth["channels"] != channels:
                continue
            transcript = load_transcript(cached)
            roles.append(roles_right(truth, transcript))
        else:
            transcript = reference_transcript(truth)
        started = time.perf_counter()
        score = scorer.score(transcript)
        elapsed = time.perf_counter() - started
        timings.append((elapsed, transcript.duration_s))
        holds_right += score.metrics.hold_count == truth["hold_count"]
        transfers_right += (score.metrics.transfers > 0) == truth["transfer"]
        for item in CHECKLIST_ITEMS:
            predicted = score.item(item)
            verdict = generated_verdict(score, item)
            pairs[item].append((truth["checklist"][item], verdict))
            if verbose and truth["checklist"][item] != verdict:
                print(f"[{source}] {truth['call_id']} {item}: truth {truth['checklist'][item]}, got "
                      f"{verdict} ({predicted.reason}) {[e.quote for e in predicted.evidence]}")
    if not timings:
        return [], 0.0, [], []
    rows, macro = item_table(pairs)
    rows.append(["metrics: hold count", "", holds_right / len(timings), "", "", ""])
    rows.append(["metrics: transfer", "", transfers_right / len(timings), "", "", ""])
    return rows, macro, timings, [r for r in roles if r is not None]


def generated_verdict(score, item_id: str) -> str:
    """The generator's `request_registered` is one duty that the script now judges as two: registered with its number
    (request_registered) and the response time of its type (deadline_stated)."""
    verdict = score.item(item_id).verdict
    if item_id == "request_registered" and verdict == "passed":
        deadline = next((v for v in score.items if v.item_id == "deadline_stated"), None)
        if deadline is not None and deadline.verdict == "failed":
            return "failed"
    return verdict


def evaluate_written(seed: int, count: int, scorer, verbose: bool) -> tuple[list[list], float]:
    """The generated calls as written (no audio, no ASR), timed by their words."""
    from demo_calls.generate import write_calls
    from demo_calls.records import CHECKLIST_ITEMS
    from demo_calls.truth_db import written_transcript

    pairs: dict[str, list[tuple[str, str]]] = {item: [] for item in CHECKLIST_ITEMS}
    for call in write_calls(count, seed):
        score = scorer.score(written_transcript(call)[0])
        for item in CHECKLIST_ITEMS:
            predicted = generated_verdict(score, item)
            pairs[item].append((call.checklist[item], predicted))
            if verbose and predicted != call.checklist[item]:
                print(f"[written] {call.call_id} {item}: truth {call.checklist[item]}, got {predicted} "
                      f"({score.item(item).reason})")
    return item_table(pairs)


# --- the independent set ---------------------------------------------------------------------------------------
def independent_calls(numbers: range) -> list[dict]:
    calls = []
    for n in numbers:
        path = INDEPENDENT / f"d{n:02d}.json"
        if not path.exists():
            raise SystemExit(f"{path} is missing: the independent set is read from ../shared/eval beside the project")
        calls.append(json.loads(path.read_text(encoding="utf-8")))
    return calls


def independent_truth(call: dict, item_id: str) -> str | None:
    """The label of one of the script's items, as a verdict; None for an item the set does not label."""
    if item_id == "no_forbidden_phrases":
        said = call["checklist"].get("forbidden_phrase")
        return {True: "failed", False: "passed"}.get(said)
    return _LABELS[call["checklist"][item_id]] if item_id in call["checklist"] else None


def independent_evidence(call: dict, item_id: str) -> tuple[str, ...]:
    label = "forbidden_phrase" if item_id == "no_forbidden_phrases" else item_id
    return tuple(call["turns"][i]["text"] for i in call["evidence"].get(label, []))


def score_independent(calls: list[dict], scorer):
    """The dialogues scored as `hotline-qc score-transcript` scores a file: on the words as written."""
    from scoring.turns import transcript_from_turns

    return [scorer.score(transcript_from_turns(c["turns"], c.get("language") or "ru")) for c in calls]


def score_independent_asr(calls: list[dict], scorer, layout: str) -> tuple[list[dict], list]:
    """The dialogues spoken, recorded `layout` (stereo or mono) and transcribed (benchmarks.independent_audio),
    scored as the pipeline scores a call; dialogues not transcribed yet are left out."""
    from benchmarks.independent_audio import asr_transcript

    heard = [(c, asr_transcript(int(c["call_id"][1:]), layout)) for c in calls]
    heard = [(c, t) for c, t in heard if t is not None]
    return [c for c, _ in heard], [scorer.score(t) for _, t in heard]


def independent_table(calls: list[dict], scores: list, verbose: bool, half: str) -> tuple[list[list], float]:
    pairs: dict[str, list[tuple[str, str]]] = {}
    transfers_right = 0
    for call, score in zip(calls, scores):
        transfers_right += (score.metrics.transfers > 0) == any(t["speaker"] == "operator2" for t in call["turns"])
        for verdict in score.items:
            truth = independent_truth(call, verdict.item_id)
            if truth is None:
                continue
            pairs.setdefault(verdict.item_id, []).append((truth, verdict.verdict))
            if verbose and truth != verdict.verdict:
                print(f"[{half}] {call['call_id']} {verdict.item_id}: truth {truth}, got {verdict.verdict} "
                      f"({verdict.reason}) {[e.quote for e in verdict.evidence]}")
    rows, macro = item_table(pairs)
    rows.append(["metrics: transfer", "", transfers_right / len(calls), "", "", ""])
    return rows, macro


class _RememberingEncoder:
    """The encoder, each distinct text encoded once: the leave-out estimate builds the judges thirty times."""

    def __init__(self, encoder):
        self.name, self._encoder, self._known = encoder.name, encoder, {}

    def encode(self, texts):
        missing = list(dict.fromkeys(t for t in texts if t not in self._known))
        if missing:
            self._known.update(zip(missing, self._encoder.encode(missing)))
        return np.stack([self._known[t] for t in texts]) if texts else self._encoder.encode([])


def script_texts(script) -> list[str]:
    """Every example, near miss and everyday line of the script: what a judge learns from."""
    owners = [*script.items, *script.conditions.values()]
    phrases = [o.phrases for o in owners] + [p for t in script.request_types for p in (t.promises, t.cues)]
    return sorted({t for p in phrases for t in (*p.examples, *p.near_misses)} | set(script.everyday))


def copied_from(call: dict, texts: list[str], vectors: dict) -> set[str]:
    """The script's texts alike to a sentence of the call (COPIED_RATIO or COPIED_COSINE)."""
    from difflib import SequenceMatcher

    from rapidfuzz import fuzz
    from scoring.conversation import sentences_of

    said = list(dict.fromkeys(s for turn in call["turns"] for s in (sentences_of(turn["text"]) or [turn["text"]])))
    near = np.stack([vectors[t] for t in texts]) @ np.stack([vectors[s] for s in said]).T
    copied = {t for t, row in zip(texts, near) if row.max() >= COPIED_COSINE}
    for text in texts:
        if text in copied:
            continue
        # rapidfuzz's ratio bounds difflib's from above: only the candidates it lets through are checked exactly
        for sentence in said:
            if (fuzz.ratio(text.lower(), sentence.lower()) >= 100 * COPIED_RATIO
                    and SequenceMatcher(None, text.lower(), sentence.lower()).ratio() >= COPIED_RATIO):
                copied.add(text)
                break
    return copied


def without_texts(script, dropped: set[str]):
    """The script with `dropped` taken out of every example list, near-miss list and the everyday lines."""
    from dataclasses import replace

    def kept(p):
        return replace(p, examples=tuple(t for t in p.examples if t not in dropped),
                       near_misses=tuple(t for t in p.near_misses if t not in dropped))

    return replace(script, items=tuple(replace(i, phrases=kept(i.phrases)) for i in script.items),
                   conditions={c: replace(k, phrases=kept(k.phrases)) for c, k in script.conditions.items()},
                   request_types=tuple(replace(t, promises=kept(t.promises), cues=kept(t.cues))
                                       for t in script.request_types),
                   everyday=tuple(t for t in script.everyday if t not in dropped))


def leave_out_scores(calls: list[dict], folds: list[list[int]], script, encoder) -> tuple[list, list[int]]:
    """Each fold of dialogues (positions in `calls`) scored by judges built without the script's texts copied from
    any of its dialogues; also how many texts each fold left out."""
    from scoring.conversation import sentences_of
    from scoring.scorer import CallScorer

    encoder = _RememberingEncoder(encoder)
    texts = script_texts(script)
    said = {s for c in calls for turn in c["turns"] for s in (sentences_of(turn["text"]) or [turn["text"]])}
    vectors = dict(zip(texts + sorted(said), encoder.encode(texts + sorted(said))))
    scores: list = [None] * len(calls)
    dropped = []
    for fold in folds:
        copied = set().union(*(copied_from(calls[n], texts, vectors) for n in fold))
        dropped.append(len(copied))
        scorer = CallScorer(without_texts(script, copied), encoder)
        for n, score in zip(fold, score_independent([calls[n] for n in fold], scorer)):
            scores[n] = score
    return scores, dropped


def overrides_from_labels(calls: list[dict], scores: list, script) -> list:
    """Analysts' overrides as the tune half's labels give them: those the script alone got wrong first (what an
    analyst corrects), then the others (what an analyst confirms), each group in a fixed random order."""
    from scoring.judges import Correction

    rng = np.random.default_rng(LEARNING_SEED)
    wrong, right = [], []
    for call, score in zip(calls, scores):
        for verdict in score.items:
            truth = independent_truth(call, verdict.item_id)
            quotes = independent_evidence(call, verdict.item_id)
            if truth is None or truth == "not_applicable" or not quotes:
                continue
            (wrong if truth != verdict.verdict else right).append(Correction(verdict.item_id, truth, quotes))
    return [wrong[i] for i in rng.permutation(len(wrong))] + [right[i] for i in rng.permutation(len(right))]


def run_independent(encoder, verbose: bool, learning_curve: bool, halves_asked: tuple[str, ...],
                    leave_out: bool = False) -> None:
    from scoring.scorer import CallScorer
    from scoring.script import load_script

    script = load_script()
    scorer = CallScorer(script, encoder)
    header = ["item", "truth P/F/NA", "accuracy", "precision", "recall", "F1"]
    halves = {}
    for half in halves_asked:
        numbers = INDEPENDENT_HALVES[half]
        calls = independent_calls(numbers)
        scores = score_independent(calls, scorer)
        halves[half] = calls, scores
        rows, macro = independent_table(calls, scores, verbose, half)
        print_table(f"independent set, {half} half (d{numbers[0]:02d}-d{numbers[-1]:02d}), reference text, "
                    f"{len(calls)} calls: macro F1 {macro:.3f}", header, rows)
        if leave_out and half == "tune":
            first = len(TUNE_FOLDS[0])
            for name, folds in (("each dialogue", [[n] for n in range(len(calls))]),
                                ("each of d01-d15 and d16-d30", [list(range(first)), list(range(first, len(calls)))])):
                left_scores, dropped = leave_out_scores(calls, folds, script, encoder)
                rows, macro = independent_table(calls, left_scores, verbose, f"{half}, left out per {len(folds)}")
                print_table(f"independent set, tune half, reference text, {name} scored without the script's texts "
                            f"copied from it (difflib {COPIED_RATIO} or cosine {COPIED_COSINE}; {min(dropped)}-"
                            f"{max(dropped)} of {len(script_texts(script))} left out): macro F1 {macro:.3f}",
                            header, rows)
        for layout in LAYOUTS:
            heard, heard_scores = score_independent_asr(calls, scorer, layout)
            if not heard:
                continue
            rows, macro = independent_table(heard, heard_scores, verbose, f"{half}, ASR {layout}")
            print_table(f"independent set, {half} half (d{numbers[0]:02d}-d{numbers[-1]:02d}), ASR of RHVoice "
                        f"audio recorded {layout}, {len(heard)} calls: macro F1 {macro:.3f}", header, rows)
    if not learning_curve:
        return
    if "report" in halves:
        rows = learning_curve_rows(script, encoder, *halves["tune"], halves["report"][0])
        print_table(f"learning curve: analysts' overrides from the tune half (pool {rows[-1][4]}, wrong verdicts "
                    "first), macro F1 on the report half",
                    ["overrides", "quotes learnt", "macro F1", "F1 of the items corrected", "pool",
                     "macro F1 of the tune half re-scored"], rows)
        return
    calls, scores = halves["tune"]
    first = len(TUNE_FOLDS[0])
    folds = [learning_curve_rows(script, encoder, calls[:first], scores[:first], calls[first:]),
             learning_curve_rows(script, encoder, calls[first:], scores[first:], calls[:first])]
    rows = [[a[0], f"{a[1]}/{b[1]}", a[2], b[2], (a[2] + b[2]) / 2, f"{a[4]}/{b[4]}", (a[5] + b[5]) / 2]
            for a, b in zip(*folds)]
    print_table("two-fold learning curve on the tune half: overrides from d01-d15 scored on d16-d30 (A), from "
                "d16-d30 scored on d01-d15 (B); re-scored: the fold whose overrides were taught, scored again",
                ["overrides", "quotes learnt A/B", "macro F1 A", "macro F1 B", "mean", "pool A/B", "re-scored mean"],
                rows)


def learning_curve_rows(script, encoder, teaching: list[dict], teaching_scores: list, scored: list[dict]) -> list[list]:
    """Macro F1 on `scored` after 0, 10, 30 and 100 overrides taken from the labels of `teaching`, and on
    `teaching` itself re-scored with them."""
    from scoring.judges import corrections_as_examples
    from scoring.scorer import CallScorer

    pool = overrides_from_labels(teaching, teaching_scores, script)
    items = [i.item_id for i in script.items]
    rows = []
    for count in LEARNING_CURVE:
        taken = pool[:count]
        taught = CallScorer(script, encoder, corrections_as_examples(script, taken))
        per_item, macro = independent_table(scored, score_independent(scored, taught), False, "scored")
        f1 = {row[0]: row[5] for row in per_item if row[0] in items}
        corrected = sorted({c.item_id for c in taken})
        # what an analyst sees: the calls they corrected, re-scored
        rescored = independent_table(teaching, score_independent(teaching, taught), False, "re-scored")[1]
        rows.append([len(taken), sum(len(c.quotes) for c in taken), macro,
                     " ".join(f"{i}={f1[i]:.2f}" for i in corrected) or "-", len(pool), rescored])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS) + ["independent"], default="report")
    parser.add_argument("--prepare-only", action="store_true", help="render and transcribe, do not score")
    parser.add_argument("--verbose", action="store_true", help="print every wrong verdict with its reason")
    parser.add_argument("--cached", action="store_true",
                        help="score only what is already rendered and transcribed (no RHVoice, no ASR)")
    parser.add_argument("--written", action="store_true",
                        help="score a generated set's calls as written, timed by their words (no RHVoice, no ASR)")
    parser.add_argument("--half", choices=("tune", "report", "both"), default="both",
                        help="independent set: which half to score (tune: d01-d30 only, for work in progress)")
    parser.add_argument("--leave-out", action="store_true",
                        help="independent set's tune half: also score each dialogue with the script's examples "
                             "copied from it left out, the estimate that does not reward copying")
    parser.add_argument("--learning-curve", action="store_true",
                        help="independent set: macro F1 on the report half after 0, 10, 30 and 100 overrides "
                             "(with --half tune: two-fold within the tune half)")
    args = parser.parse_args(argv)
    if args.set == "independent" or args.written:
        from scoring.encoder import load_encoder
        from scoring.scorer import CallScorer
        from scoring.script import load_script

        encoder = load_encoder()
        if args.set == "independent":
            halves = ("tune", "report") if args.half == "both" else (args.half,)
            if not args.cached and "report" in halves:
                prepare(INDEPENDENT_HALVES["report"])
            run_independent(encoder, args.verbose, args.learning_curve, halves, args.leave_out)
            return 0
        rows, macro = evaluate_written(SETS[args.set], CALLS_PER_SET[args.set], CallScorer(load_script(), encoder),
                                       args.verbose)
        print_table(f"{args.set} set (seed {SETS[args.set]}), calls as written (reference text, no ASR), "
                    f"{CALLS_PER_SET[args.set]} calls: macro F1 {macro:.3f}",
                    ["item", "truth P/F/NA", "accuracy", "precision", "recall", "F1"], rows)
        return 0
    folder = call_folder(args.set)
    if not args.cached:
        render_calls(folder, SETS[args.set], CALLS_PER_SET[args.set], args.set in ALL_MONO)
        transcribe_calls(folder)
    if args.prepare_only:
        return 0
    from scoring.encoder import load_encoder
    from scoring.scorer import CallScorer
    from scoring.script import load_script

    scorer = CallScorer(load_script(), load_encoder())
    header = ["item", "truth P/F/NA", "accuracy", "precision", "recall", "F1"]
    timings = []
    # time a 5-minute call none of whose sentences the scorer has seen (its caches keep words and sentences)
    truths = sorted(folder.glob("*.truth.json"))
    scorer.score(reference_transcript(json.loads(truths[-1].read_text(encoding="utf-8"))))
    five_minutes = five_minute_call(truths[:-1])
    started, cpu_started = time.perf_counter(), time.process_time()
    scorer.score(five_minutes)
    five, five_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    for source, channels, title in (("asr", "all", "ASR transcripts of every call as recorded"),
                                    ("asr", "stereo", "ASR transcripts of stereo calls (roles from channels)"),
                                    ("asr", "mono", "ASR transcripts of mono calls (roles from diarization)"),
                                    ("reference", None, "reference text, all calls")):
        rows, macro, scored, roles = evaluate(folder, scorer, source, args.verbose, None if channels == "all" else channels)
        if not scored:
            continue
        print_table(f"{args.set} set (seed {SETS[args.set]}), {title}, {len(scored)} calls: macro F1 {macro:.3f}",
                    header, rows)
        if channels == "all":  # the two rows below score these calls again, by how they were recorded
            continue
        timings += scored
        if roles:
            print(f"roles: every party's role right on {sum(every for _, every in roles)}/{len(roles)} calls; "
                  f"words with the true role {np.mean([share for share, _ in roles]):.3f}")
    seconds, minutes = sum(t for t, _ in timings), sum(d for _, d in timings) / 60
    print(f"\nscoring time per 5-minute call: {five:.3f} s ({five_cpu:.3f} s CPU; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) for 5 minutes of the set's reference turns not seen "
          f"before; all {len(timings)} scorings above: {5 * seconds / minutes:.3f} s per 5 minutes of audio "
          f"(encoder {scorer.encoder.name})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
