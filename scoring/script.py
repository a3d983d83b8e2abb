"""The operator script: a versioned YAML checklist that analysts edit, read into typed records.

Every mistake is reported with the place it was made (item and field), since the people who edit these files
are analysts, not programmers. The shipped default is `scoring/scripts/default.yaml`; its header documents
every field.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

SPEAKERS = ("operator", "caller", "any")
POSITIONS = ("opening", "any", "closing")
# said: passes when said; not_said: fails when said (forbidden phrases); answered: the caller's question got
# reference information or instructions; request: a request was registered and its number
# told; deadline: the response time told fits the request's type.
CHECKS = ("said", "not_said", "answered", "request", "deadline")


class ScriptError(ValueError):
    """The script file cannot be used; the message names the file, the item and the field."""


@dataclass(frozen=True)
class Phrases:
    """What counts as saying something: a sentence the item's judge, learnt from `examples` (sentences that do
    it) and `near_misses` (sentences that sound alike but do not), finds likely enough; or, as a fallback where the
    judge cannot tell (a word or two, no encoder), every group said by any one of its phrases (matched on lemmas,
    tolerant of ASR misspellings)."""

    groups: tuple[tuple[str, ...], ...] = ()
    examples: tuple[str, ...] = ()
    near_misses: tuple[str, ...] = ()
    threshold: float | None = None  # the judge's probability that counts; None: the script's default
    # the probability from which two sentences of one call count together, each less sure than `threshold`
    threshold_twice: float | None = None
    # the judge also reads each two clauses in a row of a sentence (matching.clause_spans)
    clauses: bool = False

    def __bool__(self) -> bool:
        return bool(self.groups or self.examples)


@dataclass(frozen=True)
class Condition:
    condition_id: str
    description: str
    speaker: str
    phrases: Phrases
    min_words: int | None = None  # holds when the speaker says at least this many words


@dataclass(frozen=True)
class RequestType:
    type_id: str
    description: str
    response_time: str  # the deadline in words, for the verdict's reason
    promises: Phrases  # how an operator states this response time
    cues: Phrases  # what makes a call's request this type; empty for the type used when no other fits


@dataclass(frozen=True)
class ChecklistItem:
    item_id: str
    description: str
    speaker: str
    position: str
    weight: float
    critical: bool
    check: str
    phrases: Phrases
    when: tuple[str, ...] = ()  # condition ids; any false makes the item not applicable, unless it was said
    before: str | None = None  # an item whose first evidence this one must precede
    evasive: Phrases = Phrases()  # answered: what an answer with nothing to act on sounds like
    routine: Phrases = Phrases()  # answered: operator lines that are neither information nor evasion
    objections: Phrases = Phrases()  # answered: what a caller says back; never an answer, whoever said it
    min_words: int = 8  # answered: how long a sentence must be to carry information
    asks: Phrases = Phrases()  # said by the operator: a line of the item with one of these asks the caller
    # said: what the item's lines must name between them, one phrase of every group (a full name AND a second
    # identifier), before the item it must precede
    requires: Phrases = Phrases()
    # the item's name, and why it matters, for readers: by interface language (ru, en)
    title: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    reason: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Settings:
    opening_seconds: float = 15.0
    closing_seconds: float = 25.0
    threshold: float = 0.5  # a judge's probability from which a sentence counts as doing the item
    veto: float = 0.15  # a lemma rule's hit counts unless the judge gives the sentence less than this
    fuzzy: float = 0.89
    hold_seconds: float = 8.0
    # by call language, what the ASR is told to expect (the service's name), so that it spells it
    asr_hotwords: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Script:
    name: str
    version: str
    description: str
    settings: Settings
    conditions: dict[str, Condition]
    request_types: tuple[RequestType, ...]
    items: tuple[ChecklistItem, ...]
    everyday: tuple[str, ...]  # lines of a call that do no item's duty: every judge learns them as a «no»
    text: str = field(repr=False)  # the YAML as loaded, stored beside every score

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise KeyError(item_id)


def default_script_path() -> Path:
    return Path(str(resources.files("scoring") / "scripts" / "default.yaml"))


def load_script(path: Path | str | None = None) -> Script:
    path = Path(path) if path is not None else default_script_path()
    return parse_script(_Reader.read(path, "script"), source=str(path))


def parse_script(text: str, source: str = "script") -> Script:
    reader = _Reader(source)
    return reader.script(reader.parse(text), text)


class FieldReader:
    """Checks the fields of an analyst-edited YAML file; every error names the file, the place and the field."""

    error = ValueError

    def __init__(self, source: str):
        self.source = source

    @classmethod
    def read(cls, path: Path, what: str) -> str:
        """The file's text; a file that cannot be read is one line naming it."""
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise cls.error(f"cannot read {what} {path}: {exc.strerror}") from None

    def parse(self, text: str) -> object:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise self.error(f"{self.source}: not valid YAML: {exc}") from None

    def fail(self, where: str, message: str) -> ValueError:
        return self.error(f"{self.source}: {where}: {message}")

    def mapping(self, value: object, where: str, known: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a mapping of fields, got {type(value).__name__}")
        unknown = set(value) - known
        if unknown:
            raise self.fail(where, f"unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                                   f"known: {', '.join(sorted(known))}")
        missing = required - set(value)
        if missing:
            raise self.fail(where, f"missing field(s) {', '.join(sorted(missing))}")
        return value

    def text(self, value: object, where: str) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"must be non-empty text, got {value!r}")
        return value.strip()

    def number(self, value: object, where: str, low: float, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (
                high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise self.fail(where, f"must be a number {bounds}, got {value!r}")
        return float(value)

    def choice(self, value: object, where: str, options: tuple[str, ...]) -> str:
        if value not in options:
            raise self.fail(where, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def by_language(self, value: object, where: str) -> dict[str, str]:
        """A text in each interface language: {ru: …, en: …}."""
        data = self.mapping(value, where, {"ru", "en"}, {"ru", "en"})
        return {code: self.text(text, f"{where}.{code}") for code, text in data.items()}

    def texts(self, value: object, where: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list")
        return tuple(self.text(v, f"{where}[{n}]") for n, v in enumerate(value))

    def pattern(self, value: object, where: str) -> re.Pattern:
        """A regular expression matched case-blind; one written over several lines is joined without the line
        breaks and the indentation."""
        text = "".join(line.strip() for line in self.text(value, where).splitlines())
        try:
            return re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise self.fail(where, f"not a valid regular expression: {exc}") from None


class _Reader(FieldReader):
    error = ScriptError

    def phrases(self, data: dict, where: str, says: str = "says") -> Phrases:
        groups: tuple[tuple[str, ...], ...] = ()
        if says in data:
            value = data[says]
            if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
                groups = tuple(self.texts(g, f"{where} field '{says}'[{n}]") for n, g in enumerate(value))
            elif isinstance(value, list) and any(isinstance(v, list) for v in value):
                raise self.fail(f"{where} field '{says}'",
                                "is either a list of phrases (any one will do) or a list of lists (every list "
                                "must be said), not a mix")
            else:
                groups = (self.texts(value, f"{where} field '{says}'"),)
        examples = self.texts(data["examples"], f"{where} field 'examples'") if "examples" in data else ()
        near_misses = self.texts(data["near_misses"], f"{where} field 'near_misses'") if "near_misses" in data else ()
        if near_misses and not examples:
            raise self.fail(where, "'near_misses' teach a judge only beside 'examples'")
        threshold = (self.number(data["threshold"], f"{where} field 'threshold'", 0.0, 1.0)
                     if "threshold" in data else None)
        threshold_twice = (self.number(data["threshold_twice"], f"{where} field 'threshold_twice'", 0.0, 1.0)
                           if "threshold_twice" in data else None)
        clauses = data.get("clauses", False)
        if not isinstance(clauses, bool):
            raise self.fail(f"{where} field 'clauses'", f"must be true or false, got {clauses!r}")
        if clauses and not examples:
            raise self.fail(f"{where} field 'clauses'", "only a judge reads clauses: give the item 'examples'")
        return Phrases(groups, examples, near_misses, threshold, threshold_twice, clauses)

    def script(self, data: object, text: str) -> Script:
        data = self.mapping(data, "top level",
                            {"name", "version", "description", "settings", "conditions", "request_types", "items",
                             "everyday"},
                            {"name", "version", "items"})
        settings = Settings()
        if "settings" in data:
            raw = dict(self.mapping(data["settings"], "settings", set(Settings.__dataclass_fields__)))
            hotwords = raw.pop("asr_hotwords", None) or {}
            settings = Settings(**{
                key: self.number(value, f"settings field '{key}'", 0.0, 1.0 if key in ("threshold", "veto", "fuzzy") else None)
                for key, value in raw.items()
            }, asr_hotwords={
                language: self.text(text, f"settings field 'asr_hotwords'.{language}")
                for language, text in self.mapping(hotwords, "settings field 'asr_hotwords'", {"ru", "en"}).items()
            })
        conditions = {}
        for condition_id, raw in (data.get("conditions") or {}).items():
            conditions[str(condition_id)] = self.condition(str(condition_id), raw)
        request_types = tuple(self.request_type(str(type_id), raw)
                              for type_id, raw in (data.get("request_types") or {}).items())
        if not isinstance(data["items"], list) or not data["items"]:
            raise self.fail("items", "must be a non-empty list of checklist items")
        items = tuple(self.item(raw, n, conditions, request_types) for n, raw in enumerate(data["items"]))
        ids = [item.item_id for item in items]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise self.fail("items", f"item id(s) used twice: {', '.join(repeated)}")
        for item in items:
            if item.before is not None and item.before not in ids:
                raise self.fail(f"item '{item.item_id}' field 'before'", f"no item {item.before!r} in this script")
        return Script(
            name=self.text(data["name"], "field 'name'"),
            version=self.text(data["version"], "field 'version'"),
            description=str(data.get("description") or "").strip(),
            settings=settings, conditions=conditions, request_types=request_types, items=items,
            everyday=self.texts(data["everyday"], "field 'everyday'") if "everyday" in data else (), text=text,
        )

    def condition(self, condition_id: str, raw: object) -> Condition:
        where = f"condition '{condition_id}'"
        data = self.mapping(raw, where, {"description", "speaker", "says", "examples", "near_misses", "threshold",
                                         "min_words", "clauses"},
                            {"description", "speaker"})
        phrases = self.phrases(data, where)
        min_words = int(self.number(data["min_words"], f"{where} field 'min_words'", 1)) if "min_words" in data else None
        if not phrases and min_words is None:
            raise self.fail(where, "needs 'says', 'examples' or 'min_words' to be decidable")
        return Condition(condition_id, self.text(data["description"], f"{where} field 'description'"),
                         self.choice(data["speaker"], f"{where} field 'speaker'", SPEAKERS), phrases, min_words)

    def request_type(self, type_id: str, raw: object) -> RequestType:
        where = f"request type '{type_id}'"
        data = self.mapping(raw, where, {"description", "response_time", "promises", "cues"},
                            {"description", "response_time", "promises"})
        return RequestType(
            type_id, self.text(data["description"], f"{where} field 'description'"),
            self.text(data["response_time"], f"{where} field 'response_time'"),
            self.phrases(data, where, says="promises"),
            self.phrases(data, where, says="cues"),
        )

    def item(self, raw: object, n: int, conditions: dict, request_types: tuple[RequestType, ...]) -> ChecklistItem:
        item_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"item '{item_id}'" if isinstance(item_id, str) else f"items[{n}]"
        data = self.mapping(raw, where, {
            "id", "description", "speaker", "position", "weight", "critical", "check", "says", "examples",
            "near_misses", "threshold", "threshold_twice", "clauses", "when", "before", "evasive", "routine",
            "objections", "min_words", "asks", "requires", "title", "reason",
        }, {"id", "description", "speaker", "position", "weight", "critical"})
        check = self.choice(data.get("check", "said"), f"{where} field 'check'", CHECKS)
        phrases = self.phrases(data, where)
        if check in ("said", "not_said", "request", "deadline") and not phrases:
            raise self.fail(where, f"a '{check}' item needs 'says' or 'examples'")
        if check in ("request", "deadline") and not request_types:
            raise self.fail(where, f"a '{check}' item needs the script's 'request_types'")
        if not isinstance(data["critical"], bool):
            raise self.fail(f"{where} field 'critical'", f"must be true or false, got {data['critical']!r}")
        when = data.get("when", [])
        when = (when,) if isinstance(when, str) else tuple(self.texts(when, f"{where} field 'when'")) if when else ()
        for condition_id in when:
            if condition_id not in conditions:
                raise self.fail(f"{where} field 'when'",
                                f"no condition {condition_id!r}; defined: {', '.join(sorted(conditions)) or 'none'}")
        extra = {}
        for key in ("evasive", "routine", "objections"):
            if key in data:
                if check != "answered":
                    raise self.fail(f"{where} field '{key}'", "only an 'answered' item uses it")
                extra[key] = Phrases(groups=(self.texts(data[key], f"{where} field '{key}'"),))
        if "min_words" in data:
            extra["min_words"] = int(self.number(data["min_words"], f"{where} field 'min_words'", 1))
        if "asks" in data:
            if check != "said" or data["speaker"] != "operator":
                raise self.fail(f"{where} field 'asks'", "only an operator's 'said' item uses it")
            extra["asks"] = Phrases(groups=(self.texts(data["asks"], f"{where} field 'asks'"),))
        if "requires" in data:
            if check != "said":
                raise self.fail(f"{where} field 'requires'", "only a 'said' item uses it")
            extra["requires"] = self.phrases({"requires": data["requires"]}, where, says="requires")
        for key in ("title", "reason"):
            if key in data:
                extra[key] = self.by_language(data[key], f"{where} field '{key}'")
        return ChecklistItem(
            item_id=self.text(item_id, f"{where} field 'id'"),
            description=self.text(data["description"], f"{where} field 'description'"),
            speaker=self.choice(data["speaker"], f"{where} field 'speaker'", SPEAKERS),
            position=self.choice(data["position"], f"{where} field 'position'", POSITIONS),
            weight=self.number(data["weight"], f"{where} field 'weight'", 0.0),
            critical=data["critical"], check=check, phrases=phrases, when=when,
            before=self.text(data["before"], f"{where} field 'before'") if "before" in data else None,
            **extra,
        )
