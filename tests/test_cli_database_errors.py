"""A database path the commands cannot use gives one line on stderr and exit 2, before any flow run starts."""
from __future__ import annotations

import pytest

from ingest.keys import generate_key_pair
from pipelines.cli import main


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
