"""The cues privacy/dialogue.py reads a dialogue by, loaded from `dialogue_cues.yaml` (its header documents each
field) and checked: every mistake names the file, the kind and the field."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from scoring.script import FieldReader


class CuesError(ValueError):
    """The dialogue cues file cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Cues:
    """The cues of the file, patterns compiled case-blind."""

    asked: dict[str, re.Pattern]  # in the file's order of kinds
    budget: dict[str, int]
    numeric: frozenset[str]
    asking: re.Pattern
    your: re.Pattern
    spelling: re.Pattern
    spelled_budget: int
    month_or_year: re.Pattern
    filler: frozenset[str]
    backchannel: frozenset[str]


def cues_path() -> Path:
    return Path(str(resources.files("privacy") / "dialogue_cues.yaml"))


def load_cues(path: Path | str | None = None) -> Cues:
    path = Path(path) if path is not None else cues_path()
    reader = _CuesReader(str(path))
    return reader.cues(reader.parse(reader.read(path, "dialogue cues")))


class _CuesReader(FieldReader):
    error = CuesError

    def cues(self, data: object) -> Cues:
        fields = {"kinds", "asking", "your", "spelling", "spelled_budget", "month_or_year", "filler", "backchannel"}
        data = self.mapping(data, "top level", fields, fields)
        if not isinstance(data["kinds"], dict) or not data["kinds"]:
            raise self.fail("kinds", "must be a non-empty mapping of a kind of personal data to its cues")
        asked, budget, numeric = {}, {}, set()
        for kind, raw in data["kinds"].items():
            where = f"kind '{kind}'"
            fields = self.mapping(raw, where, {"asked", "budget", "numeric"}, {"asked", "budget"})
            asked[kind] = self.pattern(fields["asked"], f"{where} field 'asked'")
            budget[kind] = self.count(fields["budget"], f"{where} field 'budget'")
            if not isinstance(fields.get("numeric", False), bool):
                raise self.fail(f"{where} field 'numeric'", f"must be true or false, got {fields['numeric']!r}")
            if fields.get("numeric"):
                numeric.add(kind)
        return Cues(asked, budget, frozenset(numeric), self.pattern(data["asking"], "field 'asking'"),
                    self.pattern(data["your"], "field 'your'"), self.pattern(data["spelling"], "field 'spelling'"),
                    self.count(data["spelled_budget"], "field 'spelled_budget'"),
                    self.pattern(data["month_or_year"], "field 'month_or_year'"),
                    frozenset(w.lower() for w in self.texts(data["filler"], "field 'filler'")),
                    frozenset(w.lower() for w in self.texts(data["backchannel"], "field 'backchannel'")))

    def count(self, value: object, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(where, f"must be a whole number of words, at least 1, got {value!r}")
        return value
