"""The audit log: who did what to which call or user, and when. Append-only.

This module is the log's only writer and has no update or delete. Each entry's hash covers its fields and the
previous entry's hash, so a row edited or removed behind the API's back (by hand in the database file) is
found by `verify`. Entries name callers by call id only, never by caller id or personal data, so an erasure
leaves the log intact.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database

ACTIONS = ("sign_in", "call_view", "audio_playback", "export", "override", "decryption", "erasure",
           "correction", "retention_purge")
_GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    entry_no: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None


def _hash(prev_hash: str, at_us: int, actor: str, action: str, target: str | None, detail: str | None) -> str:
    # the instant as epoch microseconds: a datetime's text would change with the session's time zone
    payload = json.dumps([prev_hash, at_us, actor, action, target, detail], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def record(db: Database, actor: str, action: str, target: str | None = None, detail: str | None = None) -> int:
    """Append one entry and return its number."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if not actor or not actor.strip():
        raise ValueError("an audit entry needs the actor who did it")
    with db._write() as cur:
        (at_us,) = cur.execute("SELECT epoch_us(now())").fetchone()
        last = cur.execute("SELECT entry_hash FROM audit_log ORDER BY entry_no DESC LIMIT 1").fetchone()
        prev_hash = last[0] if last else _GENESIS
        (entry_no,) = cur.execute(
            "INSERT INTO audit_log (happened_at, actor, action, target, detail, prev_hash, entry_hash)"
            " VALUES (make_timestamptz(?), ?, ?, ?, ?, ?, ?) RETURNING entry_no",
            [at_us, actor, action, target, detail, prev_hash, _hash(prev_hash, at_us, actor, action, target, detail)],
        ).fetchone()
    return entry_no


def entries(db: Database, *, action: str | None = None, actor: str | None = None, target: str | None = None,
            limit: int = 1000) -> list[AuditEntry]:
    """Newest first, optionally only one action, actor or target."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT entry_no, happened_at, actor, action, target, detail FROM audit_log"
            " WHERE ($action IS NULL OR action = $action) AND ($actor IS NULL OR actor = $actor)"
            " AND ($target IS NULL OR target = $target) ORDER BY entry_no DESC LIMIT $limit",
            {"action": action, "actor": actor, "target": target, "limit": limit},
        ).fetchall()
    return [AuditEntry(*row) for row in rows]


def verify(db: Database) -> list[str]:
    """Problems with the chain of entries, empty when the log is whole."""
    problems = []
    prev_hash = _GENESIS
    with db.read() as cur:
        rows = cur.execute("SELECT entry_no, epoch_us(happened_at), actor, action, target, detail, prev_hash, entry_hash"
                           " FROM audit_log ORDER BY entry_no").fetchall()
    for entry_no, at, actor, action, target, detail, stored_prev, stored_hash in rows:
        if stored_prev != prev_hash:
            problems.append(f"entry {entry_no}: the entry before it was changed or removed")
        if _hash(stored_prev, at, actor, action, target, detail) != stored_hash:
            problems.append(f"entry {entry_no}: its contents were changed")
        prev_hash = stored_hash
    return problems
