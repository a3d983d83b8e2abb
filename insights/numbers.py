"""The long numbers said in a call: request, application, document and phone numbers, digits only.

Recognition writes a dictated number in groups («7,7674668», «5,445-8,428», «4821 7730»), so digits joined by
spaces, dashes, dots and commas are one number.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from insights.records import ProblemCall, Utterance

_NUMBER = re.compile(r"\d[\d\s\-.,]{5,}\d")


def numbers_in(text: str) -> list[str]:
    return [re.sub(r"\D", "", found) for found in _NUMBER.findall(text)]


def numbers_said(utterances: Iterable[Utterance]) -> tuple[str, ...]:
    return tuple(number for u in utterances for number in numbers_in(u.text))


def with_numbers_said(calls: Sequence[ProblemCall], texts: Mapping[str, Sequence[str]]) -> list[ProblemCall]:
    """The calls with the long numbers said in `texts` (call id -> its texts), in order."""
    return [replace(c, numbers_said=tuple(n for text in texts.get(c.call_id, ()) for n in numbers_in(text)))
            for c in calls]
