"""`hotline-qc retention purge`, `erase-caller`, `correct-caller`, `redact-stored` and `audit list|verify`: the
personal-data commands of an admin."""
from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from storage.search import rebuild_index

import language
from language import gettext as _

# the audit log's actions (storage.audit.ACTIONS), spelled out so `--help` does not open the database modules
AUDIT_ACTIONS = ("sign_in", "sign_in_failed", "call_view", "audio_playback", "export", "override",
                 "decryption", "erasure", "correction", "retention_purge", "user_change")


def _actor(args) -> str:
    return args.actor or getpass.getuser()


def _existing_db(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(_("database %(path)s does not exist") % {"path": path})
    return path


def cmd_retention_purge(args) -> int:
    from storage.retention import purge_file

    report = purge_file(_existing_db(args.db), args.older_than, recordings=args.recordings, actor=_actor(args))
    print(_("purged recordings and transcripts of %(calls)s calls that started before %(cutoff)s UTC; "
            "%(files)s files removed; scores, topics and complaint clusters kept") % {
        "calls": report.calls, "cutoff": language.current().datetime(report.cutoff), "files": report.files_removed})
    if args.recordings is None:
        print(_("recording files were not touched: pass --recordings DIR to remove them"))
    return 0


def cmd_erase_caller(args) -> int:
    from pipelines.erasure import erase_caller_from_file

    report = erase_caller_from_file(_existing_db(args.db), args.caller_id, recordings=args.recordings,
                                    also=args.also or (), archives=args.archive or (), actor=_actor(args))
    print(_("erased %(caller)s: %(calls)s calls, %(files)s files") % {
        "caller": report.caller_ref, "calls": len(report.calls), "files": report.files_removed})
    if not report.calls:
        print("    " + _("no stored call has this caller id; the proof below still searched for it"))
    for table, rows in sorted(report.rows_removed.items()):
        print(f"    {table:<24} " + _("%(rows)6d rows removed") % {"rows": rows})
    print(_("proof: searched %(columns)s text columns and %(files)s files (the database file's bytes included) for "
            "%(count)s terms: %(terms)s") % {"columns": report.columns_searched, "files": report.files_searched,
                                              "count": len(report.terms), "terms": ", ".join(report.terms)})
    if args.recordings is None:
        print("    " + _("recording files were not searched or removed: pass --recordings DIR"))
    if report.proved:
        print(_("proof: no trace found"))
        return 0
    _print_traces(report.traces)
    print(_("proof FAILED: the traces above remain (another caller's call may mention this person)"))
    return 1


def _print_traces(traces) -> None:
    for trace in traces:
        print("    " + _("still found: %(term)s in %(place)s (%(count)s)") % {
            "term": trace.term, "place": trace.place, "count": trace.count})


def cmd_correct_caller(args) -> int:
    from storage.correction import correct_caller_in_file

    if len(args.replace) != len(args.with_):
        raise ValueError(_("give each --replace OLD its --with NEW"))
    report = correct_caller_in_file(_existing_db(args.db), args.caller_id, list(zip(args.replace, args.with_)),
                                    recordings=args.recordings, actor=_actor(args))
    print(_("corrected %(caller)s: %(calls)s calls, %(values)s values replaced") % {
        "caller": report.caller_ref, "calls": len(report.calls), "values": sum(report.replaced.values())})
    for place, n in sorted(report.replaced.items()):
        print(f"    {place:<32} {n:>6}")
    for label in report.corrections:
        state = _("corrected") if label in report.made else _("not found in the caller's records")
        if label in report.elsewhere:
            state += _("; other callers' records hold the old value too and keep it")
        print(f"    {label}: {state}")
    print(_("proof: searched %(columns)s text columns of the caller's rows and %(files)s files (the database "
            "file's bytes included) for each old and new value") % {
        "columns": report.columns_searched, "files": report.files_searched})
    if args.recordings is None:
        print("    " + _("recording sidecars were not corrected or searched: pass --recordings DIR"))
    if report.proved:
        print(_("proof: old values gone from the caller's records, new values in place"))
        return 0
    _print_traces(report.traces)
    for label in report.missing:
        print("    " + _("new value of %(label)s not found") % {"label": label})
    print(_("proof FAILED: see above"))
    return 1


def cmd_redact_stored(args) -> int:
    from rich.progress import track

    from privacy.stored import redact_texts
    from privacy.transcript import redact_transcript
    from storage.compact import compact
    from storage.db import Database
    from storage.pii import replace_call_texts, replace_texts, stored_texts
    from storage.scores import stored_calls

    with Database(_existing_db(args.db)) as db:
        with db.read() as cur:
            (total,) = cur.execute("SELECT count(*) FROM calls WHERE status = 'done'").fetchone()
        spans = 0
        for call in track(stored_calls(db), total=total, description=_("redacting transcripts"),
                          disable=args.no_progress):
            transcript, intervals = redact_transcript(call.transcript)
            replace_call_texts(db, call.call_id, transcript, intervals)
            spans += len(intervals)
        texts, changed = redact_texts(stored_texts(db))
        replace_texts(db, texts)
        rebuild_index(db)
    compact(args.db)
    print(_("redacted %(total)s transcripts (%(spans)s masked spans) and %(changed)s complaint, evidence and "
            "cluster texts; the database file was rewritten so the unredacted text is gone from disk") % {
        "total": total, "spans": spans, "changed": changed})
    return 0


def cmd_audit_list(args) -> int:
    from storage import audit
    from storage.db import Database

    with Database(_existing_db(args.db)) as db:
        entries = audit.entries(db, action=args.action, actor=args.actor, target=args.target, limit=args.limit)
    for e in entries:
        print(f"{e.entry_no:>7}  {e.at:%Y-%m-%d %H:%M:%S}  {e.actor:<16} {e.action:<16} {e.target or '-'}"
              f"{'  ' + e.detail if e.detail else ''}")
    return 0


def cmd_audit_verify(args) -> int:
    from storage import audit
    from storage.db import Database

    with Database(_existing_db(args.db)) as db:
        problems = audit.verify(db)
    for problem in problems:
        print(problem)
    print(_("audit log intact") if not problems else _("audit log TAMPERED: %(num)s problems") % {"num": len(problems)})
    return 0 if not problems else 1


def add_commands(sub: argparse._SubParsersAction) -> None:
    ret = sub.add_parser("retention", help=_("apply the retention period")).add_subparsers(
        dest="retention_command", required=True)
    purge = ret.add_parser("purge", help=_("remove recordings and transcripts of calls older than the period; "
                                         "aggregates stay"))
    purge.add_argument("--db", type=Path, required=True)
    purge.add_argument("--older-than", type=int, required=True, metavar="DAYS")
    purge.add_argument("--recordings", type=Path, help=_("folder whose recording files may be removed"))
    purge.add_argument("--actor", help=_("who runs it, for the audit log (default: the OS user)"))
    purge.set_defaults(func=cmd_retention_purge)

    erase = sub.add_parser("erase-caller", help=_("remove every trace of one caller on request and prove it gone"))
    erase.add_argument("--db", type=Path, required=True)
    erase.add_argument("--caller-id", required=True)
    erase.add_argument("--recordings", type=Path, help=_("folder whose recording files may be removed and searched"))
    erase.add_argument("--also", action="append", metavar="TEXT",
                       help=_("more personal data of the caller to prove gone (repeatable): a name, a phone"))
    erase.add_argument("--archive", type=Path, action="append", metavar="DIR",
                       help=_("a folder of kept files to search too, such as the survey drop folder (repeatable)"))
    erase.add_argument("--actor", help=_("who runs it, for the audit log (default: the OS user)"))
    erase.set_defaults(func=cmd_erase_caller)

    fix = sub.add_parser("correct-caller", help=_("correct one caller's wrong or outdated personal data on request "
                                                "wherever it is stored, and prove it"))
    fix.add_argument("--db", type=Path, required=True)
    fix.add_argument("--caller-id", required=True, help=_("the caller's id as stored now"))
    fix.add_argument("--replace", action="append", required=True, metavar="OLD",
                     help=_("the wrong value (the caller id itself, a name, a date), replaced as whole words in any "
                          "case (repeatable, each with its --with)"))
    fix.add_argument("--with", dest="with_", action="append", required=True, metavar="NEW", help=_("its correct value"))
    fix.add_argument("--recordings", type=Path, help=_("folder whose recording sidecars may be corrected and searched"))
    fix.add_argument("--actor", help=_("who runs it, for the audit log (default: the OS user)"))
    fix.set_defaults(func=cmd_correct_caller)

    red = sub.add_parser("redact-stored", help=_("mask personal data in a database filled before redaction was "
                                               "wired in (transcripts, complaints, evidence quotes)"))
    red.add_argument("--db", type=Path, required=True)
    red.add_argument("--no-progress", action="store_true")
    red.set_defaults(func=cmd_redact_stored)

    aud = sub.add_parser("audit", help=_("read and check the audit log")).add_subparsers(dest="audit_command",
                                                                                    required=True)
    show = aud.add_parser("list", help=_("entries, newest first"))
    show.add_argument("--db", type=Path, required=True)
    show.add_argument("--action", choices=AUDIT_ACTIONS)
    show.add_argument("--actor")
    show.add_argument("--target")
    show.add_argument("--limit", type=int, default=100)
    show.set_defaults(func=cmd_audit_list)
    check = aud.add_parser("verify", help=_("check that no entry was changed or removed (exit 1 if one was)"))
    check.add_argument("--db", type=Path, required=True)
    check.set_defaults(func=cmd_audit_verify)
