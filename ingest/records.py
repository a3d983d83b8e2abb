"""What ingest hands on: a call's metadata from the sidecar beside its recording, and survey results as parsed."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class CallMetadata:
    call_id: str
    started_at: datetime
    operator_id: str | None = None
    caller_id: str | None = None
    ivr_branch: int | None = None
    regional_center: str | None = None
    channels: str | None = None
    operator_channel: int | None = None
    language: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return data


def sidecar_path(recording: Path) -> Path:
    return recording.with_suffix(".json")


@dataclass(frozen=True)
class SurveyResult:
    result_id: str  # sha256 of the content as received: the same result sent again has the same id
    source: str
    call_id: str | None
    caller_id: str | None
    rating: int | None
    resolved: bool | None
    comment: str | None
    answered_at: datetime


@dataclass(frozen=True)
class RejectedRow:
    reject_id: str  # sha256 of the source and the raw row: the same bad row sent again is recorded once
    row_no: int | None  # 1-based; None when the whole file was unreadable
    raw: str  # the row as received, as JSON text
    reason: str


@dataclass(frozen=True)
class ParsedBatch:
    source: str
    results: tuple[SurveyResult, ...]
    rejects: tuple[RejectedRow, ...]
