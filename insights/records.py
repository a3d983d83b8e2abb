"""The records insights work on: a call as the analysis sees it, and what is learned about it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np



@dataclass(frozen=True)
class Utterance:
    """One stretch of speech: `role` is operator, caller, or None where nobody has told who spoke."""

    start: float
    text: str
    role: str | None


@dataclass(frozen=True)
class CallText:
    """What insights need of a call: its sidecar facts and its words in order."""

    call_id: str
    started_at: datetime
    caller_id: str | None
    operator_id: str | None
    ivr_branch: int | None
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class Complaint:
    """The caller's own statement of the problem.

    `refers_to_earlier_call`: the caller said they had already called about it («я уже звонил вчера»), which
    is kept apart from the text so that it does not make every repeat call look alike to the encoder.
    """

    call_id: str
    text: str
    refers_to_earlier_call: bool


@dataclass
class ComplaintCluster:
    """`vector_sum` is the sum of the members' unit vectors: its direction is the centroid, and adding a member
    is adding its vector, so the centroid follows new calls without revisiting old ones."""

    cluster_id: int
    vector_sum: np.ndarray
    size: int
    topic: str | None = None  # the topic all its complaints were assigned; None when clustered without topics
    members: list[str] = field(default_factory=list)  # call ids added in this run; stored ones stay in storage

    @property
    def centroid(self) -> np.ndarray:
        norm = float(np.linalg.norm(self.vector_sum))
        return self.vector_sum / norm if norm else self.vector_sum


@dataclass(frozen=True)
class ClusterAssignment:
    call_id: str
    cluster_id: int
    similarity: float  # cosine to the centroid the call was assigned to


@dataclass(frozen=True)
class TopicAssignment:
    call_id: str
    topic: str
    score: float
    keywords: tuple[str, ...]  # the lemmas that spoke for the topic: the evidence an analyst can check


@dataclass(frozen=True)
class ProblemCall:
    """A call as repeat detection sees it: who, when, which operator, what the problem was, the number of the
    request registered on it and the numbers said in it (a caller ringing back quotes the number they were
    given: the plainest sign of which earlier call they mean)."""

    call_id: str
    caller_id: str | None
    started_at: datetime
    operator_id: str | None
    topic: str
    vector: np.ndarray  # the complaint's embedding; zero when the caller stated no problem
    refers_to_earlier_call: bool = False
    request_number: str | None = None  # digits only, as recognised where the operator gave it
    numbers_said: tuple[str, ...] = ()  # every long number said on the call by either side, digits only

    @property
    def has_problem(self) -> bool:
        return bool(self.vector.any())


@dataclass(frozen=True)
class RepeatLink:
    call_id: str
    repeat_of: str  # the caller's most recent earlier call about the same problem
    hours_apart: float


@dataclass(frozen=True)
class ClusterLabel:
    cluster_id: int
    keywords: tuple[str, ...]
    quote: str

    @property
    def title(self) -> str:
        return ", ".join(self.keywords)


@dataclass(frozen=True)
class Request:
    call_id: str
    number: str | None  # as the operator gave it, digits only; None when registered without a number
    request_type: str
    registered_at: datetime
    due_at: datetime
    extended: bool = False
    closed_at: datetime | None = None
