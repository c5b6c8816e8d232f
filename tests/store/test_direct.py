"""Statements on the DBAPI cursor (``waakhond.store.direct``) store and read exactly what SQLAlchemy's
``Connection.execute`` does, and fail the same way. Both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from waakhond.store.database import Database
from waakhond.store.direct import Direct
from waakhond.store.schema import AccountRow, CaseRow, EventRow

COLUMNS = tuple(c.key for c in AccountRow.__table__.columns)
AT = datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _account(i: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = {c: None for c in COLUMNS}
    row.update(id=f"u{i}", has_profile_photo=False, trusted_flagger=False, suspended=False, risk=0.25,
               reports_received=0, blocks_received=0, first_contacts=0, first_contacts_to_minors=0,
               profile={"counts": {"posts": 3}, "name": "Zoë ✓", "n": None}, updated_at=AT)
    row.update(values)
    return row


def test_written_and_read_values_match_sqlalchemy(any_db: Database) -> None:
    cet = timezone(timedelta(hours=1))
    rows = [_account(1), _account(2, suspended=True, birth_year=2013, created_at=AT.astimezone(cet), profile={}),
            _account(3, updated_at=AT.replace(tzinfo=None), language="nl")]  # naive: taken as UTC
    with any_db.transaction() as s:  # the same rows, once through each path
        Direct(insert(AccountRow)).write(s.connection(), COLUMNS, [tuple(r[c] for c in COLUMNS) for r in rows])
        s.connection().execute(insert(AccountRow), [{**r, "id": f"orm-{r['id']}"} for r in rows])
    load = select(*AccountRow.__table__.columns).where(AccountRow.id.in_([bindparam("a"), bindparam("b")]))
    with any_db.reading() as s:
        conn = s.connection()
        for key in ("u1", "u2", "u3"):
            direct = Direct(load).fetch(conn, ("a", "b"), (key, f"orm-{key}"))
            orm = [tuple(r) for r in conn.execute(load, {"a": key, "b": f"orm-{key}"}).all()]
            assert len(direct) == 2
            assert sorted(r[1:] for r in direct) == sorted(r[1:] for r in orm)  # all but the id
            assert direct[0][COLUMNS.index("updated_at")] == AT  # aware, in UTC, microseconds kept
        assert Direct(load).fetch(conn, ("a", "b"), ("u2", "nobody")) == [
            tuple(_account(2, suspended=True, birth_year=2013, created_at=AT, profile={})[c] for c in COLUMNS)]


def test_updates_and_literals_of_the_statement(any_db: Database) -> None:
    with any_db.transaction() as s:
        s.add(CaseRow(subject_key="conversation:dm:a:b", priority="high", priority_rank=1, reason="r",
                      created_at=AT, updated_at=AT))
        s.add(CaseRow(subject_key="conversation:dm:a:b", status="closed", priority="low", priority_rank=3,
                      reason="r", created_at=AT, updated_at=AT))
    open_case = Direct(select(CaseRow.priority).where(CaseRow.subject_key == bindparam("s"), CaseRow.status == "open"))
    with any_db.transaction() as s:
        assert open_case.fetch(s.connection(), ("s",), ("conversation:dm:a:b",)) == [("high",)]
        change = Direct(update(CaseRow).where(CaseRow.subject_key == bindparam("key")))
        change.write(s.connection(), ("event_ids", "updated_at", "key"),
                     [([1, "e2"], AT + timedelta(days=1), "conversation:dm:a:b")])
    with any_db.reading() as s:
        cases = s.scalars(select(CaseRow)).all()
        assert [(c.event_ids, c.updated_at) for c in cases] == [([1, "e2"], AT + timedelta(days=1))] * 2


def test_errors_are_sqlalchemys_and_roll_back_the_transaction(any_db: Database) -> None:
    events = Direct(insert(EventRow))
    names = ("id", "kind", "occurred_at", "received_at", "actor_id", "conversation_id", "digest", "payload")
    row = ("e1", "message", AT, AT, "u1", None, "d", {"text": "hi"})
    with pytest.raises(IntegrityError), any_db.transaction() as s:
        events.write(s.connection(), names, [row, ("e2", *row[1:])])
        events.write(s.connection(), names, [("e3", *row[1:]), row])  # e1 again
    with any_db.reading() as s:
        assert s.scalars(select(EventRow.id)).all() == []  # nothing of the transaction is stored
    with pytest.raises(ValueError, match="received_at"), any_db.transaction() as s:  # a default is not computed
        events.write(s.connection(), tuple(n for n in names if n != "received_at"), [row[:3] + row[4:]])
