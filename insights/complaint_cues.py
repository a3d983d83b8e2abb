"""The cues insights/complaints.py cuts a caller's statement of the problem by, loaded from `complaint_cues.yaml` (its
header documents each field) and checked: every mistake names the file and the field."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scoring.script import FieldReader


class ComplaintCuesError(ValueError):
    """The complaint cues file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class ComplaintCues:
    greetings: frozenset[str]
    small_talk: frozenset[str]
    language: re.Pattern
    identity: re.Pattern
    identity_words: frozenset[str]
    consent: re.Pattern
    ivr: re.Pattern
    earlier_call: re.Pattern
    operator_script: re.Pattern
    routine: re.Pattern


class _Reader(FieldReader):
    error = ComplaintCuesError


_WORD_LISTS = ("greetings", "small_talk", "identity_words")
_PATTERNS = ("language", "identity", "consent", "ivr", "earlier_call", "operator_script", "routine")


def complaint_cues_path() -> Path:
    return Path(str(resources.files("insights") / "complaint_cues.yaml"))


def load_complaint_cues(path: Path | str | None = None) -> ComplaintCues:
    path = Path(path) if path is not None else complaint_cues_path()
    reader = _Reader(str(path))
    fields = set(_WORD_LISTS + _PATTERNS)
    data = reader.mapping(reader.parse(reader.read(path, "complaint cues")), "top level", fields, fields)
    return ComplaintCues(
        **{name: frozenset(w.lower().replace("ё", "е") for w in reader.texts(data[name], f"field '{name}'"))
           for name in _WORD_LISTS},
        **{name: reader.pattern(data[name], f"field '{name}'") for name in _PATTERNS})
