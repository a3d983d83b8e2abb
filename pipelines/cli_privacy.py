"""`hotline-qc retention purge` and `hotline-qc erase-caller`: the personal-data commands of an admin."""
from __future__ import annotations

import argparse
import getpass
from pathlib import Path


def _actor(args) -> str:
    return args.actor or getpass.getuser()


def _existing_db(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"database {path} does not exist")
    return path


def cmd_retention_purge(args) -> int:
    from storage.retention import purge_file

    report = purge_file(_existing_db(args.db), args.older_than, recordings=args.recordings, actor=_actor(args))
    print(f"purged recordings and transcripts of {report.calls} calls that started before "
          f"{report.cutoff:%Y-%m-%d %H:%M} UTC; {report.files_removed} files removed; scores, topics and "
          "complaint clusters kept")
    if args.recordings is None:
        print("recording files were not touched: pass --recordings DIR to remove them")
    return 0


def cmd_erase_caller(args) -> int:
    from storage.erasure import erase_caller_from_file

    report = erase_caller_from_file(_existing_db(args.db), args.caller_id, recordings=args.recordings,
                                    also=args.also or (), actor=_actor(args))
    print(f"erased {report.caller_ref}: {len(report.calls)} calls, {report.files_removed} files")
    for table, rows in sorted(report.rows_removed.items()):
        print(f"    {table:<24} {rows:>6} rows removed")
    print(f"proof: searched {report.columns_searched} text columns and {report.files_searched} files "
          f"(the database file's bytes included) for {len(report.terms)} terms: {', '.join(report.terms)}")
    if args.recordings is None:
        print("    recording files were not searched or removed: pass --recordings DIR")
    if report.proved:
        print("proof: no trace found")
        return 0
    for trace in report.traces:
        print(f"    still found: {trace.term} in {trace.place} ({trace.count})")
    print("proof FAILED: the traces above remain (another caller's call may mention this person)")
    return 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    ret = sub.add_parser("retention", help="apply the retention period").add_subparsers(
        dest="retention_command", required=True)
    purge = ret.add_parser("purge", help="remove recordings and transcripts of calls older than the period; "
                                         "aggregates stay")
    purge.add_argument("--db", type=Path, required=True)
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.add_argument("--recordings", type=Path, help="folder whose recording files may be removed")
    purge.add_argument("--actor", help="who runs it, for the audit log (default: the OS user)")
    purge.set_defaults(func=cmd_retention_purge)

    erase = sub.add_parser("erase-caller", help="remove every trace of one caller on request and prove it gone")
    erase.add_argument("--db", type=Path, required=True)
    erase.add_argument("--caller-id", required=True)
    erase.add_argument("--recordings", type=Path, help="folder whose recording files may be removed and searched")
    erase.add_argument("--also", action="append", metavar="TEXT",
                       help="more personal data of the caller to prove gone (repeatable): a name, a phone")
    erase.add_argument("--actor", help="who runs it, for the audit log (default: the OS user)")
    erase.set_defaults(func=cmd_erase_caller)
