"""Survey results, refused rows and the clients allowed to push results, in the database.

Results are stored whether or not their call has been processed: reads join them to calls, so a result that
came before its call counts as soon as the call is stored. Writes go through the `Database` writer.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from ingest.records import ParsedBatch, RejectedRow
from storage.db import Database

_INSERT_RESULTS = """
INSERT INTO survey_results (result_id, source, call_id, caller_id, rating, resolved, comment, answered_at, batch_id)
SELECT r.result_id, r.source, r.call_id, r.caller_id, r.rating, r.resolved, r.comment, r.answered_at, $batch_id
FROM (SELECT unnest(from_json($rows, '[{"result_id": "VARCHAR", "source": "VARCHAR", "call_id": "VARCHAR",
    "caller_id": "VARCHAR", "rating": "INTEGER", "resolved": "BOOLEAN", "comment": "VARCHAR",
    "answered_at": "TIMESTAMPTZ"}]'), recursive := true)) AS r
ON CONFLICT (result_id) DO NOTHING
RETURNING result_id
"""
_INSERT_REJECTS = """
INSERT INTO survey_rejects (reject_id, batch_id, row_no, raw, reason)
SELECT r.reject_id, $batch_id, r.row_no, r.raw, r.reason
FROM (SELECT unnest(from_json($rows, '[{"reject_id": "VARCHAR", "row_no": "INTEGER", "raw": "VARCHAR",
    "reason": "VARCHAR"}]'), recursive := true)) AS r
ON CONFLICT (reject_id) DO NOTHING
"""


@dataclass(frozen=True)
class StoredBatch:
    batch_id: str
    origin: str
    accepted: int  # results stored for the first time
    duplicates: int  # results already stored (sent before, or twice in this batch)
    rejects: tuple[RejectedRow, ...]

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def unreadable(self) -> bool:
        """The whole file or body was refused: its one reject has no row number."""
        return any(r.row_no is None for r in self.rejects)


@dataclass(frozen=True)
class SurveyCounts:
    results: int
    waiting_for_call: int  # results whose call is not processed yet
    rejects: int
    batches: int


def save_batch(db: Database, batch: ParsedBatch, origin: str) -> StoredBatch:
    """Store a validated batch (comments already masked) with its refused rows, in one transaction."""
    batch_id = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    results = [
        {"result_id": r.result_id, "source": r.source, "call_id": r.call_id, "caller_id": r.caller_id,
         "rating": r.rating, "resolved": r.resolved, "comment": r.comment, "answered_at": r.answered_at.isoformat()}
        for r in batch.results
    ]
    rejects = [{"reject_id": r.reject_id, "row_no": r.row_no, "raw": r.raw, "reason": r.reason}
               for r in batch.rejects]
    with db.write() as cur:
        accepted = 0
        if results:
            # the same result twice in one batch would break the insert's own key check
            unique = list({r["result_id"]: r for r in results}.values())
            accepted = len(cur.execute(_INSERT_RESULTS, {"batch_id": batch_id, "rows": json.dumps(unique)}).fetchall())
        if rejects:
            unique_rejects = list({r["reject_id"]: r for r in rejects}.values())
            cur.execute(_INSERT_REJECTS, {"batch_id": batch_id, "rows": json.dumps(unique_rejects)})
        cur.execute(
            "INSERT INTO survey_batches (batch_id, source, origin, accepted, duplicates, rejected, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, now())",
            [batch_id, batch.source, origin, accepted, len(results) - accepted, len(rejects)],
        )
    return StoredBatch(batch_id, origin, accepted, len(results) - accepted, batch.rejects)


def already_stored(db: Database, result_ids: list[str]) -> set[str]:
    """Which of these results are stored already."""
    with db.read() as cur:
        rows = cur.execute("SELECT result_id FROM survey_results WHERE list_contains(?, result_id)",
                           [result_ids]).fetchall()
    return {r[0] for r in rows}


def survey_counts(db: Database) -> SurveyCounts:
    with db.read() as cur:
        results, waiting = cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE call_id IS NOT NULL AND call_id NOT IN"
            " (SELECT call_id FROM calls WHERE status = 'done')) FROM survey_results").fetchone()
        (rejects,) = cur.execute("SELECT count(*) FROM survey_rejects").fetchone()
        (batches,) = cur.execute("SELECT count(*) FROM survey_batches").fetchone()
    return SurveyCounts(results, waiting, rejects, batches)


def stored_results(db: Database) -> list[tuple]:
    """(result_id, source, call_id, caller_id, rating, resolved, comment, answered_at) of every stored result."""
    with db.read() as cur:
        return cur.execute("SELECT result_id, source, call_id, caller_id, rating, resolved, comment, answered_at"
                           " FROM survey_results ORDER BY answered_at, result_id").fetchall()


def stored_rejects(db: Database) -> list[tuple[str, int | None, str, str]]:
    """(batch origin, row_no, raw, reason) of every refused row, oldest batch first."""
    with db.read() as cur:
        return cur.execute("SELECT b.origin, r.row_no, r.raw, r.reason FROM survey_rejects AS r"
                           " JOIN survey_batches AS b USING (batch_id) ORDER BY b.received_at, r.row_no").fetchall()


def add_client(db: Database, name: str, token_sha256: str) -> None:
    with db.write() as cur:
        if cur.execute("SELECT 1 FROM survey_clients WHERE name = ?", [name]).fetchone():
            raise ValueError(f"survey client {name!r} already exists")
        cur.execute("INSERT INTO survey_clients (name, token_sha256, created_at) VALUES (?, ?, now())",
                    [name, token_sha256])


def client_for_token(db: Database, token_sha256: str) -> str | None:
    """The client a token hash belongs to, unless the client was revoked."""
    with db.read() as cur:
        row = cur.execute("SELECT name FROM survey_clients WHERE token_sha256 = ? AND revoked_at IS NULL",
                          [token_sha256]).fetchone()
    return row[0] if row else None


def revoke_client(db: Database, name: str) -> None:
    with db.write() as cur:
        if not cur.execute("UPDATE survey_clients SET revoked_at = now() WHERE name = ? AND revoked_at IS NULL"
                           " RETURNING name", [name]).fetchall():
            raise KeyError(f"no active survey client {name!r}")
