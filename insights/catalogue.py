"""The topic catalogue: a YAML file analysts edit (topics, their names, fitting IVR branches, example requests
and the classifier's calibration), read into typed records.

Every mistake is reported with the file and the field it was made in, as for the operator script
(scoring/script.py): the people who edit the catalogue are analysts, not programmers. The shipped default is
`insights/topics.yaml`; its header documents every field.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from scoring.script import FieldReader

OTHER = "other"
OUT_OF_SCOPE = "out_of_scope"


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the file, the topic and the field."""


@dataclass(frozen=True)
class Topic:
    topic_id: str
    name: str
    name_en: str
    branches: frozenset[int]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ClassifierSettings:
    regularisation: float
    threshold: float  # below this probability of the likeliest topic a complaint is `other`
    min_similarity: float  # ... and below this cosine to the closest example
    context_weight: float
    relabel_weight: float


@dataclass(frozen=True)
class TopicCatalogue:
    version: str
    classifier: ClassifierSettings
    ivr_branches: dict[int, str]
    topics: dict[str, Topic]

    @property
    def names(self) -> dict[str, str]:
        return {t.topic_id: t.name for t in self.topics.values()}


def default_catalogue_path() -> Path:
    return Path(str(resources.files("insights") / "topics.yaml"))


def load_catalogue(path: Path | str | None = None) -> TopicCatalogue:
    path = Path(path) if path is not None else default_catalogue_path()
    return parse_catalogue(_Reader.read(path, "topic catalogue"), source=str(path))


@lru_cache(maxsize=1)
def default_catalogue() -> TopicCatalogue:
    return load_catalogue()


def parse_catalogue(text: str, source: str = "topic catalogue") -> TopicCatalogue:
    reader = _Reader(source)
    return reader.catalogue(reader.parse(text))


class _Reader(FieldReader):
    error = CatalogueError

    def catalogue(self, data: object) -> TopicCatalogue:
        data = self.mapping(data, "top level", {"version", "classifier", "ivr_branches", "topics"},
                            {"version", "classifier", "ivr_branches", "topics"})
        bounds = {"regularisation": (1e-3, 1e4), "threshold": (0.0, 1.0), "min_similarity": (-1.0, 1.0),
                  "context_weight": (0.0, 1.0),
                  "relabel_weight": (0.0, 100.0)}
        raw = self.mapping(data["classifier"], "classifier", set(bounds), set(bounds))
        settings = ClassifierSettings(**{key: self.number(raw[key], f"classifier field '{key}'", *bounds[key])
                                         for key in bounds})
        if not isinstance(data["ivr_branches"], dict) or not data["ivr_branches"]:
            raise self.fail("ivr_branches", "must be a non-empty mapping of branch number to its name")
        branches = {}
        for number, name in data["ivr_branches"].items():
            if isinstance(number, bool) or not isinstance(number, int):
                raise self.fail("ivr_branches", f"a branch must be a whole number, got {number!r}")
            branches[number] = self.text(name, f"ivr_branches[{number}]")
        if not isinstance(data["topics"], dict) or not data["topics"]:
            raise self.fail("topics", "must be a non-empty mapping of topic id to its fields")
        topics = {str(tid): self.topic(str(tid), raw, branches) for tid, raw in data["topics"].items()}
        for required in (OTHER, OUT_OF_SCOPE):
            if required not in topics:
                raise self.fail("topics", f"topic {required!r} is missing: every catalogue needs it")
        return TopicCatalogue(self.text(data["version"], "field 'version'"), settings, branches, topics)

    def topic(self, topic_id: str, raw: object, ivr_branches: dict[int, str]) -> Topic:
        where = f"topic '{topic_id}'"
        data = self.mapping(raw, where, {"name", "name_en", "branches", "examples"},
                            {"name", "name_en", "branches", "examples"})
        if not isinstance(data["branches"], list):
            raise self.fail(f"{where} field 'branches'", f"must be a list of IVR branches, got {data['branches']!r}")
        for branch in data["branches"]:
            if branch not in ivr_branches or isinstance(branch, bool):
                raise self.fail(f"{where} field 'branches'",
                                f"no IVR branch {branch!r}; defined: {', '.join(map(str, ivr_branches))}")
        examples = data["examples"]
        if not isinstance(examples, list) or not examples:
            raise self.fail(f"{where} field 'examples'", "must be a non-empty list of requests as callers say them")
        return Topic(topic_id, self.text(data["name"], f"{where} field 'name'"),
                     self.text(data["name_en"], f"{where} field 'name_en'"), frozenset(data["branches"]),
                     tuple(self.text(e, f"{where} field 'examples'[{n}]") for n, e in enumerate(examples)))
