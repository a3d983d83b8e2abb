"""A database path the commands cannot use gives one line on stderr and exit 2, before any flow run starts."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.keys import generate_key_pair
from pipelines.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [
    ["cluster-complaints"],
    ["weekly-report", "--out", "{tmp}/report"],
    ["process", "{tmp}/inbox", "--keys", "{tmp}/keys", "--no-progress"],
])
def test_a_file_that_is_not_duckdb_is_one_line_without_a_flow_traceback(tmp_path, capsys, command):
    (tmp_path / "inbox").mkdir()
    generate_key_pair(tmp_path / "keys")
    not_a_db = tmp_path / "notes.duckdb"
    not_a_db.write_text("minutes of the meeting, not a database\n")
    args = [part.format(tmp=tmp_path) for part in command]
    assert main([*args, "--db", str(not_a_db)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "not a valid DuckDB database" in err and "Traceback" not in err


def _mount_namespaces() -> bool:
    return shutil.which("unshare") is not None and \
        subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _mount_namespaces(), reason="unshare -rm is unavailable, so no read-only mount can be made "
                                                    "(file modes do not stop root, which the suite may run as)")
def test_a_database_on_a_read_only_mount_is_one_line_without_a_flow_traceback(tmp_path):
    from storage.db import Database

    folder = tmp_path / "ro"
    Database(folder / "qc.duckdb").close()
    script = (f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" && '
              f'exec "{sys.executable}" -m pipelines.cli cluster-complaints --db "{folder / "qc.duckdb"}"')
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Read-only file system" in done.stderr
