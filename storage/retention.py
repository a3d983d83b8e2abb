"""Retention: recordings and transcripts of calls older than the configured period are purged.

What goes: the recording files (inside the folder the user names), words, segments, their search-index
entries and the masked-span times. What stays: the call row and every aggregate made from it (scores and
checklist verdicts, topics, complaint clusters, repeat links, requests), so trends keep their history.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from storage import audit
from storage.compact import compact
from storage.db import Database
from storage.files import recording_files, remove
from storage.search import rebuild_index

# search_postings: the dashboard's copy of the search index would otherwise keep purged words until its next rebuild
_TRANSCRIPT_TABLES = ("words", "segments", "pii_spans", "search_postings")


@dataclass(frozen=True)
class PurgeReport:
    calls: int
    files_removed: int
    cutoff: datetime


def purge_older_than(db: Database, days: int, *, recordings: Path | None = None, actor: str = "retention",
                     now: datetime | None = None) -> PurgeReport:
    """Purge calls that started more than `days` days before `now`; running it again purges nothing new."""
    if days < 1:
        raise ValueError(f"the retention period must be at least 1 day, got {days}")
    if recordings is not None and not recordings.is_dir():
        raise ValueError(f"recordings folder {recordings} does not exist")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    with db.read() as cur:
        call_ids = [c for (c,) in cur.execute(
            "SELECT call_id FROM calls WHERE started_at < ? AND call_id NOT IN (SELECT call_id FROM retention_purges)"
            " ORDER BY call_id", [cutoff]).fetchall()]
        paths = [Path(p) for (p,) in cur.execute(
            "SELECT path FROM recordings WHERE list_contains(?, call_id)", [call_ids]).fetchall()]
    files = recording_files(paths, recordings, set(call_ids)) if recordings is not None and call_ids else []
    if call_ids:
        with db.write() as cur:
            for table in _TRANSCRIPT_TABLES:
                cur.execute(f"DELETE FROM {table} WHERE list_contains(?, call_id)", [call_ids])
            cur.executemany("INSERT INTO retention_purges VALUES (?, now(), ?)", [[c, days] for c in call_ids])
            cur.execute("UPDATE search_index_state SET segments_version = segments_version + 1")
        rebuild_index(db)
    removed = remove(files)
    audit.record(db, actor, "retention_purge", None,
                 f"{len(call_ids)} calls older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC), "
                 f"{removed} files removed")
    return PurgeReport(len(call_ids), removed, cutoff)


def purge_file(path: Path, days: int, *, recordings: Path | None = None, actor: str = "retention") -> PurgeReport:
    """Purge, then rewrite the database file so the purged transcripts leave the disk (storage/compact.py)."""
    with Database(path) as db:
        report = purge_older_than(db, days, recordings=recordings, actor=actor)
    if report.calls:
        compact(path)
    return report
