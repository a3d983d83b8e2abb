"""What the feedback loop reads about each call: when it was, whether it repeated an earlier call, how it was
scored and what the caller said in the post-call survey."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class KpiCall:
    call_id: str
    started_at: datetime  # in the regional centre's local time: its week is the week the call counts in
    duration_s: float | None
    repeat_of: str | None
    request_open: bool  # a request registered on this call is not closed yet
    request_closed_at: datetime | None
    rating: int | None  # the latest post-call survey answer for the call, if any
    resolved: bool | None
    score: float | None  # 0-100 with analysts' overrides applied; None when not scored or no item applied
    critical_failure: bool | None  # None when not scored


@dataclass(frozen=True)
class RatedCall:
    """A scored call with a post-call rating: what satisfaction drivers compare."""

    call_id: str
    operator_id: str | None
    topic: str | None
    rating: int
    verdicts: dict[str, str]  # item id -> passed | failed | not_applicable, overrides applied
    metrics: dict[str, float | None]
