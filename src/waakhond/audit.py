"""The audit log: append-only and hash-chained, so an edited or deleted entry is found.

Every view of sensitive material, decision, approval and configuration change made in the review console is
written here with :func:`record`. Each entry stores the hash of the entry before it and its own hash over
its content and that previous hash::

    entry_hash = sha256(prev_hash + canonical_json({seq, at, actor, action, subject, details}))

Changing any field of an entry changes its hash; deleting an entry leaves a gap in ``seq`` and breaks the
``prev_hash`` link of the next one. Deleting the *last* entries leaves a valid shorter chain: compare the
head printed by ``waakhond audit verify`` with a copy kept elsewhere (``--expect-head``) to catch that too.

    >>> with db.transaction() as s:                                            # doctest: +SKIP
    ...     record(s, actor="ana", action="media.reveal", subject="case:3", details={"media_id": "m1"})
    >>> verify(db).ok                                                          # doctest: +SKIP
    True
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from waakhond.store.database import Database
from waakhond.store.schema import AuditEntryRow, utcnow

#: The ``prev_hash`` of the first entry.
GENESIS = "0" * 64

# One appender at a time in this process; PostgreSQL also takes a transaction-level advisory lock so that
# several processes append one after the other (SQLite allows one writer anyway).
_append_lock = threading.RLock()
_PG_LOCK_KEY = 0x5741_414B  # "WAAK"


def _canonical_time(at: datetime) -> str:
    # Microseconds are dropped: not every backend keeps them, and the hash must survive a round trip.
    return at.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str,
               details: Mapping[str, Any]) -> str:
    """The hash of one entry: a pure function of its content and the previous hash."""
    body = orjson.dumps(
        {"seq": seq, "at": _canonical_time(at), "actor": actor, "action": action, "subject": subject,
         "details": details},
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return sha256(prev_hash.encode() + body).hexdigest()


def record(session: Session, *, actor: str, action: str, subject: str,
           details: Mapping[str, Any] | None = None) -> AuditEntryRow:
    """Append one entry in ``session``'s transaction (it is kept only if that transaction commits).

    Call it in the same transaction as the change it describes, so there is never a change without its entry.
    """
    details = _jsonable(dict(details or {}))
    with _append_lock:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)).first()
        seq = (last.seq + 1) if last else 1
        prev = last.entry_hash if last else GENESIS
        at = utcnow().replace(microsecond=0)
        row = AuditEntryRow(
            seq=seq, at=at, actor=actor, action=action, subject=subject, details=details, prev_hash=prev,
            entry_hash=entry_hash(prev, seq, at, actor, action, subject, details),
        )
        session.add(row)
        session.flush()
    return row


@contextmanager
def audited_transaction(db: Database) -> Iterator[Session]:
    """A transaction that may append audit entries, holding the appender lock until it commits.

    Two transactions that each read the chain's head and append would otherwise fork the chain; here the
    second waits for the first. Use it for every console change: the change and its entry commit together.
    """
    with _append_lock, db.transaction() as session:
        yield session


def _jsonable(value: Any) -> Any:
    # Round-trip through JSON so the hash is computed over exactly what the store gives back.
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS))


@dataclass
class Problem:
    seq: int
    message: str


@dataclass
class Verification:
    """The result of :func:`verify`: ``ok`` when no problem was found."""

    entries: int = 0
    head: str = GENESIS
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head,
                "problems": [{"seq": p.seq, "message": p.message} for p in self.problems]}


def _rows(db: Database, batch: int = 5_000) -> Iterator[AuditEntryRow]:
    after = 0
    while True:
        with db.reading() as s:
            rows = s.scalars(select(AuditEntryRow).where(AuditEntryRow.seq > after)
                             .order_by(AuditEntryRow.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(db: Database, expect_head: str | None = None, max_problems: int = 100) -> Verification:
    """Walk the chain from the first entry; report every edited, inserted or missing entry.

    ``expect_head``: an ``entry_hash`` kept outside the store earlier; it must still be in the chain
    (this is what detects entries deleted from the end).
    """
    result = Verification()
    expected_seq, prev = 1, GENESIS
    seen_head = expect_head is None
    for row in _rows(db):
        result.entries += 1
        if row.seq != expected_seq:
            result.problems.append(Problem(row.seq, f"entries {expected_seq}..{row.seq - 1} are missing (deleted)"))
        if row.prev_hash != prev:
            result.problems.append(Problem(row.seq, "does not link to the entry before it (an entry before it "
                                                    "was deleted, inserted or changed)"))
        actual = entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action, row.subject, row.details)
        if actual != row.entry_hash:
            result.problems.append(Problem(row.seq, f"content was changed after it was written "
                                                    f"({row.action} by {row.actor} on {row.subject})"))
        if expect_head is not None and row.entry_hash == expect_head:
            seen_head = True
        prev, expected_seq = row.entry_hash, row.seq + 1
        result.head = row.entry_hash
        if len(result.problems) >= max_problems:
            break
    if expect_head is not None and not seen_head:
        result.problems.append(Problem(expected_seq, f"the expected head {expect_head[:12]}… is not in the "
                                                     "chain: entries at the end were deleted or replaced"))
    return result


def recent(session: Session, *, subject: str | None = None, limit: int = 100,
           before: int | None = None) -> list[AuditEntryRow]:
    """The newest entries first, optionally for one subject (``case:12``, ``account:bob``, ``user:ana``)."""
    q = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(limit)
    if subject is not None:
        q = q.where(AuditEntryRow.subject == subject)
    if before is not None:
        q = q.where(AuditEntryRow.seq < before)
    return list(session.scalars(q).all())


__all__ = ["GENESIS", "Verification", "audited_transaction", "entry_hash", "recent", "record", "verify"]
