"""The personal-data commands end to end on a real database file and recordings folder."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pipelines.cli import main  # noqa: E402
from storage import audit  # noqa: E402
from storage.db import Database  # noqa: E402
from test_privacy_storage import CALLER_A, NAME_A, PHONE_A, _two_callers  # noqa: E402

pytestmark = pytest.mark.slow  # runs the privacy commands as processes on a stored database


@pytest.fixture(autouse=True)
def russian(monkeypatch):
    """The commands speak Russian, whatever the test machine's LANG."""
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")


@pytest.fixture
def stored(tmp_path) -> tuple[Path, Path]:
    """A database file holding two callers' calls, and the recordings folder beside it."""
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    db_path = tmp_path / "qc.duckdb"
    with Database(db_path) as db:
        _two_callers(db, recordings)
    return db_path, recordings


def test_erase_caller_prints_its_proof(stored, capsys):
    db_path, recordings = stored
    code = main(["erase-caller", "--db", str(db_path), "--caller-id", CALLER_A, "--recordings", str(recordings),
                 "--also", NAME_A, "--actor", "admin"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "удалено для caller sha256:" in out and "звонков 2, файлов 6" in out  # with the never-processed recording
    assert "проверка: следов не найдено" in out
    assert CALLER_A not in out and NAME_A not in out  # the proof names what it searched by label only
    with Database(db_path) as db:
        assert audit.entries(db, action="erasure")[0].actor == "admin"


def test_correct_caller_prints_its_proof_and_names_no_value(stored, capsys):
    db_path, recordings = stored
    new = ("c-cccc55556666", "Никулаева Вера Юрьевна", "+7 916 555-98-76")
    code = main(["correct-caller", "--db", str(db_path), "--caller-id", CALLER_A, "--recordings", str(recordings),
                 "--replace", CALLER_A, "--with", new[0], "--replace", NAME_A, "--with", new[1],
                 "--replace", PHONE_A, "--with", new[2], "--actor", "admin"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "исправлено для caller sha256:" in out and "звонков 2" in out and "sidecars" in out
    assert "correction #3: исправлено" in out
    assert "проверка: старых значений в записях звонящего нет, новые на месте" in out
    assert not any(v in out for v in (CALLER_A, NAME_A, PHONE_A, *new))
    with Database(db_path) as db, db.read() as cur:
        assert cur.execute("SELECT count(*) FROM calls WHERE caller_id = ?", [new[0]]).fetchone() == (2,)
        assert audit.entries(db, action="correction")[0].actor == "admin"
    # the old id is no caller any more: nothing to correct, and the proof still runs
    assert main(["correct-caller", "--db", str(db_path), "--caller-id", CALLER_A, "--replace", NAME_A,
                 "--with", new[1]]) == 0
    assert "звонков 0" in capsys.readouterr().out
    assert main(["correct-caller", "--db", str(db_path), "--caller-id", new[0], "--replace", NAME_A,
                 "--replace", PHONE_A, "--with", new[1]]) == 2
    assert "для каждого --replace СТАРОЕ укажите --with НОВОЕ" in capsys.readouterr().err


def test_retention_purge_and_clear_errors(stored, tmp_path, capsys):
    db_path, recordings = stored
    assert main(["retention", "purge", "--db", str(db_path), "--older-than", "30", "--recordings",
                 str(recordings)]) == 0
    out = capsys.readouterr().out
    assert "UTC: 3;" in out and "удалено файлов: 6" in out
    assert sorted(p.name for p in recordings.iterdir()) == ["late.enc", "late.json"]  # never processed: kept
    with Database(db_path) as db, db.read() as cur:
        assert cur.execute("SELECT count(*) FROM segments").fetchone() == (0,)
        assert cur.execute("SELECT count(*) FROM calls").fetchone() == (3,)

    assert main(["retention", "purge", "--db", str(tmp_path / "missing.duckdb"), "--older-than", "30"]) == 2
    assert main(["erase-caller", "--db", str(db_path), "--caller-id", CALLER_A, "--recordings",
                 str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "missing.duckdb нет" in err and "nowhere does not exist" in err


def test_audit_list_and_verify(tmp_path, capsys):
    import duckdb

    db_path = tmp_path / "qc.duckdb"
    with Database(db_path) as db:
        audit.record(db, "anna", "sign_in")
        audit.record(db, "anna", "call_view", "call-7")
    assert main(["audit", "list", "--db", str(db_path), "--action", "call_view"]) == 0
    out = capsys.readouterr().out
    assert "call_view" in out and "call-7" in out and "sign_in" not in out
    assert main(["audit", "verify", "--db", str(db_path)]) == 0
    assert "журнал аудита цел" in capsys.readouterr().out
    con = duckdb.connect(str(db_path))
    con.execute("UPDATE audit_log SET target = 'call-8' WHERE target = 'call-7'")
    con.close()
    assert main(["audit", "verify", "--db", str(db_path)]) == 1
    assert "ИЗМЕНЁН" in capsys.readouterr().out


def test_the_cli_offers_every_audit_action():
    from pipelines.cli_privacy import AUDIT_ACTIONS

    assert AUDIT_ACTIONS == audit.ACTIONS


def test_redact_stored_masks_a_database_filled_before_redaction(tmp_path, capsys):
    import json

    from storage.pii import pii_spans
    from storage.search import search

    recordings = tmp_path / "recordings"
    recordings.mkdir()
    db_path = tmp_path / "qc.duckdb"
    with Database(db_path) as db:
        _two_callers(db, recordings)
        with db.write() as cur:
            cur.execute("UPDATE complaints SET text = ? WHERE call_id = 'call-a1'",
                        [f"Я {NAME_A}, не приходит пособие."])
            cur.execute("INSERT INTO checklist_verdicts (call_id, item_id, item_no, verdict, weight, critical, reason,"
                        " evidence) VALUES ('call-a1', 'identification', 3, 'passed', 1, false,"
                        " 'asked', ?)", [json.dumps([{"start": 1.0, "end": 2.0, "speaker": "caller",
                                                      "quote": f"{NAME_A}, мой телефон", "method": "phrase"}],
                                                    ensure_ascii=False)])
    assert NAME_A.encode() in db_path.read_bytes()

    assert main(["redact-stored", "--db", str(db_path), "--no-progress"]) == 0
    assert "обезличено расшифровок: 3" in capsys.readouterr().out
    assert NAME_A.encode() not in db_path.read_bytes()
    with Database(db_path) as db, db.read() as cur:
        texts = [t for (t,) in cur.execute(
            "SELECT text FROM segments UNION ALL SELECT text FROM words UNION ALL SELECT text FROM complaints"
            " UNION ALL SELECT CAST(evidence AS VARCHAR) FROM checklist_verdicts"
            " UNION ALL SELECT quote FROM complaint_clusters").fetchall()]
        assert not [t for t in texts if "Николаева" in t or "555" in t]
        assert any("[ФИО]" in t for t in texts) and any("[телефон]" in t for t in texts)
        assert {s.kind for s in pii_spans(db, "call-a1")} == {"name", "phone"}
        assert {h.call_id for h in search(db, "пособие")} == {"call-a1", "call-a2", "call-b1"}
