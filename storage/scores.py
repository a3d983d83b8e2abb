"""Checklist scores in the database: script versions, automatic verdicts with evidence, metrics, analysts'
overrides (kept beside the verdicts they correct), and the reads that scorecards and the export need.

Writes go through the `Database` writer like every other write; reads use their own cursor.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from asr.records import Segment, Transcript, Word
from scoring.records import VERDICTS, CallScore, ItemOutcome, ScoredCall
from storage.calls import put_call
from storage.db import Database, local_datetime
from storage.records import ProcessedCall, ScriptVersion


@dataclass(frozen=True)
class VerdictOverride:
    override_id: int
    call_id: str
    item_id: str
    verdict: str
    reason: str
    analyst: str
    overridden_at: datetime
    automatic_verdict: str
    script_version: str


@dataclass(frozen=True)
class StoredCall:
    """A transcribed call as stored: what re-scoring needs, without audio."""

    call_id: str
    operator_channel: int | None
    transcript: Transcript


def save_script(db: Database, script: ScriptVersion) -> None:
    """Store a script version once; a different text under a known version is refused, so a stored version
    always names exactly the checklist its scores were made with."""
    with db.write() as cur:
        _put_script(cur, script)


def save_call_scores(db: Database, script: ScriptVersion, scores: Iterable[tuple[str, CallScore]]) -> int:
    """Store the scores of calls made with `script`, replacing each call's earlier automatic score (overrides
    stay). All in one transaction: a re-scoring run is either stored whole or not at all."""
    with db.write() as cur:
        return _put_call_scores(cur, script, scores)


def save_processed_call(db: Database, run_id: str, call: ProcessedCall) -> None:
    """A processed call and its score in one transaction: a call is stored done with everything, or not at all."""
    with db.write() as cur:
        put_call(cur, run_id, call.metadata, call.recording, call.transcript, call.roles, call.speaker_turns,
                    call.pii)
        _put_call_scores(cur, call.script, [(call.metadata.call_id, call.score)])


def _put_call_scores(cur, script: ScriptVersion, scores: Iterable[tuple[str, CallScore]]) -> int:
    count = 0
    _put_script(cur, script)
    for call_id, score in scores:
        if (score.script_name, score.script_version) != (script.name, script.version):
            raise ValueError(f"call {call_id} was scored with {score.script_name} {score.script_version}, "
                             f"not {script.name} {script.version}")
        cur.execute("DELETE FROM checklist_verdicts WHERE call_id = ?", [call_id])
        cur.executemany(
            "INSERT INTO checklist_verdicts (call_id, item_id, item_no, verdict, weight, critical, reason, evidence,"
            " reason_messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[call_id, v.item_id, no, v.verdict, v.weight, v.critical, v.reason,
              json.dumps([e.to_json() for e in v.evidence], ensure_ascii=False),
              json.dumps([r.to_json() for r in v.why], ensure_ascii=False)]
             for no, v in enumerate(score.items)],
        )
        cur.execute(
            "INSERT OR REPLACE INTO call_scores (call_id, script_name, script_version, encoder, score,"
            " critical_failures, metrics, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, now())",
            [call_id, score.script_name, score.script_version, score.encoder, score.score,
             list(score.critical_failures), json.dumps(score.metrics.to_json())],
        )
        count += 1
    return count


def override_verdict(db: Database, call_id: str, item_id: str, verdict: str, *, reason: str,
                     analyst: str, quotes: Sequence[str] | None = None) -> VerdictOverride:
    """An analyst's verdict for one item of one call, stored beside the automatic verdict it corrects, with the
    quotes it is about: the analyst's `quotes`, else the automatic verdict's evidence as it is now."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    if not reason or not reason.strip():
        raise ValueError("an override needs a reason")
    if not analyst or not analyst.strip():
        raise ValueError("an override needs the analyst's name")
    with db.write() as cur:
        row = cur.execute(
            "SELECT v.verdict, s.script_version, v.evidence FROM checklist_verdicts AS v"
            " JOIN call_scores AS s USING (call_id) WHERE v.call_id = ? AND v.item_id = ?", [call_id, item_id],
        ).fetchone()
        if row is None:
            raise KeyError(f"call {call_id!r} has no scored item {item_id!r}")
        if quotes is None:
            quotes = [e["quote"] for e in json.loads(row[2])]
        stored = cur.execute(
            "INSERT INTO verdict_overrides (call_id, item_id, verdict, reason, analyst, overridden_at,"
            " automatic_verdict, script_version) VALUES (?, ?, ?, ?, ?, now(), ?, ?)"
            " RETURNING override_id, overridden_at",
            [call_id, item_id, verdict, reason.strip(), analyst.strip(), row[0], row[1]],
        ).fetchone()
        cur.execute("INSERT INTO override_quotes (override_id, call_id, quotes) VALUES (?, ?, ?)",
                    [stored[0], call_id, json.dumps([q for q in quotes if q and q.strip()], ensure_ascii=False)])
    return VerdictOverride(stored[0], call_id, item_id, verdict, reason.strip(), analyst.strip(), stored[1],
                           row[0], row[1])


def overrides(db: Database, call_id: str) -> list[VerdictOverride]:
    """Every override of a call, oldest first: the history, not only those in force."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT override_id, call_id, item_id, verdict, reason, analyst, overridden_at, automatic_verdict,"
            " script_version FROM verdict_overrides WHERE call_id = ? ORDER BY override_id", [call_id],
        ).fetchall()
    return [VerdictOverride(*row) for row in rows]


@dataclass(frozen=True)
class OverrideQuotes:
    """An override in force with the quotes it is about: what the checklist's judges learn from."""

    call_id: str
    item_id: str
    verdict: str
    quotes: tuple[str, ...]


def overrides_in_force(db: Database, script_version: str) -> list[OverrideQuotes]:
    """The latest override of every (call, item) made on calls scored with `script_version`, in the order they were
    made; an override made under another version judged that version's wording of the item."""
    with db.read() as cur:
        rows = cur.execute(
            "SELECT o.call_id, o.item_id, o.verdict, q.quotes"
            " FROM verdict_overrides AS o LEFT JOIN override_quotes AS q USING (override_id) WHERE o.script_version = ?"
            " QUALIFY row_number() OVER (PARTITION BY o.call_id, o.item_id ORDER BY o.override_id DESC) = 1"
            " ORDER BY o.override_id", [script_version]).fetchall()
    return [OverrideQuotes(call_id, item_id, verdict, tuple(json.loads(quotes)) if quotes else ())
            for call_id, item_id, verdict, quotes in rows]


def save_operator_teams(db: Database, teams: Mapping[str, str]) -> None:
    with db.write() as cur:
        cur.executemany(
            "INSERT OR REPLACE INTO operator_teams (operator_id, team, updated_at) VALUES (?, ?, now())",
            [[operator_id, team] for operator_id, team in teams.items()],
        )


def stored_calls(db: Database, call_ids: Iterable[str] | None = None) -> Iterator[StoredCall]:
    """Transcribed calls with their segments and words, in call order."""
    with db.read() as cur:
        ids = list(call_ids) if call_ids is not None else [
            row[0] for row in cur.execute("SELECT call_id FROM calls WHERE status = 'done' ORDER BY call_id").fetchall()
        ]
        for call_id in ids:
            call = cur.execute(
                "SELECT operator_channel, language, language_probability, duration_s FROM calls"
                " WHERE call_id = ? AND status = 'done'", [call_id],
            ).fetchone()
            if call is None:
                continue
            words = defaultdict(list)
            for segment_no, start, end, text, probability, channel, speaker in cur.execute(
                    "SELECT segment_no, start_s, end_s, text, probability, channel, speaker FROM words"
                    " WHERE call_id = ? ORDER BY segment_no, word_no", [call_id]).fetchall():
                words[segment_no].append(Word(start, end, text, probability, channel, speaker))
            segments = tuple(
                Segment(start, end, text, channel, tuple(words[no]), speaker, role)
                for no, start, end, text, channel, speaker, role in cur.execute(
                    "SELECT segment_no, start_s, end_s, text, channel, speaker, role FROM segments"
                    " WHERE call_id = ? ORDER BY segment_no", [call_id]).fetchall()
            )
            operator_channel, language, probability, duration = call
            yield StoredCall(call_id, operator_channel,
                             Transcript(language or "ru", probability or 0.0, duration or 0.0, segments))


def automatic_verdicts(db: Database) -> dict[str, dict[str, str]]:
    """{call_id: {item_id: automatic verdict}} of every scored call."""
    verdicts: dict[str, dict[str, str]] = {}
    with db.read() as cur:
        for call_id, item_id, verdict in cur.execute(
                "SELECT call_id, item_id, verdict FROM checklist_verdicts").fetchall():
            verdicts.setdefault(call_id, {})[item_id] = verdict
    return verdicts


def scored_calls(db: Database) -> list[ScoredCall]:
    """Every scored call with the verdicts scorecards count: an analyst's latest override where there is one."""
    with db.read() as cur:
        items = defaultdict(list)
        for call_id, item_id, verdict, weight, critical, overridden in cur.execute(
                "SELECT call_id, item_id, verdict, weight, critical, override_id IS NOT NULL FROM verdicts_in_force"
                " ORDER BY call_id, item_no").fetchall():
            items[call_id].append(ItemOutcome(item_id, verdict, weight, critical, overridden))
        rows = cur.execute(
            "SELECT s.call_id, epoch_us(c.started_at), c.utc_offset_s, c.operator_id, t.team, c.regional_center,"
            " s.script_version FROM call_scores AS s JOIN calls AS c USING (call_id)"
            " LEFT JOIN operator_teams AS t USING (operator_id) ORDER BY c.started_at, s.call_id"
        ).fetchall()
    return [
        ScoredCall(call_id, local_datetime(epoch_us, offset), operator_id, team, centre, version,
                   tuple(items[call_id]))
        for call_id, epoch_us, offset, operator_id, team, centre, version in rows
    ]


def export_fields(db: Database, call_ids: Iterable[str]) -> dict[str, dict]:
    """The export's `checklist`, `metrics` and `score` of each scored call among `call_ids`."""
    ids = list(call_ids)
    if not ids:
        return {}
    with db.read() as cur:
        overrides = {(call_id, item_id): {"verdict": verdict, "reason": reason, "analyst": analyst,
                                          "at": at.isoformat()}
                     for call_id, item_id, verdict, reason, analyst, at in cur.execute(
                         "SELECT o.call_id, o.item_id, o.verdict, o.reason, o.analyst, o.overridden_at"
                         " FROM verdicts_in_force AS v JOIN verdict_overrides AS o USING (override_id)"
                         " WHERE list_contains($ids, v.call_id)", {"ids": ids}).fetchall()}
        checklists: dict[str, dict] = defaultdict(dict)
        for call_id, item_id, automatic, verdict, weight, critical, reason, evidence in cur.execute(
                "SELECT call_id, item_id, automatic_verdict, verdict, weight, critical, reason, evidence"
                " FROM verdicts_in_force WHERE list_contains($ids, call_id) ORDER BY call_id, item_no",
                {"ids": ids}).fetchall():
            checklists[call_id][item_id] = {
                "verdict": verdict, "evidence": json.loads(evidence), "reason": reason, "automatic_verdict": automatic,
                "override": overrides.get((call_id, item_id)), "weight": weight, "critical": critical,
            }
        result = {}
        for call_id, name, version, encoder, total, automatic, critical, metrics, scored_at in cur.execute(
                "SELECT call_id, script_name, script_version, encoder, score, automatic_score, critical_failures,"
                " metrics, scored_at FROM scores_in_force WHERE list_contains($ids, call_id)", {"ids": ids}).fetchall():
            result[call_id] = {
                "checklist": checklists[call_id],
                "metrics": json.loads(metrics),
                "score": {"total": total, "automatic": automatic, "critical_failures": list(critical), "script": name,
                          "script_version": version, "encoder": encoder, "scored_at": scored_at.isoformat()},
            }
    return result


def _put_script(cur, script: ScriptVersion) -> None:
    row = cur.execute("SELECT sha256 FROM scoring_scripts WHERE name = ? AND version = ?",
                      [script.name, script.version]).fetchone()
    if row is None:
        cur.execute("INSERT INTO scoring_scripts (name, version, sha256, content, stored_at) VALUES (?, ?, ?, ?, now())",
                    [script.name, script.version, script.sha256, script.text])
    elif row[0] != script.sha256:
        raise ValueError(f"script {script.name} version {script.version} is already stored with a different text; "
                         "give the edited script a new version")
