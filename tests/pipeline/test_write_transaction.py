"""On SQLite a batch is one write transaction from its first read (``Database.begin_writing``): what the engine
reads to decide is the snapshot it writes to, and no other writer can slip in between its reads and its writes.
The ORM session of a batch is made only when asked for (``Database.writing``); what goes through it commits and
rolls back with the batch."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import account, dm

from waakhond.detectors import DetectionContext, Signal
from waakhond.events import Event, parse_event
from waakhond.pipeline import Engine, default_detectors
from waakhond.store.database import Database


class _Probe:
    """A detector that looks at the store while the batch is being decided, before anything is written."""

    name: ClassVar[str] = "probe"
    reads: ClassVar[frozenset[str]] = frozenset({"message"})

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[tuple[bool, str]] = []

    def detect(self, event: Event, context: DetectionContext) -> list[Signal]:
        in_transaction = context.store.connection().connection.dbapi_connection.in_transaction
        other = sqlite3.connect(self.path, timeout=0)  # another writer, not willing to wait
        try:
            other.execute("UPDATE accounts SET suspended = 1 WHERE id = 'kid'")
            other.commit()
            outcome = "wrote"
        except sqlite3.OperationalError as exc:
            outcome = str(exc)
        finally:
            other.close()
        self.seen.append((in_transaction, outcome))
        return []


def test_a_batch_holds_the_write_lock_from_its_first_read(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite:///{tmp_path}/w.db")
    probe = _Probe(tmp_path / "w.db")
    engine = Engine(db, detectors=[*default_detectors(), probe])
    engine.process([parse_event(account("kid", 2013)), parse_event(account("adult", 1985))])
    engine.process([parse_event(dm("m1", "adult", "kid", "hi there"))])
    assert probe.seen == [(True, "database is locked")]
    with db.reading() as s:  # the other writer did not get in: the account is as the engine left it
        assert s.connection().exec_driver_sql("select suspended from accounts where id = 'kid'").scalar() == 0
    db.close()


class _Adder:
    """A detector that adds an ORM row through the batch's session (as ``photo_reuse`` does), and can fail."""

    name: ClassVar[str] = "adder"
    reads: ClassVar[frozenset[str]] = frozenset({"message"})

    def detect(self, event: Event, context: DetectionContext) -> list[Signal]:
        from waakhond.store.schema import ApiKeyRow

        context.store.add(ApiKeyRow(name=f"from {event.id}", prefix="p", key_hash=event.id.ljust(64, "0")))
        if event.text == "fail":  # type: ignore[attr-defined]
            raise RuntimeError("a detector failed")
        return []


def test_rows_added_through_the_session_commit_and_roll_back_with_the_batch(tmp_path: Path) -> None:
    from sqlalchemy import select

    from waakhond.store.schema import ApiKeyRow, EventRow

    db = Database.connect(f"sqlite:///{tmp_path}/w.db")
    engine = Engine(db, detectors=[*default_detectors(), _Adder()])
    engine.process([parse_event(dm("m1", "adult", "kid", "hi there"))])
    with pytest.raises(RuntimeError):
        engine.process([parse_event(dm("m2", "adult", "kid", "hello")), parse_event(dm("m3", "adult", "kid", "fail"))])
    with db.reading() as s:
        assert s.scalars(select(ApiKeyRow.name)).all() == ["from m1"]
        assert s.scalars(select(EventRow.id)).all() == ["m1"]  # nothing of the failed batch
    db.close()
