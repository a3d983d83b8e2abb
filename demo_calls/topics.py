"""What callers ring about: the generator's topics and their problems, read from `demo_calls/data/problems.yaml`,
and the details a complaint's slots are filled with."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from demo_calls.people import SPECIALISTS
from demo_calls.script_lines import DOCUMENT_REQUESTS, RESPONSE_TIMES
from scoring.script import FieldReader

SOLVED, REQUEST, TRANSFER = "solved", "request", "transfer"

# IVR menu: 1 general questions, 2 personal account, 3 specialised services, 4 emergency support.
TOPIC_BRANCHES: dict[str, tuple[int, ...]] = {
    "restore_access": (2, 4),
    "application_status": (2,),
    "passport_documents": (1,),
    "benefits_pensions": (3,),
    "contact_data_change": (2,),
    "service_centre_appointment": (1,),
    "taxes_fines": (3,),
    "electronic_signature": (3,),
}


@dataclass(frozen=True)
class Problem:
    """One problem callers have. Text uses `{m|f}` endings and slots filled per call (see `scenarios`)."""

    problem_id: str
    complaints: tuple[str, ...]
    resolutions: tuple[str, ...]
    # information that solves it, in two parts the caller may react to in between
    answers: tuple[tuple[str, str], ...] = ()
    personal: bool = True  # a personal case: the caller must be identified before it is discussed
    id_document: str = "snils"  # "snils" | "inn" | "passport" | "application": asked after name and birth date
    request_type: str | None = None
    request_answers: tuple[str, ...] = ()  # what the operator finds out before registering a request
    specialist_team: str | None = None
    transfer_reasons: tuple[str, ...] = ()  # why and where, when the transfer is explained
    restatements: tuple[str, ...] = ()  # the caller repeating the problem to the specialist
    follow_ups: tuple[tuple[str, str], ...] = ()  # a caller's question after the answer, and its reply

    @property
    def topic(self) -> str:
        return self.problem_id.split(".")[0]


class ProblemsError(ValueError):
    """The problems file cannot be used; the message names the file, the problem and the field."""


def problems_path() -> Path:
    return Path(str(resources.files("demo_calls") / "data" / "problems.yaml"))


def load_problems(path: Path | str | None = None) -> tuple[Problem, ...]:
    path = Path(path) if path is not None else problems_path()
    reader = _Reader(str(path))
    return reader.problems(reader.parse(reader.read(path, "problems file")))


class _Reader(FieldReader):
    error = ProblemsError
    fields = {"complaints", "resolutions", "personal", "id_document", "answers", "follow_ups", "request_type",
              "request_answers", "specialist_team", "transfer_reasons", "restatements"}

    def problems(self, data: object) -> tuple[Problem, ...]:
        data = self.mapping(data, "top level", {"problems"}, {"problems"})
        if not isinstance(data["problems"], dict) or not data["problems"]:
            raise self.fail("problems", "must be a non-empty mapping of problem id to its fields")
        return tuple(self.problem(str(pid), raw) for pid, raw in data["problems"].items())

    def problem(self, problem_id: str, raw: object) -> Problem:
        where = f"problem '{problem_id}'"
        topic, _, name = problem_id.partition(".")
        if topic not in TOPIC_BRANCHES or not name:
            raise self.fail(where, f"the id must be <topic>.<name> with a topic of {', '.join(TOPIC_BRANCHES)}")
        data = self.mapping(raw, where, self.fields, {"complaints", "resolutions"})
        resolutions = tuple(self.choice(r, f"{where} field 'resolutions'[{n}]", (SOLVED, REQUEST, TRANSFER))
                            for n, r in enumerate(self.texts(data["resolutions"], f"{where} field 'resolutions'")))
        personal = data.get("personal", True)
        if not isinstance(personal, bool):
            raise self.fail(f"{where} field 'personal'", f"must be true or false, got {personal!r}")
        problem = Problem(
            problem_id,
            complaints=self.texts(data["complaints"], f"{where} field 'complaints'"),
            resolutions=resolutions,
            answers=self.pairs(data, where, "answers", ("first", "then")),
            personal=personal,
            id_document=self.choice(data.get("id_document", "snils"), f"{where} field 'id_document'",
                                    tuple(DOCUMENT_REQUESTS)),
            request_type=self.optional_choice(data, where, "request_type", tuple(RESPONSE_TIMES)),
            request_answers=self.optional_texts(data, where, "request_answers"),
            specialist_team=self.optional_choice(data, where, "specialist_team", tuple(SPECIALISTS)),
            transfer_reasons=self.optional_texts(data, where, "transfer_reasons"),
            restatements=self.optional_texts(data, where, "restatements"),
            follow_ups=self.pairs(data, where, "follow_ups", ("question", "reply")),
        )
        needed = {SOLVED: ("answers",), REQUEST: ("request_type", "request_answers"),
                  TRANSFER: ("answers", "specialist_team", "transfer_reasons", "restatements")}
        for resolution in resolutions:
            for field in needed[resolution]:
                if not getattr(problem, field):
                    raise self.fail(where, f"resolution {resolution!r} needs field {field!r}")
        return problem

    def optional_texts(self, data: dict, where: str, key: str) -> tuple[str, ...]:
        return self.texts(data[key], f"{where} field '{key}'") if key in data else ()

    def optional_choice(self, data: dict, where: str, key: str, options: tuple[str, ...]) -> str | None:
        return self.choice(data[key], f"{where} field '{key}'", options) if key in data else None

    def pairs(self, data: dict, where: str, key: str, parts: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        if key not in data:
            return ()
        if not isinstance(data[key], list) or not data[key]:
            raise self.fail(f"{where} field '{key}'", f"must be a non-empty list of {' and '.join(parts)}")
        pairs = []
        for n, raw in enumerate(data[key]):
            at = f"{where} field '{key}'[{n}]"
            item = self.mapping(raw, at, set(parts), set(parts))
            pairs.append((self.text(item[parts[0]], f"{at} '{parts[0]}'"), self.text(item[parts[1]], f"{at} '{parts[1]}'")))
        return tuple(pairs)


PROBLEMS: tuple[Problem, ...] = load_problems()
PROBLEMS_BY_TOPIC: dict[str, tuple[Problem, ...]] = {
    topic: tuple(p for p in PROBLEMS if p.topic == topic) for topic in TOPIC_BRANCHES
}
PROBLEMS_BY_ID: dict[str, Problem] = {p.problem_id: p for p in PROBLEMS}

# slots that stand for a concrete detail of a complaint
SERVICES = (  # (what the application is for, its processing time)
    ("регистрацию по месту жительства", "до трёх рабочих дней"),
    ("замену водительского удостоверения", "до пяти рабочих дней"),
    ("справку об отсутствии судимости", "до тридцати дней"),
    ("единое пособие на детей", "до десяти рабочих дней"),
    ("выписку из реестра недвижимости", "до трёх рабочих дней"),
)
AGO = ("две недели назад", "три недели назад", "месяц назад", "полтора месяца назад")
SERVICE_CENTRES = ("МФЦ на улице Гагарина", "МФЦ на проспекте Мира", "МФЦ на Садовой улице", "МФЦ у вокзала")
DAYS_OF_MONTH = ("десятое", "двенадцатое", "пятнадцатое", "восемнадцатое")
