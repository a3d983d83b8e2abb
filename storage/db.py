"""The DuckDB file: opening it, migrating its schema, a cursor per thread for reads, and the single writer every
repository goes through."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import duckdb

# The extension file is built for exactly the pinned DuckDB release (pyproject pins both).
FTS_EXTENSION = (Path(str(resources.files("duckdb_extension_fts"))) / "extensions" / f"v{duckdb.__version__}"
                 / "fts.duckdb_extension")

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The shipped migrations in order; their numbers must run 1, 2, 3… so none is skipped unnoticed."""
    migrations = []
    for entry in (resources.files("storage") / "migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _MIGRATION_NAME.match(entry.name)
        if match is None:
            raise RuntimeError(f"migration file {entry.name} is not named NNN_name.sql")
        migrations.append(Migration(int(match[1]), entry.name, entry.read_text(encoding="utf-8")))
    migrations.sort(key=lambda m: m.version)
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered from 001 without gaps or repeats, found {versions}")
    return migrations


def apply_migrations(con: duckdb.DuckDBPyConnection, migrations: list[Migration]) -> None:
    """Apply the migrations this database lacks, each in its own transaction with its record."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
    )
    applied = {version for (version,) in con.execute("SELECT version FROM schema_migrations").fetchall()}
    known = migrations[-1].version if migrations else 0
    if applied and max(applied) > known:
        raise RuntimeError(
            f"database schema version {max(applied)} is newer than this hotline-qc knows ({known}); "
            "upgrade hotline-qc before opening it"
        )
    for migration in migrations:
        if migration.version in applied:
            continue
        con.execute("BEGIN")
        try:
            con.execute(migration.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now())", [migration.version, migration.name]
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")


def local_datetime(epoch_us: int | None, utc_offset_s: int | None) -> datetime | None:
    """A stored call start as the aware datetime its sidecar gave (UTC when the offset is unknown)."""
    if epoch_us is None:
        return None
    instant = _EPOCH + timedelta(microseconds=epoch_us)
    return instant.astimezone(timezone(timedelta(seconds=utc_offset_s or 0)))


class Database:
    """The hotline's DuckDB file. DuckDB admits one writing process, so every write goes through here."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # fts cannot be downloaded here, and INSTALL would copy it under HOME (unset or read-only in CI and
        # services): the extension file is loaded straight from its PyPI package instead.
        self._con = duckdb.connect(
            str(self.path),
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        try:
            self._con.execute(f"LOAD '{FTS_EXTENSION}'")
            apply_migrations(self._con, load_migrations())
        except BaseException:
            self._con.close()
            raise
        self._write_lock = threading.Lock()
        self._cursor_lock = threading.Lock()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []

    def close(self) -> None:
        with self._cursor_lock:
            for cursor in self._cursors:
                cursor.close()
            self._cursors.clear()
            self._con.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A private cursor for a long read (an export, a search) that the thread's writes cannot disturb."""
        with self._cursor_lock:
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's own cursor, for short reads."""
        # a DuckDB connection must not be shared between threads; each thread gets its own cursor
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            with self._cursor_lock:
                cursor = self._con.cursor()
                self._cursors.append(cursor)
            self._local.cursor = cursor
        return cursor

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The one transaction open at a time: committed when the block ends, rolled back if it raises."""
        with self._write_lock:
            cur = self.cursor()
            cur.execute("BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

