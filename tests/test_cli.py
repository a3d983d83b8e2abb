"""The `hotline-qc` command as a user runs it: a real process, real files, real output."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest

from conftest import eval_file
from inbox import deliver, sidecar

ROOT = Path(__file__).resolve().parents[1]
HQC = str(Path(sys.executable).with_name("hotline-qc"))
DIALOGUE = "audio_tts_ru/dialogue_rhv_8k.flac"
pytestmark = pytest.mark.model


def hqc(*args, env=None, check=True, timeout=300):
    # the hotline's machines run in Russian whatever the test machine's locale
    done = subprocess.run([HQC, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, "LANG": "ru_RU.UTF-8", **(env or {})})
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "keys"
    out = hqc("keys", "new", "--out", folder).stdout
    public, private = sorted(folder.glob("*.pub.pem")), sorted(folder.glob("*.key.pem"))
    assert len(public) == len(private) == 1 and public[0].name.split(".")[0] in out
    return folder, public[0], private[0]


def test_keys_new_keeps_the_private_key_to_its_owner(keys):
    folder, public, private = keys
    assert private.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE" not in public.read_bytes()


def test_rsa_keys_work_too(tmp_path):
    hqc("keys", "new", "--out", tmp_path, "--algorithm", "rsa")
    public = next(tmp_path.glob("*.pub.pem"))
    hqc("encrypt", "--public-key", public, "--in", eval_file(DIALOGUE), "--out", tmp_path / "inbox" / "r.enc")
    (tmp_path / "inbox" / "r.json").write_text(json.dumps(sidecar("r", language="ru")))
    out = hqc("process", tmp_path / "inbox", "--db", tmp_path / "qc.duckdb", "--keys", tmp_path, "--no-progress").stdout
    assert "обработано 1, с ошибкой 0" in out


def test_private_key_readable_by_others_is_refused(keys, tmp_path):
    folder, public, private = keys
    loose = tmp_path / private.name
    loose.write_bytes(private.read_bytes())
    loose.chmod(0o644)
    deliver(tmp_path / "inbox", "x", public, eval_file(DIALOGUE), sidecar("x"))
    done = hqc("process", tmp_path / "inbox", "--db", tmp_path / "qc.duckdb", "--keys", loose, check=False)
    assert done.returncode == 2
    assert "chmod 600" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / "inbox" / "x.enc").exists()


def test_encrypt_process_export_search(keys, tmp_path):
    folder, public, _ = keys
    inbox = tmp_path / "inbox"
    hqc("encrypt", "--public-key", public, "--in", eval_file(DIALOGUE), "--out", inbox / "call-1.enc")
    (inbox / "call-1.json").write_text(json.dumps(sidecar("call-1", operator_id="op-7", language="ru")))
    db = tmp_path / "qc.duckdb"
    out = hqc("process", inbox, "--db", db, "--keys", folder, "--no-progress").stdout
    assert "звонков всего 1: обработано 1, с ошибкой 0, пропущено 0" in out and str(db) in out
    hqc("export", "--db", db, "--out", tmp_path / "calls.jsonl")
    (call,) = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert call["call_id"] == "call-1" and call["status"] == "done" and call["operator_id"] == "op-7"
    # «кабинет» is heard on every instruction set; the query's form is not the one said
    found = hqc("search", "--db", db, "личного кабинета").stdout
    assert "call-1" in found and "кабинет" in found
    assert "звонков не найдено" in hqc("search", "--db", db, "пенсия").stdout


def test_score_transcript_prints_one_json_object_for_a_call_given_as_turns():
    path = eval_file("dialogues_independent/d05.json")
    call = json.loads(path.read_text(encoding="utf-8"))
    out = hqc("score-transcript", path).stdout
    scored = json.loads(out)  # the whole of stdout is one JSON object
    from scoring.script import load_script

    items = [i.item_id for i in load_script().items]
    assert list(scored["checklist"]) == items and len(items) == 12
    said = " ".join(t["text"] for t in call["turns"])
    for item in scored["checklist"].values():
        assert set(item) == {"verdict", "evidence", "reason", "automatic_verdict", "override", "weight", "critical"}
        assert item["verdict"] in ("passed", "failed", "not_applicable") and item["reason"]
        for evidence in item["evidence"]:
            # quotes are of the redacted call, as the flow stores them: «[ФИО]» stands for a name said there
            said_there = ".+?".join(map(re.escape, re.split(r"\[[^\]]+\]", evidence["quote"])))
            assert re.search(said_there, said) and 0 <= evidence["start"] < evidence["end"]
    # the call has a specialist after a transfer: the transfer item applies and the metrics count it
    assert scored["checklist"]["transfer_explained"]["verdict"] != "not_applicable"
    assert scored["metrics"]["transfers"] >= 1 and scored["metrics"]["duration_s"] > 0
    assert scored["topic"]["topic"] and scored["topic"]["complaint"]
    bad = hqc("score-transcript", ROOT / "pyproject.toml", check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("ошибка:") and not bad.stdout


def test_missing_inbox_and_database_give_one_clear_line(tmp_path):
    done = hqc("process", tmp_path / "nowhere", "--db", tmp_path / "qc.duckdb", "--keys", tmp_path, check=False)
    assert done.returncode == 2 and done.stderr.startswith("ошибка: входящая папка") and done.stderr.count("\n") == 1
    done = hqc("export", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "x.jsonl", check=False)
    assert done.returncode == 2 and "none.duckdb нет; сначала запустите `hotline-qc process`" in done.stderr
    english = hqc("--lang", "en", "export", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "x.jsonl", check=False)
    assert english.returncode == 2 and english.stderr.startswith("error: database") and "does not exist" in english.stderr


def test_an_interrupted_run_resumes_where_it_stopped(keys, tmp_path):
    folder, public, _ = keys
    inbox, calls = tmp_path / "inbox", [f"call-{n}" for n in range(3)]
    for call_id in calls:
        deliver(inbox, call_id, public, eval_file(DIALOGUE), sidecar(call_id, language="ru"))
    db = tmp_path / "qc.duckdb"
    # one worker takes one call at a time, so the first call's log line comes while the others are still to do
    proc = subprocess.Popen([HQC, "process", str(inbox), "--db", str(db), "--keys", str(folder), "--no-progress",
                             "--workers", "1"], stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "LANG": "ru_RU.UTF-8"})
    for line in proc.stderr:  # the per-call log line says the first call is stored
        if re.match(r"звонок \S+ обработан ", line):
            break
    proc.send_signal(signal.SIGKILL)  # as hard as a power cut: no cleanup runs
    proc.wait()
    with duckdb.connect(str(db), read_only=True) as con:
        before = dict(con.execute("SELECT call_id, run_id FROM calls WHERE status = 'done'").fetchall())
    assert 1 <= len(before) < len(calls), "the kill must come between two calls for the resume to be tested"
    out = hqc("process", inbox, "--db", db, "--keys", folder, "--no-progress").stdout
    resumed = len(calls) - len(before)
    assert f"звонков всего {len(calls)}: обработано {resumed}, с ошибкой 0, пропущено {len(before)}" in out
    with duckdb.connect(str(db), read_only=True) as con:
        after = dict(con.execute("SELECT call_id, run_id FROM calls WHERE status = 'done'").fetchall())
        assert con.execute("SELECT count(*) FROM calls").fetchone()[0] == len(calls)
        per_call = con.execute("SELECT count(*) FROM segments GROUP BY call_id").fetchall()
    assert sorted(after) == calls
    assert {c: after[c] for c in before} == before  # calls stored before the kill were not redone
    second_run = {after[c] for c in calls if c not in before}
    assert len(second_run) == 1 and second_run.isdisjoint(before.values())  # the rest were done by the resume
    assert len(per_call) == len(calls) and len({n for (n,) in per_call}) == 1  # no call stored twice or half


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_runs_against_a_prefect_server(keys, tmp_path):
    folder, public, _ = keys
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prefect server did not start"
            time.sleep(1)
        deliver(tmp_path / "inbox", "served", public, eval_file(DIALOGUE), sidecar("served", language="ru"))
        out = hqc("process", tmp_path / "inbox", "--db", tmp_path / "qc.duckdb", "--keys", folder, "--no-progress",
                  env={"PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "client")}).stdout
        assert "обработано 1," in out
        runs = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()
        assert [(r["name"] != "", r["state_type"]) for r in runs] == [(True, "COMPLETED")]
        flows = httpx.post(f"{api}/flows/filter", json={}, timeout=10).json()
        assert [f["name"] for f in flows] == ["process_calls"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
