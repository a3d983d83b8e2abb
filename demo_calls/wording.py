"""Filling phrase templates: grammatical gender and slots that may carry personal data.

Templates write gendered endings as `{m-form|f-form}` («звонил{|а}», «уволил{ся|ась}») and slots as `{name}`.
A slot value that is a `PiiMention` is inserted as its text and reported, so the truth knows exactly which
words of the line are personal data.
"""
from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from demo_calls.records import PiiMention

_GENDERED = re.compile(r"\{([^{}|]*)\|([^{}|]*)\}")
_SLOT = re.compile(r"\{(\w+)\}")


def fill(template: str, gender: str, slots: Mapping[str, str | PiiMention] | None = None) -> tuple[str, list[PiiMention]]:
    text = _GENDERED.sub(lambda m: m.group(1) if gender == "m" else m.group(2), template)
    mentions: list[PiiMention] = []

    def slot(match: re.Match) -> str:
        name = match.group(1)
        if slots is None or name not in slots:
            raise KeyError(f"template slot {{{name}}} has no value: {template!r}")
        value = slots[name]
        if isinstance(value, PiiMention):
            mentions.append(value)
            return value.text
        return value

    return _SLOT.sub(slot, text), mentions


def pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]
