"""Where each checklist verdict's evidence sits in the transcript, so the call page can highlight it."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.dashboard import ItemReview, TranscriptLine


@dataclass(frozen=True)
class Piece:
    text: str
    item_ids: tuple[str, ...]  # the items whose evidence quotes this text; empty: plain text


def marked_lines(lines: Sequence[TranscriptLine], items: Sequence[ItemReview]) -> list[list[Piece]]:
    """Each line of the transcript split into pieces, a piece marked with the items it is evidence for.

    A quote is looked for in the lines its timestamps overlap (ASR lines and evidence spans need not align),
    then anywhere, so evidence is shown even when its times are rough."""
    marks: list[list[set[str]]] = [[set() for _ in line.text] for line in lines]
    for item in items:
        for evidence in item.evidence:
            quote = (evidence.get("quote") or "").strip()
            if not quote:
                continue
            start, end = evidence.get("start", 0.0), evidence.get("end", 0.0)
            overlapping = [n for n, line in enumerate(lines) if line.start < end and start < line.end]
            for n in overlapping + [n for n in range(len(lines)) if n not in overlapping]:
                at = lines[n].text.lower().find(quote.lower())
                if at >= 0:
                    for chars in marks[n][at:at + len(quote)]:
                        chars.add(item.item_id)
                    break
    result = []
    for line, line_marks in zip(lines, marks):
        pieces: list[Piece] = []
        for char, ids in zip(line.text, line_marks):
            key = tuple(sorted(ids))
            if pieces and pieces[-1].item_ids == key:
                pieces[-1] = Piece(pieces[-1].text + char, key)
            else:
                pieces.append(Piece(char, key))
        result.append(pieces)
    return result


def evidence_line(lines: Sequence[TranscriptLine], evidence: dict) -> int | None:
    """The number (from 1) of the first transcript line a piece of evidence overlaps in time, for its link."""
    start, end = evidence.get("start", 0.0), evidence.get("end", 0.0)
    return next((n for n, line in enumerate(lines, start=1) if line.start < end and start < line.end), None)
