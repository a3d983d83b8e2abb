"""Who may do what: argon2 password hashes, server-side sessions with CSRF tokens, and the roles' rights."""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from language import N_, Refusal
from storage.db import Database
from storage.users import Session, User, delete_session, list_users, load_session, load_user, save_session, \
    save_user, set_disabled, update_password_hash

MIN_PASSWORD_LENGTH = 10
MAX_NAME_LENGTH = 64
# what each right is granted to; a supervisor additionally sees only the calls of their teams
RIGHTS = {
    "listen": ("admin", "analyst"),  # decrypt and play recordings
    "override": ("analyst",),  # correct a checklist verdict
    "read_quotes": ("admin", "analyst"),  # complaint quotes come from every team's callers
    "read_improvement": ("admin", "analyst"),  # the hotline-wide problem register, actions and pilots
    "manage_users": ("admin",),
}

_hasher = PasswordHasher()
# verified against when the user is unknown, so a wrong name costs the same time as a wrong password
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


class SignInThrottle:
    """Locks an account after `per_account` failed sign-ins in a row, and an address after `per_address`, for
    `first_lock_s` doubling with each further failure up to `max_lock_s`. Attempts while locked are refused
    without checking the password, so guessing gets nowhere, and do not lengthen the lock, so the owner of an
    account under attack gets back in when it ends. Kept in memory: a restart forgives, which costs an
    attacker a restart they cannot cause."""

    def __init__(self, per_account: int = 5, per_address: int = 20, first_lock_s: float = 30.0,
                 max_lock_s: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self._limits = {"account": per_account, "address": per_address}
        self._first_lock_s, self._max_lock_s, self._clock = first_lock_s, max_lock_s, clock
        self._failures: dict[tuple[str, str], int] = {}
        self._locked_until: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def locked(self, name: str, address: str) -> bool:
        now = self._clock()
        with self._lock:
            return any(self._locked_until.get(key, 0.0) > now for key in self._keys(name, address))

    def failed(self, name: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            for key in self._keys(name, address):
                failures = self._failures.get(key, 0) + 1
                self._failures[key] = failures
                beyond = failures - self._limits[key[0]]
                if beyond >= 0:
                    self._locked_until[key] = now + min(self._first_lock_s * 2 ** min(beyond, 32), self._max_lock_s)

    def succeeded(self, name: str) -> None:
        # only the account is forgiven: signing in to one's own account must not reset an address spraying others
        with self._lock:
            self._failures.pop(("account", name.strip().casefold()), None)
            self._locked_until.pop(("account", name.strip().casefold()), None)

    @staticmethod
    def _keys(name: str, address: str) -> tuple[tuple[str, str], ...]:
        return ("account", name.strip().casefold()), ("address", address)


def may(user: User, right: str) -> bool:
    return user.role in RIGHTS[right]


def visible_teams(user: User) -> tuple[str, ...] | None:
    """The teams whose calls the user may read; None: every team."""
    return user.teams if user.role == "supervisor" else None


def create_user(db: Database, name: str, password: str, role: str, teams: Iterable[str] = ()) -> User:
    """A new account; an existing name is refused (changing one is change_role or reset_password)."""
    name = name.strip()
    # the name is shown on pages, in the CLI and in the audit log: control characters there could forge lines
    if not name or not name.isprintable() or len(name) > MAX_NAME_LENGTH:
        raise Refusal(N_("a user name must be 1 to %(max)s printable characters"), max=MAX_NAME_LENGTH)
    if load_user(db, name) is not None:
        raise Refusal(N_("user %(name)s already exists"), name=name)
    return save_user(db, name, _hash_new(password), role, teams)


def change_role(db: Database, name: str, role: str, teams: Iterable[str] = ()) -> User:
    user = _existing(db, name)
    if user.role == "admin" and role != "admin":
        _keep_an_admin(db, user.name)
    return save_user(db, user.name, user.password_hash, role, teams)


def disable_user(db: Database, name: str, disabled: bool = True) -> None:
    """A disabled account keeps its name (the audit log refers to it) but cannot sign in; its sessions end."""
    user = _existing(db, name)
    if disabled and user.role == "admin":
        _keep_an_admin(db, user.name)
    set_disabled(db, user.name, disabled)


def reset_password(db: Database, name: str, password: str) -> User:
    user = _existing(db, name)
    return save_user(db, user.name, _hash_new(password), user.role, user.teams)


def _hash_new(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refusal(N_("a password needs at least %(num)s characters"), num=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def _existing(db: Database, name: str) -> User:
    user = load_user(db, name.strip())
    if user is None:
        raise Refusal(N_("no user %(name)s"), name=name.strip())
    return user


def _keep_an_admin(db: Database, leaving: str) -> None:
    if not any(u.role == "admin" and not u.disabled and u.name != leaving for u in list_users(db)):
        raise Refusal(N_("the last admin cannot be demoted or disabled: make another admin first"))


def sign_in(db: Database, name: str, password: str, ttl: timedelta) -> tuple[str, Session] | None:
    """A new session for the right password: (the cookie's token, the session); None for a wrong one."""
    user = load_user(db, name.strip())
    try:
        _hasher.verify(user.password_hash if user else _UNKNOWN_USER_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        update_password_hash(db, user.name, _hasher.hash(password))
    token, csrf = new_token(), new_token()
    expires_at = datetime.now(timezone.utc) + ttl
    save_session(db, _digest(token), user.name, csrf, expires_at)
    return token, Session(user, csrf, expires_at)


def session_of(db: Database, token: str | None) -> Session | None:
    return load_session(db, _digest(token)) if token else None


def session_key(token: str) -> str:
    """What names a session in memory: the digest the database keeps, never the cookie's token."""
    return _digest(token)


def sign_out(db: Database, token: str) -> None:
    delete_session(db, _digest(token))


def same_token(expected: str, given: str | None) -> bool:
    return given is not None and secrets.compare_digest(expected.encode(), given.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)
