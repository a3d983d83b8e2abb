"""The vocabulary of a synthetic call: topics, checklist items, verdicts, and the typed records a call is built from."""
from __future__ import annotations

from dataclasses import dataclass, field

TOPICS = (
    "restore_access",
    "application_status",
    "passport_documents",
    "benefits_pensions",
    "contact_data_change",
    "service_centre_appointment",
    "taxes_fines",
    "electronic_signature",
)

CHECKLIST_ITEMS = (
    "greeting",
    "operator_name",
    "offer_help",
    "identification",
    "consent",
    "information",
    "transfer_explained",
    "request_registered",
    "closing",
    "survey_invite",
    "no_forbidden_phrases",
)
PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"
VERDICTS = (PASSED, FAILED, NOT_APPLICABLE)

# The response time a registered request must promise, by request type.
REQUEST_TYPES = ("simple", "documents", "complex")

PII_TYPES = (
    "full_name", "date_of_birth", "snils", "inn", "passport", "phone", "card_number", "email", "address",
)


@dataclass(frozen=True)
class Voice:
    """An RHVoice profile plus the prosody that makes one speaker sound like themself on every call."""

    name: str
    pitch: int = 100  # RHVoice percent
    rate: int = 100


@dataclass(frozen=True)
class Operator:
    operator_id: str
    name: str
    gender: str  # "m" | "f": Russian verbs agree with it
    voice: Voice
    team: str
    regional_center: str


@dataclass(frozen=True)
class Caller:
    """A citizen with the personal data they may state on a call; the same person on every call they make."""

    caller_id: str
    gender: str
    voice: Voice
    full_name: str
    date_of_birth: str  # as spoken: «12 марта 1985 года»
    snils: str
    inn: str
    passport: str
    phone: str  # the number the call comes from
    card_number: str
    email: str  # as dictated, so the transcript can match it: «петрова 85 собака мейл точка ру»
    address: str


@dataclass(frozen=True)
class PiiMention:
    type: str
    text: str


@dataclass
class Line:
    """One planned utterance before it has a place on the timeline.

    `overlap` says how the line may start: "next" after the previous line, "interrupt" a little before the
    previous line ends, "backchannel" in the middle of the previous line without taking the floor.
    `pause_after` is a hold or a transfer: silence the operator announced, in seconds.
    """

    role: str
    speaker_id: str
    voice: Voice
    text: str
    pii: list[PiiMention] = field(default_factory=list)
    overlap: str = "next"
    pause_after: float = 0.0
    is_hold: bool = False


@dataclass(frozen=True)
class Request:
    registered: bool
    type: str | None
    number: str | None


@dataclass
class CallScript:
    """Everything a call says and the truth about it, before rendering."""

    call_id: str
    started_at: str
    topic: str | None
    problem_id: str | None
    complaint: str | None
    ivr_branch: int
    misrouted: bool
    caller: Caller
    operators: list[Operator]
    channels: str
    operator_channel: int | None
    repeat_of: str | None
    transfer: bool
    request: Request
    checklist: dict[str, str]
    lines: list[Line]
    language: str = "ru"  # what the recording system's sidecar says the call is in


@dataclass(frozen=True)
class PlacedTurn:
    index: int
    role: str
    speaker: str
    voice: str
    channel: int | None
    start: float
    end: float
    text: str
