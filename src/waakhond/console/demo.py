"""Demo logins and a benign demo picture, so ``make run`` opens a console with something to review.

The picture is a generated colour gradient (no photo, no person): it stands in for a message attachment so
that the blur, the audited reveal and the greyscale default can be tried.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from waakhond import audit
from waakhond.console import auth
from waakhond.console.media import MediaLibrary
from waakhond.events import parse_event
from waakhond.store.schema import ConsoleUserRow, utcnow

DEMO_MEDIA_ID = "demo-media-1"
DEMO_USERS = (("demo-moderator", "moderator"), ("demo-lead", "child_safety_lead"))


def gradient_png(width: int = 96, height: int = 96) -> bytes:
    """A PNG of a plain diagonal colour gradient, made without any imaging library."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows += bytes(((x * 255) // width, (y * 255) // height, 160))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))


def demo_media(engine: Any, library: MediaLibrary | None = None) -> Path:
    """Put the demo picture in the media folder and send its upload event (idempotent)."""
    library = library or MediaLibrary()
    library.root.mkdir(parents=True, exist_ok=True)
    path = library.root / f"{DEMO_MEDIA_ID}.png"
    if not path.exists():
        path.write_bytes(gradient_png())
    engine.process([parse_event({
        "id": "demo-media-upload-1", "kind": "media", "occurred_at": "2026-11-04T16:05:00+00:00",
        "account_id": "ghost_rider", "media_id": DEMO_MEDIA_ID, "media_type": "image",
        "purpose": "message_attachment", "recipient_ids": ["lotte"],
    })])
    return path


def demo_accountability(engine: Any) -> None:
    """A room moderator who kicks the viewer that reported abuse from a minor's stream: a case about the
    moderator (idempotent; fixed event ids)."""
    engine.process([parse_event(e) for e in (
        {"id": "demo-account-room_mod_max", "kind": "account", "occurred_at": "2026-09-01T10:00:00+00:00",
         "account_id": "room_mod_max", "birth_year": 1990, "language": "en"},
        {"id": "demo-moderation-1", "kind": "moderation", "occurred_at": "2026-11-02T16:09:00+00:00",
         "actor_id": "room_mod_max", "actor_role": "room_admin", "action": "kick", "target_id": "fan_jo",
         "room_id": "karaoke-mia", "reason": "spamming"},
    )])


def demo_logins(db: Any) -> list[tuple[str, str, str]]:
    """Create (or give a fresh password to) the demo moderator and lead; returns (user, role, password)."""
    out = []
    for username, role in DEMO_USERS:
        password = auth.generate_password()
        with db.reading() as s:
            exists = s.scalar(select(ConsoleUserRow.id).where(ConsoleUserRow.username == username)) is not None
        if exists:
            with audit.audited_transaction(db) as s:
                row = s.scalars(select(ConsoleUserRow).where(ConsoleUserRow.username == username)).one()
                row.password_hash, row.role, row.active = auth.hash_password(password), role, True
                row.created_at = row.created_at or utcnow()
                audit.record(s, actor="demo", action="user.password_reset", subject=f"user:{username}")
        else:
            auth.create_user(db, username, role, password, created_by="demo")
        out.append((username, role, password))
    return out
