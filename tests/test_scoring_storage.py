"""Scores in a real DuckDB file: storing with the script version, overrides beside verdicts, re-scoring."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from asr.records import Segment, Transcript
from ingest.metadata import CallMetadata
from pipelines.cli import main
from pipelines.rescore import rescore
from scoring.encoder import shared_encoder
from scoring.scorecard import scorecards, worst_items
from scoring.script import default_script_path, load_script
from storage.calls import save_call
from storage.db import Database
from storage.records import RecordingInfo
from storage.scores import (export_fields, override_verdict, overrides, overrides_in_force, save_operator_teams,
                            save_script, scored_calls)

pytestmark = pytest.mark.slow  # scores calls with the sentence encoder and re-scores them

TURNS = (
    (0, "Здравствуйте, горячая линия госуслуг. Меня зовут Анна. Чем могу помочь?"),
    (1, "Мне нужна справка о размере пенсии, как её заказать через портал?"),
    (0, "Справку можно заказать на портале: в поиске наберите справка о размере пенсии и нажмите получить."),
    (1, "Спасибо, всё понятно."),
    (0, "Спасибо за обращение, всего доброго!"),
)


def store_call(db: Database, call_id: str, turns: tuple[tuple[int, str], ...] = TURNS) -> None:
    segments, at = [], 0.5
    for channel, text in turns:
        length = 0.35 * len(text.split())
        segments.append(Segment(at, at + length, text, channel=channel))
        at += length + 0.6
    metadata = CallMetadata(call_id=call_id, started_at=datetime.fromisoformat("2025-03-04T10:00:00+03:00"),
                            operator_id="op-01", regional_center="Москва", channels="stereo", operator_channel=0)
    recording = RecordingInfo(hashlib.sha256(call_id.encode()).hexdigest(), Path(f"/in/{call_id}.enc"), 1000)
    save_call(db, "run-1", metadata, recording, Transcript("ru", 1.0, at, tuple(segments)))


@pytest.fixture()
def db(tmp_path):
    with Database(tmp_path / "qc.duckdb") as database:
        store_call(database, "call-1")
        yield database


def test_rescore_stores_verdicts_with_evidence_and_script_version(db):
    summary = rescore(db, encoder=shared_encoder())
    assert summary.calls_scored == 1 and summary.script_version == load_script().version
    fields = export_fields(db, ["call-1"])["call-1"]
    greeting = fields["checklist"]["greeting"]
    assert greeting["verdict"] == "passed" and greeting["override"] is None
    assert greeting["evidence"][0]["quote"] == "Здравствуйте, горячая линия госуслуг."
    assert set(greeting["evidence"][0]) == {"start", "end", "speaker", "quote", "method"}
    assert fields["checklist"]["consent"]["verdict"] == "failed"
    assert fields["checklist"]["identification"]["verdict"] == "not_applicable"
    assert fields["score"]["script_version"] == load_script().version
    assert fields["score"]["total"] == fields["score"]["automatic"] < 100
    assert fields["metrics"]["time_to_operator_s"] == 0.5


def test_override_is_stored_beside_the_verdict_and_used_by_scorecards(db):
    rescore(db, encoder=shared_encoder())
    before = scored_calls(db)[0].score
    stored = override_verdict(db, "call-1", "consent", "passed", reason="recording notice played by the IVR",
                              analyst="k.ivanova")
    assert stored.automatic_verdict == "failed" and stored.analyst == "k.ivanova"
    checklist = export_fields(db, ["call-1"])["call-1"]["checklist"]["consent"]
    assert checklist["verdict"] == "passed" and checklist["automatic_verdict"] == "failed"
    assert checklist["override"]["reason"] == "recording notice played by the IVR"
    call = scored_calls(db)[0]
    assert call.score > before and next(i for i in call.items if i.item_id == "consent").overridden
    save_operator_teams(db, {"op-01": "first line"})
    (row,) = scorecards(scored_calls(db), by="team", period="month")
    assert (row.group, row.calls, row.mean_score) == ("first line", 1, call.score)
    assert "consent" not in [w.item_id for w in worst_items(scored_calls(db))["op-01"]]
    with pytest.raises(ValueError, match="reason"):
        override_verdict(db, "call-1", "consent", "passed", reason=" ", analyst="k.ivanova")
    with pytest.raises(KeyError):
        override_verdict(db, "call-1", "no_such_item", "passed", reason="x", analyst="k.ivanova")


def test_rescoring_learns_from_the_overrides_of_its_script_version(db):
    rude = "Раньше надо было думать, а не звонить теперь."
    store_call(db, "call-2", TURNS[:3] + ((0, rude),) + TURNS[3:])
    rescore(db, encoder=shared_encoder())
    before = export_fields(db, ["call-2"])["call-2"]["checklist"]["no_forbidden_phrases"]
    assert before["verdict"] == "passed"  # the script's examples alone do not recognise this one
    stored = override_verdict(db, "call-2", "no_forbidden_phrases", "failed", reason="blames the caller",
                              analyst="k.ivanova", quotes=[rude])
    assert stored.automatic_verdict == "passed"
    summary = rescore(db, encoder=shared_encoder())
    assert summary.taught >= 1
    # the corrected item's automatic verdict agreed with the analyst on none of its calls before, on all after
    assert [(a.item_id, a.overrides, a.before, a.after) for a in summary.agreement] == [("no_forbidden_phrases", 1, 0, 1)]
    after = export_fields(db, ["call-2"])["call-2"]["checklist"]["no_forbidden_phrases"]
    assert after["automatic_verdict"] == "failed" and after["evidence"][0]["quote"] == rude
    assert export_fields(db, ["call-1"])["call-1"]["checklist"]["no_forbidden_phrases"]["automatic_verdict"] == "passed"


def test_the_score_command_shows_what_the_overrides_taught(tmp_path, capsys):
    path = tmp_path / "qc.duckdb"
    rude = "Раньше надо было думать, а не звонить теперь."
    with Database(path) as db:
        store_call(db, "call-1")
        store_call(db, "call-2", TURNS[:3] + ((0, rude),) + TURNS[3:])
        rescore(db, encoder=shared_encoder())
        override_verdict(db, "call-2", "no_forbidden_phrases", "failed", reason="blames the caller",
                         analyst="k.ivanova", quotes=[rude])
    assert main(["--lang", "ru", "score", "--db", str(path), "--no-progress"]) == 0
    said = capsys.readouterr().out
    assert f"оценено 2 звонка по скрипту hotline-default {load_script().version}" in said
    assert "Без запрещённых фраз: 0/1 → 1/1" in said


def test_an_override_keeps_the_quotes_it_is_about(db):
    rescore(db, encoder=shared_encoder())
    override_verdict(db, "call-1", "greeting", "failed", reason="no salutation heard", analyst="k.ivanova")
    (kept,) = overrides_in_force(db, load_script().version)
    assert kept.item_id == "greeting" and kept.verdict == "failed"
    assert kept.quotes == ("Здравствуйте, горячая линия госуслуг.",)  # the automatic evidence at the time
    assert overrides_in_force(db, "another-version") == []


def test_rescoring_with_a_new_script_version_keeps_overrides(db, tmp_path):
    rescore(db, encoder=shared_encoder())
    override_verdict(db, "call-1", "consent", "passed", reason="IVR notice", analyst="k.ivanova")
    text = default_script_path().read_text(encoding="utf-8")
    edited = tmp_path / "script-v2.yaml"
    edited.write_text(text.replace(f'version: "{load_script().version}"', 'version: "2027.01.1"')
                      .replace("    weight: 20\n", "    weight: 40\n"), encoding="utf-8")
    summary = rescore(db, edited, encoder=shared_encoder())
    assert summary.script_version == "2027.01.1" and summary.calls_scored == 1
    fields = export_fields(db, ["call-1"])["call-1"]
    assert fields["score"]["script_version"] == "2027.01.1"
    assert fields["checklist"]["information"]["weight"] == 40
    assert fields["checklist"]["consent"]["verdict"] == "passed"  # the override still stands
    assert [o.script_version for o in overrides(db, "call-1")] == [load_script().version]
    with db.read() as cur:
        versions = cur.execute("SELECT version FROM scoring_scripts ORDER BY version").fetchall()
    assert versions == [(load_script().version,), ("2027.01.1",)]
    # the same version with different text is refused: a version must name one checklist
    edited.write_text(edited.read_text(encoding="utf-8").replace("    weight: 40\n", "    weight: 30\n"),
                      encoding="utf-8")
    with pytest.raises(ValueError, match="new version"):
        save_script(db, load_script(edited))
