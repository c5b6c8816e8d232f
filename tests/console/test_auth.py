"""Passwords, sessions and the roles matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from waakhond.console import auth
from waakhond.store.database import Database
from waakhond.store.schema import ConsoleSessionRow, ConsoleUserRow, utcnow


def test_passwords_are_salted_scrypt_hashes() -> None:
    a, b = auth.hash_password("same password here"), auth.hash_password("same password here")
    assert a != b and a.startswith("scrypt$") and "same password" not in a
    assert auth.check_password(a, "same password here") and not auth.check_password(a, "same password herE")
    assert not auth.check_password("garbage", "x")


def test_roles_matrix() -> None:
    allowed = {r: {p for p in auth.PERMISSIONS if auth.may(r, p)} for r in auth.ROLES}
    assert allowed["viewer"] == {"queue.view"}
    assert allowed["moderator"] == {"queue.view", "media.reveal", "case.note", "case.act", "report.prepare"}
    assert allowed["child_safety_lead"] == allowed["moderator"] | {"approval.decide", "policy.propose",
                                                                    "audit.view"}
    assert allowed["admin"] == set(auth.PERMISSIONS)
    assert not auth.may("nobody", "queue.view")


def test_weak_passwords_and_bad_names_are_refused(db: Database) -> None:
    with pytest.raises(auth.AuthError, match="at least 12"):
        auth.create_user(db, "ana", "viewer", "short")
    with pytest.raises(auth.AuthError, match="user name"):
        auth.create_user(db, "Ana Smith!", "viewer", "long enough password")


def test_sessions_expire_when_idle_and_when_the_user_is_disabled(db: Database) -> None:
    auth.create_user(db, "ana", "moderator", "long enough password")
    token, info = auth.login(db, "ana", "long enough password", "127.0.0.1")
    assert auth.session_for(db, token) is not None and info.user.role == "moderator"
    with db.transaction() as s:
        s.execute(update(ConsoleSessionRow).values(last_seen_at=utcnow() - auth.SESSION_IDLE - timedelta(minutes=1)))
    assert auth.session_for(db, token) is None  # idle too long
    token, _ = auth.login(db, "ana", "long enough password", "127.0.0.1")
    auth.set_active(db, "ana", False, by="admin")
    assert auth.session_for(db, token) is None
    with pytest.raises(auth.AuthError, match="wrong user name or password"):
        auth.login(db, "ana", "long enough password", "127.0.0.1")


def test_the_session_token_is_not_stored(db: Database) -> None:
    auth.create_user(db, "ana", "moderator", "long enough password")
    token, _ = auth.login(db, "ana", "long enough password", "127.0.0.1")
    with db.reading() as s:
        stored = s.query(ConsoleSessionRow).one()
        assert stored.token_hash != token and token not in stored.token_hash
        assert s.query(ConsoleUserRow).one().last_login_at is not None


def test_rate_limit_per_client_address(db: Database) -> None:
    for i in range(auth.MAX_FAILED_PER_CLIENT):
        with pytest.raises(auth.AuthError):
            auth.login(db, f"guess{i}", "whatever password", "10.0.0.9")
    with pytest.raises(auth.AuthError, match="too many"):
        auth.login(db, "someone", "whatever password", "10.0.0.9")
