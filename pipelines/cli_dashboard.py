"""`hotline-qc dashboard` and `hotline-qc users`: serving the web app and managing its accounts."""
from __future__ import annotations

import getpass
import sys
from datetime import timedelta
from pathlib import Path


def cmd_dashboard(args) -> int:
    import uvicorn

    from dashboards.app import Settings, create_app
    from ingest.keys import Keyring
    from pipelines.cli import _require_db
    from storage.db import Database

    _require_db(args.db)
    keyring = Keyring.from_paths(args.keys) if args.keys else None
    with Database(args.db) as db:
        app = create_app(db, Settings(session_ttl=timedelta(hours=args.session_hours), keyring=keyring))
        playback = "playable" if keyring else "not playable: no --keys"
        print(f"dashboard on http://{args.host}:{args.port}  (recordings {playback})")
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_users_add(args) -> int:
    from dashboards.auth import create_user
    from storage.db import Database

    password = _read_password(args.name)
    with Database(args.db) as db:
        user = create_user(db, args.name, password, args.role, args.team or ())
    print(f"saved {user.role} {user.name}" + (f" for teams {', '.join(user.teams)}" if user.teams else ""))
    return 0


def cmd_users_list(args) -> int:
    from pipelines.cli import _require_db
    from storage.db import Database
    from storage.users import list_users

    _require_db(args.db)
    with Database(args.db) as db:
        for user in list_users(db):
            print(f"{user.name}\t{user.role}\t{', '.join(user.teams) or 'all teams'}")
    return 0


def _read_password(name: str) -> str:
    """Asked twice at a terminal; otherwise the first line of stdin, so scripts can pipe it in (never argv,
    which other users of the machine can read)."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            raise ValueError("the passwords differ")
        return password
    return sys.stdin.readline().rstrip("\r\n")


def add_commands(sub) -> None:
    from pipelines.cli import KEYS_ENV

    dash = sub.add_parser("dashboard", help="serve the supervisor and analyst web app")
    dash.add_argument("--db", type=Path, required=True)
    dash.add_argument("--host", default="127.0.0.1")
    dash.add_argument("--port", type=int, default=8080)
    dash.add_argument("--keys", type=Path, action="append",
                      help=f"private key file or folder to play recordings (repeatable; not read from {KEYS_ENV})")
    dash.add_argument("--session-hours", type=float, default=8.0, help="sign-in lifetime (default 8)")
    dash.set_defaults(func=cmd_dashboard)

    users = sub.add_parser("users", help="dashboard accounts").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="create a user or change one (password from a prompt or stdin)")
    add.add_argument("--db", type=Path, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=("admin", "analyst", "supervisor"), required=True)
    add.add_argument("--team", action="append", help="a team a supervisor reads (repeatable)")
    add.set_defaults(func=cmd_users_add)
    ls = users.add_parser("list", help="list users with their roles and teams")
    ls.add_argument("--db", type=Path, required=True)
    ls.set_defaults(func=cmd_users_list)
