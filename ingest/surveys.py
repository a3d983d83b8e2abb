"""Survey results and personal-account comments as the survey system sends them: CSV or JSON rows checked one
by one. A bad row is refused with its reason and the rest of the file is kept.

Two sources share one row format: `post_call` (the automatic survey after a call: call id, rating, whether the
question was resolved, an optional comment, the time) and `account_comment` (the feedback section of the
personal account: a comment naming a call or only the caller, rating and resolved optional).
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from ingest.records import ParsedBatch, RejectedRow, SurveyResult

POST_CALL, ACCOUNT_COMMENT = "post_call", "account_comment"
SOURCES = (POST_CALL, ACCOUNT_COMMENT)
FIELDS = ("call_id", "caller_id", "rating", "resolved", "comment", "answered_at")
FORMATS = ("json", "csv")
MAX_COMMENT_CHARS = 2000
MAX_ID_CHARS = 100
# a result stamped later than this after the clock here was made by a misset clock, not by a caller
MAX_CLOCK_SKEW = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
MAX_QUOTED_CHARS = 12
EXTRA_CELLS = "(cells beyond the header)"  # where a CSV row's surplus cells are kept

_YES = {"yes", "y", "true", "1", "да", "д"}
_NO = {"no", "n", "false", "0", "нет", "н"}


class InvalidSurveyFile(ValueError):
    """The file or body as a whole cannot be read: no row of it can be judged."""


class InvalidSurveyRow(ValueError):
    pass


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"survey source must be one of {', '.join(SOURCES)}, got {source!r}")
    return source


def parse_payload(body: bytes, data_format: str, source: str) -> ParsedBatch:
    """A whole file or HTTP body. An unreadable one (bad encoding, not JSON, no CSV header) raises
    InvalidSurveyFile; otherwise every row ends up either a result or a reject."""
    check_source(source)
    if data_format not in FORMATS:
        raise ValueError(f"survey format must be one of {', '.join(FORMATS)}, got {data_format!r}")
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidSurveyFile(f"not UTF-8 text: byte {exc.start} cannot be decoded") from None
    return parse_rows(read_rows(text, data_format), source)


def read_rows(text: str, data_format: str) -> list[object]:
    """The rows of a decoded body as sent, before any is judged; InvalidSurveyFile when it cannot be read."""
    return _json_rows(text) if data_format == "json" else _csv_rows(text)


def parse_rows(rows: Iterable[object], source: str) -> ParsedBatch:
    check_source(source)
    results, rejects = [], []
    for row_no, row in enumerate(rows, start=1):
        try:
            results.append(validate_row(row, source))
        except InvalidSurveyRow as exc:
            rejects.append(reject(source, row_no, row, str(exc)))
    return ParsedBatch(source, tuple(results), tuple(rejects))


def reject(source: str, row_no: int | None, raw: object, reason: str) -> RejectedRow:
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    text = storable_text(text)
    return RejectedRow(_sha256(source, text), row_no, text, reason)


def storable_text(text: str) -> str:
    """A lone surrogate or NUL cannot be stored as text; written as escapes the row is still there to read."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def validate_row(row: object, source: str) -> SurveyResult:
    if not isinstance(row, Mapping):
        raise InvalidSurveyRow(f"a row must be an object with fields {', '.join(FIELDS)}")
    if EXTRA_CELLS in row:
        raise InvalidSurveyRow("the row has more cells than the header has columns")
    # an unknown field left empty (a spreadsheet's spare column) carries nothing that could be lost
    unknown = sorted(str(key) for key, value in row.items() if key not in FIELDS and _blank_to_none(value) is not None)
    if unknown:
        raise InvalidSurveyRow(f"unknown fields: {', '.join(unknown)}")
    values = {name: _blank_to_none(row.get(name)) for name in FIELDS}
    call_id = _identifier(values["call_id"], "call_id")
    caller_id = _identifier(values["caller_id"], "caller_id")
    rating = _rating(values["rating"])
    resolved = _resolved(values["resolved"])
    comment = _comment(values["comment"])
    answered_at = _time(values["answered_at"])
    if source == POST_CALL:
        if call_id is None:
            raise InvalidSurveyRow("call_id is required for a post-call survey")
        if rating is None:
            raise InvalidSurveyRow("rating is required for a post-call survey")
        if resolved is None:
            raise InvalidSurveyRow("resolved (yes or no) is required for a post-call survey")
    else:
        if call_id is None and caller_id is None:
            raise InvalidSurveyRow("a comment needs a call_id or a caller_id")
        if comment is None:
            raise InvalidSurveyRow("comment is required for a personal-account comment")
    content = json.dumps([source, call_id, caller_id, rating, resolved, comment,
                          answered_at.astimezone(timezone.utc).isoformat()], ensure_ascii=False)
    return SurveyResult(_sha256(content), source, call_id, caller_id, rating, resolved, comment, answered_at)


def _json_rows(text: str) -> list[object]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSurveyFile(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # a body of "[[[[…" a few hundred kilobytes long exhausts the parser's stack
        raise InvalidSurveyFile("JSON is nested too deeply") from None
    if isinstance(data, dict):
        data = [data]  # one result on its own
    if not isinstance(data, list):
        raise InvalidSurveyFile("JSON must be a list of result objects (or a single object)")
    return data


def _csv_rows(text: str) -> list[dict]:
    if not text.strip():
        return []
    header = text.splitlines()[0]
    # Russian spreadsheets save with ';', most other systems with ','
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                                restkey=EXTRA_CELLS)
        if reader.fieldnames is None:
            return []
        fieldnames = [name.strip() for name in reader.fieldnames]
        if len(set(fieldnames)) != len(fieldnames):
            raise InvalidSurveyFile(f"CSV header names a column twice: {header!r}")
        reader.fieldnames = fieldnames
        return [row for row in reader if any(value not in (None, "") for value in row.values())]
    except csv.Error as exc:
        raise InvalidSurveyFile(f"not valid CSV: {exc}") from None


def _blank_to_none(value: object) -> object:
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _identifier(value: object, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidSurveyRow(f"{name} must be text")
    text = str(value).strip()
    if len(text) > MAX_ID_CHARS:
        raise InvalidSurveyRow(f"{name} is longer than {MAX_ID_CHARS} characters")
    if any(not ch.isprintable() for ch in text):
        raise InvalidSurveyRow(f"{name} contains control characters")
    return text


def _rating(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise InvalidSurveyRow(f"rating must be a whole number from 1 to 5, got {_show(value)}")
    return value


def _resolved(value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise InvalidSurveyRow(f"resolved must be yes or no, got {_show(value)}")


def _comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidSurveyRow("comment must be text")
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > MAX_COMMENT_CHARS:
        raise InvalidSurveyRow(f"comment is {len(text)} characters long, more than {MAX_COMMENT_CHARS}")
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Cn") and ch not in "\n\t" for ch in text):
        raise InvalidSurveyRow("comment contains control or unassigned characters")
    return text


def _time(value: object) -> datetime:
    if value is None:
        raise InvalidSurveyRow("answered_at is required (ISO 8601 with a UTC offset)")
    if not isinstance(value, str):
        raise InvalidSurveyRow(f"answered_at must be ISO 8601 text, got {_show(value)}")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidSurveyRow(f"answered_at is not an ISO 8601 time: {_show(value)}") from None
    if at.utcoffset() is None:
        raise InvalidSurveyRow(f"answered_at has no UTC offset: {at.isoformat()}")
    # years 1 and 9999 overflow when compared across offsets: the year alone rules them out first
    if at.year < EARLIEST.year or (at.year == EARLIEST.year and at < EARLIEST):
        raise InvalidSurveyRow(f"answered_at is before {EARLIEST:%Y}: {at.isoformat()}")
    if at.year >= 9999 or at > datetime.now(timezone.utc) + MAX_CLOCK_SKEW:
        raise InvalidSurveyRow(f"answered_at is in the future: {at.isoformat()}")
    return at


def _show(value: object) -> str:
    """A refused value as the reason quotes it. Reasons are stored unmasked, and a long value in the wrong field
    may be a caller's phone or name, so only short ones are quoted."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTED_CHARS else f"a value of {len(str(value))} characters"


def _sha256(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
