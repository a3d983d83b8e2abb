"""Taking in survey results: a body pushed over HTTP, a file, or a drop folder the survey system fills.

Every comment and every refused row is PII-masked before it is stored. A folder's processed files are kept in
done/ with their personal data and caller ids masked (unreadable ones move to rejected/ as they came), with a
report of their refused rows beside them; a file left behind by an
interrupted import is simply imported again, which stores nothing twice.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from ingest.surveys import (EXTRA_CELLS, FIELDS, MAX_QUOTED_CHARS, InvalidSurveyFile, ParsedBatch, check_source,
                            parse_payload, read_rows, reject, storable_text)
from privacy.redact import redact_text
from storage.db import Database
from storage.surveys import StoredBatch, already_stored, save_batch

FORMAT_BY_SUFFIX = {".json": "json", ".csv": "csv"}
DONE, REJECTED = "done", "rejected"
# the start of an unreadable body is kept to show what arrived (a file itself is kept in rejected/); masking
# number-heavy text takes seconds per thousand characters, so only the start
MAX_UNREADABLE_CHARS = 500
# the caller id is the key to everything else about a caller: files kept after an import must not hold it
CALLER_ID_MASK = "[caller id]"
# a spreadsheet runs a cell that starts with one of these as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_STRUCTURED = frozenset(FIELDS) - {"comment"}
_CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
# progress(done, total, file name) after each file
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FileImport:
    source_path: Path
    moved_to: Path
    report: Path | None  # the refused rows, when there are any
    stored: StoredBatch


def import_payload(db: Database, body: bytes, data_format: str, source: str, origin: str) -> StoredBatch:
    """Validate, mask and store one body. An unreadable body is stored as a single refused row."""
    try:
        batch = parse_payload(body, data_format, source)
    except InvalidSurveyFile as exc:
        text = body.decode("utf-8", "replace")[:MAX_UNREADABLE_CHARS]
        batch = ParsedBatch(source, (), (reject(source, None, text, str(exc)),))
    return save_batch(db, mask_pii(batch, already_stored(db, [r.result_id for r in batch.results])), origin)


def mask_pii(batch: ParsedBatch, already_stored: set[str] = frozenset()) -> ParsedBatch:
    """Comments and refused rows with personal data masked; result ids stay those of the content as sent, so a
    re-sent result is still recognised. Results already stored are not masked again (masking is the slow part
    of an import), as storing skips them; refused rows are always masked, as they also go into reports."""
    return ParsedBatch(
        batch.source,
        tuple(replace(r, comment=redact_text(r.comment).text) if r.comment and r.result_id not in already_stored
              else r for r in batch.results),
        tuple(replace(r, raw=_masked_row(r.raw)) for r in batch.rejects),
    )


def _masked_row(raw: str) -> str:
    """A refused row with its free text masked: the comment, any field the format does not know (a stray
    'phone' column) and a structured field holding something other than its kind of value (a name as the
    rating). Structured values of the right shape stay readable, as they are what the analyst fixes; masking
    would also turn every time into a masked date."""
    try:
        row = json.loads(raw)
    except json.JSONDecodeError:
        row = None
    if not isinstance(row, dict):
        return redact_text(raw).text
    # the row's JSON escapes came back as characters when it was read: a lone surrogate must be escaped again
    return storable_text(json.dumps(_masked_fields(row), ensure_ascii=False, sort_keys=True))


def _masked_fields(row: dict) -> dict:
    return {key: CALLER_ID_MASK if key == "caller_id" and value not in (None, "") else value if _plain(key, value)
            else redact_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)).text
            for key, value in row.items()}


def _plain(key: str, value: object) -> bool:
    """A value that cannot hold personal data: a number, or a structured field's value of the shape it should
    have (an id without letters of a name, a time, a short rating or yes/no)."""
    if not isinstance(value, (str, list, dict)):
        return True
    if not isinstance(value, str) or key not in _STRUCTURED:
        return False
    if key in ("call_id", "caller_id"):
        return not _CYRILLIC.search(value)
    if key == "answered_at":
        try:
            datetime.fromisoformat(value.strip())
        except ValueError:
            return False
        return True
    return len(value) <= MAX_QUOTED_CHARS


def import_path(db: Database, path: Path, source: str, progress: Progress | None = None) -> list[FileImport]:
    """Import one file, or every .csv and .json file directly in a folder, in name order."""
    check_source(source)
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FORMAT_BY_SUFFIX)
    elif path.is_file():
        if path.suffix.lower() not in FORMAT_BY_SUFFIX:
            raise ValueError(f"{path} is not a .csv or .json file")
        files = [path]
    else:
        raise FileNotFoundError(f"{path} does not exist")
    imports = []
    for done, file in enumerate(files, start=1):
        imports.append(import_file(db, file, source))
        if progress:
            progress(done, len(files), file.name)
    return imports


def import_file(db: Database, path: Path, source: str) -> FileImport:
    body, data_format = path.read_bytes(), FORMAT_BY_SUFFIX[path.suffix.lower()]
    stored = import_payload(db, body, data_format, source, path.name)
    if stored.unreadable:
        moved_to = _move(path, path.parent / REJECTED)  # what arrived, to show the survey system's people
    else:
        # what is kept is the file with its personal data masked: the original's names, phones and caller ids
        # would otherwise outlive an erasure in the archive
        moved_to = _archive_masked(path, body.decode("utf-8-sig"), data_format, path.parent / DONE)
    report = None
    if stored.rejects:
        report = moved_to.with_name(moved_to.name + ".rejects.csv")
        with report.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "reason", "row_as_received_pii_masked"])
            writer.writerows([r.row_no if r.row_no is not None else "", _inert(r.reason), _inert(r.raw)]
                             for r in stored.rejects)
    return FileImport(path, moved_to, report, stored)


def _inert(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (CSV injection)."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _archive_masked(path: Path, text: str, data_format: str, folder: Path) -> Path:
    rows = [_masked_fields(row) if isinstance(row, dict) else redact_text(json.dumps(row, ensure_ascii=False)).text
            for row in read_rows(text, data_format)]
    target = _target(path, folder)
    if data_format == "json":
        target.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        columns = list(dict.fromkeys(key for row in rows for key in row if key != EXTRA_CELLS))
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: _inert(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    path.unlink()
    return target


def _move(path: Path, folder: Path) -> Path:
    target = _target(path, folder)
    shutil.move(str(path), target)
    return target


def _target(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():  # the survey system reuses names: keep both files
        target = folder / f"{path.stem}.{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}{path.suffix}"
    return target
