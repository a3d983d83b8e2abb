"""`hotline-qc users` and `hotline-qc dashboard` as an operator of the service runs them."""
from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest

from pipelines.cli import main
from storage.db import Database
from storage.users import load_user

pytestmark = pytest.mark.slow  # starts the dashboard as a process

ROOT = Path(__file__).resolve().parents[1]


def test_users_add_reads_the_password_from_stdin_and_lists_users(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # the commands' Russian, whatever the machine's
    db_path = tmp_path / "qc.duckdb"
    Database(db_path).close()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-password\n"))
    assert main(["users", "add", "--db", str(db_path), "--name", "k.ivanova", "--role", "supervisor",
                 "--team", "north", "--team", "east"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "add", "--db", str(db_path), "--name", "x", "--role", "analyst"]) == 2
    assert "не короче 10 символов" in capsys.readouterr().err
    assert main(["users", "list", "--db", str(db_path)]) == 0
    assert "k.ivanova\tsupervisor\teast, north" in capsys.readouterr().out
    with Database(db_path) as db:
        user = load_user(db, "k.ivanova")
    assert user.teams == ("east", "north") and "a-long-password" not in user.password_hash
    assert user.language == "ru"  # Russian until the user asks for English
    assert main(["users", "set-lang", "--db", str(db_path), "--name", "k.ivanova", "en"]) == 0
    assert main(["users", "set-lang", "--db", str(db_path), "--name", "nobody", "en"]) == 2
    with Database(db_path) as db:
        assert load_user(db, "k.ivanova").language == "en"


def test_users_commands_refuse_a_taken_name_keep_an_admin_and_are_audited(tmp_path, monkeypatch, capsys):
    from storage import audit

    monkeypatch.setenv("LANG", "ru_RU.UTF-8")

    db_path = tmp_path / "qc.duckdb"
    Database(db_path).close()

    def users(*args: str, password: str = "a-long-password") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
        return main(["users", *args, "--db", str(db_path), "--actor", "root"])

    assert users("add", "--name", "boss", "--role", "admin") == 0
    assert users("add", "--name", "boss", "--role", "analyst") == 2
    assert "уже существует" in capsys.readouterr().err
    assert users("set-role", "--name", "boss", "--role", "analyst") == 2
    assert users("disable", "--name", "boss") == 2
    assert "последнего администратора" in capsys.readouterr().err
    assert users("add", "--name", "ann", "--role", "analyst") == 0
    assert users("set-role", "--name", "ann", "--role", "supervisor", "--team", "north") == 0
    assert users("reset-password", "--name", "ann", password="another-long-one") == 0
    assert users("disable", "--name", "ann") == 0
    assert users("enable", "--name", "ann") == 0
    with Database(db_path) as db:
        assert load_user(db, "ann").role == "supervisor" and not load_user(db, "ann").disabled
        changes = [(e.actor, e.target, json.loads(e.detail)["change"]) for e in audit.entries(db, action="user_change")]
        assert audit.verify(db) == []
    assert changes[::-1] == [("root", "boss", "add"), ("root", "ann", "add"), ("root", "ann", "role"),
                             ("root", "ann", "reset_password"), ("root", "ann", "disable"), ("root", "ann", "enable")]


def test_dashboard_command_serves_the_sign_in_page(tmp_path):
    db_path = tmp_path / "qc.duckdb"
    Database(db_path).close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "dashboard", "--db", str(db_path),
                               "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    assert response.status == 200 and "Вход".encode() in response.read()
                break
            except (ConnectionError, OSError):
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "the dashboard did not start within 60 s"
                time.sleep(0.3)
        try:
            urlopen(f"http://127.0.0.1:{port}/calls/x/audio", timeout=2)
        except HTTPError as refused:
            assert refused.code == 401
        else:
            raise AssertionError("an unauthenticated request was served")
    finally:
        server.terminate()
        server.wait(10)
