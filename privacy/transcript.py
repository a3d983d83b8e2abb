"""Masking personal data in a transcript, word by word, with the times of every masked stretch.

Words are read per channel and speaker in order, across segment boundaries, so a number dictated over two
segments is still one finding. Words are joined as the segment's text joins them: Whisper splits «1,970» into
the words «1» and «,970», and a space between them would break the number. Each finding's words collapse into
one word carrying the label and the finding's whole time range (a segment left with no words is dropped); the
returned intervals are what audio playback and export mute. A segment without word timings is masked on its
text and its whole time range is returned (coarser, never leaky). On a transcript with roles, the caller's
answer to an operator's request for identifying data is masked too, where the text rules found nothing in it,
and where Whisper wrote no word of the answer its stretch of audio is muted all the same (privacy/dialogue.py).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace

from asr.records import Transcript, Word, word_glue
from privacy.detect import Found, find_pii
from privacy.dialogue import read_answers
from privacy.records import PiiInterval
from privacy.redact import LABELS, redact_text
from scoring.conversation import quoted_speaker
from scoring.records import CallScore, Evidence

__all__ = ["PiiInterval", "redact_quotes", "redact_transcript"]


@dataclass
class _Placed:
    segment: int
    index: int
    word: Word
    start: int  # character offsets in the stream's text
    end: int
    glued: bool = False  # no space before it in the segment's text


def redact_transcript(transcript: Transcript) -> tuple[Transcript, tuple[PiiInterval, ...]]:
    streams: dict[tuple, list[_Placed]] = defaultdict(list)
    for s_no, segment in enumerate(transcript.segments):
        for w_no, (word, glued) in enumerate(zip(segment.words, word_glue(segment))):
            key = (word.channel if word.channel is not None else segment.channel, word.speaker or segment.speaker)
            streams[key].append(_Placed(s_no, w_no, word, 0, 0, glued))

    answers = read_answers(transcript)
    new_words: dict[int, dict[int, Word | None]] = defaultdict(dict)  # None: the word is folded into a label
    intervals: list[PiiInterval] = list(answers.unwritten)
    for (channel, _), placed in streams.items():
        text_parts, pos = [], 0
        for n, p in enumerate(placed):
            token = p.word.text.strip()
            gap = "" if p.glued or not n else " "
            p.start, p.end = pos + len(gap), pos + len(gap) + len(token)
            text_parts += [gap, token]
            pos = p.end
        text = "".join(text_parts)
        for found in _by_position(find_pii(text), placed, answers.words):
            hit = [p for p in placed if p.start < found.end and found.start < p.end]
            if not hit:
                continue
            first, last = hit[0], hit[-1]
            # punctuation outside the finding stays, so «1996.» becomes «[дата].»
            prefix = text[first.start:max(first.start, found.start)]
            suffix = text[min(last.end, found.end):last.end]
            lead = " " if first.word.text.startswith(" ") else ""
            label = Word(first.word.start, last.word.end, f"{lead}{prefix}{LABELS[found.kind]}{suffix}",
                         min(p.word.probability for p in hit), first.word.channel, first.word.speaker)
            new_words[first.segment][first.index] = label
            for p in hit[1:]:
                new_words[p.segment][p.index] = None
            intervals.append(PiiInterval(first.word.start, last.word.end, found.kind, channel))

    segments = []
    for s_no, segment in enumerate(transcript.segments):
        if not segment.words:
            masked = redact_text(segment.text)
            if masked.spans:
                intervals += [PiiInterval(segment.start, segment.end, span.kind, segment.channel)
                              for span in masked.spans]
                segment = replace(segment, text=masked.text)
        elif s_no in new_words:
            changes = new_words[s_no]
            kept = [(changes.get(i, w), glued) for i, (w, glued) in enumerate(zip(segment.words, word_glue(segment)))
                    if changes.get(i, w) is not None]
            if not kept:  # every word went into a label that an earlier segment holds
                continue
            words = tuple(w for w, _ in kept)
            text = "".join(("" if glued and n else " ") + w.text.lstrip() for n, (w, glued) in enumerate(kept))
            segment = replace(segment, words=words, end=max(segment.end, words[-1].end),
                              text=text if segment.text.startswith(" ") else text.lstrip())
        segments.append(segment)
    intervals.sort(key=lambda i: (i.start_s, i.end_s))
    return replace(transcript, segments=tuple(segments)), tuple(intervals)


def redact_quotes(score: CallScore, redacted: Transcript, operator_channel: int | None) -> CallScore:
    """`score` with every evidence quote read again from the redacted transcript: the words its speaker said
    within its time, as redaction left them. Scoring judges the words as spoken; only this reaches storage. A
    quote without timed words there is masked on its own text."""
    slack = 0.005  # evidence times are rounded to hundredths, word times to thousandths

    def quote(evidence: Evidence) -> str:
        parts = []
        for segment in redacted.segments:
            if quoted_speaker(segment, operator_channel) != evidence.speaker:
                continue
            for word, glued in zip(segment.words, word_glue(segment)):
                if evidence.start - slack <= (word.start + word.end) / 2 <= evidence.end + slack:
                    parts.append(("" if glued and parts else " ") + word.text.strip())
        return "".join(parts).strip() or redact_text(evidence.quote).text

    return replace(score, items=tuple(
        replace(item, evidence=tuple(replace(e, quote=quote(e)) for e in item.evidence)) for item in score.items))


def _by_position(found: list[Found], placed: list[_Placed], answers: dict[tuple[int, int], str]) -> list[Found]:
    """The text rules' findings plus, as findings of their own, runs of answer words none of them covers:
    from the first letter or digit of a run to the last, so the punctuation around it stays."""
    runs: list[list[_Placed]] = []
    for n, p in enumerate(placed):
        kind = answers.get((p.segment, p.index))
        if kind is None or any(f.start < p.end and p.start < f.end for f in found):
            continue
        if runs and runs[-1][-1] is placed[n - 1] and answers[(runs[-1][-1].segment, runs[-1][-1].index)] == kind:
            runs[-1].append(p)
        else:
            runs.append([p])
    extra = []
    for run in runs:
        first, last = run[0].word.text.strip(), run[-1].word.text.strip()
        start = run[0].start + re.search(r"\w", first).start()
        end = run[-1].start + re.search(r"\w(?=\W*$)", last).end()
        extra.append(Found(start, end, answers[(run[0].segment, run[0].index)]))
    return sorted(found + extra, key=lambda f: f.start)
