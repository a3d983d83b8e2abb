"""Script pilots in the database: pilots, the calls they compare with their outcomes, decisions, and which stored
script version is in force.

Writes go through the `Database` writer like every other write; reads use their own cursor.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from feedback.records import Pilot, PilotCall, PilotDecision
from storage.db import Database
from storage.improvement import RATINGS_SQL, day_start


def save_pilot(db: Database, pilot: Pilot) -> None:
    """Register a pilot of a script version that is already stored (scored with, or saved by `save_script`)."""
    if not pilot.pilot_id.strip():
        raise ValueError("a pilot needs an id")
    if not 0 <= pilot.share <= 1:
        raise ValueError(f"a pilot's share of calls must be between 0 and 1, got {pilot.share}")
    if not pilot.operators and not pilot.share:
        raise ValueError("a pilot needs operators or a share of calls, or it has no calls")
    if pilot.ended_on is not None and pilot.ended_on < pilot.started_on:
        raise ValueError(f"the pilot ends ({pilot.ended_on}) before it starts ({pilot.started_on})")
    if pilot.script_version == pilot.control_version:
        raise ValueError(f"pilot and control both use version {pilot.script_version}")
    with db.write() as cur:
        for version in (pilot.script_version, pilot.control_version):
            if cur.execute("SELECT 1 FROM scoring_scripts WHERE name = ? AND version = ?",
                           [pilot.script_name, version]).fetchone() is None:
                raise KeyError(f"script {pilot.script_name} version {version} is not stored; store it first")
        if cur.execute("SELECT 1 FROM script_pilots WHERE pilot_id = ?", [pilot.pilot_id]).fetchone():
            raise ValueError(f"pilot {pilot.pilot_id!r} already exists")
        cur.execute("INSERT INTO script_pilots (pilot_id, script_name, script_version, control_version, operators,"
                    " share, started_on, ended_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [pilot.pilot_id, pilot.script_name, pilot.script_version, pilot.control_version,
                     list(pilot.operators), pilot.share, pilot.started_on, pilot.ended_on])


def pilots(db: Database) -> list[Pilot]:
    with db.read() as cur:
        rows = cur.execute("SELECT pilot_id, script_name, script_version, control_version, operators, share,"
                           " started_on, ended_on FROM script_pilots ORDER BY started_on, pilot_id").fetchall()
    return [Pilot(pid, name, version, control, tuple(ops), share, start, end)
            for pid, name, version, control, ops, share, start, end in rows]


def pilot(db: Database, pilot_id: str) -> Pilot:
    for p in pilots(db):
        if p.pilot_id == pilot_id:
            return p
    raise KeyError(f"no pilot {pilot_id!r}")


def pilot_calls(db: Database, start: date, end: date | None) -> list[PilotCall]:
    """Scored calls that started on the days from `start` through `end` (UTC; open-ended when None), with their
    score in force; whether each was repeated is for `feedback.pilots.with_repeats` to say."""
    with db.read() as cur:
        rows = cur.execute(
            f"WITH ratings AS ({RATINGS_SQL}) SELECT c.call_id, c.operator_id, c.started_at, s.script_version, s.score,"
            " r.rating FROM calls AS c JOIN call_scores AS s USING (call_id) LEFT JOIN ratings AS r USING (call_id)"
            " WHERE c.status = 'done' AND c.started_at >= ? AND (? IS NULL OR c.started_at < ?)"
            " ORDER BY c.started_at, c.call_id",
            [day_start(start), end, day_start(end + timedelta(days=1)) if end else None]).fetchall()
    return [PilotCall(call_id, operator_id, started_at, version, score, rating)
            for call_id, operator_id, started_at, version, score, rating in rows]


def repeat_links(db: Database) -> list[tuple[str, str, float]]:
    """(call, the call it repeats, hours between them) of every repeat call found."""
    with db.read() as cur:
        return cur.execute("SELECT call_id, repeat_of, hours_apart FROM repeat_calls").fetchall()


def record_decision(db: Database, pilot_id: str, decision: str, analysis: dict, note: str | None = None) -> None:
    """Record a decision on a pilot; 'adopt' makes the piloted version the one scoring uses by default."""
    if decision not in ("adopt", "extend", "reject"):
        raise ValueError(f"decision must be adopt, extend or reject, got {decision!r}")
    chosen = pilot(db, pilot_id)
    with db.write() as cur:
        cur.execute("INSERT INTO pilot_decisions (pilot_id, decision, note, analysis, decided_at)"
                    " VALUES (?, ?, ?, ?, now())", [pilot_id, decision, note, json.dumps(analysis, default=str)])
        if decision == "adopt":
            cur.execute("INSERT OR REPLACE INTO default_script (singleton, script_name, script_version, pilot_id,"
                        " adopted_at) VALUES (true, ?, ?, ?, now())",
                        [chosen.script_name, chosen.script_version, pilot_id])


def decisions(db: Database, pilot_id: str | None = None) -> list[PilotDecision]:
    with db.read() as cur:
        rows = cur.execute("SELECT pilot_id, decision, note, analysis, decided_at FROM pilot_decisions"
                           " WHERE ? IS NULL OR pilot_id = ? ORDER BY decided_at", [pilot_id, pilot_id]).fetchall()
    return [PilotDecision(pid, decision, note, json.loads(analysis), at) for pid, decision, note, analysis, at in rows]


def undecided_pilots(db: Database) -> list[Pilot]:
    """Pilots neither adopted nor rejected (extending one keeps it running)."""
    with db.read() as cur:
        final = {pid for (pid,) in cur.execute(
            "SELECT pilot_id FROM pilot_decisions GROUP BY pilot_id HAVING arg_max(decision, decided_at) <> 'extend'"
        ).fetchall()}
    return [p for p in pilots(db) if p.pilot_id not in final]


def done_call_ids(db: Database) -> list[str]:
    with db.read() as cur:
        return [call_id for (call_id,) in cur.execute("SELECT call_id FROM calls WHERE status = 'done'").fetchall()]


def calls_operator_and_start(db: Database, call_ids: Sequence[str]) -> dict[str, tuple[str | None, datetime]]:
    """(operator, start time) of each stored call among `call_ids` that has a start time."""
    with db.read() as cur:
        rows = cur.execute("SELECT call_id, operator_id, started_at FROM calls"
                           " WHERE call_id IN (SELECT unnest(?)) AND started_at IS NOT NULL", [list(call_ids)]).fetchall()
    return {call_id: (operator_id, started) for call_id, operator_id, started in rows}


def script_text(db: Database, name: str, version: str) -> str:
    with db.read() as cur:
        row = cur.execute("SELECT content FROM scoring_scripts WHERE name = ? AND version = ?", [name, version]).fetchone()
    if row is None:
        raise KeyError(f"script {name} version {version} is not stored")
    return row[0]


def adopted_script_text(db: Database) -> str | None:
    """The YAML of the script version adopted as the default, or None while the shipped script is in force."""
    with db.read() as cur:
        row = cur.execute("SELECT s.content FROM default_script AS d JOIN scoring_scripts AS s"
                          " ON s.name = d.script_name AND s.version = d.script_version").fetchone()
    return row[0] if row else None
