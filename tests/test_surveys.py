"""Survey ingestion on a real DuckDB file: validation with reasons, files and drop folders, PII masking,
idempotent re-sends, results that arrive before their call, the HTTP endpoint and the CLI."""
from __future__ import annotations

import csv
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboards.survey_api import create_survey_app, issue_token, survey_router
from demo_calls.generate import write_calls
from demo_calls.surveys import survey_rows
from demo_calls.truth_db import store_truth
from ingest.surveys import MAX_COMMENT_CHARS, parse_payload
from pipelines.cli import main
from pipelines.survey_analysis import weekly_kpis
from pipelines.survey_import import import_path, import_payload
from storage.db import Database
from storage.surveys import revoke_client, stored_rejects, stored_results, survey_counts

GOOD = {"call_id": "call-1", "rating": 4, "resolved": True, "comment": "Спасибо, всё понятно",
        "answered_at": "2025-03-04T10:20:00+03:00"}


@pytest.fixture()
def db(tmp_path):
    with Database(tmp_path / "qc.duckdb") as database:
        yield database


@pytest.mark.parametrize(("change", "reason"), [
    ({"phone": "1"}, "unknown fields: phone"),
    ({"rating": 6}, "rating must be a whole number from 1 to 5"),
    ({"rating": 0}, "rating must be a whole number from 1 to 5"),
    ({"rating": 4.5}, "rating must be a whole number from 1 to 5"),
    ({"rating": True}, "rating must be a whole number from 1 to 5"),
    ({"rating": None}, "rating is required"),
    ({"resolved": "maybe"}, "resolved must be yes or no"),
    ({"answered_at": "вчера"}, "answered_at is not an ISO 8601 time"),
    ({"answered_at": "2025-03-04T10:20:00"}, "answered_at has no UTC offset"),
    ({"answered_at": "2999-01-01T00:00:00+00:00"}, "answered_at is in the future"),
    ({"answered_at": "0001-01-01T00:00:00+05:00"}, "answered_at is before 2000"),
    ({"comment": "ж" * (MAX_COMMENT_CHARS + 1)}, "more than 2000"),
    ({"comment": "null\x00byte"}, "control or unassigned characters"),
    ({"call_id": ""}, "call_id is required"),
    ({"call_id": ["call-1"]}, "call_id must be text"),
])
def test_a_bad_row_is_refused_with_its_reason_and_the_rest_kept(change, reason):
    batch = parse_payload(json.dumps([GOOD, {**GOOD, **change}, {**GOOD, "call_id": "call-2"}]).encode(), "json",
                          "post_call")
    assert [r.call_id for r in batch.results] == ["call-1", "call-2"]
    assert len(batch.rejects) == 1 and batch.rejects[0].row_no == 2
    assert reason in batch.rejects[0].reason


def test_csv_from_a_spreadsheet_semicolons_byte_order_mark_and_russian_yes_no():
    body = ("\ufeffcall_id;rating;resolved;comment;answered_at\n"
            "call-1;5;да;;2025-03-04T10:20:00+03:00\n"
            "call-2;2;нет;\"Долго ждал; не помогли\";2025-03-04T11:00:00Z\n"
            "call-3;3;да;;2025-03-04T11:00:00Z;лишняя ячейка\n").encode()
    batch = parse_payload(body, "csv", "post_call")
    assert [(r.call_id, r.rating, r.resolved, r.comment) for r in batch.results] == [
        ("call-1", 5, True, None), ("call-2", 2, False, "Долго ждал; не помогли")]
    assert batch.rejects[0].row_no == 3 and "more cells than the header" in batch.rejects[0].reason


def test_account_comments_may_name_the_caller_instead_of_a_call():
    rows = [{"caller_id": "c-1", "comment": "Не могу записаться", "answered_at": "2025-03-04T10:00:00+03:00"},
            {"caller_id": "c-1", "answered_at": "2025-03-04T10:00:00+03:00"},
            {"comment": "без адресата", "answered_at": "2025-03-04T10:00:00+03:00"}]
    batch = parse_payload(json.dumps(rows).encode(), "json", "account_comment")
    assert [(r.caller_id, r.call_id, r.rating) for r in batch.results] == [("c-1", None, None)]
    assert [r.reason for r in batch.rejects] == ["comment is required for a personal-account comment",
                                                 "a comment needs a call_id or a caller_id"]


def test_comments_and_refused_rows_are_stored_with_pii_masked(db):
    phone, name = "+7 916 587-09-20", "Яковлева Елена Юрьевна"
    rows = [{**GOOD, "comment": f"Не помогли. Меня зовут {name}, перезвоните мне: {phone}."},
            {**GOOD, "call_id": "call-2", "phone": phone},
            {**GOOD, "call_id": "call-3", "rating": name}]
    stored = import_payload(db, json.dumps(rows, ensure_ascii=False).encode(), "json", "post_call", "test")
    assert (stored.accepted, stored.rejected) == (1, 2)
    (result,) = stored_results(db)
    comment = result[6]
    assert comment.startswith("Не помогли.") and "[телефон]" in comment
    assert "Яковлева" not in comment and "587" not in comment
    (_, row_no, raw, reason) = stored_rejects(db)[0]
    assert row_no == 2 and reason == "unknown fields: phone"
    assert "587" not in raw and json.loads(raw)["call_id"] == "call-2"  # the fields to fix stay readable
    assert json.loads(raw)["answered_at"] == GOOD["answered_at"]
    (_, _, raw, reason) = stored_rejects(db)[1]
    assert "Яковлева" not in raw + reason and reason.endswith("got a value of 22 characters")


def test_a_drop_folder_is_imported_once_whatever_is_sent_again(db, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    rows = [GOOD, {**GOOD, "call_id": "call-2", "rating": 9}, {**GOOD, "call_id": "call-3", "resolved": "no"}]
    (drop / "a.json").write_text(json.dumps(rows), encoding="utf-8")
    (drop / "b.csv").write_text("call_id,rating,resolved,answered_at\ncall-4,1,no,2025-03-05T09:00:00+03:00\n",
                                encoding="utf-8")
    (drop / "broken.json").write_text("[{\"call_id\": ", encoding="utf-8")
    (drop / "notes.txt").write_text("not a survey file", encoding="utf-8")

    first = {i.source_path.name: i for i in import_path(db, drop, "post_call")}
    assert {n: (i.stored.accepted, i.stored.duplicates, i.stored.rejected) for n, i in first.items()} == {
        "a.json": (2, 0, 1), "b.csv": (1, 0, 0), "broken.json": (0, 0, 1)}
    assert first["a.json"].moved_to == drop / "done" / "a.json"
    assert first["broken.json"].moved_to == drop / "rejected" / "broken.json"
    assert "not valid JSON" in first["broken.json"].stored.rejects[0].reason
    with first["a.json"].report.open(encoding="utf-8") as report:
        assert list(csv.reader(report))[1][:2] == ["2", "rating must be a whole number from 1 to 5, got 9"]
    assert sorted(p.name for p in drop.iterdir()) == ["done", "notes.txt", "rejected"]

    (drop / "a.json").write_text(json.dumps(rows), encoding="utf-8")  # the survey system sends it again
    (again,) = import_path(db, drop / "a.json", "post_call")
    assert (again.stored.accepted, again.stored.duplicates, again.stored.rejected) == (0, 2, 1)
    assert again.moved_to.parent == drop / "done" and again.moved_to.name != "a.json"
    counts = survey_counts(db)
    assert (counts.results, counts.rejects, counts.batches) == (3, 2, 4)


@pytest.mark.slow
def test_results_that_arrive_before_their_call_join_it_when_it_is_stored(db):
    scripts = write_calls(24, seed=5)
    rows = survey_rows(scripts, seed=5, response_share=1.0)
    stored = import_payload(db, json.dumps(rows, ensure_ascii=False).encode(), "json", "post_call", "early")
    assert stored.accepted == len(rows) and stored.rejected == 0
    assert survey_counts(db).waiting_for_call == len(rows)
    assert weekly_kpis(db) == []

    store_truth(db, scripts)
    assert survey_counts(db).waiting_for_call == 0
    kpis = weekly_kpis(db)
    assert sum(k.survey_responses for k in kpis) == len(rows)
    assert sum(k.mean_rating * k.survey_responses for k in kpis if k.survey_responses) == pytest.approx(
        sum(r["rating"] for r in rows))


def _post(client, body, token, content_type="application/json", source=None):
    return client.post("/api/surveys" + (f"?source={source}" if source else ""), content=body,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})


def test_the_endpoint_takes_results_from_known_clients_only(db):
    app = FastAPI()
    app.include_router(survey_router(db, import_payload, max_body_bytes=2000))
    client = TestClient(app)
    token = issue_token(db, "ivr-survey")
    body = json.dumps([GOOD, {**GOOD, "call_id": "call-2", "rating": "five"}]).encode()

    assert client.post("/api/surveys", content=body, headers={"Content-Type": "application/json"}).status_code == 401
    assert _post(client, body, "wrong-token").status_code == 401
    first = _post(client, body, token)
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("accepted", "duplicates", "rejected")} == {
        "accepted": 1, "duplicates": 0, "rejected": 1}
    assert first.json()["rejects"] == [{"row": 2, "reason": "rating must be a whole number from 1 to 5, "
                                                           "got 'five'"}]
    again = _post(client, body, token)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)

    csv_body = b"call_id,rating,resolved,answered_at\ncall-9,2,no,2025-03-05T09:00:00+03:00\n"
    assert _post(client, csv_body, token, "text/csv; charset=utf-8").json()["accepted"] == 1
    assert _post(client, b"[{", token).status_code == 400
    assert _post(client, body, token, "text/plain").status_code == 415
    assert _post(client, body, token, source="newsletter").status_code == 422
    assert _post(client, b"[" + b" " * 3000 + b"]", token).status_code == 413
    chunked = iter([b"[", b" " * 3000, b"]"])  # no declared length: counted as it arrives
    assert _post(client, chunked, token).status_code == 413
    assert stored_rejects(db)[-1][0] == "http:ivr-survey"

    revoke_client(db, "ivr-survey")
    assert _post(client, body, token).status_code == 401
    assert survey_counts(db).results == 2


def test_the_standalone_app_opens_and_closes_its_database(tmp_path):
    path = tmp_path / "qc.duckdb"
    with Database(path) as db:
        token = issue_token(db, "portal")
    comment = {"call_id": "call-1", "comment": "Спасибо", "answered_at": "2025-03-04T10:00:00+03:00"}
    with TestClient(create_survey_app(path, import_payload)) as client:
        response = _post(client, json.dumps([comment]).encode(), token, source="account_comment")
        assert response.json()["accepted"] == 1
    with Database(path) as db:
        assert [r[1:4] for r in stored_results(db)] == [("account_comment", "call-1", None)]


@pytest.mark.slow
def test_cli_adds_a_client_and_imports_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    db_path, drop = tmp_path / "qc.duckdb", tmp_path / "drop"
    drop.mkdir()
    (drop / "day.json").write_text(json.dumps([GOOD, {**GOOD, "rating": 0}]), encoding="utf-8")
    assert main(["survey-clients", "add", "--db", str(db_path), "ivr"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(token) >= 40
    assert main(["survey-clients", "add", "--db", str(db_path), "ivr"]) == 2
    assert "already exists" in capsys.readouterr().err

    assert main(["surveys", "import", "--db", str(db_path), "--no-progress", str(drop)]) == 0
    out = capsys.readouterr().out
    assert "day.json: принято 1, уже было 0, отклонено 1" in out
    assert "строка 2: rating must be a whole number from 1 to 5, got 0" in out  # the importer's reason, as stored
    assert (drop / "done" / "day.json.rejects.csv").exists()
    with Database(db_path) as db:
        assert survey_counts(db).results == 1


def test_archived_survey_files_hold_no_caller_id_name_or_phone_and_reports_run_no_formulas(db, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    said = "Меня зовут Яковлева Ирина Петровна, телефон 8 916 123-45-67, перезвоните"
    rows = [{**GOOD, "caller_id": "c-5e5e5e5e5e5e", "comment": said, "phone": "+7 916 123-45-67"},
            {**GOOD, "call_id": "call-9", "caller_id": "c-5e5e5e5e5e5e", "rating": "=HYPERLINK(\"http://x\")"}]
    (drop / "a.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    (drop / "b.csv").write_text("call_id,caller_id,rating,resolved,answered_at,comment\n"
                                f"call-4,c-5e5e5e5e5e5e,1,no,2025-03-05T09:00:00+03:00,\"{said}\"\n"
                                "call-5,c-5e5e5e5e5e5e,@SUM(A1),no,2025-03-05T09:00:00+03:00,-1+1\n",
                                encoding="utf-8")
    imports = {i.source_path.name: i for i in import_path(db, drop, "post_call")}
    archived = {name: i.moved_to.read_text(encoding="utf-8") for name, i in imports.items()}
    for name, text in archived.items():
        for trace in ("c-5e5e5e5e5e5e", "Яковлева", "916", "123-45-67"):
            assert trace not in text, (name, trace)
    assert "call-4" in archived["b.csv"] and "[caller id]" in archived["a.json"]
    assert not (drop / "a.json").exists() and not (drop / "b.csv").exists()
    for name in ("a.json", "b.csv"):
        with imports[name].report.open(encoding="utf-8") as report:
            cells = [cell for row in csv.reader(report) for cell in row]
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    with imports["b.csv"].moved_to.open(encoding="utf-8") as archive:
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in csv.reader(archive) for cell in row)


def test_json_nested_100000_deep_is_a_400_not_a_500(db):
    app = FastAPI()
    app.include_router(survey_router(db, import_payload))
    client = TestClient(app, raise_server_exceptions=False)
    token = issue_token(db, "deep-nesting")
    response = _post(client, b"[" * 100_000 + b"]" * 100_000, token)
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]["reason"]
