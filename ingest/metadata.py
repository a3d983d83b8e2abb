"""The metadata sidecar (call.json) that arrives beside each encrypted recording."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ingest.records import CallMetadata, sidecar_path

IVR_BRANCHES = {
    1: "general questions",
    2: "personal account",
    3: "specialised services",
    4: "emergency support",
}
LANGUAGES = ("ru", "en")
KNOWN_FIELDS = {
    "call_id", "started_at", "operator_id", "caller_id", "ivr_branch",
    "regional_center", "channels", "operator_channel", "language",
}


# ids and names are short; a sidecar far larger than its fields can be is not a sidecar, and is refused before
# it is read into memory or its values reach the database, the logs and the pages
MAX_FIELD_CHARS = 200
MAX_SIDECAR_BYTES = 16 * 1024


class InvalidSidecar(ValueError):
    """The sidecar is missing, unreadable or breaks the format."""


def parse_sidecar(data: object) -> CallMetadata:
    if not isinstance(data, dict):
        raise InvalidSidecar("sidecar must be a JSON object")
    unknown = set(data) - KNOWN_FIELDS
    if unknown:
        raise InvalidSidecar(f"unknown sidecar fields: {', '.join(sorted(unknown))}")
    for name, value in data.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise InvalidSidecar(f"{name} is {len(value)} characters long; at most {MAX_FIELD_CHARS} are allowed")
    call_id = data.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        raise InvalidSidecar("call_id is required and must be a non-empty string")
    started_raw = data.get("started_at")
    if not isinstance(started_raw, str):
        raise InvalidSidecar("started_at is required (ISO 8601 with time zone)")
    try:
        started_at = datetime.fromisoformat(started_raw)
    except ValueError:
        raise InvalidSidecar(f"started_at is not ISO 8601: {started_raw!r}") from None
    if started_at.tzinfo is None:
        raise InvalidSidecar(f"started_at has no time zone: {started_raw!r}")
    for name in ("operator_id", "caller_id", "regional_center"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InvalidSidecar(f"{name} must be a string")
    branch = data.get("ivr_branch")
    if branch is not None and (isinstance(branch, bool) or branch not in IVR_BRANCHES):
        raise InvalidSidecar(f"ivr_branch must be one of 1-4, got {branch!r}")
    channels = data.get("channels")
    if channels is not None and channels not in ("stereo", "mono"):
        raise InvalidSidecar(f"channels must be 'stereo' or 'mono', got {channels!r}")
    operator_channel = data.get("operator_channel")
    if operator_channel is not None and (isinstance(operator_channel, bool) or operator_channel not in (0, 1)):
        raise InvalidSidecar(f"operator_channel must be 0 or 1, got {operator_channel!r}")
    language = data.get("language")
    if language is not None and language not in LANGUAGES:
        raise InvalidSidecar(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return CallMetadata(
        call_id=call_id.strip(),
        started_at=started_at,
        operator_id=data.get("operator_id"),
        caller_id=data.get("caller_id"),
        ivr_branch=branch,
        regional_center=data.get("regional_center"),
        channels=channels,
        operator_channel=operator_channel,
        language=language,
    )


def read_sidecar(recording: Path) -> CallMetadata:
    path = sidecar_path(recording)
    if not path.exists():
        raise InvalidSidecar(f"missing sidecar {path.name}")
    with path.open("rb") as f:
        raw = f.read(MAX_SIDECAR_BYTES + 1)
    if len(raw) > MAX_SIDECAR_BYTES:
        raise InvalidSidecar(f"sidecar {path.name} is larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidSidecar(f"sidecar {path.name} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidSidecar(f"sidecar {path.name} is nested too deeply") from None
    return parse_sidecar(data)
