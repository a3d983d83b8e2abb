"""Erasure of one caller on request, end to end: find their personal data, erase, rewrite the file, prove.

storage/erasure.py removes the rows and files and searches for what it is told; this module tells it what to
search for (the personal data redaction finds in the caller's stored texts, plus what the requester gave) and
rewrites the database file, because DuckDB leaves deleted rows' bytes on disk (storage/compact.py).
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from privacy.detect import find_pii
from storage.compact import compact
from storage.db import Database
from storage.erasure import ErasureReport, caller_texts, erase_caller, find_traces

# shorter findings («Анна», a two-digit house) would match unrelated text everywhere and prove nothing
_MIN_TERM = 4


def personal_data(texts: Iterable[str]) -> list[str]:
    values = {text[f.start:f.end].strip() for text in texts for f in find_pii(text)}
    return sorted(v for v in values if len(v) >= _MIN_TERM)


def erase_caller_from_file(path: Path, caller_id: str, *, recordings: Path | None = None, also: Iterable[str] = (),
                           archives: Iterable[Path] = (), actor: str = "erasure") -> ErasureReport:
    """Erase, rewrite the database file so the deleted rows leave the disk too, then prove again on the
    rewritten file: its tables, its raw bytes, the recordings folder and the archive folders (survey drop
    folders, whose done/ and rejected/ keep what was imported)."""
    with Database(path) as db:
        # collected before deletion: afterwards nothing is left to read them from
        found = personal_data(caller_texts(db, caller_id))
        report = erase_caller(db, caller_id, recordings=recordings, also=[*found, *also], actor=actor)
    compact(path)
    folders = [*([recordings] if recordings is not None else []), *map(Path, archives)]
    with Database(path) as db:
        report.traces, report.columns_searched, report.files_searched = find_traces(
            db, report.searched, folders, files=[Path(path)])
    return report
