"""Correction on request: a caller's wrong or outdated personal data replaced wherever it is stored, then
searched for to prove the old value gone from their records and the new one in its place.

A correction is a pair of old and new value: a caller id that changed, a name recorded wrongly, a misheard date
of birth. The old value is replaced as whole words, in any case, in every text column of the caller's rows:
those of their calls (transcript segments and words, complaints, evidence quotes, anything a later migration
adds with a call id) and those that name them by caller id (the call rows, survey answers and account
comments); in the quote of a complaint cluster their call belongs to; and in the sidecars of their recordings.
The recordings are encrypted sound of what was said and are not rewritten. The search index is rebuilt and
the dashboard's copy of it drops the caller's postings (it rebuilds itself on the next search).

The proof searches the caller's rows, their files and, after the file is rewritten (storage/compact.py), the
database file's bytes, with erasure's search (storage/erasure.py). Another caller's call may name the same
value («Иванова» is not one person's); it is not this caller's to correct, so those rows are not searched, and
the database file's bytes are then not searched for that value either. The audit log names the caller by a
hash of their id and the corrections by count, never by value.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from asr.records import Transcript, Word
from language import N_, Refusal
from storage import audit
from storage.calls import replace_transcript
from storage.compact import compact
from storage.db import Database
from storage.erasure import Scope, Trace, caller_ref, scoped_rows, traces_in_files, traces_in_tables, whole_word
from storage.files import recording_files
from storage.scores import stored_calls
from storage.search import rebuild_index

# a shorter value («Ян», a day of the month) is a word of too many other things to replace blindly
MIN_OLD_CHARS = 3
_REWRITTEN_TYPES = ("VARCHAR", "JSON")
# not rewritten: file locations (a rewritten path would lose its recording; the proof says if one holds an old
# value) and the dashboard's postings, derived from segments and dropped for the corrected calls
_NOT_REWRITTEN = ("recordings", "search_postings")


@dataclass
class CorrectionReport:
    caller_ref: str  # of the caller id after the correction
    calls: list[str]
    corrections: list[str]  # labels, «correction #1» …, never the values
    replaced: Counter[str] = field(default_factory=Counter)  # "table.column" or "sidecars" -> values rewritten
    columns_searched: int = 0
    files_searched: int = 0
    traces: list[Trace] = field(default_factory=list)  # old values still in the caller's records
    missing: list[str] = field(default_factory=list)  # corrections made whose new value is not found
    elsewhere: list[str] = field(default_factory=list)  # old values other callers' records hold
    made: list[str] = field(default_factory=list)  # corrections whose old value the caller's records held
    pairs: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)  # label -> (old, new), in memory
    caller_ids: list[str] = field(default_factory=list, repr=False)  # before and after

    @property
    def proved(self) -> bool:
        return not self.traces and not self.missing


def correct_text(text: str, pairs: list[tuple[str, str]]) -> tuple[str, int]:
    """The text with each old value replaced as whole words, and how many were replaced."""
    count = 0
    for old, new in pairs:
        text, n = whole_word(old).subn(lambda _: new, text)
        count += n
    return text, count


def correct_transcript(transcript: Transcript, pairs: list[tuple[str, str]]) -> tuple[Transcript, int]:
    """Segment texts corrected, and within each segment the words that held an old value folded into one word
    with the new value and their whole time range (as redaction folds a finding into its label)."""
    segments, count = [], 0
    for segment in transcript.segments:
        text, n = correct_text(segment.text, pairs)
        words = segment.words
        for old, new in pairs:
            words = _correct_words(words, old, new)
        count += n
        segments.append(replace(segment, text=text, words=words) if n or words != segment.words else segment)
    return replace(transcript, segments=tuple(segments)), count


def _correct_words(words: tuple[Word, ...], old: str, new: str) -> tuple[Word, ...]:
    spans, pos = [], 0
    for word in words:
        token = word.text.strip()
        spans.append((pos, pos + len(token)))
        pos += len(token) + 1
    text = " ".join(w.text.strip() for w in words)
    out, taken = [], 0
    for match in whole_word(old).finditer(text):
        hit = [i for i, (start, end) in enumerate(spans) if start < match.end() and match.start() < end]
        if not hit or hit[0] < taken:
            continue
        first, last = hit[0], hit[-1]
        out += words[taken:first]
        prefix = text[spans[first][0]:match.start()]
        suffix = text[match.end():spans[last][1]]
        lead = " " if words[first].text.startswith(" ") else ""
        out.append(Word(words[first].start, words[last].end, f"{lead}{prefix}{new}{suffix}",
                        min(w.probability for w in words[first:last + 1]), words[first].channel,
                        words[first].speaker))
        taken = last + 1
    return tuple(out + list(words[taken:])) if out else words


def _check(caller_id: str, pairs: list[tuple[str, str]], recordings: Path | None) -> None:
    if not caller_id or not caller_id.strip():
        raise Refusal(N_("the caller id is empty"))
    if not pairs:
        raise Refusal(N_("nothing to correct: give an old value and its new value"))
    for old, new in pairs:
        if len(old.strip()) < MIN_OLD_CHARS:
            raise Refusal(N_("an old value needs at least %(num)s characters to be replaced safely"), num=MIN_OLD_CHARS)
        if not new.strip():
            raise Refusal(N_("a new value is empty: erase-caller removes data, correct-caller replaces it"))
        if old.strip().lower() == new.strip().lower():
            raise Refusal(N_("an old and a new value differ only in case or spaces"))
    if recordings is not None and not recordings.is_dir():
        raise Refusal(N_("recordings folder %(path)s does not exist"), path=str(recordings))


def correct_caller(db: Database, caller_id: str, pairs: list[tuple[str, str]], *, recordings: Path | None = None,
                   actor: str = "correction") -> CorrectionReport:
    """Correct the caller's every trace and prove it; `pairs` of old and new value (old may be the caller id).
    The report's `proved` is false, and `traces` or `missing` says why, if an old value is still found in
    the caller's records or a new one is not."""
    _check(caller_id, pairs, recordings)
    pairs = [(old.strip(), new.strip()) for old, new in pairs]
    new_id = next((new for old, new in pairs if old == caller_id), caller_id)
    with db.read() as cur:
        calls = [c for (c,) in cur.execute(
            "SELECT call_id FROM calls WHERE caller_id = ? ORDER BY call_id", [caller_id]).fetchall()]
    report = CorrectionReport(caller_ref(new_id), calls, [f"correction #{n}" for n in range(1, len(pairs) + 1)])
    report.pairs, report.caller_ids = dict(zip(report.corrections, pairs)), [caller_id, new_id]
    scope, files = _caller_records(db, report, recordings)
    olds = {label: old for label, (old, _) in report.pairs.items()}
    before, _ = traces_in_tables(db, olds, scope=scope, whole_words=True)
    before += traces_in_files(files, olds, whole_words=True)
    report.made = sorted({t.term for t in before})

    transcripts = {}
    for call in stored_calls(db, calls):
        transcript, n = correct_transcript(call.transcript, pairs)
        if transcript != call.transcript:
            transcripts[call.call_id] = transcript
            report.replaced["segments.text"] += n
    with db.write() as cur:
        for call_id, transcript in transcripts.items():
            replace_transcript(cur, call_id, transcript)
        if transcripts:
            cur.execute("DELETE FROM search_postings WHERE list_contains(?, call_id)", [list(transcripts)])
        report.replaced.update(_correct_columns(cur, scope, pairs))
        quotes = cur.execute(
            "SELECT cluster_id, quote FROM complaint_clusters WHERE cluster_id IN"
            " (SELECT cluster_id FROM call_clusters WHERE list_contains(?, call_id))", [calls]).fetchall()
        for cluster_id, quote in quotes:
            corrected, n = correct_text(quote or "", pairs)
            if n:
                cur.execute("UPDATE complaint_clusters SET quote = ? WHERE cluster_id = ?", [corrected, cluster_id])
                report.replaced["complaint_clusters.quote"] += n
    if transcripts:
        rebuild_index(db)
    sidecars = _correct_sidecars(files, pairs)
    if sidecars:
        report.replaced["sidecars"] = sidecars

    prove(db, report, recordings)
    audit.record(db, actor, "correction", report.caller_ref,
                 f"{len(pairs)} values corrected in {len(calls)} calls: {sum(report.replaced.values())} "
                 f"replaced; proof: {'old values gone, new in place' if report.proved else 'FAILED'}")
    return report


def _correct_columns(cur, scope: Scope, pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Every text column of the caller's rows in the tables keyed by call or caller (the transcript's words
    are already folded, so a single-word value in them is all that is left to find)."""
    columns = cur.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
        " AND schema_name = 'main' AND list_contains(?, data_type) AND table_name IN (SELECT table_name"
        " FROM duckdb_tables() WHERE schema_name = 'main') ORDER BY 1, 2", [list(_REWRITTEN_TYPES)]).fetchall()
    replaced = {}
    olds = [old.lower() for old, _ in pairs]
    for table, column, data_type in columns:
        where, params = scoped_rows(cur, table, scope)
        if not params or table in _NOT_REWRITTEN:
            continue
        # a value inside JSON is written as JSON writes a string
        fixes = pairs if data_type == "VARCHAR" else [(o, json.dumps(n, ensure_ascii=False)[1:-1]) for o, n in pairs]
        holds = " OR ".join(f'contains(lower(CAST("{column}" AS VARCHAR)), ?)' for _ in olds)
        rows = cur.execute(f'SELECT rowid, CAST("{column}" AS VARCHAR) FROM "{table}" WHERE ({where}) AND ({holds})',
                           [*params, *olds]).fetchall()
        for rowid, value in rows:
            corrected, n = correct_text(value, fixes)
            if n:
                cur.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', [corrected, rowid])
                replaced[f"{table}.{column}"] = replaced.get(f"{table}.{column}", 0) + n
    return replaced


def _correct_sidecars(files: list[Path], pairs: list[tuple[str, str]]) -> int:
    """Rewrite the string values of the recordings' sidecars (the caller id first of all)."""
    def fix(value):
        if isinstance(value, str):
            return correct_text(value, pairs)[0]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return [fix(v) for v in value] if isinstance(value, list) else value

    changed = 0
    for path in files:
        if path.suffix != ".json":
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        corrected = fix(data)
        if corrected != data:
            fresh = path.with_name(path.name + ".correcting")
            fresh.write_text(json.dumps(corrected, ensure_ascii=False), encoding="utf-8")
            os.replace(fresh, path)
            changed += 1
    return changed


def prove(db: Database, report: CorrectionReport, recordings: Path | None, database_file: Path | None = None) -> None:
    """Search the caller's rows and files for every old value and every new one; with `database_file`, its
    bytes too for each old value no other caller's record holds."""
    olds = {label: old for label, (old, _) in report.pairs.items()}
    news = {label: new for label, (_, new) in report.pairs.items()}
    scope, files = _caller_records(db, report, recordings)
    report.traces, report.columns_searched = traces_in_tables(db, olds, scope=scope, whole_words=True)
    found, _ = traces_in_tables(db, news, scope=scope, whole_words=True)
    found += traces_in_files(files, news, whole_words=True)
    report.missing = sorted(set(report.made) - {t.term for t in found})
    everywhere, _ = traces_in_tables(db, olds, whole_words=True)
    report.elsewhere = sorted({t.term for t in everywhere} - {t.term for t in report.traces})
    if database_file is not None:
        files = [*files, database_file]
    report.traces += traces_in_files(files, {k: v for k, v in olds.items() if k not in report.elsewhere},
                                     whole_words=True)
    report.files_searched = len(files)


def _caller_records(db: Database, report: CorrectionReport, recordings: Path | None) -> tuple[Scope, list[Path]]:
    """The caller's rows (by either id) and files: recordings and sidecars of their calls or naming them."""
    with db.read() as cur:
        paths = [Path(p) for (p,) in cur.execute(
            "SELECT path FROM recordings WHERE list_contains(?, call_id)", [report.calls]).fetchall()]
    files = sorted({f for caller_id in report.caller_ids
                    for f in recording_files(paths, recordings, set(report.calls), caller_id)}) \
        if recordings is not None else []
    return Scope(report.calls, report.caller_ids), files


def correct_caller_in_file(path: Path, caller_id: str, pairs: list[tuple[str, str]], *,
                           recordings: Path | None = None, actor: str = "correction") -> CorrectionReport:
    """Correct, rewrite the database file so the old values' bytes leave the disk too (as erasure does), then
    prove again on the rewritten file: its tables, its raw bytes, and the caller's files."""
    with Database(path) as db:
        report = correct_caller(db, caller_id, pairs, recordings=recordings, actor=actor)
    compact(path)
    with Database(path) as db:
        prove(db, report, recordings, database_file=Path(path))
    return report
