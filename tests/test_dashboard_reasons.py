"""The call page shows each verdict's reason in the reader's language: stored by the real scorer as catalogue
messages with their values, and as the English text stored before them where a verdict has no messages."""
from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from dashboards.app import create_app
from dashboards.auth import create_user
from pipelines.rescore import rescore
from scoring.encoder import shared_encoder
from storage.db import Database
from storage.scores import export_fields
from storage.users import set_language
from test_scoring_storage import store_call

pytestmark = pytest.mark.slow  # scores a call with the sentence encoder

PASSWORD = "reader-pass-1"
_REASON = re.compile(r'<article class="item" id="item-([^"]+)">.*?<p class="reason">(.*?)</p>', re.DOTALL)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with Database(tmp_path_factory.mktemp("reasons") / "qc.duckdb") as database:
        store_call(database, "call-1")
        rescore(database, encoder=shared_encoder())
        create_user(database, "reader-ru", PASSWORD, "analyst")
        create_user(database, "reader-en", PASSWORD, "analyst")
        set_language(database, "reader-en", "en")
        yield database


def reasons_on_the_call_page(db: Database, user: str) -> dict[str, str]:
    client = TestClient(create_app(db), follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    assert client.post("/login", data={"name": user, "password": PASSWORD, "csrf_token": token}).status_code == 303
    page = client.get("/calls/call-1")
    assert page.status_code == 200
    return {item_id: html.unescape(reason) for item_id, reason in _REASON.findall(page.text)}


def stored_reasons(db: Database) -> dict[str, str]:
    checklist = export_fields(db, ["call-1"])["call-1"]["checklist"]
    return {item_id: fields["reason"] for item_id, fields in checklist.items()}


def test_the_reasons_are_russian_by_default_and_english_for_an_english_reader(db):
    stored = stored_reasons(db)
    russian, english = reasons_on_the_call_page(db, "reader-ru"), reasons_on_the_call_page(db, "reader-en")
    assert set(russian) == set(english) == set(stored)
    assert english == stored  # the English page reads as the export
    assert stored["greeting"] == "said at 0.5 s" and russian["greeting"] == "сказано на 0,5 с"
    for item_id, reason in russian.items():
        assert re.search("[а-яё]", reason), (item_id, reason)
        assert reason != stored[item_id]


def test_a_verdict_stored_without_its_messages_shows_the_stored_english_reason(db):
    with db.write() as cur:
        cur.execute("UPDATE checklist_verdicts SET reason_messages = NULL"
                    " WHERE call_id = 'call-1' AND item_id = 'greeting'")
    russian = reasons_on_the_call_page(db, "reader-ru")
    assert russian["greeting"] == "said at 0.5 s"
    assert russian["operator_name"] != stored_reasons(db)["operator_name"]
