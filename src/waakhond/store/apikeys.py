"""API keys: created with the CLI, checked on every request but ``/healthz``.

Only a SHA-256 digest of a key is stored; the key itself is shown once, when it is created.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from hashlib import sha256

from sqlalchemy import select

from waakhond.store.database import Database
from waakhond.store.schema import ApiKeyRow, utcnow

PREFIX = "wh_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(key: str) -> str:
    return sha256(key.encode("utf-8")).hexdigest()


def create_key(db: Database, name: str) -> tuple[str, ApiKey]:
    """Make a new key; returns the secret (shown once) and its record."""
    secret = PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as s:
        row = ApiKeyRow(name=name, prefix=secret[:10], key_hash=_digest(secret), created_at=utcnow())
        s.add(row)
        s.flush()
        return secret, ApiKey(row.id, row.name, row.prefix, row.created_at, None)


def list_keys(db: Database) -> list[ApiKey]:
    with db.reading() as s:
        rows = s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)).all()
        return [ApiKey(r.id, r.name, r.prefix, r.created_at, r.revoked_at) for r in rows]


def revoke_key(db: Database, key_id: int) -> bool:
    with db.transaction() as s:
        row = s.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        return True


def verify_key(db: Database, key: str | None) -> bool:
    if not key or not key.startswith(PREFIX) or len(key) > 200:
        return False
    digest = _digest(key)
    with db.reading() as s:
        row = s.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == digest)).first()
        return row is not None and row.revoked_at is None and hmac.compare_digest(row.key_hash, digest)
