"""What every command checks before it starts a flow, and the error that reports a wrong invocation in one line."""
from __future__ import annotations

from pathlib import Path

# where the private keys are found when a command is given no --keys
KEYS_ENV = "HOTLINE_QC_PRIVATE_KEYS"


class UsageError(Exception):
    pass


def require_db(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"database {path} does not exist; run `hotline-qc process` first")
    openable_db(path)


def openable_db(path: Path) -> None:
    """Open the database once before a flow starts: a file that is not DuckDB, or that cannot be written, is
    one line here rather than a failed flow run with Prefect's traceback."""
    import duckdb

    from storage.db import Database

    try:
        Database(path).close()
    except (duckdb.Error, OSError) as exc:
        raise UsageError(f"database {path} cannot be opened for writing: {str(exc).splitlines()[0]}") from None
