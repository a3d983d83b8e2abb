"""Erasure on request: every trace of one caller removed, then searched for to prove it gone.

A caller is known here by the pseudonymous caller id the recording system gives. Their calls are found by it;
every table with a call id (transcripts, scores, complaints with embeddings, topics, survey answers, anything a
later migration adds) loses those calls' rows, complaint clusters lose the caller's share of their centroid and
any quote taken from them, the search index is rebuilt, and their recording files and sidecars are deleted.
The proof then searches every text column of every table (the search index's own tables included) and every
file under the recordings folder for the caller id and for the personal data it is given
(pipelines/erasure.py finds that data in the caller's texts beforehand and rewrites the file afterwards).
The audit log names the erasure by a hash of the caller id, so the log itself holds no trace.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from storage import audit
from storage.db import Database
from storage.files import recording_files, remove
from storage.search import rebuild_index

_TEXT_TYPES = ("VARCHAR", "JSON", "VARCHAR[]")
_MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Trace:
    place: str  # "table.column" or a file path
    term: str  # the term's label, never the term itself
    count: int


@dataclass
class ErasureReport:
    caller_ref: str
    calls: list[str]
    rows_removed: dict[str, int] = field(default_factory=dict)
    files_removed: int = 0
    terms: list[str] = field(default_factory=list)  # labels of what the proof searched for
    columns_searched: int = 0
    files_searched: int = 0
    traces: list[Trace] = field(default_factory=list)
    searched: dict[str, str] = field(default_factory=dict, repr=False)  # label -> term, kept in memory only

    @property
    def proved(self) -> bool:
        return not self.traces


def caller_ref(caller_id: str) -> str:
    return "caller sha256:" + hashlib.sha256(caller_id.encode()).hexdigest()[:16]


def _tables_with(cur, column: str) -> list[str]:
    return [t for (t,) in cur.execute(
        "SELECT DISTINCT table_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND column_name = ? AND table_name IN"
        " (SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main') ORDER BY 1", [column]).fetchall()]


def caller_texts(db: Database, caller_id: str) -> list[str]:
    """What the caller's calls still say in free text (transcripts, complaints): where to look for their
    personal data before it is erased, so the proof can search for it afterwards."""
    with db.read() as cur:
        return [t for (t,) in cur.execute(
            "SELECT s.text FROM segments AS s JOIN calls AS c USING (call_id) WHERE c.caller_id = $caller UNION ALL"
            " SELECT p.text FROM complaints AS p JOIN calls AS c USING (call_id) WHERE c.caller_id = $caller"
            " UNION ALL SELECT r.comment FROM survey_results AS r WHERE r.comment IS NOT NULL"
            " AND (r.caller_id = $caller OR r.call_id IN (SELECT call_id FROM calls WHERE caller_id = $caller))",
            {"caller": caller_id}).fetchall()]


def words_only_in_their_calls(db: Database, caller_id: str, limit: int = 5) -> list[str]:
    """The longest words of the caller's transcripts that no other call's transcript holds, as written: once
    the caller is erased, finding one anywhere means a piece of their transcript survived."""
    with db.read() as cur:
        return [w for (w,) in cur.execute(
            "WITH theirs AS (SELECT unnest(regexp_extract_all(s.text, '\\p{L}{8,}')) AS word FROM segments AS s"
            " JOIN calls AS c USING (call_id) WHERE c.caller_id = $caller),"
            " others AS (SELECT lower(s.text) AS text FROM segments AS s JOIN calls AS c USING (call_id)"
            " WHERE c.caller_id IS DISTINCT FROM $caller)"
            " SELECT min(word) FROM theirs GROUP BY lower(word)"
            " HAVING NOT EXISTS (SELECT 1 FROM others WHERE contains(others.text, lower(word)))"
            " ORDER BY length(min(word)) DESC, min(word) LIMIT $limit",
            {"caller": caller_id, "limit": limit}).fetchall()]


def _correct_clusters(cur, call_ids: list[str]) -> None:
    rows = cur.execute(
        "SELECT cc.cluster_id, p.embedding, p.text FROM call_clusters AS cc JOIN complaints AS p USING (call_id)"
        " WHERE list_contains(?, cc.call_id)", [call_ids]).fetchall()
    for cluster_id, embedding, text in rows:
        vector = np.asarray(embedding, dtype=np.float64)
        vector /= np.linalg.norm(vector) or 1.0
        (vector_sum,) = cur.execute("SELECT vector_sum FROM complaint_clusters WHERE cluster_id = ?",
                                    [cluster_id]).fetchone()
        # a cluster left empty keeps nothing its only members said: their words are its keywords
        cur.execute("UPDATE complaint_clusters SET vector_sum = ?, size = greatest(size - 1, 0),"
                    " quote = CASE WHEN quote = ? OR size <= 1 THEN '' ELSE quote END,"
                    " keywords = CASE WHEN size <= 1 THEN []::VARCHAR[] ELSE keywords END,"
                    " updated_at = now() WHERE cluster_id = ?",
                    [(np.asarray(vector_sum) - vector).tolist(), text, cluster_id])


def erase_caller(db: Database, caller_id: str, *, recordings: Path | None = None,
                 also: Iterable[str] = (), actor: str = "erasure") -> ErasureReport:
    """Remove the caller's every trace; `also`: their personal data to prove gone (found in `caller_texts`
    beforehand, or given by the requester). The report's `proved` is false, and `traces` says where, if
    anything is still found."""
    if not caller_id or not caller_id.strip():
        raise ValueError("caller id is empty")
    if recordings is not None and not recordings.is_dir():
        raise ValueError(f"recordings folder {recordings} does not exist")
    report = ErasureReport(caller_ref(caller_id), [])
    with db.read() as cur:
        report.calls = [c for (c,) in cur.execute(
            "SELECT call_id FROM calls WHERE caller_id = ? ORDER BY call_id", [caller_id]).fetchall()]
        paths = [Path(p) for (p,) in cur.execute(
            "SELECT path FROM recordings WHERE list_contains(?, call_id)", [report.calls]).fetchall()]
        terms = {"caller id": caller_id}
        for n, value in enumerate(dict.fromkeys(v for v in also if v.strip()), 1):
            terms[f"personal data #{n}"] = value
        for n, word in enumerate(words_only_in_their_calls(db, caller_id), 1):
            terms[f"transcript word #{n}"] = word
    report.terms, report.searched = list(terms), terms
    files = recording_files(paths, recordings, set(report.calls), caller_id) if recordings is not None else []

    with db.write() as cur:
        if "complaint_clusters" in _tables_with(cur, "cluster_id"):
            _correct_clusters(cur, report.calls)
        for column, values in (("call_id", report.calls), ("repeat_of", report.calls), ("caller_id", [caller_id])):
            for table in _tables_with(cur, column):
                (removed,) = cur.execute(f'DELETE FROM "{table}" WHERE list_contains(?, "{column}")',
                                         [values]).fetchone()
                if removed:
                    report.rows_removed[table] = report.rows_removed.get(table, 0) + removed
        cur.execute("UPDATE search_index_state SET segments_version = segments_version + 1")
    rebuild_index(db)
    report.files_removed = remove(files)

    report.traces, report.columns_searched, report.files_searched = find_traces(
        db, terms, [recordings] if recordings is not None else [])
    audit.record(db, actor, "erasure", report.caller_ref,
                 f"{len(report.calls)} calls, {sum(report.rows_removed.values())} rows, "
                 f"{report.files_removed} files removed; proof: "
                 f"{'nothing found' if report.proved else f'{len(report.traces)} traces left'}")
    return report


@dataclass(frozen=True)
class Scope:
    """One caller's rows: those of their calls, and those naming them by caller id. Tables with neither column
    are searched whole, except the full-text index, which is rebuilt from the segments searched here."""
    calls: list[str]
    caller_ids: list[str]


def scoped_rows(cur, table: str, scope: Scope | None) -> tuple[str, list]:
    """A WHERE condition, with its parameters, that keeps the scope's rows of a table in schema main."""
    if scope is None:
        return "true", []
    columns = {c for (c,) in cur.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND table_name = ?", [table]).fetchall()}
    keys = [(key, values) for key, values in (("call_id", scope.calls), ("caller_id", scope.caller_ids))
            if key in columns]
    if not keys:
        return "true", []
    return " OR ".join(f'list_contains(?::VARCHAR[], "{key}")' for key, _ in keys), [v for _, v in keys]


def find_traces(db: Database, terms: dict[str, str], folders: list[Path],
                files: Iterable[Path] = ()) -> tuple[list[Trace], int, int]:
    """Where any term still occurs (case-insensitive): every text column of every table, every file in the
    folders and the files named. Returns the traces, the columns searched and the files searched."""
    traces, columns = traces_in_tables(db, terms)
    paths = [p for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()] + list(files)
    return traces + traces_in_files(paths, terms), columns, len(paths)


def traces_in_tables(db: Database, terms: dict[str, str], *, scope: Scope | None = None,
                     whole_words: bool = False) -> tuple[list[Trace], int]:
    """Where any term occurs (case-insensitive) in every text column of every table, of the scope's rows only
    if given; and how many columns were searched. `whole_words`: a term inside a longer word («Анна» in
    «Жанна») is no trace, as a correction replaces whole words only."""
    wanted = {label: term.lower() for label, term in terms.items() if term.strip()}
    traces, columns = [], 0
    with db.read() as cur:
        text_columns = cur.execute(
            "SELECT schema_name, table_name, column_name FROM duckdb_columns()"
            " WHERE database_name = current_database() AND list_contains(?, data_type)"
            " AND (schema_name, table_name) IN (SELECT (schema_name, table_name) FROM duckdb_tables())"
            " ORDER BY 1, 2, 3", [list(_TEXT_TYPES)]).fetchall()
        for schema, table, column in text_columns:
            if scope is not None and schema != "main":
                continue
            columns += 1
            where, params = scoped_rows(cur, table, scope)
            value = f'lower(CAST("{column}" AS VARCHAR))'
            counts = ", ".join(f"count_if(contains({value}, ?))" for _ in wanted)
            row = cur.execute(f'SELECT {counts} FROM "{schema}"."{table}" WHERE {where}',
                              [*wanted.values(), *params]).fetchone()
            for (label, term), n in zip(wanted.items(), row):
                if n and whole_words:  # the rows that hold the term at all, read again for whole words
                    n = sum(bool(whole_word(term).search(t)) for (t,) in cur.execute(
                        f'SELECT {value} FROM "{schema}"."{table}" WHERE ({where}) AND contains({value}, ?)',
                        [*params, term]).fetchall())
                if n:
                    traces.append(Trace(f"{schema}.{table}.{column}", label, n))
    return traces, columns


def traces_in_files(paths: Iterable[Path], terms: dict[str, str], *, whole_words: bool = False) -> list[Trace]:
    """Files that hold a term in their bytes or their name. A file is read as bytes: the database file's
    strings may be compressed, so its tables are what proves; its bytes are checked for what DuckDB left
    behind in freed blocks."""
    wanted = {label: term.lower() for label, term in terms.items() if term.strip()}
    traces = []
    for path in paths:
        if path.stat().st_size > _MAX_FILE_BYTES:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore").lower() + "\n" + str(path).lower()
        traces += [Trace(str(path), label, 1) for label, term in wanted.items()
                   if (whole_word(term).search(text) if whole_words else term in text)]
    return traces


def whole_word(term: str) -> re.Pattern:
    """The term as whole words, in any case, with any run of spaces where it has one."""
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())) + r"(?!\w)", re.I)
