"""`hotline-qc dashboard` and `hotline-qc users`: serving the web app and managing its accounts."""
from __future__ import annotations

import getpass
import sys
from datetime import timedelta
from pathlib import Path

import language
from language import LANGUAGES, gettext as _


def cmd_dashboard(args) -> int:
    import uvicorn

    from dashboards.app import Settings, create_app
    from ingest.keys import Keyring
    from pipelines.cli_checks import require_db
    from pipelines.survey_import import import_payload
    from storage.db import Database

    require_db(args.db)
    keyring = Keyring.from_paths(args.keys) if args.keys else None
    with Database(args.db) as db:
        app = create_app(db, Settings(session_ttl=timedelta(hours=args.session_hours), keyring=keyring,
                                      survey_intake=import_payload))
        playback = _("recordings playable") if keyring else _("recordings not playable: no --keys")
        print(_("dashboard on %(url)s  (%(playback)s)") % {"url": f"http://{args.host}:{args.port}",
                                                            "playback": playback})
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_users_add(args) -> int:
    from dashboards.auth import create_user
    from storage.audit import record
    from storage.db import Database

    password = _read_password(args.name)
    with Database(args.db) as db:
        user = create_user(db, args.name, password, args.role, args.team or ())
        record(db, _actor(args), "user_change", user.name, _change("add", role=user.role, teams=list(user.teams)))
    print(_("added %(role)s %(name)s") % {"role": language.current().label(user.role), "name": user.name}
          + (_(" for teams %(teams)s") % {"teams": ", ".join(user.teams)} if user.teams else ""))
    return 0


def cmd_users_set_role(args) -> int:
    from dashboards.auth import change_role
    from pipelines.cli_checks import require_db
    from storage.audit import record
    from storage.db import Database

    require_db(args.db)
    with Database(args.db) as db:
        user = change_role(db, args.name, args.role, args.team or ())
        record(db, _actor(args), "user_change", user.name, _change("role", role=user.role, teams=list(user.teams)))
    print(_("%(name)s is now %(role)s") % {"name": user.name, "role": language.current().label(user.role)}
          + (_(" for teams %(teams)s") % {"teams": ", ".join(user.teams)} if user.teams else ""))
    return 0


def cmd_users_disable(args) -> int:
    from dashboards.auth import disable_user
    from pipelines.cli_checks import require_db
    from storage.audit import record
    from storage.db import Database

    require_db(args.db)
    disabled = args.users_command == "disable"
    with Database(args.db) as db:
        disable_user(db, args.name, disabled)
        record(db, _actor(args), "user_change", args.name.strip(), _change(args.users_command))
    print((_("%(name)s disabled: signed out and cannot sign in") if disabled else _("%(name)s enabled"))
          % {"name": args.name.strip()})
    return 0


def cmd_users_reset_password(args) -> int:
    from dashboards.auth import reset_password
    from pipelines.cli_checks import require_db
    from storage.audit import record
    from storage.db import Database

    require_db(args.db)
    password = _read_password(args.name)
    with Database(args.db) as db:
        user = reset_password(db, args.name, password)
        record(db, _actor(args), "user_change", user.name, _change("reset_password"))
    print(_("new password set for %(name)s; their sessions are signed out") % {"name": user.name})
    return 0


def cmd_users_set_lang(args) -> int:
    from pipelines.cli_checks import UsageError, require_db
    from storage.db import Database
    from storage.users import set_language

    require_db(args.db)
    with Database(args.db) as db:
        if not set_language(db, args.name, args.language):
            raise UsageError(_("no user %(name)s") % {"name": args.name.strip()})
    print(_("%(name)s reads the dashboard in %(language)s") % {"name": args.name.strip(), "language": args.language})
    return 0


def _actor(args) -> str:
    return args.actor or getpass.getuser()


def _change(change: str, **fields) -> str:
    import json

    return json.dumps({"change": change, **fields}, ensure_ascii=False)


def cmd_users_list(args) -> int:
    from pipelines.cli_checks import require_db
    from storage.db import Database
    from storage.users import list_users

    require_db(args.db)
    with Database(args.db) as db:
        for user in list_users(db):
            print(f"{user.name}\t{user.role}\t{', '.join(user.teams) or 'all teams'}")
    return 0


def _read_password(name: str) -> str:
    """Asked twice at a terminal; otherwise the first line of stdin, so scripts can pipe it in (never argv,
    which other users of the machine can read)."""
    if sys.stdin.isatty():
        password = getpass.getpass(_("password for %(name)s: ") % {"name": name})
        if getpass.getpass(_("again: ")) != password:
            raise ValueError(_("the passwords differ"))
        return password
    return sys.stdin.readline().rstrip("\r\n")


def add_commands(sub) -> None:
    dash = sub.add_parser("dashboard", help=_("serve the supervisor and analyst web app"))
    dash.add_argument("--db", type=Path, required=True)
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=8080)
    dash.add_argument("--keys", type=Path, action="append",
                      help=_("private key file or folder to play recordings (repeatable; not read from "
                             "HOTLINE_QC_PRIVATE_KEYS)"))
    dash.add_argument("--session-hours", type=float, default=8.0, help=_("sign-in lifetime (default 8)"))
    dash.set_defaults(func=cmd_dashboard)

    users = sub.add_parser("users", help=_("dashboard accounts")).add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add",
                           help=_("create a user (password from a prompt or stdin); an existing name is refused"))
    role = users.add_parser("set-role", help=_("change a user's role (and a supervisor's teams); signs them out"))
    disable = users.add_parser("disable", help=_("stop a user signing in, and sign them out (the name stays)"))
    enable = users.add_parser("enable", help=_("let a disabled user sign in again"))
    reset = users.add_parser("reset-password", help=_("set a new password (from a prompt or stdin); signs them out"))
    for command, func in ((add, cmd_users_add), (role, cmd_users_set_role), (disable, cmd_users_disable),
                          (enable, cmd_users_disable), (reset, cmd_users_reset_password)):
        command.add_argument("--db", type=Path, required=True)
        command.add_argument("--name", required=True)
        command.add_argument("--actor", help=_("who makes the change, for the audit log (default: the OS user)"))
        command.set_defaults(func=func)
    for command in (add, role):
        command.add_argument("--role", choices=("admin", "analyst", "supervisor"), required=True)
        command.add_argument("--team", action="append", help=_("a team a supervisor reads (repeatable)"))
    lang = users.add_parser("set-lang", help=_("set the language a user reads the dashboard in"))
    lang.add_argument("--db", type=Path, required=True)
    lang.add_argument("--name", required=True)
    lang.add_argument("language", choices=LANGUAGES)
    lang.set_defaults(func=cmd_users_set_lang)
    ls = users.add_parser("list", help=_("list users with their roles and teams"))
    ls.add_argument("--db", type=Path, required=True)
    ls.set_defaults(func=cmd_users_list)
