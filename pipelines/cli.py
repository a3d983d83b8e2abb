"""The `hotline-qc` command. Imports are per command: `encrypt` on a recording server should not load Prefect."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import language
from language import LANGUAGES, gettext as _
from pipelines import offline  # noqa: F401
from pipelines.cli_checks import KEYS_ENV, UsageError, openable_db, require_db
from pipelines.cli_dashboard import add_commands as add_dashboard_commands
from pipelines.cli_feedback import add_commands as add_feedback_commands
from pipelines.cli_insights import add_commands as add_insights_commands
from pipelines.cli_privacy import add_commands as add_privacy_commands
from pipelines.cli_reports import add_commands as add_report_commands
from pipelines.reaper import reap_on_exit

LANG_ENV = "LANG"


def _key_paths(args) -> list[Path]:
    paths = list(args.keys or [])
    if not paths and os.environ.get(KEYS_ENV):
        paths = [Path(p) for p in os.environ[KEYS_ENV].split(os.pathsep) if p]
    if not paths:
        raise UsageError(_("no private keys configured: pass --keys DIR (or a key file), or set %(env)s")
                         % {"env": KEYS_ENV})
    return paths


def cmd_keys_new(args) -> int:
    from ingest.keys import generate_key_pair

    pair = generate_key_pair(args.out, algorithm=args.algorithm)
    print(_("key id %(id)s") % {"id": pair.key_id})
    print(_("public key (give to the recording system): %(path)s") % {"path": pair.public})
    print(_("private key (keep on the QC side, mode 600): %(path)s") % {"path": pair.private})
    return 0


def cmd_encrypt(args) -> int:
    from ingest.envelope import encrypt_file

    args.output.parent.mkdir(parents=True, exist_ok=True)
    encrypt_file(args.public_key, args.input, args.output)
    print(_("encrypted %(input)s -> %(output)s") % {"input": args.input, "output": args.output})
    return 0


def cmd_process(args) -> int:
    from ingest.keys import Keyring

    if not args.inbox.is_dir():
        raise UsageError(_("inbox %(path)s is not a folder") % {"path": args.inbox})
    if args.workers is not None and args.workers < 1:
        raise UsageError(_("--workers must be 1 or more"))
    if args.workers and args.cluster:
        raise UsageError(_("--workers is for the local cluster; a --cluster has the workers it was started with"))
    key_paths = _key_paths(args)
    Keyring.from_paths(key_paths)  # a key problem is one line here, not a failed flow run with a traceback
    openable_db(args.db)

    from pipelines.flows import process_calls

    summary = process_calls(inbox=args.inbox, db_path=args.db, key_paths=key_paths, force=args.force,
                            workers=args.workers, cluster=args.cluster, model_path=args.model, quarantine=args.quarantine,
                            script=args.script,
                            show_progress=not args.no_progress)
    lang = language.current()
    print(_("%(done)s done, %(failed)s failed, %(skipped)s skipped of %(total)s calls; "
            "%(hours)s h of audio in %(time)s")
          % {"done": summary.done, "failed": summary.failed, "skipped": summary.skipped, "total": summary.total,
             "hours": lang.number(summary.audio_seconds / 3600, 2), "time": lang.duration(summary.wall_seconds)})
    print(_("results: %(path)s") % {"path": args.db})
    if summary.failed:
        print(_("failed calls are in %(path)s with their reasons")
              % {"path": args.quarantine or args.inbox / "quarantine"})
    return 0


def cmd_export(args) -> int:
    from storage.db import Database
    from storage.export import export_calls

    require_db(args.db)
    with Database(args.db) as db:
        n = export_calls(db, args.out)
    print(language.ngettext("exported %(num)d call to %(path)s", "exported %(num)d calls to %(path)s", n)
          % {"num": n, "path": args.out})
    return 0


def cmd_search(args) -> int:
    from storage.db import Database
    from storage.search import search

    require_db(args.db)
    with Database(args.db) as db:
        hits = search(db, args.query, limit=args.limit)
    if not hits:
        print(_("no calls found"))
    for hit in hits:
        print(_("%(call)s  %(started)s  operator %(operator)s  score %(score)s") % {
            "call": hit.call_id, "started": language.current().datetime(hit.started_at),
            "operator": hit.operator_id or "-", "score": language.current().number(hit.score, 2)})
        for seg in hit.segments:
            print(f"    [{seg.start:7.1f}s] {seg.text}")
    return 0


def cmd_score(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.progress import TimeRemainingColumn

    from pipelines.rescore import rescore
    from scoring.encoder import load_encoder
    from storage.db import Database

    require_db(args.db)
    with Database(args.db) as db, Progress(TextColumn("[bold]" + _("calls")), BarColumn(), MofNCompleteColumn(),
                                           TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                           disable=args.no_progress) as bar:
        task = bar.add_task("", total=None)
        summary = rescore(db, args.script, encoder=load_encoder(args.encoder) if args.encoder else None,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
    lang = language.current()
    scored = language.ngettext(
        "scored %(num)d call with %(script)s %(version)s in %(time)s; %(changed)s verdicts changed",
        "scored %(num)d calls with %(script)s %(version)s in %(time)s; %(changed)s verdicts changed",
        summary.calls_scored)
    print(scored % {"num": summary.calls_scored, "script": summary.script_name, "version": summary.script_version,
                    "time": lang.duration(summary.seconds), "changed": summary.verdicts_changed})
    if summary.piloted:
        print(_("of them in running pilots, scored with their pilot's script version: %(num)d")
              % {"num": summary.piloted})
    if summary.agreement:
        print(_("the judges learnt from analysts' overrides; automatic verdicts that agree with them, "
                "before and after:"))
        for item in summary.agreement:
            print(f"  {item.title.get(lang.code) or item.item_id}: {item.before}/{item.overrides} → "
                  f"{item.after}/{item.overrides}")
    return 0


def cmd_score_transcript(args) -> int:
    import json

    from pipelines.transcript_scoring import score_turns

    if args.db is not None:
        require_db(args.db)
    try:
        call = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(_("cannot read %(path)s: %(why)s") % {"path": args.file, "why": exc.strerror}) from None
    except json.JSONDecodeError as exc:
        raise UsageError(_("%(path)s is not valid JSON: %(why)s") % {"path": args.file, "why": exc}) from None
    print(json.dumps(score_turns(call, args.script, args.db), ensure_ascii=False, indent=2))
    return 0


def cmd_demo(args) -> int:
    from pipelines.demo import run_demo

    return run_demo(args.out, limit=args.calls)


def cmd_generate_calls(args) -> int:
    from demo_calls.generate import generate_calls

    paths = generate_calls(args.out, count=args.count, seed=args.seed, audio_format=args.format)
    print(language.ngettext("generated %(num)d call in %(path)s", "generated %(num)d calls in %(path)s", len(paths))
          % {"num": len(paths), "path": args.out})
    return 0


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)


class Parser(argparse.ArgumentParser):
    """argparse in the command's language: its own headings and the help option come from our catalogue (its
    subcommands' parsers are made of this class too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **{**kwargs, "add_help": False})
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        if kwargs.get("add_help", True):
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help=_("show this help message and exit"))

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, _("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})


def _chosen_language(argv: list[str]) -> str:
    """--lang, else LANG (ru_RU.UTF-8, en_US.UTF-8...), else Russian; read before the parser is built, so that
    --help is in that language."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang", choices=LANGUAGES)
    known, _rest = early.parse_known_args(argv)
    return known.lang or language.from_environment(os.environ.get(LANG_ENV))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="hotline-qc", description=_("Speech analytics and quality control for the hotline"))
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=_("language of messages and reports: ru (default) or en; else from LANG"))
    sub = parser.add_subparsers(dest="command", required=True)

    keys = sub.add_parser("keys", help=_("manage recording encryption keys")).add_subparsers(dest="keys_command",
                                                                                           required=True)
    new = keys.add_parser("new", help=_("make a key pair: the public key for the recording system, the private for QC"))
    new.add_argument("--out", type=Path, required=True)
    new.add_argument("--algorithm", choices=("x25519", "rsa"), default="x25519")
    new.set_defaults(func=cmd_keys_new)

    enc = sub.add_parser("encrypt", help=_("encrypt one recording for a public key (what a recording system does)"))
    enc.add_argument("--public-key", type=Path, required=True)
    enc.add_argument("--in", dest="input", type=Path, required=True)
    enc.add_argument("--out", dest="output", type=Path, required=True)
    enc.set_defaults(func=cmd_encrypt)

    proc = sub.add_parser("process", help=_("decrypt, transcribe and store every recording in INBOX"))
    proc.add_argument("inbox", type=Path)
    proc.add_argument("--db", type=Path, required=True)
    proc.add_argument("--keys", type=Path, action="append",
                      help=_("private key file or folder (repeatable; or HOTLINE_QC_PRIVATE_KEYS)"))
    proc.add_argument("--force", action="store_true", help=_("redo calls already done"))
    # --concurrency: the same, so that scripts which pass it keep working
    proc.add_argument("--workers", "--concurrency", type=int, dest="workers",
                      help=_("worker processes on this machine (default: one per 3 GB of free memory, up to the "
                             "cores)"))
    proc.add_argument("--cluster", metavar="tcp://HOST:8786",
                      help=_("run calls on an existing Dask cluster; recordings and keys must be at the same paths "
                             "there"))
    proc.add_argument("--model", type=Path, help=_("CTranslate2 Whisper model folder (default: packaged base)"))
    proc.add_argument("--quarantine", type=Path, help=_("where bad recordings go (default INBOX/quarantine)"))
    proc.add_argument("--script", type=Path, help=_("operator script YAML (default: the shipped hotline script)"))
    proc.add_argument("--no-progress", action="store_true")
    proc.set_defaults(func=cmd_process)

    exp = sub.add_parser("export", help=_("write one JSON object per call"))
    exp.add_argument("--db", type=Path, required=True)
    exp.add_argument("--out", type=Path, required=True)
    exp.set_defaults(func=cmd_export)

    srch = sub.add_parser("search", help=_("find calls by words in their transcripts (Russian word forms included)"))
    srch.add_argument("--db", type=Path, required=True)
    srch.add_argument("--limit", type=int, default=20)
    srch.add_argument("query")
    srch.set_defaults(func=cmd_search)

    sc = sub.add_parser("score", help=_("re-score stored transcripts against the operator script (no transcription)"))
    sc.add_argument("--db", type=Path, required=True)
    sc.add_argument("--script", type=Path, help=_("script YAML (default: the shipped hotline script)"))
    sc.add_argument("--encoder", type=Path,
                    help=_("transformers model folder (default: packaged multilingual encoder)"))
    sc.add_argument("--no-progress", action="store_true")
    sc.set_defaults(func=cmd_score)

    st = sub.add_parser("score-transcript",
                        help=_("score one call given as turns in a JSON file; prints its checklist, metrics and topic"))
    st.add_argument("file", type=Path, help='{"turns": [{"speaker": "operator"|"caller"|"operator2", "text": ...}]}')
    st.add_argument("--script", type=Path, help=_("script YAML (default: the shipped hotline script)"))
    st.add_argument("--db", type=Path, help=_("learn from the analysts' overrides stored there, as re-scoring does"))
    st.set_defaults(func=cmd_score_transcript)

    demo = sub.add_parser("demo", help=_("encrypt the packaged demo calls, process them and show the results"))
    demo.add_argument("--out", type=Path, default=Path("demo-run"))
    demo.add_argument("--calls", type=int, help=_("process only the first N demo calls"))
    demo.set_defaults(func=cmd_demo)

    gen = sub.add_parser("generate-calls", help=_("render synthetic hotline calls with ground truth (needs RHVoice)"))
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--count", type=int, default=24)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--format", choices=("ogg", "wav", "flac"), default="ogg")
    gen.set_defaults(func=cmd_generate_calls)
    add_privacy_commands(sub)
    add_feedback_commands(sub)
    add_report_commands(sub)
    add_insights_commands(sub)
    add_dashboard_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    language.use(_chosen_language(argv))
    args = build_parser().parse_args(argv)
    # Prefect's per-task INFO lines would bury the progress bar; PREFECT_LOGGING_LEVEL=INFO brings them back.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    reap_on_exit()  # Prefect's ephemeral server must not outlive a killed command
    # so would the local Dask cluster's start and stop lines; read when distributed is imported, in workers too
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    # workers are stopped once every result is stored: one slow to exit (model threads) is killed and nothing is lost
    logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(_("interrupted: calls already stored are kept; run the same command again to resume"), file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  the CLI's contract is one clear line, not a traceback
        if os.environ.get("HOTLINE_QC_DEBUG"):
            raise
        print(_("error: %(message)s") % {"message": exc}, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
