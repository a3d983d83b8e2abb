"""Dashboard accounts, the teams supervisors read, and sign-in sessions.

Passwords arrive here already hashed and session tokens only as their SHA-256: storage never sees a secret it
could leak. Writes go through the `Database` writer like every other write.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from language import N_, Refusal
from storage.db import Database

ROLES = ("admin", "analyst", "supervisor")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    teams: tuple[str, ...]  # what a supervisor may read; empty for the other roles
    password_hash: str
    disabled: bool = False
    language: str = "ru"  # the interface language the user chose


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


def save_user(db: Database, name: str, password_hash: str, role: str, teams: Iterable[str] = ()) -> User:
    """Create an account, or replace the password, role and teams of an existing one."""
    name = name.strip()
    teams = tuple(sorted({t.strip() for t in teams if t.strip()}))
    if not name:
        raise Refusal(N_("a user needs a name"))
    if role not in ROLES:
        raise Refusal(N_("role must be one of %(roles)s, not %(role)s"), roles=", ".join(ROLES), role=role)
    if role == "supervisor" and not teams:
        raise Refusal(N_("a supervisor needs at least one team (--team)"))
    if role != "supervisor" and teams:
        raise Refusal(N_("only supervisors are limited to teams; the role %(role)s sees every team"), role=role)
    with db.write() as cur:
        cur.execute("INSERT INTO users (user_name, password_hash, role, created_at) VALUES (?, ?, ?, now())"
                    " ON CONFLICT (user_name) DO UPDATE SET password_hash = excluded.password_hash,"
                    " role = excluded.role", [name, password_hash, role])
        cur.execute("DELETE FROM user_teams WHERE user_name = ?", [name])
        if teams:
            cur.executemany("INSERT INTO user_teams (user_name, team) VALUES (?, ?)", [[name, t] for t in teams])
        # a changed password or role must not live on in sessions signed in under the old one
        cur.execute("DELETE FROM sessions WHERE user_name = ?", [name])
    return User(name, role, teams, password_hash)


def load_user(db: Database, name: str) -> User | None:
    with db.read() as cur:
        row = cur.execute("SELECT u.user_name, u.role, list(t.team ORDER BY t.team) FILTER (WHERE t.team IS NOT NULL),"
                          " u.password_hash, coalesce(u.disabled, false), coalesce(u.language, 'ru') FROM users AS u"
                          " LEFT JOIN user_teams AS t USING (user_name) WHERE u.user_name = ? GROUP BY ALL",
                          [name]).fetchone()
    return None if row is None else User(row[0], row[1], tuple(row[2] or ()), row[3], row[4], row[5])


def list_users(db: Database) -> list[User]:
    with db.read() as cur:
        rows = cur.execute("SELECT u.user_name, u.role, list(t.team ORDER BY t.team) FILTER (WHERE t.team IS NOT NULL),"
                           " u.password_hash, coalesce(u.disabled, false), coalesce(u.language, 'ru') FROM users AS u"
                           " LEFT JOIN user_teams AS t USING (user_name) GROUP BY ALL ORDER BY u.user_name").fetchall()
    return [User(name, role, tuple(teams or ()), password_hash, disabled, language)
            for name, role, teams, password_hash, disabled, language in rows]


def update_password_hash(db: Database, name: str, password_hash: str) -> None:
    """Store a re-hash made with stronger parameters; sessions stay (the password itself did not change)."""
    with db.write() as cur:
        cur.execute("UPDATE users SET password_hash = ? WHERE user_name = ?", [password_hash, name])


def set_disabled(db: Database, name: str, disabled: bool) -> None:
    with db.write() as cur:
        cur.execute("UPDATE users SET disabled = ? WHERE user_name = ?", [disabled, name])
        cur.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def set_language(db: Database, name: str, language: str) -> bool:
    """Store the user's interface language; False when there is no such user."""
    with db.write() as cur:
        found = cur.execute("UPDATE users SET language = ? WHERE user_name = ? RETURNING user_name",
                            [language, name.strip()]).fetchall()
    return bool(found)


def save_session(db: Database, token_sha256: str, user_name: str, csrf_token: str, expires_at: datetime) -> None:
    with db.write() as cur:
        cur.execute("DELETE FROM sessions WHERE expires_at <= now()")
        cur.execute("INSERT INTO sessions (token_sha256, user_name, csrf_token, created_at, expires_at)"
                    " VALUES (?, ?, ?, now(), ?)", [token_sha256, user_name, csrf_token, expires_at])


def load_session(db: Database, token_sha256: str) -> Session | None:
    """The session of a cookie, if it exists and has not expired."""
    with db.read() as cur:
        row = cur.execute("SELECT user_name, csrf_token, expires_at FROM sessions"
                          " WHERE token_sha256 = ? AND expires_at > now()", [token_sha256]).fetchone()
    if row is None:
        return None
    user = load_user(db, row[0])
    return None if user is None or user.disabled else Session(user, row[1], row[2])


def delete_session(db: Database, token_sha256: str) -> None:
    with db.write() as cur:
        cur.execute("DELETE FROM sessions WHERE token_sha256 = ?", [token_sha256])
