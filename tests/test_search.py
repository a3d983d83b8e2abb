from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from asr.records import Segment, Transcript
from ingest.metadata import CallMetadata
from storage.calls import save_call, start_run
from storage.db import Database
from storage.records import RecordingInfo
from storage.search import MatchedSegment, ensure_index, rebuild_index, search

REPO = Path(__file__).resolve().parents[1]


def save(db: Database, run_id: str, call_id: str, *texts: str, operator_id: str = "op-1") -> None:
    meta = CallMetadata(call_id=call_id, started_at=datetime.fromisoformat("2024-05-01T10:00:00+03:00"),
                        operator_id=operator_id)
    rec = RecordingInfo(hashlib.sha256(call_id.encode()).hexdigest(), Path(f"/incoming/{call_id}.enc"), 1000)
    segments = tuple(Segment(i * 5.0, i * 5.0 + 4.0, text) for i, text in enumerate(texts))
    save_call(db, run_id, meta, rec, Transcript("ru", 0.98, 5.0 * len(texts), segments))


@pytest.fixture
def db(tmp_path):
    with Database(tmp_path / "qc.duckdb") as database:
        run_id = start_run(database, "0.1.0", "whisper-base", {})
        save(database, run_id, "login", "Здравствуйте, горячая линия госуслуг.",
             "Не могу войти, пишет ошибка авторизации.", "Попробуйте сбросить пароль.", operator_id="op-7")
        save(database, run_id, "receipt", "Мне пришла квитанция с ошибкой в фамилии.")
        save(database, run_id, "hello", "Добрый день, чем могу помочь?")
        rebuild_index(database)
        yield database


@pytest.mark.parametrize("query", ["ошибка авторизации", "ошибки авторизацией", "ОШИБКУ АВТОРИЗАЦИИ"])
def test_russian_word_forms_match(db, query):
    hits = search(db, query)
    assert [h.call_id for h in hits] == ["login", "receipt"]  # авторизац* only in login
    best = hits[0]
    assert best.operator_id == "op-7"
    assert best.started_at == datetime.fromisoformat("2024-05-01T10:00:00+03:00")
    assert best.segments[0] == MatchedSegment(5.0, 9.0, "Не могу войти, пишет ошибка авторизации.")
    assert best.score > hits[1].score > 0


def test_best_segments_come_first_and_are_capped(db):
    [hit] = search(db, "могу", segments_per_call=1, limit=1)
    assert len(hit.segments) == 1
    assert len(search(db, "могу")) == 2
    assert search(db, "телепортация") == []


@pytest.mark.parametrize("query", [
    "' OR 1=1 --",
    "'); DROP TABLE segments; --",
    'ошибка"; DELETE FROM calls; --',
    "$query",
    "?",
])
def test_user_input_is_never_sql(db, query):
    hits = search(db, query)
    assert all(h.call_id in {"login", "receipt", "hello"} for h in hits)
    assert [h.call_id for h in search(db, "ошибка авторизации")] == ["login", "receipt"]
    with db.read() as cur:
        assert cur.execute("SELECT count(*) FROM calls").fetchone()[0] == 3


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused(db, query):
    with pytest.raises(ValueError, match="empty"):
        search(db, query)


def test_new_calls_are_found_without_an_explicit_rebuild(db):
    assert search(db, "паспорт") == []
    run_id = start_run(db, "0.1.0", "whisper-base", {})
    save(db, run_id, "passport", "Как заменить паспорт после смены фамилии?")
    assert [h.call_id for h in search(db, "паспорта")] == ["passport"]

    save(db, run_id, "passport", "Вопрос про пенсию.")  # re-run replaced the transcript
    assert search(db, "паспорт") == []
    assert [h.call_id for h in search(db, "пенсии")] == ["passport"]


def test_index_is_not_rebuilt_while_nothing_changed(db):
    with db.read() as cur:
        before = cur.execute("SELECT segments_version, indexed_version FROM search_index_state").fetchone()
    search(db, "ошибка")
    ensure_index(db)
    with db.read() as cur:
        after = cur.execute("SELECT segments_version, indexed_version FROM search_index_state").fetchone()
    assert before == after == (before[0], before[0])


_CHILD = """
import json, sys
from datetime import datetime, timezone
from pathlib import Path
from asr.records import Segment, Transcript
from ingest.metadata import CallMetadata
from storage.calls import save_call, start_run
from storage.db import Database
from storage.records import RecordingInfo
from storage.search import search
with Database(Path(sys.argv[1]) / "qc.duckdb") as db:
    save_call(
        db,
        start_run(db, "0.1.0", "whisper-base", {}),
        CallMetadata("c1", datetime(2024, 5, 1, tzinfo=timezone.utc)),
        RecordingInfo("0" * 64, Path("/incoming/c1.enc"), 1000),
        Transcript("ru", 0.9, 4.0, (Segment(0.0, 4.0, "Не могу войти, пишет ошибка авторизации."),)),
    )
    print(json.dumps([h.call_id for h in search(db, "ошибки авторизацией")]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("home", ["unset", "set"])
def test_fts_loads_without_touching_home(tmp_path, home):
    env = {k: v for k, v in os.environ.items() if k not in {"HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"}}
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    if home == "set":
        env["HOME"] = str(fake_home)
    data = tmp_path / "data"
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(data)], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["c1"]
    assert sorted(p.name for p in data.iterdir()) == ["qc.duckdb"]
    assert list(fake_home.iterdir()) == []
