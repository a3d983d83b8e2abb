"""What every command checks before it starts a flow, and the error that reports a wrong invocation in one line."""
from __future__ import annotations

from pathlib import Path

from language import gettext as _

# where the private keys are found when a command is given no --keys
KEYS_ENV = "HOTLINE_QC_PRIVATE_KEYS"


class UsageError(Exception):
    pass


def require_db(path: Path) -> None:
    if not path.exists():
        raise UsageError(_("database %(path)s does not exist; run `hotline-qc process` first") % {"path": path})
    openable_db(path)


def openable_db(path: Path) -> None:
    """Open the database once before a flow starts: a file that is not DuckDB, or that cannot be written, is
    one line here rather than a failed flow run with Prefect's traceback."""
    import duckdb

    from storage.db import Database

    try:
        Database(path).close()
    except (duckdb.Error, OSError) as exc:
        raise UsageError(_("database %(path)s cannot be opened for writing: %(why)s")
                         % {"path": path, "why": str(exc).splitlines()[0]}) from None
