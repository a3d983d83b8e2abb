"""Rewriting the database file so deleted rows are gone from disk, not only from queries.

DuckDB marks the blocks of deleted rows free but leaves their bytes in the file (measured: an erased caller's
id and name were still readable in the file after DELETE and CHECKPOINT). Copying every table into a fresh
file and putting it in place of the old one is what makes an erasure or a purge physical. The database must
be closed while this runs.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from storage.db import FTS_EXTENSION


def compact(path: Path) -> None:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"database {path} does not exist")
    fresh = path.with_name(path.name + ".compacting")
    fresh.unlink(missing_ok=True)
    con = duckdb.connect(str(fresh), config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    try:
        con.execute(f"LOAD '{FTS_EXTENSION}'")
        con.execute("ATTACH '{}' AS old (READ_ONLY)".format(str(path).replace("'", "''")))
        (name,) = con.execute("SELECT current_database()").fetchone()
        con.execute(f'COPY FROM DATABASE old TO "{name}"')
        con.execute("DETACH old")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        fresh.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(fresh, path)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)
