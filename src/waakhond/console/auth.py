"""People, roles and sessions of the review console.

* Passwords are kept as scrypt hashes (``hashlib.scrypt``, a memory-hard function from the standard library).
* A session is a random token in an HttpOnly, SameSite=Strict cookie; the store keeps only its SHA-256, so a
  copy of the database does not hold usable sessions. Each session has its own CSRF token that every
  state-changing request must echo (form field ``csrf`` or header ``X-CSRF-Token``).
* Logins are rate limited per user name and per client address, counted in the store.

Roles are ordered: ``viewer < moderator < child_safety_lead < admin``; see :data:`PERMISSIONS` for what each
may do. The server checks them on every request, whatever the page shows.

    >>> h = hash_password("correct horse battery staple")
    >>> check_password(h, "correct horse battery staple"), check_password(h, "wrong")
    (True, False)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from waakhond import audit
from waakhond.store.database import Database
from waakhond.store.schema import ConsoleSessionRow, ConsoleUserRow, LoginAttemptRow, utcnow

ROLES: tuple[str, ...] = ("viewer", "moderator", "child_safety_lead", "admin")
ROLE_RANK: dict[str, int] = {r: i for i, r in enumerate(ROLES)}

#: The least role needed for each permission. The console checks these on the server for every request.
PERMISSIONS: dict[str, str] = {
    "queue.view": "viewer",           # the queue and case pages (text of the conversation, account history)
    "media.reveal": "moderator",      # un-blur media (audited)
    "case.note": "moderator",
    "case.act": "moderator",          # dismiss, warn, restrict contact, suspend (four-eyes when protected)
    "report.prepare": "moderator",    # prepare a hotline report (its submission needs approval)
    "approval.decide": "child_safety_lead",  # approve or reject someone else's four-eyes request
    "policy.propose": "child_safety_lead",   # propose a change of the policy rules (needs approval)
    "audit.view": "child_safety_lead",
    "users.manage": "admin",
}

#: The same permissions in words, for error messages.
PERMISSION_WORDS: dict[str, str] = {
    "queue.view": "see the review queue", "media.reveal": "reveal media", "case.note": "add notes",
    "case.act": "act on cases", "report.prepare": "prepare hotline reports",
    "approval.decide": "approve or reject four-eyes requests", "policy.propose": "propose policy changes",
    "audit.view": "read the audit log", "users.manage": "manage people",
}

SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=12)
#: At most this many failed logins per user name, and per client address, in :data:`LOGIN_WINDOW`.
MAX_FAILED_PER_USER = 5
MAX_FAILED_PER_CLIENT = 20
LOGIN_WINDOW = timedelta(minutes=15)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 12


class AuthError(ValueError):
    """A login, user or permission problem with a message that can be shown as it is."""


def may(role: str, permission: str) -> bool:
    return ROLE_RANK.get(role, -1) >= ROLE_RANK[PERMISSIONS[permission]]


# ---- passwords ---------------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, maxmem=64 * 1024 * 1024, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected), maxmem=64 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # checked for unknown users: same time as a real check


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, ~120 bits


# ---- users -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    def may(self, permission: str) -> bool:
        return may(self.role, permission)


def create_user(db: Database, username: str, role: str, password: str, *, created_by: str = "cli") -> User:
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AuthError("user name: 2–63 characters, lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"password must have at least {MIN_PASSWORD} characters")
    with audit.audited_transaction(db) as s:
        if s.scalar(select(ConsoleUserRow.id).where(ConsoleUserRow.username == username)) is not None:
            raise AuthError(f"user {username!r} exists already")
        row = ConsoleUserRow(username=username, role=role, password_hash=hash_password(password), active=True,
                             created_at=utcnow(), created_by=created_by)
        s.add(row)
        s.flush()
        audit.record(s, actor=created_by, action="user.create", subject=f"user:{username}", details={"role": role})
        return User(row.id, row.username, row.role)


def set_role(db: Database, username: str, role: str, *, by: str) -> None:
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    with audit.audited_transaction(db) as s:
        row = s.scalars(select(ConsoleUserRow).where(ConsoleUserRow.username == username)).first()
        if row is None:
            raise AuthError(f"no user {username!r}")
        old, row.role = row.role, role
        audit.record(s, actor=by, action="user.role", subject=f"user:{username}", details={"from": old, "to": role})


def set_active(db: Database, username: str, active: bool, *, by: str) -> None:
    with audit.audited_transaction(db) as s:
        row = s.scalars(select(ConsoleUserRow).where(ConsoleUserRow.username == username)).first()
        if row is None:
            raise AuthError(f"no user {username!r}")
        row.active = active
        if not active:
            s.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.user_id == row.id))
        audit.record(s, actor=by, action="user.enable" if active else "user.disable", subject=f"user:{username}")


def list_users(db: Database) -> list[ConsoleUserRow]:
    with db.reading() as s:
        return list(s.scalars(select(ConsoleUserRow).order_by(ConsoleUserRow.username)).all())


# ---- login and sessions ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionInfo:
    user: User
    csrf_token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _too_many_failures(s: Session, username: str, client: str, now: datetime) -> bool:
    since = now - LOGIN_WINDOW
    base = select(func.count()).select_from(LoginAttemptRow).where(LoginAttemptRow.at >= since,
                                                                   LoginAttemptRow.ok.is_(False))
    by_user = s.scalar(base.where(LoginAttemptRow.username == username)) or 0
    by_client = s.scalar(base.where(LoginAttemptRow.client == client)) or 0
    return by_user >= MAX_FAILED_PER_USER or by_client >= MAX_FAILED_PER_CLIENT


def login(db: Database, username: str, password: str, client: str) -> tuple[str, SessionInfo]:
    """Check the password and open a session; returns the cookie token (shown once) and the session.

    Raises :class:`AuthError` for a wrong user name or password (one message for both) and for too many
    failed attempts; a locked-out user gets the lock-out message even with the right password.
    """
    username = username.strip().lower()[:64]
    client = client[:64]
    now = utcnow()
    with audit.audited_transaction(db) as s:
        if _too_many_failures(s, username, client, now):
            audit.record(s, actor=username or "?", action="login.throttled", subject=f"user:{username}",
                         details={"client": client})
            raise AuthError("too many failed logins; wait 15 minutes and try again")
        row = s.scalars(select(ConsoleUserRow).where(ConsoleUserRow.username == username)).first()
        good = check_password(row.password_hash if row else _DUMMY_HASH, password) and row is not None
        if not good or row is None or not row.active:
            s.add(LoginAttemptRow(username=username, client=client, at=now, ok=False))
            audit.record(s, actor=username or "?", action="login.failed", subject=f"user:{username}",
                         details={"client": client})
            # Commit the failed attempt (it counts for the limit) and then refuse.
            s.commit()
            raise AuthError("wrong user name or password")
        s.add(LoginAttemptRow(username=username, client=client, at=now, ok=True))
        # housekeeping: old attempts no longer count, expired sessions no longer work
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < now - timedelta(days=1)))
        s.execute(delete(ConsoleSessionRow).where(ConsoleSessionRow.expires_at < now))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + SESSION_MAX
        s.add(ConsoleSessionRow(token_hash=_token_hash(token), user_id=row.id, csrf_token=csrf, created_at=now,
                                last_seen_at=now, expires_at=expires))
        row.last_login_at = now
        audit.record(s, actor=username, action="login", subject=f"user:{username}", details={"client": client})
        return token, SessionInfo(User(row.id, row.username, row.role), csrf, expires)


def session_for(db: Database, token: str | None) -> SessionInfo | None:
    """The live session for a cookie token, or ``None`` (unknown, expired, idle too long, user disabled)."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    with db.transaction() as s:
        row = s.get(ConsoleSessionRow, _token_hash(token))
        if row is None:
            return None
        user = s.get(ConsoleUserRow, row.user_id)
        if user is None or not user.active or row.expires_at <= now or now - row.last_seen_at > SESSION_IDLE:
            s.delete(row)
            return None
        if now - row.last_seen_at > timedelta(minutes=1):  # write at most once a minute per session
            row.last_seen_at = now
        return SessionInfo(User(user.id, user.username, user.role), row.csrf_token, row.expires_at)


def logout(db: Database, token: str | None) -> None:
    if not token:
        return
    with audit.audited_transaction(db) as s:
        row = s.get(ConsoleSessionRow, _token_hash(token))
        if row is not None:
            user = s.get(ConsoleUserRow, row.user_id)
            s.delete(row)
            name = user.username if user else "?"
            audit.record(s, actor=name, action="logout", subject=f"user:{name}")


def csrf_ok(session: SessionInfo, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf_token, sent or "")


def user_summary(row: ConsoleUserRow) -> dict[str, Any]:
    return {"username": row.username, "role": row.role, "active": row.active,
            "created_at": row.created_at.isoformat(), "created_by": row.created_by,
            "last_login_at": row.last_login_at.isoformat() if row.last_login_at else None}
