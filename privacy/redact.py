"""Masking personal data in a piece of text.

`RedactedText.text` has every finding replaced by a label such as «[телефон]»; each `PiiSpan` gives the label's
place in that redacted text and how many characters of the original it stands for. The original is not
returned: the caller keeps only the redacted text.
"""
from __future__ import annotations

from dataclasses import dataclass

from kernel.pii import LABELS
from privacy.detect import Found, find_pii



@dataclass(frozen=True)
class PiiSpan:
    start: int  # offsets in the redacted text: where the label stands
    end: int
    kind: str
    original_len: int  # characters of the original text the label replaced


@dataclass(frozen=True)
class RedactedText:
    text: str
    spans: tuple[PiiSpan, ...]


def apply_redaction(text: str, found: list[Found]) -> RedactedText:
    """Replace non-overlapping findings (in text order) by their labels."""
    pieces, spans, pos, out_len = [], [], 0, 0
    for f in found:
        pieces.append(text[pos:f.start])
        out_len += f.start - pos
        label = LABELS[f.kind]
        spans.append(PiiSpan(out_len, out_len + len(label), f.kind, f.end - f.start))
        pieces.append(label)
        out_len += len(label)
        pos = f.end
    pieces.append(text[pos:])
    return RedactedText("".join(pieces), tuple(spans))


def redact_text(text: str) -> RedactedText:
    if not isinstance(text, str):
        raise TypeError(f"redact_text takes a str, got {type(text).__name__}")
    return apply_redaction(text, find_pii(text))
