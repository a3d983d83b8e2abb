"""The audit log: who did what to which call or user, and when. Append-only.

This module is the log's only writer and has no delete; it updates entries only once, to re-chain a log begun
before the chain was keyed (`_seal_unkeyed`). Each entry's MAC covers its fields and the
previous entry's MAC, keyed by a secret that is not in the database: someone who can edit the database file
can change or drop rows but cannot compute the MACs that would hide it. The newest entry's number and MAC (the
head) are also written beside the key after every append, so dropping the newest entries, or all of them, is
found too. `verify` reports all of that. Entries name callers by call id only, never by caller id or personal
data, so an erasure leaves the log intact.

The key and the head live in the folder `HOTLINE_QC_AUDIT_DIR` names, by default `keys/` beside the database
file, where the private recording keys live: the same file permissions that protect those protect it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.db import Database

ACTIONS = ("sign_in", "sign_in_failed", "call_view", "audio_playback", "export", "override",
           "decryption", "erasure", "correction", "retention_purge", "user_change")
_GENESIS = "0" * 64
AUDIT_DIR_ENV = "HOTLINE_QC_AUDIT_DIR"
_KEY_FILE = "audit-log.secret"
_HEAD_FILE = "audit-log.head"


@dataclass(frozen=True)
class AuditEntry:
    entry_no: int
    at: datetime
    actor: str
    action: str
    target: str | None
    detail: str | None


def _hash(key: bytes, prev_hash: str, at_us: int, actor: str, action: str, target: str | None,
          detail: str | None) -> str:
    # the instant as epoch microseconds: a datetime's text would change with the session's time zone
    payload = json.dumps([prev_hash, at_us, actor, action, target, detail], ensure_ascii=False)
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def _seal_folder(db: Database) -> Path:
    return Path(os.environ.get(AUDIT_DIR_ENV) or db.path.parent / "keys")


def _key(folder: Path, *, create: bool) -> bytes | None:
    path = folder / _KEY_FILE
    if not path.exists() and create:
        folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip()) if path.exists() else None


def _write_head(folder: Path, entry_no: int, entry_hash: str) -> None:
    fresh = folder / (_HEAD_FILE + ".new")
    fresh.write_text(json.dumps({"entry_no": entry_no, "entry_hash": entry_hash}))
    os.replace(fresh, folder / _HEAD_FILE)  # a crash leaves the old head or the new one, never half of one


def _read_head(folder: Path) -> tuple[int, str] | None:
    path = folder / _HEAD_FILE
    if not path.exists():
        return None
    head = json.loads(path.read_text())
    return head["entry_no"], head["entry_hash"]


def _seal_unkeyed(cur, key: bytes) -> None:
    """A log begun before the chain was keyed is chained by plain SHA-256. When the key is made, such a chain
    that is still whole is re-chained under the key, once; one that is not stays as it is, for verify to report."""
    rows = cur.execute("SELECT entry_no, epoch_us(happened_at), actor, action, target, detail, prev_hash, entry_hash"
                       " FROM audit_log ORDER BY entry_no").fetchall()
    prev = _GENESIS
    for _, at, actor, action, target, detail, stored_prev, stored_hash in rows:
        payload = json.dumps([prev, at, actor, action, target, detail], ensure_ascii=False).encode()
        if stored_prev != prev or hashlib.sha256(payload).hexdigest() != stored_hash:
            return
        prev = stored_hash
    prev = _GENESIS
    for entry_no, at, actor, action, target, detail, _, _ in rows:
        mac = _hash(key, prev, at, actor, action, target, detail)
        cur.execute("UPDATE audit_log SET prev_hash = ?, entry_hash = ? WHERE entry_no = ?", [prev, mac, entry_no])
        prev = mac


def record(db: Database, actor: str, action: str, target: str | None = None, detail: str | None = None) -> int:
    """Append one entry and return its number."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {', '.join(ACTIONS)}")
    if not actor or not actor.strip():
        raise ValueError("an audit entry needs the actor who did it")
    folder = _seal_folder(db)
    sealing = not (folder / _KEY_FILE).exists() and _read_head(folder) is None
    key = _key(folder, create=True)
    with db.write() as cur:
        if sealing:
            _seal_unkeyed(cur, key)
        (at_us,) = cur.execute("SELECT epoch_us(now())").fetchone()
        last = cur.execute("SELECT entry_hash FROM audit_log ORDER BY entry_no DESC LIMIT 1").fetchone()
        prev_hash = last[0] if last else _GENESIS
        entry_hash = _hash(key, prev_hash, at_us, actor, action, target, detail)
        (entry_no,) = cur.execute(
            "INSERT INTO audit_log (happened_at, actor, action, target, detail, prev_hash, entry_hash)"
            " VALUES (make_timestamptz(?), ?, ?, ?, ?, ?, ?) RETURNING entry_no",
            [at_us, actor, action, target, detail, prev_hash, entry_hash],
        ).fetchone()
        # under the write lock, so heads are written in the entries' order; should the commit fail after this,
        # verify reports a missing newest entry: a false alarm, never a missed deletion
        _write_head(folder, entry_no, entry_hash)
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
    folder = _seal_folder(db)
    key, head = _key(folder, create=False), _read_head(folder)
    with db.read() as cur:
        rows = cur.execute("SELECT entry_no, epoch_us(happened_at), actor, action, target, detail, prev_hash, entry_hash"
                           " FROM audit_log ORDER BY entry_no").fetchall()
    if key is None:
        return [f"the audit key {folder / _KEY_FILE} is missing: no entry can be checked"] if rows or head else []
    problems = []
    prev_hash = _GENESIS
    for entry_no, at, actor, action, target, detail, stored_prev, stored_hash in rows:
        if stored_prev != prev_hash:
            problems.append(f"entry {entry_no}: the entry before it was changed or removed")
        if not hmac.compare_digest(_hash(key, stored_prev, at, actor, action, target, detail), stored_hash):
            problems.append(f"entry {entry_no}: its contents were changed")
        prev_hash = stored_hash
    if head is None:
        if rows:
            problems.append(f"the audit head {folder / _HEAD_FILE} is missing")
    elif not rows:
        problems.append(f"every entry up to {head[0]} was removed")
    elif (rows[-1][0], rows[-1][-1]) != head:
        problems.append(f"the newest entries were removed or changed: the log ends at entry {rows[-1][0]}, the head "
                        f"outside the database says {head[0]}")
    return problems
