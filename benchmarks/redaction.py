"""Redaction precision and recall per kind of personal data, on the PII the call generator plants.

    .venv/bin/python -m benchmarks.redaction             # report set (seed 23)
    .venv/bin/python -m benchmarks.redaction --set tune  # the set the patterns were tuned on (seed 11)

Texts: the reference lines of generated calls (demo_calls.generate.write_calls, no audio) as written, the same
lines with every dictated number rewritten in words (Whisper writes numbers either way), those also in lower
case (a stress test: Whisper usually capitalises names, the NER relies on it), and the reference
turns of the 24 committed demo calls. The truth is the generator's PiiMention records plus the operators'
names where a line says them (a name is personal data whoever says it).

A planted mention is *masked* when every letter and digit of it lies inside redacted spans, and *right kind*
when those spans also carry its kind. A span is correct when it overlaps a planted mention; a span that
overlaps none is a false positive (a weekday, a request number, a city alone would be).

Whisper's own transcripts of the calls benchmarks/scoring.py renders (cached there with the speakers and roles
the flow finds, for the set and its all-mono twin; pass --asr for another folder) are redacted as the flow
redacts them and again with the roles taken away (the text rules alone, no answer to an identification request
known), and scored by time: a mention is masked when a masked interval on its channel overlaps its turn, of its
kind for *right kind*; the words masked outside every turn with planted data are the false masks. That is
lenient where one turn holds several mentions (a name and a date), so the right kind column is the stricter
figure there. The masked intervals are what the flow stores and playback and export mute, among them the
stretches of a caller's answer Whisper wrote no word of (`privacy.dialogue.Answers.unwritten`): the audio there is
muted, the text had nothing to mask, so such a mention counts as masked in the audio only; the seconds muted
outside every turn with planted data are printed beside the false masks. The patterns were tuned on the tune set
and on 30 calls each of three new seeds (31, 37, 41), the dialogue-position rule on the tune set and 20 calls of
seed 43, the muted unwritten answers and the operators' names on those, the all-mono tune set, 24 calls of seed
47 (also recorded all mono) and 30 of seed 53 (rendered and transcribed the same way, under benchmarks/out/red2/;
`--asr` scores such a folder), never on the report set.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from asr.records import Segment, Transcript, Word
from benchmarks.common import ROOT, print_table
from demo_calls.dataset import committed_set, iter_calls
from demo_calls.generate import write_calls
from demo_calls.people import OPERATORS
from demo_calls.pii import number_words
from kernel.pii import KINDS
from privacy.detect import find_pii
from privacy.dialogue import read_answers
from privacy.transcript import redact_transcript

SETS = {"tune": 11, "report": 23}
# benchmarks/scoring.py renders these calls and caches Whisper's transcripts of them
ASR_CACHE = ROOT / "benchmarks" / "out" / "scoring"
CALLS = 240
TRUTH_KIND = {"full_name": "name", "date_of_birth": "date", "snils": "snils", "inn": "inn", "passport": "passport",
              "phone": "phone", "card_number": "card", "email": "email", "address": "address"}
_SPOKEN_KINDS = {"snils", "inn", "passport", "phone", "card_number", "address"}
_UNITS = ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Sample:
    text: str
    mentions: tuple[Mention, ...]


def spoken(text: str) -> str:
    """Digits as a caller reads them: groups of up to three in words, a leading zero digit by digit."""
    def group(match: re.Match) -> str:
        digits = match.group()
        chunks = [digits] if len(digits) <= 3 else [digits[i:i + 2] for i in range(0, len(digits), 2)]
        return " ".join(" ".join(_UNITS[int(c)] for c in chunk) if chunk.startswith("0") and chunk != "0"
                        else number_words(int(chunk)) for chunk in chunks)
    return re.sub(r"\d+", group, text.replace("+7", "8"))


def locate(text: str, planted: list[tuple[str, str]]) -> tuple[Mention, ...]:
    mentions, pos = [], 0
    for kind, value in planted:
        at = text.find(value, pos)
        if at < 0:
            at = text.find(value)
        if at < 0:
            raise ValueError(f"planted {kind} {value!r} is not in {text!r}")
        mentions.append(Mention(at, at + len(value), kind))
        pos = at + len(value)
    return tuple(mentions)


def operator_names(text: str, names: list[str]) -> list[tuple[str, str]]:
    return [("name", name) for name in names for _ in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text)]


def generated_samples(seed: int, count: int, in_words: bool, lower: bool = False) -> list[Sample]:
    samples = []
    for call in write_calls(count, seed):
        names = [op.name for op in call.operators]
        for line in call.lines:
            text = line.text
            planted = []
            for m in line.pii:
                value = m.text
                if in_words and m.type in _SPOKEN_KINDS:
                    value = spoken(m.text)
                    text = text.replace(m.text, value, 1)
                planted.append((TRUTH_KIND[m.type], value))
            planted += operator_names(text, names)
            if lower:
                text, planted = text.lower(), [(kind, value.lower()) for kind, value in planted]
            planted.sort(key=lambda p: text.find(p[1]))
            samples.append(Sample(text, locate(text, planted)))
    return samples


def demo_samples() -> list[Sample]:
    samples = []
    for call in iter_calls(committed_set()):
        truth = call.truth()
        names = [op.name for op in OPERATORS if op.operator_id in truth["operator_ids"]]
        by_turn = defaultdict(list)
        for p in truth["pii"]:
            by_turn[p["turn"]].append((TRUTH_KIND[p["type"]], p["text"]))
        for turn in truth["turns"]:
            planted = by_turn[turn["index"]] + operator_names(turn["text"], names)
            planted.sort(key=lambda p: turn["text"].find(p[1]))
            samples.append(Sample(turn["text"], locate(turn["text"], planted)))
    return samples



def score(samples: list[Sample]) -> tuple[dict[str, Counter], float, list[tuple[str, str]], list[tuple[str, str]]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    false_positives, missed = [], []
    started = time.perf_counter()
    for sample in samples:
        found = find_pii(sample.text)
        for m in sample.mentions:
            chars = [i for i in range(m.start, m.end) if sample.text[i].isalnum()]
            inside = [next((f for f in found if f.start <= i < f.end), None) for i in chars]
            counts[m.kind]["planted"] += 1
            counts[m.kind]["masked"] += all(inside)
            if not all(inside):
                missed.append((m.kind, sample.text))
            counts[m.kind]["right_kind"] += all(f is not None and f.kind == m.kind for f in inside)
        for f in found:
            if any(m.start < f.end and f.start < m.end for m in sample.mentions):
                counts[f.kind]["correct"] += 1
            else:
                counts[f.kind]["false"] += 1
                false_positives.append((f.kind, sample.text[f.start:f.end]))
    per_line_ms = (time.perf_counter() - started) / max(1, len(samples)) * 1000
    return counts, per_line_ms, false_positives, missed


def _print_counts(title: str, counts: dict[str, Counter]) -> None:
    rows = []
    total = Counter()
    for kind in KINDS:
        c = counts.get(kind, Counter())
        total.update(c)
        found = c["correct"] + c["false"]
        rows.append([kind, c["planted"], c["masked"] / c["planted"] if c["planted"] else "-",
                     c["right_kind"] / c["planted"] if c["planted"] else "-", found,
                     c["correct"] / found if found else "-"])
    found = total["correct"] + total["false"]
    rows.append(["all", total["planted"], total["masked"] / max(1, total["planted"]),
                 total["right_kind"] / max(1, total["planted"]), found, total["correct"] / max(1, found)])
    print_table(title,
                ["kind", "planted", "recall (masked)", "recall (right kind)", "spans", "precision"], rows)


def report(title: str, samples: list[Sample], show_errors: bool) -> None:
    counts, per_line_ms, false_positives, missed = score(samples)
    _print_counts(f"{title}: {len(samples)} lines, {per_line_ms:.1f} ms per line", counts)
    if show_errors and false_positives:
        print("  most frequent false positives:")
        for (kind, text), n in Counter(false_positives).most_common(15):
            print(f"    {n:4d}  {kind:8s} {text!r}")
    if show_errors and missed:
        print("  missed:")
        for kind, text in missed[:15]:
            print(f"          {kind:8s} {text!r}")


def asr_report(folder: Path, show_errors: bool) -> None:
    """Whisper's own transcripts of rendered calls, with the speakers and roles the flow finds for them (the
    .roles.json cache), redacted as the flow redacts them and, for comparison, with the roles taken away (the
    text rules alone: no answer to an identification request is known then). A planted mention counts as masked
    when a masked interval of its channel overlaps its turn (offsets of the truth do not map onto ASR text,
    times do); an interval that overlaps no planted mention is a false positive, and so is every word it masks."""
    calls = sorted(folder.glob("*.roles.json"))
    for with_roles in (False, True):
        counts: dict[str, Counter] = defaultdict(Counter)
        missed, false_positives = [], []
        words = Counter()
        seconds = Counter()
        audio_only = 0  # mentions masked only by a muted answer Whisper wrote no word of
        started = time.perf_counter()
        for path in calls:
            transcript = load_transcript(path)
            if not with_roles:
                transcript = replace(transcript, segments=tuple(replace(s, role=None) for s in transcript.segments))
            truth = json.loads(path.with_name(path.name.replace(".roles.json", ".truth.json")).read_text(
                encoding="utf-8"))
            _, intervals = redact_transcript(transcript)
            unwritten = set(read_answers(transcript).unwritten)
            names = [op.name for op in OPERATORS if op.operator_id in truth["operator_ids"]]
            planted = [(TRUTH_KIND[p["type"]], truth["turns"][p["turn"]]) for p in truth["pii"]]
            planted += [("name", t) for t in truth["turns"] if operator_names(t["text"], names)]

            def overlaps(start, end, channel, turn) -> bool:
                same_channel = channel is None or turn["channel"] is None or channel == turn["channel"]
                return same_channel and start < turn["end"] + 0.5 and turn["start"] - 0.5 < end

            for kind, turn in planted:
                hits = [i for i in intervals if overlaps(i.start_s, i.end_s, i.channel, turn)]
                counts[kind]["planted"] += 1
                counts[kind]["masked"] += bool(hits)
                counts[kind]["right_kind"] += any(i.kind == kind for i in hits)
                audio_only += bool(hits) and all(i in unwritten for i in hits)
                if not any(i.kind == kind for i in hits):
                    missed.append((kind, " ".join(s.text for s in transcript.segments
                                                  if s.channel == turn["channel"] and s.start < turn["end"]
                                                  and turn["start"] < s.end)))
            for interval in intervals:
                seconds["muted"] += interval.end_s - interval.start_s
                seconds["false"] += _outside(interval, [turn for _, turn in planted])
                if any(overlaps(interval.start_s, interval.end_s, interval.channel, turn) for _, turn in planted):
                    counts[interval.kind]["correct"] += 1
                else:
                    counts[interval.kind]["false"] += 1
                    false_positives.append((interval.kind, " ".join(
                        s.text for s in transcript.segments if s.start <= interval.start_s <= s.end)))
            for segment in transcript.segments:
                for word in segment.words:
                    channel = word.channel if word.channel is not None else segment.channel
                    if any(i.start_s <= word.start and word.end <= i.end_s
                           and (i.channel is None or channel is None or i.channel == channel) for i in intervals):
                        words["masked"] += 1
                        words["false"] += not any(overlaps(word.start, word.end, channel, turn)
                                                  for _, turn in planted)
        per_call_ms = (time.perf_counter() - started) / max(1, len(calls)) * 1000
        _print_counts(f"real ASR transcripts (packaged Whisper base) of {len(calls)} rendered calls in {folder.name}, "
                      + ("with roles (as the flow redacts)" if with_roles else "roles taken away (text rules alone)")
                      + f", {per_call_ms:.0f} ms per call", counts)
        print(f"  words masked: {words['masked']}, of them outside any turn with planted personal data: "
              f"{words['false']}; seconds muted: {seconds['muted']:.0f}, outside those turns: {seconds['false']:.0f}")
        print(f"  mentions masked in the audio only (an answer Whisper wrote no word of, muted): {audio_only}")
        if show_errors:
            for title, items in (("false positives", false_positives), ("missed", missed)):
                print(f"  {title}:")
                for kind, text in items[:40]:
                    print(f"          {kind:8s} {text!r}")


def _outside(interval, turns: list[dict]) -> float:
    """Seconds of a muted interval that no turn of its channel with planted data covers."""
    covered = sorted((max(interval.start_s, t["start"]), min(interval.end_s, t["end"])) for t in turns
                     if interval.channel is None or t["channel"] is None or interval.channel == t["channel"])
    inside, reached = 0.0, interval.start_s
    for start, end in covered:
        if end > max(start, reached):
            inside += end - max(start, reached)
            reached = end
    return interval.end_s - interval.start_s - inside


def load_transcript(path: Path) -> Transcript:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Transcript(data["language"], data["language_probability"], data["duration_s"], tuple(
        Segment(s["start"], s["end"], s["text"], s.get("channel"),
                tuple(Word(w["start"], w["end"], w["text"], w["probability"], w.get("channel"), w.get("speaker"))
                      for w in s["words"]), s.get("speaker"), s.get("role"))
        for s in data["segments"]))


def reference_reports(seed: int, calls: int, show_errors: bool) -> None:
    report(f"generated calls, seed {seed}, reference text", generated_samples(seed, calls, False), show_errors)
    report(f"generated calls, seed {seed}, numbers in words", generated_samples(seed, calls, True), show_errors)
    report(f"generated calls, seed {seed}, numbers in words, all lower case",
           generated_samples(seed, calls, True, lower=True), show_errors)
    report("committed demo calls, reference turns", demo_samples(), show_errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=SETS, default="report")
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--asr", type=Path, help="folder of rendered calls with their cached ASR transcripts "
                                                  "(default: benchmarks/out/scoring/<set>-seed<seed> and its "
                                                  "all-mono twin <set>-mono-seed<seed>); its errors are printed")
    parser.add_argument("--asr-only", action="store_true", help="leave out the reference texts")
    args = parser.parse_args()
    seed = SETS[args.set]
    find_pii("прогрев")  # natasha's models load once, outside the timings
    if not args.asr_only:
        reference_reports(seed, args.calls, args.set == "tune")
    folders = [args.asr] if args.asr else [ASR_CACHE / f"{args.set}-seed{seed}",
                                           ASR_CACHE / f"{args.set}-mono-seed{seed}"]
    for folder in folders:
        if any(folder.glob("*.roles.json")):
            asr_report(folder, args.set == "tune" or args.asr is not None)
        else:
            print(f"\nno ASR transcripts with roles in {folder}: run `python -m benchmarks.scoring --set "
                  f"{folder.name.rsplit('-seed', 1)[0]}` first")


if __name__ == "__main__":
    main()
